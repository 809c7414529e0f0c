"""Image sets: class-named folders of images (JPEG, PNG, BMP, GIF), from an uploaded .zip
or read in place from a folder under `LAYERFORGE_DATASETS_DIR`.

An uploaded .zip is unpacked entry by entry into a folder of the server's own: each class
becomes `c0000`, `c0001`, ... (by sorted class name) and each image `000000.png`, ..., so
no name from the archive reaches the file system and nothing is written outside the set's
folder. Each entry is checked before it is written (no absolute or `..` paths, a count of
entries, the bytes it may inflate to, the ratio to its compressed size) and opened with
Pillow after (the header only): a file that is not an image is skipped and listed in the
set's `warnings`. The trainer reads the folder with Keras's `image_dataset_from_directory`
(training/datasets/image_stream.py); the API only scans it, never decodes every image.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, get_args

from layerforge.settings import Limits
from layerforge.store.text import storable_problem
from layerforge.training.datasets.errors import DatasetError, limit_exceeded
from layerforge.training.datasets.models import ArrayInfo, ColorMode

FORMATS = {"JPEG": ".jpg", "PNG": ".png", "BMP": ".bmp", "GIF": ".gif"}
"""Pillow's format name -> the extension a stored image gets."""
EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
"""What `image_dataset_from_directory` reads (by extension)."""
CHANNELS: dict[str, int] = {"grayscale": 1, "rgb": 3, "rgba": 4}
COLOR_MODES: tuple[str, ...] = get_args(ColorMode)
ZIP_RATIO = 100
"""The most an entry may inflate to per compressed byte: images are compressed already,
so more is a zip bomb."""
MAX_IMAGE_PIXELS = 64 * 1024 * 1024
"""An image larger than this is skipped (decoding it would take gigabytes)."""
MAX_FOLDER_FILES = 1_000_000
"""The most files a server-side folder may hold (it is scanned when the set is made)."""
MAX_WARNINGS = 20
CHUNK = 1024 * 1024
SKIPPED_SILENTLY = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")


@dataclass
class ImageOptions:
    """What a set is read as: chosen when it is made, used by every run on it."""

    image_size: tuple[int, int] = (256, 256)
    color_mode: str = "rgb"
    validation_split: float = 0.2

    def check(self) -> None:
        h, w = self.image_size
        if not (1 <= h <= 4096 and 1 <= w <= 4096):
            raise DatasetError(
                f"image size {h}x{w}: height and width must be from 1 to 4096",
                param="image_height" if not 1 <= h <= 4096 else "image_width",
            )
        if self.color_mode not in CHANNELS:
            raise DatasetError(
                f"color_mode {self.color_mode!r} must be one of {', '.join(CHANNELS)}",
                param="color_mode",
            )
        if not 0 <= self.validation_split < 1:
            raise DatasetError(
                f"validation_split {self.validation_split} must be at least 0 and below 1",
                param="validation_split",
            )


@dataclass
class Warnings:
    """Lines for the set's `warnings`: the first MAX_WARNINGS, then a count of the rest."""

    lines: list[str] = field(default_factory=list)
    more: int = 0

    def add(self, line: str) -> None:
        if len(self.lines) < MAX_WARNINGS:
            self.lines.append(line)
        else:
            self.more += 1

    def listed(self) -> list[str]:
        return self.lines + ([f"… and {self.more:,} more skipped"] if self.more else [])


def class_folder(index: int) -> str:
    return f"c{index:04d}"


def _entry_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    """The entry's path as parts; a DatasetError for a path that would leave the folder."""
    name = info.filename
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise DatasetError(f"zip entry {name[:200]!r} has an absolute or Windows path")
    parts = PurePosixPath(name).parts
    if ".." in parts:
        raise DatasetError(f"zip entry {name[:200]!r} points outside the archive ('..')")
    return tuple(p for p in parts if p not in ("", "."))


