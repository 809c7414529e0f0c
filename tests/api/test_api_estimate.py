"""`POST /api/graphs/estimate`: training and inference memory for run settings, by the
parts written out by hand, and the largest batch that fits a device."""

from __future__ import annotations

from graphs import chain
from layerforge.graph.schema import Graph


def _body(g: Graph, **extra: object) -> dict:
    return {"graph": g.model_dump(mode="json", exclude_unset=True), **extra}


MLP = chain([100], ("Dense", {"units": 50, "activation": "relu"}), ("Dense", {"units": 10}))
PARAMS = 100 * 50 + 50 + 50 * 10 + 10


def test_adam_training_memory_by_its_parts(client):
    answer = client.post("/api/graphs/estimate", json=_body(MLP, settings={"batch_size": 8}))
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["total_params"] == data["trainable_params"] == PARAMS
    assert data["optimizer_slots"] == 2
    training = data["training"]
    assert training["weights_bytes"] == training["gradients_bytes"] == 4 * PARAMS
    assert training["optimizer_bytes"] == 2 * 4 * PARAMS
    assert training["updates_bytes"] == 4 * PARAMS
    per_sample = 4 * (100 + 50 + 10) + 3 * 4 * 100  # outputs, then 3x the largest (input)
    assert data["per_sample_bytes"] == per_sample
    assert training["activations_bytes"] == 8 * per_sample
    assert training["total_bytes"] == 5 * 4 * PARAMS + 8 * per_sample
    assert data["inference"]["total_bytes"] == 4 * PARAMS + 8 * 4 * (100 + 50)
    assert data["total_macs"] == (2 * 100 * 50 + 50 + 2 * 50 * 10 + 10) // 2


def test_slots_follow_the_optimizer_and_mixed_precision_halves_activations(client):
    sgd = client.post(
        "/api/graphs/estimate", json=_body(MLP, settings={"optimizer": {"name": "sgd"}})
    )
    momentum = client.post(
        "/api/graphs/estimate",
        json=_body(MLP, settings={"optimizer": {"name": "sgd", "momentum": 0.9}}),
    )
    assert sgd.json()["optimizer_slots"] == 0 and momentum.json()["optimizer_slots"] == 1
    full = client.post("/api/graphs/estimate", json=_body(MLP)).json()
    mixed = client.post(
        "/api/graphs/estimate", json=_body(MLP, settings={"mixed_precision": True})
    ).json()
    assert mixed["per_sample_bytes"] * 2 == full["per_sample_bytes"]
    assert mixed["training"]["weights_bytes"] == 6 * PARAMS  # float32 + float16 copies


def test_largest_batch_that_fits_a_device(client):
    device = 10_000_000
    data = client.post("/api/graphs/estimate", json=_body(MLP, device_memory_bytes=device)).json()
    fits = data["max_batch_size"]
    fixed = data["training"]["total_bytes"] - data["training"]["activations_bytes"]
    assert fixed + fits * data["per_sample_bytes"] <= device
    assert fixed + (fits + 1) * data["per_sample_bytes"] > device


def test_an_invalid_graph_or_settings_are_a_422(client):
    broken = chain([4], ("Conv2D", {"filters": 2, "kernel_size": 3}))
    answer = client.post("/api/graphs/estimate", json=_body(broken))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["node"] == "n0"
    bad = client.post("/api/graphs/estimate", json=_body(MLP, settings={"batch_size": 0}))
    assert bad.status_code == 422
