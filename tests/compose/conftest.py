"""The compose stack's test builds images and starts containers for minutes: it runs only
when selected (`make test-compose`, or `pytest tests/compose`), never in a plain
`pytest`, which would run it beside everything else. Its figures (build times, image
sizes, the run's) are printed at the end of the session."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIGURES: dict[str, str] = {}


@pytest.fixture(scope="session")
def figures() -> dict[str, str]:
    """Name -> value, printed at the end of the session."""
    return FIGURES


def _selected(config: pytest.Config) -> bool:
    for arg in config.args:
        path = Path(arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path == HERE or HERE in collection_path.parents:
        return None if _selected(config) else True
    return None


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("docker compose figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")
