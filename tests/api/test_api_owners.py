"""A team server is shared for reading; only the owner or an admin changes or deletes.

Every write route (POST/PUT/PATCH/DELETE) of the OpenAPI document is walked as the
owner of what it touches, another person, an admin and nobody (no token): a route that
changes or deletes a stored object with an owner answers 2xx/403/2xx/401 and a refused
call leaves the object as it was; a route that creates or only computes (validate,
build, import, export, estimate, a data set check or augmentation preview, a ticket, a
new graph, run or upload, and evaluate/predict, which read a finished run) answers 2xx to every person and 401 to
nobody. A new write route fails here until ROUTES says how to call it.

Also: edit conflicts on `PUT /api/graphs/{id}` with `base_version`, on both stores.
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from helpers import BASE_URL, TERMINAL, chain, iris_graph, run_body
from image_sets import image_zip
from layerforge.api.app import create_app
from layerforge.settings import Settings
from layerforge.store import users
from layerforge.store.db import database_url, session_scope, sessions_for

ADMIN_TOKEN = "the-servers-own-admin-token"
ACTIVE = {"queued", "starting", "running"}
WRITE_METHODS = ("post", "put", "patch", "delete")
Ids = dict[str, str]


class Team:
    """The app with its runtime, and the people on it: alice owns what a route touches,
    bob is someone else, carol an admin (all of `layerforge users add`), nobody has no
    token."""

    def __init__(self, client: TestClient, tokens: dict[str, str]):
        self.client = client
        self.headers = {name: {"authorization": f"Bearer {t}"} for name, t in tokens.items()}
        self.headers["nobody"] = {}
        self.names = itertools.count()
        self.trained_run = ""  # a finished run of alice's with a model
        self.keras_json = ""

    def as_alice(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.client.request(method, path, headers=self.headers["alice"], **kwargs)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def fresh_name(self) -> str:
        return f"set{next(self.names)}"


def npz_file() -> bytes:
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    np.savez(buf, x=rng.normal(size=(16, 4)).astype("float32"), y=rng.integers(0, 3, 16))
    return buf.getvalue()


def upload(team: Team) -> dict[str, Any]:
    return {"files": {"file": ("flowers.npz", npz_file())}, "data": {"name": team.fresh_name()}}


def long_run(team: Team) -> Ids:
    return {"run_id": team.as_alice("POST", "/api/runs", json=run_body(epochs=500))["id"]}


def saved_graph(team: Team) -> Ids:
    return {"graph_id": team.as_alice("POST", "/api/graphs", json={"graph": iris_graph()})["id"]}


def uploaded_set(team: Team) -> Ids:
    return {"name": team.as_alice("POST", "/api/datasets", **upload(team))["name"]}


def image_set(team: Team) -> Ids:
    files = {"file": ("shapes.zip", image_zip(2))}
    data = {"name": team.fresh_name(), "image_height": "16", "image_width": "16"}
    return {"name": team.as_alice("POST", "/api/datasets", files=files, data=data)["name"]}


def augmented_graph(team: Team) -> dict[str, Any]:
    graph = chain(
        {"id": "flip", "type": "RandomFlip", "params": {}},
        {"id": "flat", "type": "Flatten", "params": {}},
        input_shape=[16, 16, 3],
        loss="mse",
    )
    return {"json": {"graph": graph, "n": 2}}


def run_state(team: Team, ids: Ids) -> tuple[int, bool]:
    answer = team.client.get(f"/api/runs/{ids['run_id']}", headers=team.headers["alice"])
    return answer.status_code, answer.status_code == 200 and answer.json()["status"] in ACTIVE


def artifacts(team: Team, ids: Ids) -> Any:
    answer = team.client.get(f"/api/runs/{ids['run_id']}/artifacts", headers=team.headers["alice"])
    return answer.status_code, answer.json()


def graph_state(team: Team, ids: Ids) -> Any:
    answer = team.client.get(f"/api/graphs/{ids['graph_id']}", headers=team.headers["alice"])
    return answer.status_code, answer.json().get("latest_version")


def set_state(team: Team, ids: Ids) -> Any:
    answer = team.client.get(f"/api/datasets/{ids['name']}", headers=team.headers["alice"])
    return answer.status_code, answer.json()


@dataclass(frozen=True)
class Route:
    """How to call one write route: `request` gives the call's body (fresh each time);
    `make` an object of alice's and the path's ids; `state` (routes that change or
    delete what alice owns) what a refused call must leave as it was."""

    request: Callable[[Team], dict[str, Any]]
    make: Callable[[Team], Ids] | None = None  # (the trained run is made once, and kept)
    state: Callable[[Team, Ids], Any] | None = None


def graph_body(team: Team) -> dict[str, Any]:
    return {"json": {"graph": iris_graph()}}


def sweep_body(epochs: int) -> dict[str, Any]:
    space = {"/settings/batch_size": {"choices": [16, 32]}}
    return {**run_body(epochs=epochs), "space": space, "trials": 1, "pruner": "none"}


def long_sweep(team: Team) -> Ids:
    return {"sweep_id": team.as_alice("POST", "/api/sweeps", json=sweep_body(epochs=500))["id"]}


def sweep_state(team: Team, ids: Ids) -> Any:
    answer = team.client.get(f"/api/sweeps/{ids['sweep_id']}", headers=team.headers["alice"])
    return answer.status_code, answer.json()["status"]


def trained(team: Team) -> Ids:
    return {"run_id": team.trained_run}


def weights_upload(team: Team) -> dict[str, Any]:
    """The trained run's model as a weight file (the same bytes each time: stored once)."""
    model = team.client.get(
        f"/api/runs/{team.trained_run}/artifacts/model.keras", headers=team.headers["alice"]
    )
    return {"files": {"file": ("model.keras", model.content)}}


