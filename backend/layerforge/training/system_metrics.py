"""System metrics of a training run: the trainer's CPU and memory (psutil) and, where
NVML answers (`nvidia-ml-py` and an NVIDIA driver), its GPUs' utilisation and memory.

A daemon thread samples every `interval_s` seconds while `fit` runs and emits one
`SystemEvent` per sample, plus a closing one when `fit` ends, so a run shorter than the
interval still has its figures; without NVML the GPU list is empty, quietly. The GPUs sampled
are the ones the trainer may use (`CUDA_VISIBLE_DEVICES`, else all)."""

from __future__ import annotations

import os
import threading
from types import TracebackType
from typing import Any

import psutil

from layerforge.events.types import GpuSample, SystemEvent
from layerforge.training.protocol import Emit

INTERVAL_S = 2.0


def _nvml() -> Any | None:
    """The initialised `pynvml` module, or None where there is no NVIDIA GPU to ask."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # not installed, no driver, no device: no GPU metrics
        return None
    return pynvml


def _visible(nvml: Any) -> list[int]:
    count = int(nvml.nvmlDeviceGetCount())
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is None:
        return list(range(count))
    return [int(i) for i in listed.split(",") if i.strip().isdigit() and int(i) < count]


def gpu_samples(nvml: Any | None) -> list[GpuSample]:
    if nvml is None:
        return []
    out = []
    for index in _visible(nvml):
        try:
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            use = nvml.nvmlDeviceGetUtilizationRates(handle)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        except Exception:  # a device that stopped answering is left out of this sample
            continue
        out.append(
            GpuSample(
                index=index,
                utilization_percent=float(use.gpu),
                memory_used_bytes=int(memory.used),
                memory_total_bytes=int(memory.total),
            )
        )
    return out


class SystemSampler:
    """`with SystemSampler(emit):` around `fit` emits a `SystemEvent` every interval."""

    def __init__(self, emit: Emit, interval_s: float = INTERVAL_S):
        self.emit = emit
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="system-metrics", daemon=True)
        self._process = psutil.Process()

    def sample(self, nvml: Any | None) -> SystemEvent:
        return SystemEvent(
            cpu_percent=self._process.cpu_percent(None),
            rss_bytes=self._process.memory_info().rss,
            gpus=gpu_samples(nvml),
        )

    def _run(self) -> None:
        nvml = _nvml()
        self._process.cpu_percent(None)  # the first call starts psutil's interval
        while not self._stop.wait(self.interval_s):
            self.emit(self.sample(nvml))
        self.emit(self.sample(nvml))  # the closing sample

    def __enter__(self) -> SystemSampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval_s + 1)
