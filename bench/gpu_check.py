"""One short check on a machine with an NVIDIA GPU: a run trained through Layerforge on the
GPU against plain `model.fit` on the same GPU in the same script, and the training-memory
estimate against the peak the GPU's allocator reported.

The lent GPU machines have JAX and PyTorch but no TensorFlow and no registry, so the check
runs with `--backend jax` (or `torch`) and carries the rest of Layerforge's dependencies as
wheels, which `prepare` downloads here (Python 3.12's, manylinux x86-64: about 30 MiB) into
bench/results/gpu_wheels (git-ignored; carried to the machine, where 64 MiB at most travel). Layerforge itself runs from
this checkout's source (`backend/`). There, wheels of packages the machine lacks are
installed into /tmp/layerforge-site and the script starts again with it on PYTHONPATH.

The run goes through `layerforge serve` with its one-machine scheduler, which trains each
run in a trainer process on one GPU slot (`CUDA_VISIBLE_DEVICES`), as a team worker does;
Redis and PostgreSQL, which a team worker needs, are not on the GPU machine. The data is a
synthetic MNIST-sized set of 28x28x1 images (uploaded as .npz), the model a small CNN.
Throughput is samples per second of the fit alone: the run's own `fit took` figure, and
the same model, data, batch size and epochs through `model.fit` here after a warm-up fit.
Without a GPU it runs the same steps on the CPU, smaller, and says "no GPU: CPU figures".

    .venv/bin/python bench/gpu_check.py prepare [--here-too]   # here, with network
    python3 bench/gpu_check.py [--backend jax|torch]           # there (or here: CPU figures)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
WHEELS = REPO / "bench" / "results" / "gpu_wheels"
SITE = Path("/tmp/layerforge-site")
PLATFORMS = [
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
]
# Not carried: TensorFlow (the GPU machine trains with JAX or PyTorch), TensorBoard (runs
# here write no logs), and the scientific stack the GPU machine has, built to match its
# JAX and PyTorch (its package list: /work/.library/device/KINDS.md).
NOT_CARRIED = {
    "tensorflow",
    "tensorboard",
    "numpy",
    "scipy",
    "scikit-learn",
    "joblib",
    "threadpoolctl",
    "h5py",
    "ml-dtypes",
    "jax",
    "jaxlib",
    "torch",
}
BATCH = 256
SEED = 7


def normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


# --- prepare (here) and install (there) -------------------------------------------------
def requirements() -> list[str]:
    """Layerforge's dependencies (deploy/requirements.py), less TensorFlow and TensorBoard."""
    sys.path.insert(0, str(REPO / "deploy"))
    import tomllib
    from requirements import requirements as listed

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    names = listed(pyproject, [], cpu=False)
    return [r for r in names if normal(re.split(r"[<>=!~\[; ]", r)[0]) not in NOT_CARRIED]


def prepare(here_too: bool) -> None:
    """Download the wheels the GPU machine lacks, for its Python (3.12), and with
    `here_too` for this Python as well (to try the carried set here, in a Python with
    JAX but none of Layerforge's other dependencies)."""
    shutil.rmtree(WHEELS, ignore_errors=True)
    WHEELS.mkdir(parents=True)
    versions = ["3.12"] + [f"{sys.version_info.major}.{sys.version_info.minor}"] * here_too
    for version in dict.fromkeys(versions):
        command = [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:"]
        command += ["--python-version", version, "--implementation", "cp", "-d", str(WHEELS)]
        command += [arg for p in PLATFORMS for arg in ("--platform", p)]
        subprocess.run(command + requirements(), check=True)
    for wheel in WHEELS.glob("*.whl"):
        if normal(wheel.name.split("-")[0]) in NOT_CARRIED:
            wheel.unlink()
    total = sum(w.stat().st_size for w in WHEELS.glob("*.whl"))
    print(f"{len(list(WHEELS.glob('*.whl')))} wheels, {total / 2**20:.1f} MiB in {WHEELS}")
    if total > 60 * 2**20:
        raise SystemExit("more than 60 MiB of wheels: the device machine takes 64 MiB in all")


def missing_distributions() -> list[str]:
    missing = []
    for wheel in sorted(WHEELS.glob("*.whl")):
        name = wheel.name.split("-")[0]
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(normal(name))
    return sorted(set(missing))


def install_missing() -> None:
    """Install the carried wheels of what this Python lacks, then start again with them."""
    if os.environ.get("LAYERFORGE_GPU_CHECK_SITE") or not WHEELS.is_dir():
        return
    missing = missing_distributions()
    if missing:
        print(f"installing {len(missing)} carried wheels into {SITE}: {', '.join(missing)}")
        command = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps"]
        command += ["--no-compile", "--upgrade", "--find-links", str(WHEELS), "--target", str(SITE)]
        if subprocess.run(command + missing).returncode != 0:
            raise SystemExit(
                f"the carried wheels do not install on Python {sys.version.split()[0]}: "
                "`prepare` takes Python 3.12's (the GPU machine's), `prepare --here-too` "
                "this Python's as well"
            )
    path = [str(SITE), str(REPO / "backend"), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    env["LAYERFORGE_GPU_CHECK_SITE"] = "1"
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


# --- the check ----------------------------------------------------------------------------
def gpu_names() -> list[str]:
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    out = subprocess.run(
        [exe, "--query-gpu=name,memory.total", "--format=csv,noheader"],
        capture_output=True,
        text=True,
        timeout=20,
    ).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def cnn() -> dict[str, Any]:
    def conv(filters: int) -> tuple[str, dict[str, Any]]:
        return "Conv2D", {
            "filters": filters,
            "kernel_size": [3, 3],
            "padding": "same",
            "activation": "relu",
        }

    layers = [
        conv(32),
        conv(64),
        ("MaxPooling2D", {"pool_size": [2, 2]}),
        conv(128),
        ("MaxPooling2D", {"pool_size": [2, 2]}),
        ("Flatten", {}),
        ("Dense", {"units": 256, "activation": "relu"}),
        ("Dense", {"units": 10, "activation": "softmax"}),
    ]
    nodes = [{"id": "in", "type": "Input", "params": {"shape": [28, 28, 1]}}]
    nodes += [{"id": f"n{i}", "type": t, "params": p} for i, (t, p) in enumerate(layers)]
    nodes.append(
        {"id": "out", "type": "Output", "params": {"loss": "sparse_categorical_crossentropy"}}
    )
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:], strict=False)]
    return {"nodes": nodes, "edges": edges}


