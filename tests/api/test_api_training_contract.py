"""The wire contract of training: the options the editor offers and the event union in
the OpenAPI document."""

from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError

from layerforge.events.types import RunEvent
from layerforge.training.settings import RunSettings


def test_training_options_list_what_run_settings_accept(client):
    options = client.get("/api/training/options").json()
    names = [o["name"] for o in options["optimizers"]]
    assert "adam" in names and "sgd" in names
    for o in options["optimizers"]:
        RunSettings.model_validate({"optimizer": {"name": o["name"]}})  # each is accepted
        assert o["learning_rate"] == RunSettings().optimizer.learning_rate
    with pytest.raises(ValidationError):
        RunSettings.model_validate({"optimizer": {"name": "not_an_optimizer"}})
    for loss in options["losses"]:
        RunSettings.model_validate({"outputs": {"y": {"loss": loss}}})
    assert options["statuses"] == [
        "queued",
        "starting",
        "running",
        "succeeded",
        "failed",
        "cancelled",
    ]
    assert "tensorflow" in options["backends"]
    assert options["defaults"] == RunSettings().model_dump(mode="json")


def _settings_with(name: str, value: float) -> dict:
    if name == "learning_rate":
        return {"optimizer": {"name": "adam", "learning_rate": value}}
    if name == "batch_size" or name == "epochs":
        value = int(value)
    return {name: value}


@pytest.mark.parametrize("name", ["epochs", "batch_size", "validation_split", "learning_rate"])
def test_published_bounds_are_the_ones_run_settings_enforce(client, name):
    b = client.get("/api/training/options").json()["bounds"][name]
    step = 1 if name in ("epochs", "batch_size") else 1e-6
    for edge, exclusive, outside in (
        (b["minimum"], b["exclusive_minimum"], -step),
        (b["maximum"], b["exclusive_maximum"], step),
    ):
        assert edge is not None
        with pytest.raises(ValidationError):
            RunSettings.model_validate(_settings_with(name, edge + outside))
        if exclusive:
            with pytest.raises(ValidationError):
                RunSettings.model_validate(_settings_with(name, edge))
        else:
            RunSettings.model_validate(_settings_with(name, edge))


def test_openapi_publishes_the_event_union_and_stream_messages(client):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    items = schemas["EventList"]["properties"]["events"]["items"]
    mapping = items["discriminator"]["mapping"]
    kinds = typing.get_args(typing.get_args(RunEvent)[0])  # the union inside Annotated
    assert set(mapping) == {kind.model_fields["type"].default for kind in kinds}
    assert {"status", "batch", "epoch", "log", "error", "artifact", "system"} <= set(mapping)
    assert items["discriminator"]["propertyName"] == "type"
    assert {"type", "time", "status"} <= set(schemas["StatusEvent"]["required"])
    stream = schemas["RunStreamMessage"]["discriminator"]["mapping"]
    assert set(stream) == set(mapping) | {"ping"}
    assert set(schemas["FeedMessage"]["discriminator"]["mapping"]) == {"status", "deleted", "ping"}
    run = schemas["RunRequest"]["properties"]["settings"]
    assert run.get("$ref", "").endswith("/RunSettings")
