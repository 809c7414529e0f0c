"""Trainer processes forked from a fork server (`training/forkserver.py`) that imported
TensorFlow once, instead of each started with `python -m` and importing it again.

`ForkServer.spawn` answers a `ForkedProcess`, which offers what the supervisor uses of
an `asyncio.subprocess.Process` (pid, stdin, stdout, stderr, returncode, wait, kill),
so a forked trainer is supervised exactly like a started one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
from typing import Any

from layerforge.training.protocol import LINE_LIMIT

log = logging.getLogger(__name__)

SERVER_MODULE = "layerforge.training.forkserver"
LOST_SERVER_CODE = -signal.SIGKILL
"""A child's exit code when its server died first (the child is killed with it)."""


class ForkedProcess:
    """One forked trainer: pipes to its stdin, stdout and stderr; its exit as the fork
    server reports it (the server is its parent, so only the server can reap it)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._exited = asyncio.Event()
        self.stdin: asyncio.StreamWriter | None = None
        self.stdout: asyncio.StreamReader | None = None
        self.stderr: asyncio.StreamReader | None = None

    async def connect(self, stdin_fd: int, stdout_fd: int, stderr_fd: int) -> None:
        loop = asyncio.get_running_loop()
        self.stdout = await _reader(loop, stdout_fd)
        self.stderr = await _reader(loop, stderr_fd)
        transport, protocol = await loop.connect_write_pipe(
            lambda: asyncio.streams.FlowControlMixin(loop=loop), os.fdopen(stdin_fd, "wb", 0)
        )
        self.stdin = asyncio.StreamWriter(transport, protocol, None, loop)

    def exited(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
        if self.stdin is not None:
            self.stdin.close()
        self._exited.set()

    async def wait(self) -> int:
        await self._exited.wait()
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


async def _reader(loop: asyncio.AbstractEventLoop, fd: int) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=LINE_LIMIT, loop=loop)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), os.fdopen(fd, "rb", 0)
    )
    return reader


class ForkServer:
    """Starts the fork server on first use and forks trainers from it, one request at a
    time. A server that died is started again by the next spawn."""

    def __init__(self, backend: str = "tensorflow"):
        self.backend = backend
        self._proc: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None  # for send_fds; the writer owns it
        self._writer: asyncio.StreamWriter | None = None
        self._listener: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._reply: asyncio.Future[int] | None = None
        self._children: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}  # exits heard before the spawn returned

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None and self._sock is not None

    async def _start(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                SERVER_MODULE,
                str(theirs.fileno()),
                pass_fds=(theirs.fileno(),),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                env={**os.environ, "KERAS_BACKEND": self.backend},
            )
        finally:
            theirs.close()
        reader, self._writer = await asyncio.open_unix_connection(sock=ours)
        self._sock = ours
        self._listener = asyncio.create_task(self._listen(reader), name="fork-server")

    async def _listen(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            message: dict[str, Any] = json.loads(line)
            if "pid" in message and self._reply is not None and not self._reply.done():
                self._reply.set_result(int(message["pid"]))
            elif "exit" in message:
                pid, code = int(message["exit"]), int(message["code"])
                child = self._children.pop(pid, None)
                if child is None:
                    self._early_exits[pid] = code
                else:
                    child.exited(code)
        self._lost()

    def _lost(self) -> None:
        """The server ended: its children were killed with it."""
        self._sock = None
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(OSError("the fork server ended"))
        for child in self._children.values():
            child.exited(LOST_SERVER_CODE)
        self._children.clear()

    async def spawn(self, env: dict[str, str], *, warm: bool) -> ForkedProcess:
        """A new trainer forked with `env` (warm: it warms up, then waits for its spec);
        OSError when the server cannot be started or reached."""
        async with self._lock:
            if not self.alive:
                await self.stop()
                await self._start()
            assert self._sock is not None
            stdin_r, stdin_w = os.pipe()
            stdout_r, stdout_w = os.pipe()
            stderr_r, stderr_w = os.pipe()
            self._reply = asyncio.get_running_loop().create_future()
            try:
                request = json.dumps({"env": env, "warm": warm}).encode()
                socket.send_fds(self._sock, [request], [stdin_r, stdout_w, stderr_w])
                pid = await asyncio.wait_for(self._reply, 60)
            except BaseException:
                for fd in (stdin_w, stdout_r, stderr_r):
                    os.close(fd)
                raise
            finally:
                for fd in (stdin_r, stdout_w, stderr_w):
                    os.close(fd)
            child = ForkedProcess(pid)
            await child.connect(stdin_w, stdout_r, stderr_r)
            if pid in self._early_exits:
                child.exited(self._early_exits.pop(pid))
            elif self.alive:
                self._children[pid] = child
            else:
                child.exited(LOST_SERVER_CODE)
            return child

    async def stop(self) -> None:
        """End the server (its children with it) and wait for it."""
        self._sock = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._proc is not None:
            if self._proc.returncode is None:
                self._proc.kill()
            await self._proc.wait()
            self._proc = None
        if self._listener is not None:
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
