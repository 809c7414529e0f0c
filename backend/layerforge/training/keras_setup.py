"""Keras inside the trainer: the backend a run asks for, GPUs, its optimizer."""

from __future__ import annotations

import os
import sys
from typing import Any

from layerforge.training.failures import TrainingFailed
from layerforge.training.optimizers import OPTIMIZERS
from layerforge.training.settings import OptimizerSettings


def import_keras(backend: str) -> Any:
    """Import Keras for the wanted backend; a warm process is bound to the one it started with."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = backend
    import keras

    if keras.backend.backend() != backend:
        raise TrainingFailed(
            f"this trainer runs Keras on {keras.backend.backend()!r}, the run wants {backend!r}",
            "backend_mismatch",
        )
    return keras


def has_gpu(keras: Any) -> bool:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return any(d.platform == "gpu" for d in jax.devices())
    import torch

    return bool(torch.cuda.is_available())


def make_optimizer(keras: Any, settings: OptimizerSettings) -> Any:
    cls = getattr(keras.optimizers, OPTIMIZERS[settings.name].keras_class)
    return cls(**settings.keras_config())
