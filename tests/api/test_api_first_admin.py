"""A shared server's first admin (api/first_admin.py): made once beyond loopback with no
LAYERFORGE_TOKEN, its token printed once and kept across restarts; `layerforge users
reset-token` replaces a lost one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from layerforge.api.app import create_app
from layerforge.settings import Settings
from layerforge.store import users
from layerforge.store.db import database_url, session_scope, sessions_for

LOCAL = "http://127.0.0.1:8000"
LAYERFORGE = Path(sys.executable).parent / "layerforge"
LINK = re.compile(r"http://127\.0\.0\.1:8000/\?token=(\S+)")


def start(tmp_path: Path, **overrides) -> TestClient:
    settings = Settings(data_dir=tmp_path / "data", host="0.0.0.0", **overrides)
    return TestClient(create_app(settings), base_url=LOCAL)


def me(client: TestClient, token: str) -> tuple[int, dict]:
    response = client.get("/api/auth/me", headers={"authorization": f"Bearer {token}"})
    return response.status_code, response.json()


def store(tmp_path: Path) -> str:
    return database_url(Settings(data_dir=tmp_path / "data"))


def people(tmp_path: Path) -> list[str]:
    with session_scope(sessions_for(store(tmp_path))) as session:
        return [u.name for u in users.list_users(session)]


def test_the_first_start_makes_an_admin_whose_token_outlives_restarts(tmp_path, capsys):
    first = start(tmp_path)
    printed = capsys.readouterr().err
    (token,) = LINK.findall(printed)  # a link a person can open, not 0.0.0.0
    assert "0.0.0.0" not in printed and printed.count(token) == 2  # the token, the link
    assert me(first, token) == (200, {"name": "admin", "admin": True})
    assert first.get("/api/graphs").status_code == 401
    assert people(tmp_path) == ["admin"]

    for _ in range(2):  # a restart: the same token, no new one printed, nobody added
        again = start(tmp_path)
        printed = capsys.readouterr().err
        assert "token=" not in printed and token not in printed
        assert "layerforge users add" in printed and "layerforge users reset-token" in printed
        assert me(again, token) == (200, {"name": "admin", "admin": True})
        assert people(tmp_path) == ["admin"]


def test_a_server_with_people_already_makes_no_admin(tmp_path, capsys):
    with session_scope(sessions_for(store(tmp_path))) as session:
        _, alice = users.add_user(session, "alice")
    client = start(tmp_path)
    printed = capsys.readouterr().err
    assert "token=" not in printed and "layerforge users reset-token" in printed
    assert people(tmp_path) == ["alice"]
    assert me(client, alice) == (200, {"name": "alice", "admin": False})


@pytest.mark.parametrize(
    "overrides", [{"host": "127.0.0.1"}, {"token": "configured-token"}], ids=["loopback", "token"]
)
def test_loopback_or_a_configured_token_needs_no_first_admin(tmp_path, capsys, overrides):
    settings = Settings(data_dir=tmp_path / "data", **{"host": "0.0.0.0", **overrides})
    create_app(settings)
    assert capsys.readouterr().err == ""
    assert people(tmp_path) == []


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAYERFORGE_DATA_DIR": str(tmp_path / "data")}
    env.pop("LAYERFORGE_DATABASE_URL", None)
    return subprocess.run([LAYERFORGE, *args], capture_output=True, text=True, env=env, timeout=120)


def test_reset_token_replaces_a_lost_token(tmp_path, capsys):
    start(tmp_path)
    (old,) = LINK.findall(capsys.readouterr().err)
    done = cli(tmp_path, "users", "reset-token", "admin")
    assert done.returncode == 0, done.stderr
    new = done.stdout.strip().splitlines()[-1]
    assert new != old and "old one no longer works" in done.stderr
    client = start(tmp_path)
    assert me(client, new) == (200, {"name": "admin", "admin": True})
    assert me(client, old)[0] == 401

    assert cli(tmp_path, "users", "add", "bob").returncode == 0
    assert cli(tmp_path, "users", "revoke", "bob").returncode == 0
    for name in ("nobody", "bob"):  # unknown, revoked
        refused = cli(tmp_path, "users", "reset-token", name)
        assert refused.returncode == 1 and f"no active user named '{name}'" in refused.stderr
        assert refused.stdout == ""
