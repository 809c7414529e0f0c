"""The fork server: `python -m layerforge.training.forkserver FD`, started by a worker
or the one-machine scheduler (`jobs/forked.py`) with one end of a Unix socket as FD.

It imports TensorFlow, Keras and the trainer once (about 5 s of CPU on a small
machine), touches no device, and then forks one fresh trainer process per request, so
a run no longer pays for that import, and two runs beside it do not slow down while a
replacement imports. Each child is a trainer as `python -m layerforge.training.trainer`
would be: its own process, with the stdin, stdout and stderr it was sent, its own
environment (CUDA_VISIBLE_DEVICES before any device is seen), killed with the server.

The protocol on the socket: a request is one JSON object `{"env": {...}, "warm": bool}`
with three file descriptors (the child's stdin, stdout, stderr) in one message; the
server answers `{"pid": N}`, and `{"exit": N, "code": C}` when a child ends (C as
`Popen.returncode`: negative for a signal). The server is single-threaded (a forked
child must not inherit a lock some thread holds), and exits when the socket closes.
"""

from __future__ import annotations

import ctypes
import json
import os
import selectors
import signal
import socket
import sys
from typing import Any

PR_SET_PDEATHSIG = 1


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(json.dumps(message).encode() + b"\n")


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def _child(request: dict[str, Any], fds: list[int], *closing: socket.socket) -> None:
    """In the forked child: become the trainer; never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for sock in closing:
            sock.close()
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # ends with the server
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.update(request.get("env") or {})
        from layerforge.training import trainer

        code = trainer.main(["--warm"] if request.get("warm") else [])
    except BaseException as exc:  # the stderr tail tells the worker why
        print(f"forked trainer failed to start: {exc!r}", file=sys.stderr)
    finally:
        sys.stderr.flush()
        os._exit(code)


def serve(sock: socket.socket) -> None:
    wake_r, wake_w = socket.socketpair()
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno())
    signal.signal(signal.SIGCHLD, lambda *_: None)  # the wake-up fd says a child ended
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    selector.register(wake_r, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is wake_r:
                wake_r.recv(4096)
                _reap(sock)
                continue
            data, fds, _, _ = socket.recv_fds(sock, 65536, 3)
            if not data:
                return  # the worker is gone: the children die with this process
            request = json.loads(data)
            pid = os.fork()
            if pid == 0:
                _child(request, fds, sock, wake_r, wake_w)
            for fd in fds:
                os.close(fd)
            _send(sock, {"pid": pid})


def main(argv: list[str]) -> int:
    sock = socket.socket(fileno=int(argv[0]))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from layerforge.training import trainer

    trainer.preload()
    serve(sock)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