def _is_link(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") or p in SKIPPED_SILENTLY for p in parts)


def _image_format(path: Path) -> str | None:
    """Pillow's name of the image format in `path` (its header only), or None."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            if image.format in FORMATS and width * height <= MAX_IMAGE_PIXELS:
                return str(image.format)
    except Exception:  # noqa: BLE001 - anything Pillow cannot open is not an image here
        return None
    return None


def _zip_entries(
    archive: zipfile.ZipFile, limits: Limits
) -> tuple[dict[str, list[tuple[zipfile.ZipInfo, tuple[str, ...]]]], Warnings]:
    """The archive's files by class (the folder they are in), checked against the caps
    before anything is inflated; files outside a class folder are listed and skipped."""
    infos = archive.infolist()
    if len(infos) > limits.zip_files:
        raise limit_exceeded(
            f"the .zip has {len(infos):,} entries", limits.zip_files, "zip_files", "file"
        )
    warnings = Warnings()
    files = []
    for info in infos:
        parts = _entry_parts(info)
        if info.is_dir() or not parts or _hidden(parts):
            continue
        if _is_link(info):
            warnings.add(f"{info.filename}: a symbolic link; skipped")
            continue
        problem = storable_problem(info.filename)
        if problem:
            raise DatasetError(f"zip entry {info.filename[:200]!r}: the name {problem}")
        files.append((info, parts))
    inflated = sum(info.file_size for info, _ in files)
    if inflated > limits.zip_inflated_bytes:
        raise limit_exceeded(
            f"the .zip's files inflate to {inflated:,} bytes",
            limits.zip_inflated_bytes,
            "zip_inflated_bytes",
            "file",
        )
    tops = {parts[0] for _, parts in files if len(parts) > 1}
    flat = [parts for _, parts in files if len(parts) == 1]
    # one folder around the class folders (a folder zipped whole): its children are the classes
    strip = 1 if len(tops) == 1 and not flat and any(len(p) > 2 for _, p in files) else 0
    by_class: dict[str, list[tuple[zipfile.ZipInfo, tuple[str, ...]]]] = {}
    for info, parts in files:
        parts = parts[strip:]
        if len(parts) < 2:
            warnings.add(f"{info.filename}: not inside a class folder; skipped")
            continue
        by_class.setdefault(parts[0], []).append((info, parts))
    return by_class, warnings


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, to: Path, budget: int) -> int:
    """Write the entry to `to`, counting what really inflates (the sizes an archive
    declares may lie); returns the bytes written."""
    most = min(budget, info.file_size, max(info.compress_size, 1) * ZIP_RATIO)
    if info.file_size > max(info.compress_size, 1) * ZIP_RATIO and info.file_size > CHUNK:
        raise DatasetError(
            f"zip entry {info.filename[:200]!r} inflates {info.file_size:,} bytes from "
            f"{info.compress_size:,}: over {ZIP_RATIO} times, refused as a zip bomb"
        )
    written = 0
    with archive.open(info) as src, to.open("wb") as dst:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if written > max(most, CHUNK):
                raise DatasetError(
                    f"zip entry {info.filename[:200]!r} inflates past the size it declares "
                    f"({info.file_size:,} bytes): refused"
                )
            dst.write(chunk)
    return written


def unpack_zip(path: Path, folder: Path, options: ImageOptions, limits: Limits) -> dict[str, Any]:
    """Unpack the image folders of the .zip at `path` into `folder` (new, the server's);
    returns the set's meta. A DatasetError leaves `folder` for the caller to remove."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetError(f"the file is not a readable .zip archive ({exc})") from None
    with archive:
        by_class, warnings = _zip_entries(archive, limits)
        folder.mkdir(parents=True)
        budget = limits.zip_inflated_bytes
        counts: dict[str, int] = {}
        folders: list[str] = []
        for name in sorted(by_class):
            problem = storable_problem(name)
            if problem:
                raise DatasetError(f"class folder {name[:200]!r}: the name {problem}")
            where = folder / class_folder(len(folders))
            where.mkdir()
            n = 0
            for info, parts in by_class[name]:
                part = where / f"{n:06d}.part"
                try:
                    budget -= _inflate(archive, info, part, budget)
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    raise DatasetError(f"zip entry {info.filename[:200]!r}: {exc}") from None
                kind = _image_format(part)
                if kind is None:
                    part.unlink()
                    warnings.add(f"{'/'.join(parts)}: not a JPEG, PNG, BMP or GIF image; skipped")
                    continue
                part.rename(where / f"{n:06d}{FORMATS[kind]}")
                n += 1
            if n == 0:
                where.rmdir()
                warnings.add(f"class {name!r} has no images; left out")
                continue
            counts[name] = n
            folders.append(where.name)
    return image_meta(counts, folders, options, warnings)


def _folder_images(root: Path, limit: int) -> tuple[int, list[str]]:
    """How many images `root` holds (by extension, in every subfolder, as Keras reads it)
    and the paths of the other files."""
    images, others = 0, []
    for base, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.startswith(".") or name in SKIPPED_SILENTLY:
                continue
            if name.lower().endswith(EXTENSIONS):
                images += 1
                if images > limit:
                    raise DatasetError(
                        f"folder {root.name!r} holds more than {limit:,} images, the most a "
                        "set read in place may have",
                        code="too_large",
                        param="folder",
                    )
            else:
                others.append(str(Path(base, name).relative_to(root.parent)))
    return images, others


def resolve_server_folder(root: Path | None, folder: str) -> Path:
    """`folder` under the server's data set root, resolved (links too) and inside it."""
    if root is None:
        raise DatasetError(
            "this server reads no folders in place (LAYERFORGE_DATASETS_DIR is unset); "
            "upload a .zip instead",
            code="no_datasets_dir",
            param="folder",
        )
    base = Path(root).resolve()
    relative = PurePosixPath(folder)
    if relative.is_absolute() or ".." in relative.parts or "\\" in folder:
        raise DatasetError(
            f"folder {folder[:200]!r} must be a relative path under the server's data set "
            "root, without '..'",
            param="folder",
        )
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or path == base:
        raise DatasetError(
            f"folder {folder[:200]!r} is not inside the data set root", param="folder"
        )
    if not path.is_dir():
        raise DatasetError(
            f"there is no folder {folder[:200]!r} under the data set root", param="folder"
        )
    return path


def scan_folder(path: Path, options: ImageOptions) -> dict[str, Any]:
    """The meta of a set read in place: its classes are its subfolders (sorted), counted
    by extension (a folder of 50,000 images is described without opening one)."""
    warnings = Warnings()
    counts: dict[str, int] = {}
    folders: list[str] = []
    subfolders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = [p.name for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
    if loose:
        warnings.add(f"{len(loose):,} file(s) outside the class folders; skipped")
    left = MAX_FOLDER_FILES
    for sub in subfolders:
        problem = storable_problem(sub.name)
        if problem:
            raise DatasetError(
                f"class folder {sub.name[:200]!r}: the name {problem}", param="folder"
            )
        n, others = _folder_images(sub, left)
        left -= n
        for other in others:
            warnings.add(f"{other}: not a .jpg, .jpeg, .png, .bmp or .gif file; skipped")
        if n == 0:
            warnings.add(f"class {sub.name!r} has no images; left out")
            continue
        counts[sub.name] = n
        folders.append(sub.name)
    return image_meta(counts, folders, options, warnings)


def image_meta(
    counts: dict[str, int], folders: list[str], options: ImageOptions, warnings: Warnings
) -> dict[str, Any]:
    """The store's record of an image set: its classes and counts, and the arrays a run
    sees (`x`: float32 images 0-255 as Keras reads them, `y`: integer labels)."""
    if len(counts) < 2:
        found = ", ".join(f"{c!r} ({n})" for c, n in counts.items()) or "none"
        raise DatasetError(
            "an image set needs at least two class folders with images in them; found "
            f"{found}" + (f" ({'; '.join(warnings.listed()[:3])})" if warnings.lines else "")
        )
    total = sum(counts.values())
    n_val = int(total * options.validation_split)
    if options.validation_split and (n_val == 0 or n_val == total):
        raise DatasetError(
            f"validation_split {options.validation_split} of {total} images leaves "
            f"{n_val} for validation and {total - n_val} for training: both need some",
            param="validation_split",
        )
    h, w = options.image_size
    channels = CHANNELS[options.color_mode]
    x = ArrayInfo(shape=(total, h, w, channels), dtype="float32", min=0.0, max=255.0)
    y = ArrayInfo(shape=(total,), dtype="int32", min=0, max=len(counts) - 1, integral=True)
    classes = list(counts)
    return {
        "arrays": {"x": x.model_dump(mode="json"), "y": y.model_dump(mode="json")},
        "inputs": ["x"],
        "targets": ["y"],
        "classes": classes,
        "counts": counts,
        "folders": folders,
        "image_size": [h, w],
        "color_mode": options.color_mode,
        "validation_split": options.validation_split,
        "warnings": warnings.listed(),
        "description": f"{total:,} images in {len(classes)} classes, read as {h}x{w} "
        f"{options.color_mode}",
    }


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def class_files(folder: Path, sub: str, n: int, offset: int = 0) -> tuple[int, list[Path]]:
    """How many images class folder `sub` holds and `n` of them from `offset`, sorted."""
    found = sorted(
        (Path(base, name) for base, _, names in os.walk(folder / sub) for name in names),
        key=lambda p: p.as_posix(),
    )
    images = [p for p in found if p.name.lower().endswith(EXTENSIONS)]
    return len(images), images[offset : offset + n]


def thumbnail(path: Path, size: int) -> tuple[int, int, str]:
    """The image's width and height and a thumbnail at most `size` on a side, as a data:
    URL: a JPEG, about a fifth of a PNG's bytes (the evaluation's samples share a size
    cap), or a PNG where the image has transparency to keep."""
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        image.thumbnail((size, size))
        see_through = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        small = image.convert("RGBA" if see_through else "RGB")
    buf = io.BytesIO()
    kind = "png" if see_through else "jpeg"
    small.save(buf, format=kind.upper(), **({} if see_through else {"quality": 85}))
    return width, height, f"data:image/{kind};base64," + base64.b64encode(buf.getvalue()).decode()
