"""`layerforge serve` in a subprocess, as a user starts it (tests that need a real server:
real port, real signals, a real kill -9)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`layerforge serve` in a subprocess, its stdout and stderr in a log file. With
    `wait` (the default) it returns once /api/health answers."""

    def __init__(
        self,
        data_dir: Path,
        host: str = "127.0.0.1",
        *,
        env: dict[str, str] | None = None,
        port: int | None = None,
        wait: bool = True,
        log_name: str = "server.log",
    ):
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "LAYERFORGE_DATA_DIR": str(data_dir),
            "LAYERFORGE_ALLOW_TEST_HOST": "false",  # as in production
            **(env or {}),
        }
        self.env.pop("LAYERFORGE_TOKEN", None)
        self.log_path = data_dir.parent / log_name
        self.log = self.log_path.open("ab")
        command = ["serve", "--host", host, "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "layerforge.cli", *command],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(f"{self.url}/api/health", timeout=2)
                return
            except httpx.TransportError:
                assert self.proc.poll() is None, self.log_path.read_text()
                assert time.monotonic() < deadline, f"server did not start in {timeout} s"
                time.sleep(0.2)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "layerforge.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def add_user(self, name: str, *flags: str) -> str:
        result = self.cli("users", "add", name, *flags)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def ws(self, path: str, **kwargs: object):
        return connect(f"ws://127.0.0.1:{self.port}{path}", open_timeout=10, **kwargs)

    def stop(self) -> str:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()
        return self.log_path.read_text()

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.log.close()