def weight_set(team: Team) -> Ids:
    return {"weight_id": team.as_alice("POST", "/api/weights", **weights_upload(team))["id"]}


def weight_state(team: Team, ids: Ids) -> Any:
    answer = team.client.get(f"/api/weights/{ids['weight_id']}", headers=team.headers["alice"])
    return answer.status_code, answer.json()


ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/graphs/validate"): Route(graph_body),
    ("POST", "/api/models/build"): Route(graph_body),
    ("POST", "/api/models/export"): Route(
        lambda t: {"json": {"graph": iris_graph(), "format": "python"}}
    ),
    ("POST", "/api/models/import"): Route(lambda t: {"json": {"keras_json": t.keras_json}}),
    ("POST", "/api/graphs/estimate"): Route(graph_body),
    ("POST", "/api/graphs/diff"): Route(lambda t: {"json": {"a": iris_graph(), "b": iris_graph()}}),
    ("POST", "/api/graphs"): Route(graph_body),
    ("PUT", "/api/graphs/{graph_id}"): Route(graph_body, saved_graph, graph_state),
    ("DELETE", "/api/graphs/{graph_id}"): Route(lambda t: {}, saved_graph, graph_state),
    ("POST", "/api/runs"): Route(lambda t: {"json": run_body(epochs=1)}),
    ("POST", "/api/runs/{run_id}/cancel"): Route(lambda t: {}, long_run, run_state),
    ("DELETE", "/api/runs/{run_id}"): Route(lambda t: {}, long_run, run_state),
    ("POST", "/api/runs/{run_id}/predict"): Route(
        lambda t: {"json": {"inputs": {"features": [[0.1, 0.2, 0.3, 0.4]]}}}, trained
    ),
    ("POST", "/api/runs/{run_id}/evaluate"): Route(lambda t: {"json": {}}, trained),
    ("POST", "/api/runs/{run_id}/export"): Route(
        lambda t: {"json": {"format": "saved_model"}}, trained, artifacts
    ),
    ("POST", "/api/datasets"): Route(upload),
    ("DELETE", "/api/datasets/{name}"): Route(lambda t: {}, uploaded_set, set_state),
    ("POST", "/api/datasets/check"): Route(
        lambda t: {"json": {"graph": iris_graph(), "dataset": {"name": "iris"}}}
    ),
    ("POST", "/api/datasets/{name}/augment-preview"): Route(augmented_graph, image_set),
    ("POST", "/api/auth/ticket"): Route(lambda t: {}),
    ("POST", "/api/sweeps"): Route(lambda t: {"json": sweep_body(epochs=1)}),
    ("POST", "/api/sweeps/{sweep_id}/cancel"): Route(lambda t: {}, long_sweep, sweep_state),
    ("POST", "/api/weights"): Route(weights_upload),
    ("DELETE", "/api/weights/{weight_id}"): Route(lambda t: {}, weight_set, weight_state),
    ("POST", "/api/models/applications"): Route(
        lambda t: {"json": {"name": "MobileNetV3Small", "input_shape": [32, 32, 3]}}
    ),
    ("POST", "/api/runs/{run_id}/fine-tune"): Route(lambda t: {"json": {"epochs": 1}}, trained),
}


def write_routes(openapi: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in openapi["paths"].items()
        for method in operations
        if method in WRITE_METHODS
    }


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("team-data"), token=ADMIN_TOKEN, cancel_grace_s=5
    )
    tokens = {}
    with session_scope(sessions_for(database_url(settings))) as session:
        for name in ("alice", "bob", "carol"):
            tokens[name] = users.add_user(session, name, admin=name == "carol")[1]
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        team = Team(client, tokens)
        run_id = team.as_alice("POST", "/api/runs", json=run_body(epochs=1))["id"]
        deadline = time.monotonic() + 180
        while (run := team.as_alice("GET", f"/api/runs/{run_id}"))["status"] not in TERMINAL:
            assert time.monotonic() < deadline, run
            time.sleep(0.2)
        assert run["status"] == "succeeded", run
        team.trained_run = run_id
        exported = client.post(
            "/api/models/export",
            json={"graph": iris_graph(), "format": "json"},
            headers=team.headers["alice"],
        )
        team.keras_json = exported.text
        yield team


