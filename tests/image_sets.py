"""Small generated image sets for the tests and bench_data: class-named folders of PNGs
(numpy + Pillow) that a small CNN can learn (each class lights a different part of the
image), and .zip files of them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ("left", "right", "top")


def image(label: int, rng: np.random.Generator, size: int = 16, channels: int = 3) -> np.ndarray:
    """A noisy image whose bright part says its class: left half, right half, top half."""
    pixels = rng.integers(0, 60, size=(size, size, channels))
    half = size // 2
    part = [np.s_[:, :half], np.s_[:, half:], np.s_[:half, :]][label % 3]
    pixels[part] += 150
    return pixels.clip(0, 255).astype("uint8")


def png_bytes(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels.squeeze() if pixels.shape[-1] == 1 else pixels).save(buf, format=fmt)
    return buf.getvalue()


def write_folders(
    root: Path, per_class: int, classes: tuple[str, ...] = CLASSES, size: int = 16, seed: int = 0
) -> Path:
    """`root/<class>/<i>.png` for each class; returns root."""
    rng = np.random.default_rng(seed)
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            (root / name / f"{i:05d}.png").write_bytes(png_bytes(image(label, rng, size)))
    return root


def zip_bytes(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def image_zip(
    per_class: int,
    classes: tuple[str, ...] = CLASSES,
    size: int = 16,
    prefix: str = "",
    extra: dict[str, bytes] | None = None,
    seed: int = 0,
) -> bytes:
    """A .zip of `prefix<class>/<i>.png` entries (and `extra` ones as given)."""
    rng = np.random.default_rng(seed)
    formats = ("PNG", "JPEG", "BMP", "GIF")
    entries = {}
    for label, name in enumerate(classes):
        for i in range(per_class):
            fmt = formats[i % len(formats)]
            ext = {"PNG": "png", "JPEG": "jpg", "BMP": "bmp", "GIF": "gif"}[fmt]
            entries[f"{prefix}{name}/{i:05d}.{ext}"] = png_bytes(image(label, rng, size), fmt)
    return zip_bytes({**entries, **(extra or {})})
