"""A real full disk: a small tmpfs mounted where a test keeps its data (needs root;
otherwise the test is skipped saying why, and fails in CI)."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from needs import unavailable

FILLER = ".filler"


class SmallDisk:
    """A tmpfs at `path`. `fill()` takes the free space with a file of zeros; `free()`
    deletes it."""

    def __init__(self, path: Path):
        self.path = path

    @property
    def filler(self) -> Path:
        return self.path / FILLER

    def fill(self, leave: int = 0) -> None:
        """Take all free space but `leave` bytes (rounded up to whole pages)."""
        chunk = b"\0" * (1 << 16)
        with self.filler.open("ab", buffering=0) as f:
            for size in (1 << 16, 4096, 512, 1):
                try:
                    while True:
                        f.write(chunk[:size])
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
        assert self.free_bytes() < 4096
        if leave:
            os.truncate(self.filler, self.filler.stat().st_size - leave)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize


@contextmanager
def small_disk(path: Path, size_mb: int = 16) -> Iterator[SmallDisk]:
    """A tmpfs of `size_mb` mounted at `path` (made if missing), unmounted afterwards."""
    if os.geteuid() != 0:
        unavailable("a real full disk needs root (to mount a small tmpfs)")
    path.mkdir(parents=True, exist_ok=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)]
    done = subprocess.run(mount, capture_output=True, text=True)
    if done.returncode != 0:
        unavailable(f"could not mount a tmpfs: {done.stderr.strip()}")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
