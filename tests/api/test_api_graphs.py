"""Saved graphs with versions, on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from helpers import example_graph, mlp_graph


def test_create_then_read_latest(store_client):
    graph = example_graph()
    created = store_client.post("/api/graphs", json={"graph": graph, "message": "first"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["version"] == 1 and body["latest_version"] == 1
    assert body["name"] == graph["name"]
    assert body["message"] == "first"

    got = store_client.get(f"/api/graphs/{body['id']}").json()
    assert got["version"] == 1
    assert [n["id"] for n in got["graph"]["nodes"]] == [n["id"] for n in graph["nodes"]]
    assert got["graph"]["nodes"][1]["params"] == {"input_dim": 10000, "output_dim": 512}
    assert got["created_at"].endswith(("Z", "+00:00"))


def test_every_save_is_a_new_version_and_old_ones_stay_readable(store_client):
    gid = store_client.post("/api/graphs", json={"name": "mlp", "graph": mlp_graph(8)}).json()["id"]
    for units in (16, 32):
        saved = store_client.put(
            f"/api/graphs/{gid}", json={"graph": mlp_graph(units), "message": f"{units} units"}
        )
        assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 3

    latest = store_client.get(f"/api/graphs/{gid}").json()
    assert latest["version"] == 3 and latest["latest_version"] == 3
    assert latest["graph"]["nodes"][1]["params"]["units"] == 32

    versions = store_client.get(f"/api/graphs/{gid}/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert [v["message"] for v in versions] == [None, "16 units", "32 units"]
    first = store_client.get(f"/api/graphs/{gid}/versions/1").json()
    assert first["graph"]["nodes"][1]["params"]["units"] == 8
    assert store_client.get(f"/api/graphs/{gid}/versions/4").status_code == 404


def test_rename_on_save_and_list_newest_first(store_client):
    a = store_client.post("/api/graphs", json={"name": "a", "graph": mlp_graph()}).json()["id"]
    b = store_client.post("/api/graphs", json={"name": "b", "graph": mlp_graph()}).json()["id"]
    store_client.put(f"/api/graphs/{a}", json={"name": "a renamed", "graph": mlp_graph(4)})

    listing = store_client.get("/api/graphs").json()
    assert listing["total"] == 2
    assert [(g["id"], g["name"]) for g in listing["graphs"]] == [(a, "a renamed"), (b, "b")]
    page = store_client.get("/api/graphs", params={"limit": 1, "offset": 1}).json()
    assert [g["id"] for g in page["graphs"]] == [b] and page["total"] == 2


def test_concurrent_saves_get_distinct_versions(store_client):
    gid = store_client.post("/api/graphs", json={"name": "c", "graph": mlp_graph()}).json()["id"]

    def save(units: int) -> int:
        response = store_client.put(f"/api/graphs/{gid}", json={"graph": mlp_graph(units)})
        assert response.status_code == 200, response.text
        return response.json()["version"]

    with ThreadPoolExecutor(4) as pool:
        numbers = sorted(pool.map(save, range(1, 9)))
    assert numbers == list(range(2, 10))
    versions = store_client.get(f"/api/graphs/{gid}/versions").json()["versions"]
    assert [v["version"] for v in versions] == list(range(1, 10))


def test_delete_removes_graph_and_versions(store_client):
    gid = store_client.post("/api/graphs", json={"name": "d", "graph": mlp_graph()}).json()["id"]
    store_client.put(f"/api/graphs/{gid}", json={"graph": mlp_graph(3)})
    assert store_client.delete(f"/api/graphs/{gid}").status_code == 204
    for path in (
        f"/api/graphs/{gid}",
        f"/api/graphs/{gid}/versions",
        f"/api/graphs/{gid}/versions/1",
    ):
        missing = store_client.get(path)
        assert missing.status_code == 404
        assert missing.json()["errors"][0]["code"] == "not_found"
    assert store_client.delete(f"/api/graphs/{gid}").status_code == 404
    assert store_client.get("/api/graphs").json()["total"] == 0


def test_unknown_graph_is_404_for_every_call(store_client):
    assert store_client.get("/api/graphs/nope").status_code == 404
    assert store_client.put("/api/graphs/nope", json={"graph": mlp_graph()}).status_code == 404


def test_saving_something_that_is_not_a_graph_is_422_naming_the_field(store_client):
    bad = mlp_graph()
    bad["nodes"][1]["type"] = 7
    response = store_client.post("/api/graphs", json={"graph": bad})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["node"] == "d1"
    assert error["param"] == "graph.nodes[1].type"
    assert store_client.get("/api/graphs").json()["total"] == 0


def test_a_draft_that_keras_would_reject_can_still_be_saved(store_client):
    draft = mlp_graph()
    draft["edges"] = draft["edges"][:1]  # d2 and the Output are not connected yet
    response = store_client.post("/api/graphs", json={"name": "draft", "graph": draft})
    assert response.status_code == 201
    assert len(response.json()["graph"]["edges"]) == 1
