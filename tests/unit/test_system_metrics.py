"""System metrics of a run: the trainer's CPU and memory, and the GPUs NVML reports
(only those CUDA_VISIBLE_DEVICES gives the trainer)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest

from layerforge.events.types import RunEvent, SystemEvent
from layerforge.training.system_metrics import SystemSampler, gpu_samples


class FakeNvml:
    """NVML with three devices: isolates the device selection from a real driver."""

    def nvmlDeviceGetCount(self) -> int:  # noqa: N802 (NVML's names)
        return 3

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:  # noqa: N802
        if index == 2:
            raise RuntimeError("GPU is lost")
        return index

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> Any:  # noqa: N802
        return SimpleNamespace(gpu=10 * (handle + 1))

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:  # noqa: N802
        return SimpleNamespace(used=handle * 1000, total=80_000)


def test_gpus_are_the_visible_ones_and_a_lost_one_is_left_out(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert [g.index for g in gpu_samples(FakeNvml())] == [0, 1]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,7")
    (only,) = gpu_samples(FakeNvml())
    assert (only.index, only.utilization_percent, only.memory_used_bytes) == (1, 20.0, 1000)
    assert gpu_samples(None) == []


def test_the_sampler_reports_this_process_while_it_works():
    events: list[RunEvent] = []
    lock = threading.Lock()

    def emit(event: RunEvent) -> None:
        with lock:
            events.append(event)

    with SystemSampler(emit, interval_s=0.2):
        end = time.perf_counter() + 1.0
        ballast = bytearray(64 * 2**20)  # resident once touched
        ballast[::4096] = b"x" * len(ballast[::4096])
        while time.perf_counter() < end:
            sum(range(10_000))  # keep a core busy
    assert len(events) >= 3
    assert all(isinstance(e, SystemEvent) for e in events)
    samples = [e for e in events if isinstance(e, SystemEvent)]
    assert max(s.cpu_percent for s in samples) > 30
    assert max(s.rss_bytes for s in samples) > 64 * 2**20
    assert all(s.gpus == [] for s in samples)  # no NVIDIA driver here: quietly none
    count = len(events)
    time.sleep(0.5)
    assert len(events) == count, "the sampler stopped with the block"
    del ballast


def test_a_block_shorter_than_the_interval_still_gets_one_sample():
    events: list[RunEvent] = []
    with SystemSampler(events.append, interval_s=60):
        sum(range(10_000))
    assert len(events) == 1 and isinstance(events[0], SystemEvent)
    assert events[0].rss_bytes > 0


@pytest.mark.parametrize("value", [0.0, 250.0])
def test_a_system_event_is_a_run_event(value):
    from layerforge.events.types import RUN_EVENT

    parsed = RUN_EVENT.validate_python({"type": "system", "cpu_percent": value, "rss_bytes": 1})
    assert isinstance(parsed, SystemEvent) and parsed.gpus == []
