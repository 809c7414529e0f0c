"""A preview of a graph's augmentation (`POST /api/datasets/{name}/augment-preview`): a few
images of an image set, read as a run reads them (the set's size and colour mode, values
0-255), passed through the graph's training-only layers (`LayerKind.training_only`:
RandomFlip, RandomRotation, ...) in the graph's order and in training mode, as PNG data:
URLs beside the originals. Imports Keras: the API calls it under its Keras lock, on a graph
validated first (so the layers' params passed every check)."""

from __future__ import annotations

import base64
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from layerforge.graph.catalogue.kinds import kind
from layerforge.graph.problems import GraphError, Problem, clean_message
from layerforge.graph.schema import Graph, Node
from layerforge.graph.topology import GraphIndex, topological_order
from layerforge.training.datasets.errors import DatasetError
from layerforge.training.datasets.image_folders import class_files
from layerforge.training.datasets.models import DatasetInfo

LARGEST_SIDE = 512  # images larger than this are previewed scaled down (memory)
MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


class AugmentedSample(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    file: str = Field(description="The image's path in the set (class folder / file).")
    class_: str = Field(alias="class", description="Its class.")
    original: str = Field(description="The image as the run reads it, a PNG data: URL.")
    augmented: str = Field(description="After the augmentation layers, a PNG data: URL.")


class AugmentPreview(BaseModel):
    dataset: str
    layers: list[str] = Field(description="The augmentation nodes applied, in order (ids).")
    image_size: tuple[int, int] = Field(
        description="(height, width) the images were augmented at: the set's, scaled down "
        f"to at most {LARGEST_SIDE} on a side."
    )
    samples: list[AugmentedSample]


def augmentation_nodes(graph: Graph) -> list[Node]:
    """The graph's training-only nodes (a shared call site as its owner), in order."""
    index = GraphIndex.of(graph)
    order, _ = topological_order(index)
    nodes = [index.by_id[nid] for nid in order]
    found = [index.by_id.get(n.shared_with or "", n) for n in nodes]
    return [n for n in found if (k := kind(n.type)) is not None and k.training_only]


def _preview_size(info: DatasetInfo) -> tuple[int, int]:
    assert info.image_size is not None
    height, width = info.image_size
    scale = min(1.0, LARGEST_SIDE / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def _picked(info: DatasetInfo, folder: Path, folders: list[str], n: int) -> list[tuple[str, Path]]:
    """`n` images, the classes taken in turn: (class, file)."""
    classes = info.classes or []
    per_class = math.ceil(n / max(1, len(classes)))
    files = [class_files(folder, sub, per_class)[1] for sub in folders]
    picked = []
    for i in range(per_class):
        picked += [(classes[c], files[c][i]) for c in range(len(classes)) if i < len(files[c])]
    return picked[:n]


def _read(path: Path, size: tuple[int, int], mode: str) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert(mode).resize((size[1], size[0]), Image.Resampling.BILINEAR)
        array = np.asarray(image, dtype="float32")
    return array[..., None] if array.ndim == 2 else array


def _png(image: np.ndarray, side: int) -> str:
    from PIL import Image

    pixels = np.clip(np.nan_to_num(image), 0, 255).astype("uint8")
    picture = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    picture.thumbnail((side, side))
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _augmented(nodes: list[Node], images: np.ndarray) -> np.ndarray:
    from layerforge.graph.build.layers import make_layer

    def no_models(key: str) -> Any:
        raise ValueError("a sub-graph is not an augmentation layer")

    data: Any = images
    for node in nodes:
        try:
            layer = make_layer(node, None, no_models)
            assert layer is not None  # an augmentation node is a layer, never an Op
            data = layer(data, training=True)
        except Exception as exc:
            message = f"{node.type} could not augment the images: {clean_message(exc)}"
            raise GraphError(
                [Problem(node=node.id, code="augment_error", message=message)]
            ) from exc
    return np.asarray(data)


def previewed_nodes(info: DatasetInfo, graph: Graph) -> list[Node]:
    """The augmentation nodes a preview of `info` through `graph` applies. Raises
    DatasetError when there is nothing to preview: not an image set, or no augmentation
    layer (Keras-free, so the API says so before it validates the graph)."""
    if info.kind != "images" or not info.classes or info.color_mode is None:
        raise DatasetError(f"{info.name!r} is not an image set", code="not_images", param="name")
    nodes = augmentation_nodes(graph)
    if not nodes:
        raise DatasetError(
            "the graph has no augmentation layer (RandomFlip, RandomRotation, RandomZoom, ...) "
            "to preview",
            code="no_augmentation",
            param="graph",
        )
    return nodes


def augment_preview(
    info: DatasetInfo, folder: Path, folders: list[str], graph: Graph, *, n: int, size: int
) -> AugmentPreview:
    """`n` images of the set before and after the graph's augmentation layers, as PNG
    thumbnails at most `size` on a side. Raises DatasetError (not an image set, no
    augmentation layer) or GraphError (a layer that fails on the images)."""
    nodes = previewed_nodes(info, graph)
    assert info.color_mode is not None  # an image set's, as previewed_nodes checked
    if not folder.is_dir():
        raise DatasetError(
            f"the images of {info.name!r} are missing from the server", code="missing"
        )
    shape = _preview_size(info)
    picked = _picked(info, folder, folders, n)
    if not picked:
        raise DatasetError(f"{info.name!r} has no images left on the server", code="missing")
    images = np.stack([_read(path, shape, MODES[info.color_mode]) for _, path in picked])
    augmented = _augmented(nodes, images)
    samples = [
        AugmentedSample(
            file=f"{name}/{path.name}",
            class_=name,
            original=_png(image, size),
            augmented=_png(after, size),
        )
        for (name, path), image, after in zip(picked, images, augmented, strict=True)
    ]
    return AugmentPreview(
        dataset=info.name, layers=[n.id for n in nodes], image_size=shape, samples=samples
    )
