"""Keras inside the trainer: the backend a run asks for, GPUs, its optimizer."""

from __future__ import annotations

import os
import sys
from typing import Any

from layerforge.training.failures import TrainingFailed
from layerforge.training.optimizers import OPTIMIZERS
from layerforge.training.settings import OptimizerSettings

CPU_DEVICES_ENV = "LAYERFORGE_CPU_DEVICES"
THREADS_ENV = "LAYERFORGE_TRAINER_THREADS"


def set_up_tensorflow() -> None:
    """Set TensorFlow's devices up from the environment, before it initialises them
    (later calls do nothing): with `LAYERFORGE_TRAINER_THREADS=N` (N > 0) it uses N CPU
    threads per pool; with `LAYERFORGE_CPU_DEVICES=N` (N > 1) it shows the CPU as N
    logical devices, so that a machine without GPUs can run (and test) `gpus: N`."""
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    import tensorflow as tf

    threads = int(os.environ.get(THREADS_ENV) or 0)
    if threads > 0 and not tf.config.threading.get_intra_op_parallelism_threads():
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    wanted = int(os.environ.get(CPU_DEVICES_ENV) or 1)
    if wanted < 2:
        return

    cpu = tf.config.list_physical_devices("CPU")[0]
    if not tf.config.get_logical_device_configuration(cpu):
        config = [tf.config.LogicalDeviceConfiguration() for _ in range(wanted)]
        tf.config.set_logical_device_configuration(cpu, config)


def import_keras(backend: str) -> Any:
    """Import Keras for the wanted backend; a warm process is bound to the one it started with."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = backend
        set_up_tensorflow()
    import keras

    if keras.backend.backend() != backend:
        raise TrainingFailed(
            f"this trainer runs Keras on {keras.backend.backend()!r}, the run wants {backend!r}",
            "backend_mismatch",
        )
    return keras


def distribution_strategy(keras: Any, devices: int) -> Any:
    """None for one device; else a `tf.distribute.MirroredStrategy` over the first `devices`
    GPUs the process sees (CUDA_VISIBLE_DEVICES), or logical CPUs where it sees none."""
    if devices == 1:
        return None
    if keras.backend.backend() != "tensorflow":
        raise TrainingFailed("gpus > 1 needs the tensorflow backend", "backend_mismatch")
    import tensorflow as tf

    found = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    if len(found) < devices:
        raise TrainingFailed(
            f"the run asks for {devices} devices, this worker has {len(found)} "
            f"({', '.join(d.name for d in found)})",
            "not_enough_devices",
        )
    return tf.distribute.MirroredStrategy([d.name for d in found[:devices]])


def cpu_threads(keras: Any) -> int:
    """The CPU threads per pool TensorFlow was limited to (0: not limited)."""
    if keras.backend.backend() != "tensorflow":
        return 0
    import tensorflow as tf

    return int(tf.config.threading.get_intra_op_parallelism_threads())


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
