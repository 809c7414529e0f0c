"""The README's end-to-end script, run as written (its shell block, verbatim, with `sh
-e`) against a real server on a free port: it validates a guide example, trains it on
its data set offline and prints the finished run."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from helpers import REPO
from serve_process import Server

MARKER = "A script, end to end"


def readme_script() -> str:
    text = (REPO / "README.md").read_text()
    after = text[text.index(MARKER) :]
    found = re.search(r"```sh\n(.*?)```", after, re.S)
    assert found, "no ```sh block after the README's end-to-end paragraph"
    return found.group(1)


def test_the_readmes_end_to_end_script_works(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    try:
        done = subprocess.run(
            ["sh", "-e", "-c", readme_script()],
            cwd=REPO,
            env={**os.environ, "URL": server.url},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
        lines = done.stdout.strip().splitlines()
        validated, run = json.loads(lines[0]), json.loads(lines[-1])
        assert validated["valid"] is True, validated
        assert run["status"] == "succeeded", run
        assert run["dataset"]["name"] == "sequences" and "loss" in run["metrics"]
    finally:
        server.stop()
