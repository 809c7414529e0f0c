"""A test that needs PostgreSQL or Redis skips, saying why, on a machine without them;
in CI (`CI=true`) it fails, so a service that did not come up cannot pass as green.
And pytest lists every skip with its reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from contract.team import redis_or_skip
from helpers import REPO
from needs import postgres_admin

NOBODY_PG = "postgresql://postgres@127.0.0.1:1/test"  # port 1: nothing listens
NOBODY_REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.parametrize(
    "needs", [lambda: postgres_admin(NOBODY_PG), lambda: redis_or_skip(NOBODY_REDIS)]
)
def test_an_unreachable_service_skips_with_its_reason_and_fails_in_ci(
    needs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"127\.0\.0\.1:1.* is unreachable"):
        needs()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)is unreachable.*CI=true"):
        needs()


def test_pytest_lists_skips_with_their_reasons(tmp_path: Path) -> None:
    test = tmp_path / "test_one_skip.py"
    test.write_text("import pytest\n\ndef test_x():\n    pytest.skip('no frobnicator here')\n")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + ["-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path), str(test)],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "1 skipped" in out, out
    assert "SKIPPED [1]" in out and "no frobnicator here" in out, out
