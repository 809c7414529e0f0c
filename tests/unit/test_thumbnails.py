"""Image thumbnails as data: URLs: a JPEG for an opaque image (the evaluation's samples
share a 2 MB cap, and a PNG of a photo-like image is several times larger), a PNG where
there is transparency to keep."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image

from layerforge.training.datasets.image_folders import thumbnail


def _decoded(url: str) -> tuple[str, Image.Image]:
    head, data = url.split(",", 1)
    return head, Image.open(io.BytesIO(base64.b64decode(data)))


def test_an_opaque_image_is_a_jpeg_far_smaller_than_its_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    # smooth with some noise, as photos are
    ramp = np.linspace(0, 200, 256)[None, :, None] + np.linspace(0, 50, 256)[:, None, None]
    pixels = (ramp + rng.normal(0, 8, (256, 256, 3))).clip(0, 255).astype("uint8")
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    width, height, url = thumbnail(path, 96)
    head, thumb = _decoded(url)
    assert (width, height) == (256, 256)
    assert head == "data:image/jpeg;base64" and thumb.format == "JPEG"
    assert thumb.size == (96, 96)
    as_png = io.BytesIO()
    thumb.convert("RGB").save(as_png, format="PNG")
    assert len(base64.b64decode(url.split(",", 1)[1])) * 3 < len(as_png.getvalue())


def test_transparency_is_kept_in_a_png(tmp_path: Path) -> None:
    pixels = np.zeros((32, 32, 4), dtype="uint8")
    pixels[8:24, 8:24] = (255, 0, 0, 255)  # a red square on a see-through ground
    path = tmp_path / "icon.png"
    Image.fromarray(pixels, mode="RGBA").save(path)
    _, _, url = thumbnail(path, 16)
    head, thumb = _decoded(url)
    assert head == "data:image/png;base64" and thumb.mode == "RGBA"
    assert thumb.getpixel((0, 0))[3] == 0 and thumb.getpixel((8, 8))[3] == 255
