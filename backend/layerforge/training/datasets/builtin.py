"""Built-in data sets that work offline: scikit-learn's small sets (digits also upscaled
to MNIST's shape), and MNIST (from Keras's cache, else downloaded).

Each loader returns a `Loaded` set of named arrays with their roles (inputs, targets).
Rows are shuffled once with a fixed seed, so Keras-style validation (the last fraction)
sees every class.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from layerforge.graph.problems import clean_message
from layerforge.training.datasets.errors import DatasetError
from layerforge.training.datasets.models import Loaded


def _shuffled(arrays: dict[str, np.ndarray], seed: int = 1234) -> dict[str, np.ndarray]:
    n = len(next(iter(arrays.values())))
    order = np.random.default_rng(seed).permutation(n)
    return {k: v[order] for k, v in arrays.items()}


def _standardize(x: np.ndarray) -> np.ndarray:
    std = x.std(axis=0)
    out: np.ndarray = ((x - x.mean(axis=0)) / np.where(std == 0, 1, std)).astype("float32")
    return out


def _sklearn(loader_name: str, description: str, regression: bool = False) -> Loaded:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader_name)()
    x = _standardize(bunch.data)
    y = bunch.target.astype("float32" if regression else "int64")
    classes = None if regression else [str(c) for c in getattr(bunch, "target_names", [])] or None
    return Loaded(_shuffled({"x": x, "y": y}), ["x"], ["y"], description, classes)


def load_digits(flat: bool) -> Loaded:
    import sklearn.datasets

    bunch = sklearn.datasets.load_digits()
    x = (bunch.data / 16.0).astype("float32")
    if not flat:
        x = x.reshape(-1, 8, 8, 1)
    arrays = _shuffled({"x": x, "y": bunch.target.astype("int64")})
    shape = "64 features" if flat else "8x8x1 images"
    return Loaded(
        arrays,
        ["x"],
        ["y"],
        f"Handwritten digits 0-9 ({shape}), 1797 samples",
        [str(i) for i in range(10)],
    )


def digits_mnist_shaped() -> Loaded:
    """scikit-learn's 8x8 digits upscaled (bilinear) to 28x28 and flattened to 784 values
    from 0 to 1: the shape of the guide's MNIST MLP, with no download."""
    from PIL import Image

    digits = load_digits(flat=True)
    x = digits.arrays["x"].reshape(-1, 8, 8)
    big = np.stack(
        [
            np.asarray(Image.fromarray(d, mode="F").resize((28, 28), Image.Resampling.BILINEAR))
            for d in x
        ]
    )
    arrays = {"x": big.reshape(len(x), 784).clip(0, 1).astype("float32"), "y": digits.arrays["y"]}
    return Loaded(arrays, ["x"], ["y"], BUILTIN["digits_mnist_shaped"][0], digits.classes)


def mnist_local_paths(data_dir: Path | None) -> list[Path]:
    """Where a local copy of `mnist.npz` (the file keras.datasets downloads) is looked for."""
    paths = []
    if data_dir is not None:
        paths.append(Path(data_dir) / "datasets" / "mnist.npz")
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    paths.append(Path(keras_home) / "datasets" / "mnist.npz")
    return paths


def load_mnist(data_dir: Path | None) -> Loaded:
    """MNIST's 60,000 training images; a local copy first, else `keras.datasets.mnist`."""
    for path in mnist_local_paths(data_dir):
        if path.exists():
            with np.load(path, allow_pickle=False) as f:
                x, y = f["x_train"], f["y_train"]
            break
    else:
        try:
            import keras

            (x, y), _ = keras.datasets.mnist.load_data()
        except Exception as exc:  # no network: say where a copy would be found
            where = " or ".join(str(p) for p in mnist_local_paths(data_dir))
            raise DatasetError(
                "mnist needs a network to be downloaded once (into Keras's cache), and the "
                f"download failed ({clean_message(exc)[:300]}); copy mnist.npz to {where}, "
                "or train offline on digits_mnist_shaped (scikit-learn's digits, 28x28)",
                code="dataset_unavailable",
            ) from exc
    x = (x.reshape(-1, 28, 28, 1) / 255.0).astype("float32")
    return Loaded(
        {"x": x, "y": y.astype("int64")},
        ["x"],
        ["y"],
        "MNIST handwritten digits, 60000 28x28x1 images",
        [str(i) for i in range(10)],
    )


# name -> (description, loader(data_dir) -> Loaded)
BUILTIN: dict[str, tuple[str, Callable[[Path | None], Loaded]]] = {
    "digits": (
        "Handwritten digits 0-9 as 8x8x1 images (scikit-learn), 1797 samples",
        lambda _d: load_digits(flat=False),
    ),
    "digits_flat": (
        "Handwritten digits 0-9 as 64 features (scikit-learn), 1797 samples",
        lambda _d: load_digits(flat=True),
    ),
    "iris": (
        "Iris flowers: 4 features, 3 classes, 150 samples",
        lambda _d: _sklearn("load_iris", "Iris flowers: 4 features, 3 classes"),
    ),
    "wine": (
        "Wine: 13 features, 3 classes, 178 samples",
        lambda _d: _sklearn("load_wine", "Wine: 13 features, 3 classes"),
    ),
    "breast_cancer": (
        "Breast cancer: 30 features, binary label, 569 samples",
        lambda _d: _sklearn("load_breast_cancer", "Breast cancer: 30 features, binary"),
    ),
    "diabetes": (
        "Diabetes progression: 10 features, regression target, 442 samples",
        lambda _d: _sklearn("load_diabetes", "Diabetes: 10 features, regression", regression=True),
    ),
    "digits_mnist_shaped": (
        "Handwritten digits 0-9 (scikit-learn's 8x8, upscaled to 28x28) as 784 features, "
        "1797 samples: MNIST's shape, offline",
        lambda _d: digits_mnist_shaped(),
    ),
    "mnist": (
        "MNIST 28x28x1 digits, 60000 samples (Keras's cache, else a network to download it)",
        load_mnist,
    ),
}

# Shapes known without loading (mnist would need a download just to be described).
STATIC_SHAPES = {
    "mnist": {"x": ((60000, 28, 28, 1), "float32", 0.0, 1.0), "y": ((60000,), "int64", 0, 9)},
}
