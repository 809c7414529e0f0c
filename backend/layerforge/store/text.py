"""What text the store can keep, on SQLite and PostgreSQL alike.

PostgreSQL refuses a NUL character in text and in JSON; a lone surrogate ("\\ud800",
which JSON's escapes can spell) is not Unicode text, so it cannot be written as UTF-8
and a row holding it could never be answered again. Both stores refuse both, so they
accept the same things.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_ESCAPES = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])")


def storable_problem(text: str) -> str | None:
    """Why `text` cannot be stored, or None when it can."""
    if "\x00" in text:
        return "holds a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate (not valid Unicode text)"
    return None


def may_hold_unstorable(raw: bytes) -> bool:
    """False when JSON text cannot hold a NUL or a lone surrogate, read off its bytes:
    in UTF-8 JSON both can only be spelled as escapes (\\u0000, \\ud800 to \\udfff), and
    a body with a zero byte is not UTF-8 JSON text. True means "walk it" (an emoji's
    surrogate pair is fine, but spelled so): `unstorable_text` then says what is wrong."""
    return b"\x00" in raw or _ESCAPES.search(raw) is not None


def unstorable_text(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, why) for every string in JSON data (keys included) the store cannot keep."""
    if isinstance(value, str):
        why = storable_problem(value)
        if why:
            yield path, why
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (why := storable_problem(key)):
                yield path, f"has a key that {why}"
            yield from unstorable_text(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from unstorable_text(item, (*path, i))
