"""Reading an uploaded .npz without trusting it: every array's size is known from the zip
directory and the .npy header before any data is inflated, the total is capped
(`Limits.npz_inflated_bytes`), only plain numeric dtypes pass (no pickles, objects,
structured records, strings or complex numbers), and the data is read in chunks, so
describing an array never holds it in memory.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from layerforge.settings import Limits
from layerforge.training.datasets.errors import DatasetError, limit_exceeded
from layerforge.training.datasets.models import ArrayInfo, ArrayStats

CHUNK_BYTES = 8 << 20
NUMERIC_KINDS = "biuf"  # bool, int, uint, float
HEADER_BYTES = 10_000  # numpy's own cap on a .npy header


def _unreadable(exc: Exception) -> DatasetError:
    return DatasetError(f"not a readable .npz file ({exc})")


def _array_names(members: list[zipfile.ZipInfo], limits: Limits) -> list[str]:
    """The arrays' names (members without `.npy`), once the zip directory says that all of
    them together inflate to no more than the cap."""
    names: list[str] = []
    total = 0
    for m in members:
        name = m.filename.removesuffix(".npy")
        if m.filename == name or not name:
            raise DatasetError(f"member {m.filename[:80]!r} of the .npz file is not a .npy array")
        if name in names:
            raise DatasetError(f"array `{name}` appears twice in the .npz file")
        total += m.file_size
        if total > limits.npz_inflated_bytes:
            raise limit_exceeded(
                f"array `{name}` inflates to {m.file_size:,} bytes, {total:,} with the arrays "
                "before it",
                limits.npz_inflated_bytes,
                "npz_inflated_bytes",
            )
        names.append(name)
    if not names:
        raise DatasetError("the .npz file holds no arrays")
    return names


def _header(f: IO[bytes], name: str) -> tuple[tuple[int, ...], np.dtype]:
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=HEADER_BYTES)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=HEADER_BYTES)
        else:
            raise ValueError(f".npy format version {version} is not supported")
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"array `{name}` is not a readable .npy array ({exc})") from None
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise DatasetError(
            f"array `{name}` has dtype {str(dtype)[:80]}; only bool, integer and float "
            "arrays can be used"
        )
    if not shape:
        raise DatasetError(f"array `{name}` is a scalar; every array needs a first (sample) axis")
    return shape, dtype


def _described(f: IO[bytes], member: zipfile.ZipInfo, name: str) -> ArrayInfo:
    """The array's description, its data read in chunks after its header says its size
    agrees with the zip directory's."""
    shape, dtype = _header(f, name)
    declared = math.prod(shape) * dtype.itemsize
    held = member.file_size - f.tell()
    if declared != held:
        raise DatasetError(
            f"array `{name}` declares shape {shape} ({declared:,} bytes) but holds {held:,} bytes"
        )
    stats = ArrayStats(dtype)
    step = max(1, CHUNK_BYTES // dtype.itemsize) * dtype.itemsize
    left = declared
    try:
        while left:
            data = f.read(min(step, left))
            if not data:
                raise EOFError(f"array `{name}` ends early")
            stats.add(np.frombuffer(data, dtype=dtype))
            left -= len(data)
        f.read(1)  # at the end: the zip checks the member's CRC
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise _unreadable(exc) from None
    return stats.info(shape)


def describe_npz(path: Path, limits: Limits) -> dict[str, ArrayInfo]:
    """Each array of the .npz at `path`, described. Raises DatasetError."""
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
            names = _array_names(members, limits)
            arrays = {}
            for member, name in zip(members, names, strict=True):
                with z.open(member) as f:
                    arrays[name] = _described(f, member, name)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _unreadable(exc) from None
    counts = {k: a.shape[0] for k, a in arrays.items()}
    if len(set(counts.values())) > 1:
        raise DatasetError(
            "sample counts differ: " + ", ".join(f"array `{k}` has {n}" for k, n in counts.items())
        )
    return arrays