def test_every_write_route_of_the_openapi_document_is_in_the_table():
    routes = write_routes(create_app(Settings()).openapi())
    missing = sorted(routes - ROUTES.keys())
    assert not missing, (
        f"write routes with no entry in ROUTES of {Path(__file__).name}: {missing}; add how "
        "to call each, and an owned object to make when it changes or deletes one"
    )
    assert not sorted(ROUTES.keys() - routes), "ROUTES lists routes the server no longer has"


def call(team: Team, role: str, method: str, url: str, route: Route) -> Any:
    return team.client.request(method, url, headers=team.headers[role], **route.request(team))


def assert_refused(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["errors"][0]["code"] == code


@pytest.mark.parametrize("route_key", sorted(ROUTES), ids=" ".join)
def test_a_write_route_is_for_the_owner_and_admins_or_for_everyone(team, route_key):
    method, path = route_key
    route = ROUTES[route_key]
    if route.state is None:  # creates, computes or reads: any person, never nobody
        ids = route.make(team) if route.make else {}
        url = path.format(**ids)
        for role in ("alice", "bob", "carol"):
            answer = call(team, role, method, url, route)
            assert answer.status_code < 300, f"{role}: {answer.status_code} {answer.text}"
        assert_refused(call(team, "nobody", method, url, route), 401, "unauthorized")
        return
    assert route.make, f"{method} {path}: a route that changes what is owned needs `make`"
    ids = route.make(team)
    url = path.format(**ids)
    before = route.state(team, ids)
    assert_refused(call(team, "nobody", method, url, route), 401, "unauthorized")
    assert route.state(team, ids) == before
    refused = call(team, "bob", method, url, route)
    assert_refused(refused, 403, "forbidden")
    assert "alice" in refused.json()["errors"][0]["message"]
    assert route.state(team, ids) == before, "a refused call changed what alice owns"
    for role in ("alice", "carol"):
        if role == "carol":
            ids = route.make(team)
            url = path.format(**ids)
        answer = call(team, role, method, url, route)
        assert answer.status_code < 300, f"{role}: {answer.status_code} {answer.text}"


# -- edit conflicts ----------------------------------------------------------------------


def put(client: TestClient, graph_id: str, **body: Any) -> Any:
    return client.put(f"/api/graphs/{graph_id}", json={"graph": iris_graph(), **body})


def test_a_save_from_an_old_version_is_a_conflict_naming_who_saved_since(team):
    alice, carol = team.headers["alice"], team.headers["carol"]
    client = team.client
    graph_id = saved_graph(team)["graph_id"]
    url = f"/api/graphs/{graph_id}"
    saved = client.put(url, json={"graph": iris_graph(), "base_version": 1}, headers=carol)
    assert saved.status_code == 200, saved.text
    assert (saved.json()["latest_version"], saved.json()["saved_by"]) == (2, "carol")

    stale = client.put(url, json={"graph": iris_graph(), "base_version": 1}, headers=alice)
    assert stale.status_code == 409, stale.text
    assert stale.json() == {
        "errors": [
            {
                "node": None,
                "param": "base_version",
                "code": "version_conflict",
                "message": "carol saved version 2 since version 1; "
                "reload theirs or save yours as a copy",
            }
        ],
        "latest_version": 2,
        "saved_by": "carol",
    }
    assert client.get(url, headers=alice).json()["latest_version"] == 2  # nothing stored

    current = client.put(url, json={"graph": iris_graph(), "base_version": 2}, headers=alice)
    assert (current.status_code, current.json()["latest_version"]) == (200, 3)
    blind = client.put(url, json={"graph": iris_graph()}, headers=alice)  # last writer wins
    assert (blind.status_code, blind.json()["latest_version"]) == (200, 4)
    versions = client.get(f"{url}/versions", headers=alice).json()["versions"]
    assert [(v["version"], v["saved_by"]) for v in versions] == [
        (1, "alice"),
        (2, "carol"),
        (3, "alice"),
        (4, "alice"),
    ]
    missing = client.put(
        "/api/graphs/nope", json={"graph": iris_graph(), "base_version": 1}, headers=alice
    )
    assert missing.status_code == 404


def test_of_saves_from_one_version_at_once_exactly_one_is_stored(store_client):
    graph_id = store_client.post("/api/graphs", json={"graph": iris_graph()}).json()["id"]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: put(store_client, graph_id, base_version=1), range(8)))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    assert {a.json()["latest_version"] for a in answers} == {2}
    versions = store_client.get(f"/api/graphs/{graph_id}/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