def run_settings(backend: str, epochs: int) -> dict[str, Any]:
    return {
        "epochs": epochs,
        "batch_size": BATCH,
        "validation_split": 0,
        "seed": SEED,
        "shuffle": True,
        "optimizer": {"name": "adam", "learning_rate": 0.001},
        "keep_best_checkpoint": False,
        "tensorboard": False,
        "layer_stats": False,
        "backend": backend,
    }


def synthetic(samples: int) -> bytes:
    import numpy as np

    rng = np.random.default_rng(SEED)
    y = rng.integers(0, 10, samples)
    x = rng.random((samples, 28, 28, 1), dtype=np.float32) * 0.5
    x[np.arange(samples), y * 2 + 4, y * 2 + 4, 0] += 1.0  # a learnable mark per class
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=y.astype(np.int32))
    return buffer.getvalue()


class Serve:
    """`layerforge serve` from this checkout, one-machine scheduler, in a temporary folder."""

    def __init__(self, folder: Path, backend: str, upload_bytes: int):
        from serve_process import free_port

        self.port = free_port()
        env = {
            **os.environ,
            "LAYERFORGE_DATA_DIR": str(folder / "data"),
            "LAYERFORGE_KERAS_BACKEND": backend,
            "KERAS_BACKEND": backend,
            "LAYERFORGE_WARM_TRAINER": "false",  # its warm trainer is TensorFlow's
            "LAYERFORGE_LIMIT_UPLOAD_BYTES": str(upload_bytes),
            "LAYERFORGE_LIMIT_NPZ_INFLATED_BYTES": str(upload_bytes),
        }
        env.pop("LAYERFORGE_TOKEN", None)
        env.pop("LAYERFORGE_DATABASE_URL", None)
        self.log = (folder / "serve.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "layerforge.cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.log_path = folder / "serve.log"
        import httpx

        self.api = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=300)
        deadline = time.monotonic() + 180
        while True:
            try:
                self.api.get("/api/health")
                return
            except httpx.TransportError as exc:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"layerforge serve did not start:\n{self.log_path.read_text()[-3000:]}"
                    ) from exc
                time.sleep(0.5)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


def run_through_layerforge(serve: Serve, data: bytes, backend: str, epochs: int) -> dict[str, Any]:
    upload = serve.api.post(
        "/api/datasets", files={"file": ("gpu-check.npz", data)}, data={"name": "gpu-check"}
    )
    assert upload.status_code == 201, upload.text
    body = {
        "graph": cnn(),
        "dataset": {"name": "gpu-check"},
        "settings": run_settings(backend, epochs),
    }
    created = serve.api.post("/api/runs", json=body)
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    deadline = time.monotonic() + 480
    while (run := serve.api.get(f"/api/runs/{run_id}").json())["status"] not in {
        "succeeded",
        "failed",
        "cancelled",
    }:
        if time.monotonic() > deadline:
            raise SystemExit(f"run {run_id} still {run['status']} after 480 s")
        time.sleep(0.5)
    events = serve.api.get(f"/api/runs/{run_id}/events", params={"limit": 10000}).json()["events"]
    if run["status"] != "succeeded":
        raise SystemExit(
            f"run {run['status']}: {run.get('error')}\n{serve.log_path.read_text()[-3000:]}"
        )
    fit = next(e for e in events if e["type"] == "log" and "fit_seconds" in e)
    estimate = serve.api.post(
        "/api/graphs/estimate", json={"graph": cnn(), "settings": run_settings(backend, epochs)}
    )
    assert estimate.status_code == 200, estimate.text
    return {"fit_seconds": fit["fit_seconds"], "log": fit["message"], "estimate": estimate.json()}


