"""What a data set name (and any other text kept in the store) may be.

A name is a store key and part of URLs (`/api/datasets/{name}`), so it is 1-64 ASCII
letters, digits, `_`, `.` or `-`, and not `.` or `..` (which URLs and paths resolve).
Other text that is stored (a file's original name, a CSV's column names) may be any
Unicode but not NUL or a lone surrogate (layerforge.store.text says why).
"""

from __future__ import annotations

import re

NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
NAME_SCHEMA_PATTERN = rf"^(?!\.{{1,2}}$){NAME_PATTERN.pattern}$"
"""The same rule as a JSON Schema pattern, for the OpenAPI document."""


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a data set, or None when it can."""
    if not NAME_PATTERN.fullmatch(name) or name in (".", ".."):
        shown = name if len(name) <= 80 else name[:80] + "…"
        return (
            f"data set name {shown!r} must be 1-64 letters, digits, '_', '.' or '-', "
            "and not '.' or '..'"
        )
    return None


def shown(names: list[str], most: int = 20) -> str:
    """`names` joined for a message, the first `most` of them (a CSV header may have a
    million)."""
    text = ", ".join(names[:most])
    return text + (f", … ({len(names) - most:,} more)" if len(names) > most else "")
