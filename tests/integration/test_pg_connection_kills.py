"""PostgreSQL connections cut during a burst of saves: every save the server acknowledged
(2xx with an id) is readable afterwards; a save whose commit failed answers 503 with no
id; the server goes on answering. A real server process, real `pg_terminate_backend`."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from helpers import chain
from needs import postgres_admin
from serve_process import Server

SAVES = 150


def graph(i: int) -> dict:
    dense = [{"id": f"d{k}", "type": "Dense", "params": {"units": 4 + i % 5}} for k in range(30)]
    return {"name": f"burst {i}", **chain(*dense, input_shape=[4], loss="mse")}


def test_every_acknowledged_save_survives_connection_kills(
    tmp_path: Path, postgres_url: str
) -> None:
    app_name = f"lf_kill_{uuid.uuid4().hex[:8]}"
    url = f"{postgres_url}&application_name={app_name}"
    server = Server(tmp_path / "data", env={"LAYERFORGE_DATABASE_URL": url})
    admin = postgres_admin()
    stop = threading.Event()
    killed = 0

    def kill_loop() -> None:
        nonlocal killed
        while not stop.is_set():
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND pid <> pg_backend_pid()",
                (app_name,),
            ).fetchall()
            killed += len(rows)
            time.sleep(0.02)

    def save(i: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            return c.post("/api/graphs", json={"graph": graph(i)})

    killer = threading.Thread(target=kill_loop)
    try:
        killer.start()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(save, range(SAVES)))
        stop.set()
        killer.join()

        acknowledged = [a.json()["id"] for a in answers if a.status_code == 201]
        refused = [a for a in answers if a.status_code != 201]
        assert killed > 0
        for answer in refused:  # the database went away under it: a 503, no id
            assert answer.status_code == 503, answer.text
            body = answer.json()
            assert "id" not in body and body["errors"][0]["code"] == "database_unavailable"
        with httpx.Client(base_url=server.url, timeout=30) as c:
            assert c.get("/api/health").status_code == 200
            missing = [i for i in acknowledged if c.get(f"/api/graphs/{i}").status_code != 200]
            assert missing == [], f"{len(missing)} of {len(acknowledged)} acknowledged lost"
            assert c.post("/api/graphs", json={"graph": graph(0)}).status_code == 201
        print(f"{len(acknowledged)} stored, {len(refused)} answered 503, {killed} kills")
    finally:
        stop.set()
        admin.close()
        server.stop()
