"""Thumbnails of an image set's classes (`GET /api/datasets/{name}/samples`): PNG data:
URLs in JSON, so one answer fills a grid and the page needs no second request per image."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from layerforge.training.datasets.errors import DatasetError
from layerforge.training.datasets.image_folders import class_files, thumbnail
from layerforge.training.datasets.models import DatasetInfo
from layerforge.training.datasets.names import shown


class ImageSample(BaseModel):
    file: str = Field(description="The image's path in the set (class folder / file).")
    width: int | None = Field(description="The image's own width, before resizing.")
    height: int | None
    thumbnail: str | None = Field(
        description="A PNG thumbnail as a data: URL (base64); None when the file cannot be read."
    )
    error: str | None = Field(default=None, description="Why the file could not be read.")


class SampleList(BaseModel):
    dataset: str
    class_: str = Field(alias="class", description="The class the images are of.")
    label: int = Field(description="The class's label (its index in `classes`).")
    total: int = Field(description="Images of this class in the set.")
    offset: int
    samples: list[ImageSample]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


def class_samples(
    info: DatasetInfo,
    folder: Path,
    folders: list[str],
    name: str,
    *,
    n: int,
    offset: int,
    size: int,
) -> SampleList:
    """`n` thumbnails of class `name` from `offset` (by file name)."""
    if info.kind != "images" or not info.classes:
        raise DatasetError(f"{info.name!r} is not an image set", code="not_images", param="name")
    if name not in info.classes:
        raise DatasetError(
            f"{info.name!r} has no class {name[:200]!r}; classes: {shown(info.classes)}",
            code="unknown_class",
            param="class",
        )
    label = info.classes.index(name)
    if not folder.is_dir():
        raise DatasetError(
            f"the images of {info.name!r} are missing from the server", code="missing"
        )
    total, files = class_files(folder, folders[label], n, offset)
    samples = []
    for path in files:
        file = f"{name}/{path.relative_to(folder / folders[label]).as_posix()}"
        try:
            width, height, url = thumbnail(path, size)
        except Exception as exc:  # noqa: BLE001 - a file in a folder read in place may be anything
            samples.append(
                ImageSample(file=file, width=None, height=None, thumbnail=None, error=str(exc))
            )
            continue
        samples.append(ImageSample(file=file, width=width, height=height, thumbnail=url))
    return SampleList(
        dataset=info.name, class_=name, label=label, total=total, offset=offset, samples=samples
    )
