"""Fixtures of the unit tests (plain helpers are in `tests/graphs.py`)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import keras
import pytest


@functools.cache
def _application(name: str) -> keras.Model:
    return getattr(keras.applications, name)(weights=None)


@pytest.fixture(scope="session")
def applications() -> Callable[[str], keras.Model]:
    """name -> a `keras.applications` model with `weights=None`, built on first use
    and once per session."""
    return _application
