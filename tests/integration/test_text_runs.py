"""A text set end to end by REST on the real app (scheduler, trainer subprocesses): a
generated .csv of labelled sentences becomes a text set, the guide's text classifier
(string Input -> TextVectorization -> Embedding -> GlobalAveragePooling1D -> Dense) trains
on it with its TextVectorization adapted on the training split before fit; the run says
what it learned (an `adapted` event and adapted.json), its model.keras carries the
vocabulary, and evaluation.json's worst samples and cells' samples show their text."""

from __future__ import annotations

import json

import keras

from helpers import TERMINAL, wait_status
from text_sets import SHARED, TOPICS, text_classifier, text_csv, text_run_request


def test_a_text_csv_trains_the_guide_classifier_with_an_adapted_vocabulary(runs_client, tmp_path):
    client = runs_client
    up = client.post(
        "/api/datasets",
        files={"file": ("topics.csv", text_csv(2000))},
        data={"name": "topics", "text_column": "text", "label_column": "topic"},
    )
    assert up.status_code == 201, up.text
    info = up.json()
    assert info["kind"] == "text" and info["classes"] == ["food", "space", "sport"]
    assert info["arrays"]["x"]["dtype"] == "string" and sum(info["counts"].values()) == 2000

    graph = text_classifier([1])
    check = client.post("/api/datasets/check", json={"graph": graph, "dataset": {"name": "topics"}})
    assert check.json()["fits"], check.json()
    body = text_run_request("topics", 5, graph)
    created = client.post("/api/runs", json=body)
    assert created.status_code == 201, created.text
    run = wait_status(client, created.json()["id"], TERMINAL, timeout=300)
    assert run["status"] == "succeeded", run["error"]
    assert run["metrics"]["val_accuracy"] > 0.8, run["metrics"]

    events = client.get(f"/api/runs/{run['id']}/events").json()["events"]
    (adapted,) = [e for e in events if e["type"] == "adapted"]
    words = {w for topic in TOPICS.values() for w in topic} | set(SHARED) | {"indeed", "quoted"}
    assert adapted["node"] == "vectorize" and adapted["layer_type"] == "TextVectorization"
    assert adapted["vocabulary_size"] == len(words) + 2  # with '' and [UNK]
    assert len(adapted["top_tokens"]) == 20 and set(adapted["top_tokens"]) <= words
    types = [e["type"] for e in events]
    assert types.index("adapted") < types.index("epoch")  # before fit

    stored = client.get(f"/api/runs/{run['id']}/artifacts/adapted.json")
    assert stored.status_code == 200
    assert json.loads(stored.content)["vectorize"]["top_tokens"] == adapted["top_tokens"]

    model_file = tmp_path / "model.keras"
    model_file.write_bytes(client.get(f"/api/runs/{run['id']}/artifacts/model.keras").content)
    model = keras.saving.load_model(model_file, safe_mode=True, compile=False)
    layer = model.get_layer("vectorize")
    assert layer.get_vocabulary(include_special_tokens=False)[:20] == adapted["top_tokens"]

    report = json.loads(client.get(f"/api/runs/{run['id']}/artifacts/evaluation.json").content)
    (out,) = report["outputs"]
    assert out["classes"] == ["food", "space", "sport"] and out["samples"] == 400
    assert out["worst"]  # the mislabelled sentences at least
    listed = [s for cell in out["cells"] for s in cell["samples"]]
    assert len(listed) > len(out["worst"])  # the right answers too
    for sample in out["worst"] + listed:
        assert sample["text"] and set(sample["text"].lower().split()) & words

    evaluated = client.post(f"/api/runs/{run['id']}/evaluate", json={})
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json()["samples"] == 2000 and evaluated.json()["metrics"]["accuracy"] > 0.8
    predicted = client.post(
        f"/api/runs/{run['id']}/predict",
        json={"inputs": {"x": [["The rocket and the moon"], ["Bread and cheese soup"]]}},
    )
    assert predicted.status_code == 200, predicted.text
    (probs,) = predicted.json()["outputs"].values()
    assert [max(range(3), key=p.__getitem__) for p in probs] == [1, 0]  # space, food