def plain_fit(x: Any, y: Any, backend: str, epochs: int) -> float:
    """`model.fit` of the same graph, built and compiled as the trainer does."""
    import keras

    from layerforge.graph import build_model, compile_spec
    from layerforge.graph.schema import parse_graph
    from layerforge.training.errors import name_layers_after_nodes
    from layerforge.training.settings import parse_settings

    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    compiled = parse_settings(run_settings(backend, epochs)).resolve_graph(
        name_layers_after_nodes(parse_graph(cnn()))
    )
    model = build_model(compiled)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), **compile_spec(compiled))
    started = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0)
    return time.perf_counter() - started


def peak_memory(backend: str, gpu: bool) -> tuple[int | None, str]:
    """The peak the device's allocator reported in this process, and what it is."""
    if gpu and backend == "jax":
        import jax

        stats = jax.local_devices()[0].memory_stats() or {}
        return stats.get("peak_bytes_in_use"), "JAX's peak_bytes_in_use on the GPU"
    if gpu and backend == "torch":
        import torch

        return torch.cuda.max_memory_allocated(), "torch.cuda.max_memory_allocated"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return rss, "this process's peak RSS (CPU: whole process, not the model alone)"


def check(backend: str, samples: int | None, epochs: int | None) -> None:
    started = time.monotonic()
    gpus = gpu_names()
    gpu = bool(gpus)
    samples = samples or (40_000 if gpu else 1_024)
    epochs = epochs or (10 if gpu else 1)
    print(f"device: {', '.join(gpus)}" if gpu else "no GPU: CPU figures")
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # peaks as used, not 75 %
    sys.path.insert(0, str(REPO / "tests"))
    sys.path.insert(0, str(REPO / "backend"))
    import keras
    import numpy as np

    version = importlib.metadata.version({"jax": "jax", "torch": "torch"}[backend])
    print(
        f"backend: {backend} {version}, keras {keras.__version__}, python {sys.version.split()[0]}"
    )
    print(
        f"model: a small CNN on {samples} synthetic 28x28x1 images, batch {BATCH}, {epochs} epochs"
    )
    data = synthetic(samples)
    with tempfile.TemporaryDirectory() as tmp:
        serve = Serve(Path(tmp), backend, upload_bytes=len(data) * 2)
        try:
            run = run_through_layerforge(serve, data, backend, epochs)
        finally:
            serve.stop()
    print(f"run through layerforge serve: {run['log']}")

    arrays = np.load(io.BytesIO(data))
    x, y = arrays["x"], arrays["y"]
    plain_fit(x[: BATCH * 4], y[: BATCH * 4], backend, 1)  # warm-up: the device and first traces
    if gpu and backend == "torch":
        import torch

        torch.cuda.reset_peak_memory_stats()
    plain = plain_fit(x, y, backend, epochs)
    total = samples * epochs
    run_rate, plain_rate = total / run["fit_seconds"], total / plain
    print(f"plain model.fit here:         fit took {plain:.2f} s ({plain_rate:.0f} samples/s)")
    print(f"throughput, run / plain model.fit: {run_rate / plain_rate:.3f}")

    estimate = run["estimate"]["training"]["total_bytes"]
    peak, what = peak_memory(backend, gpu)
    line = f"training memory: estimate {estimate / 2**20:.1f} MiB (batch {BATCH}, Layerforge)"
    if peak:
        line += f"; peak {peak / 2**20:.1f} MiB ({what}); estimate / peak {estimate / peak:.2f}"
    print(line)
    print(f"total {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", nargs="?", choices=["prepare", "check"], default="check")
    parser.add_argument("--backend", choices=["jax", "torch"], default="jax")
    parser.add_argument(
        "--here-too", action="store_true", help="prepare: wheels for this Python too"
    )
    parser.add_argument("--samples", type=int, help="default: 40000 on a GPU, 1024 without")
    parser.add_argument("--epochs", type=int, help="default: 10 on a GPU, 1 without")
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.here_too)
        return
    install_missing()
    check(args.backend, args.samples, args.epochs)


if __name__ == "__main__":
    main()
