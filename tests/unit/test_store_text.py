"""What the store can keep: the byte-level pre-check never lets through what the walk refuses."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from layerforge.store.text import may_hold_unstorable, unstorable_text

JSON = st.recursive(
    st.none() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(JSON, st.booleans())
def test_the_pre_check_passes_only_what_the_walk_accepts(value, ascii_only):
    raw = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    if list(unstorable_text(value)):
        assert may_hold_unstorable(raw)


def test_the_pre_check_reads_the_escapes():
    assert not may_hold_unstorable(json.dumps({"name": "dense_1", "units": 8}).encode())
    for spelled in (b"\\u0000", b"\\ud800", b"\\uDFFF", b"\\ud83d\\ude00"):
        assert may_hold_unstorable(b'{"a": "' + spelled + b'"}'), spelled
    assert may_hold_unstorable('{"a": 1}'.encode("utf-16"))  # not UTF-8: walk it
