"""What a worker trains on: its device slots, found without importing TensorFlow.

`--gpus all` takes every GPU `nvidia-smi` lists, `--gpus 0,1` those indices, `--cpu` one
CPU slot. Each slot is one run at a time, its trainer seeing only its device
(`CUDA_VISIBLE_DEVICES`, empty for the CPU slot) with GPU memory growth on.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Device:
    id: str  # "cpu" or the GPU index
    kind: str  # "cpu" | "gpu"
    name: str
    memory_mb: int | None = None

    def describe(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "name": self.name, "memory_mb": self.memory_mb}


@dataclass(frozen=True)
class Slot:
    index: int
    devices: tuple[Device, ...] = field(default_factory=tuple)

    @property
    def env(self) -> dict[str, str]:
        visible = ",".join(d.id for d in self.devices if d.kind == "gpu")
        return {"CUDA_VISIBLE_DEVICES": visible, "TF_FORCE_GPU_ALLOW_GROWTH": "true"}


def nvidia_gpus() -> list[Device]:
    """The GPUs `nvidia-smi` lists (none without the driver)."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    query = ["--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"]
    try:
        out = subprocess.run([exe, *query], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3 and parts[0].isdigit():
            memory = int(parts[2]) if parts[2].isdigit() else None
            gpus.append(Device(id=parts[0], kind="gpu", name=parts[1], memory_mb=memory))
    return gpus


def cpu_device() -> Device:
    pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    name = platform.processor() or platform.machine() or "CPU"
    return Device(
        id="cpu",
        kind="cpu",
        name=f"{name} ({os.cpu_count()} cores)",
        memory_mb=pages * page_size // 2**20,
    )


def choose_slots(gpus: str | None, cpu: bool) -> list[Slot]:
    """Slots for `--gpus LIST|all` or `--cpu` (the CPU when the machine has no GPU).

    Raises ValueError naming a GPU index the machine does not have."""
    if cpu:
        return [Slot(0, (cpu_device(),))]
    found = nvidia_gpus()
    if gpus is None or gpus == "all":
        chosen = found
    else:
        by_id = {d.id: d for d in found}
        wanted = [g.strip() for g in gpus.split(",") if g.strip()]
        missing = [g for g in wanted if g not in by_id]
        if missing:
            have = ", ".join(by_id) or "none"
            raise ValueError(f"no GPU {', '.join(missing)} on this machine (it has: {have})")
        chosen = [by_id[g] for g in wanted]
    if not chosen:
        return [Slot(0, (cpu_device(),))]
    return [Slot(i, (gpu,)) for i, gpu in enumerate(chosen)]
