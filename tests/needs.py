"""What a test needs from the machine (PostgreSQL, Redis, root for a real full disk):
without it the test is skipped with the reason, except in CI (`CI=true`), where it
fails, so a service that did not come up cannot pass as a green run."""

from __future__ import annotations

import os
from typing import Any, NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> NoReturn:
    """Skip the test saying why; in CI, fail it instead."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a test that needs it fails instead of skipping)")
    pytest.skip(reason)


ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_admin(dsn: str = ADMIN_DSN) -> Any:
    """An autocommit psycopg connection to `dsn`, or the test skipped saying why."""
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[team]')")
    try:
        return psycopg.connect(dsn, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL at {dsn.rsplit('@', 1)[-1]} is unreachable: {exc}")
