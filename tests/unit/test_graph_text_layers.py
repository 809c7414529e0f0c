"""Text and adapted preprocessing layers in the catalogue: offered, safe (no vocabulary
file, no callable standardize/split), checked on string Inputs by Keras's symbolic call
plus the dtype rule Keras's call does not apply; augmentation layers marked training
only, as Keras itself behaves."""

from __future__ import annotations

import numpy as np
import pytest

from graphs import chain
from layerforge.graph import build_model, validate_graph
from layerforge.graph.catalogue.classes import keras_class
from layerforge.graph.catalogue.kinds import LAYER_KINDS, REFUSED_TYPES
from layerforge.graph.catalogue.param_rules import SAMPLE_REQUIRED
from layerforge.graph.catalogue.specs import get_catalogue, param_specs
from layerforge.graph.limits import GraphLimits

ADAPTED = {
    "Normalization": ["mean", "variance"],
    "Discretization": ["bin_boundaries"],
    "TextVectorization": ["vocabulary"],
    "StringLookup": ["vocabulary"],
    "IntegerLookup": ["vocabulary"],
}
CLASSIFIER = (
    ("TextVectorization", {"max_tokens": 100, "output_sequence_length": 12}),
    ("Embedding", {"input_dim": 100, "output_dim": 8}),
    ("GlobalAveragePooling1D", {}),
    ("Dense", {"units": 3, "activation": "softmax"}),
)


def text_chain(shape: list, *layers: tuple[str, dict], dtype: str = "string"):
    graph = chain(shape, *layers, output={"loss": "sparse_categorical_crossentropy"})
    graph.nodes[0].params["dtype"] = dtype
    return graph


def errors(graph) -> list[tuple[str | None, str | None, str]]:
    report = validate_graph(graph, GraphLimits())
    return [(e.node, e.param, e.code) for e in report.errors]


def test_adapted_layers_are_offered_with_their_state_params():
    served = {e.type: e for e in get_catalogue().layers}
    assert not set(ADAPTED) & REFUSED_TYPES
    assert {t: served[t].adapt_state for t in ADAPTED} == ADAPTED
    # every other type learns nothing from data
    assert [t for t, e in served.items() if e.adapt_state and t not in ADAPTED] == []
    for type_name, state in ADAPTED.items():
        specs = param_specs(type_name)
        assert all(specs[p].nullable and specs[p].default is None for p in state), type_name


@pytest.mark.parametrize("type_name", ["TextVectorization", "StringLookup", "IntegerLookup"])
def test_a_vocabulary_is_a_literal_list_never_a_file(type_name, tmp_path):
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("secret\n")
    dtype = "int64" if type_name == "IntegerLookup" else "string"
    for value in (str(vocab_file), {"path": str(vocab_file)}):
        graph = text_chain([1], (type_name, {"vocabulary": value}), dtype=dtype)
        assert errors(graph) == [("n0", "vocabulary", "bad_param")], value
    listed = [1, 2, 3] if type_name == "IntegerLookup" else ["a", "b"]
    graph = text_chain([1], (type_name, {"vocabulary": listed}), dtype=dtype)
    assert errors(graph) == []
    layer = build_model(graph).layers[-1]
    assert [v for v in layer.get_vocabulary() if v in listed] == listed


@pytest.mark.parametrize(
    ("param", "value"),
    [("standardize", "os.system"), ("split", "builtins.eval"), ("standardize", {"a": 1})],
)
def test_standardize_and_split_only_by_keras_names(param, value):
    graph = text_chain([1], ("TextVectorization", {param: value}))
    assert errors(graph) == [("n0", param, "bad_param")]


def test_string_input_text_classifier_validates_and_builds():
    for shape in ([1], []):
        graph = text_chain(shape, *CLASSIFIER)
        report = validate_graph(graph, GraphLimits())
        assert report.valid, report.errors
        assert report.nodes["in"].dtypes == ["string"]
        assert report.nodes["n0"].output_shapes == [[None, 12]]
        assert report.nodes["n3"].output_shapes == [[None, 3]]
        model = build_model(graph)
        assert model.inputs[0].dtype == "string" and model.output_shape == (None, 3)


def test_text_reaches_only_layers_that_take_text():
    assert errors(text_chain([4], ("Dense", {"units": 2}))) == [("n0", None, "dtype_mismatch")]
    for type_name in ("TextVectorization", "StringLookup"):
        wrong = text_chain([4], (type_name, {}), dtype="float32")
        assert errors(wrong) == [("n0", None, "dtype_mismatch")], type_name
    # an inverted StringLookup maps ids back to strings
    inverted = text_chain(
        [4], ("StringLookup", {"invert": True, "vocabulary": ["a"]}), dtype="int64"
    )
    assert errors(inverted) == []
    assert errors(text_chain([1], ("Hashing", {"num_bins": 8}))) == []


AUGMENTATION = [k for k in LAYER_KINDS if k.category == "augmentation"]


@pytest.mark.parametrize("kind", AUGMENTATION, ids=[k.type for k in AUGMENTATION])
def test_training_only_is_what_keras_does_at_inference(kind):
    """A layer marked training only passes its input through at inference; one that is
    not (AutoContrast) changes it there too."""
    specs = param_specs(kind.type)
    args = {n: SAMPLE_REQUIRED[n] for n, s in specs.items() if s.required}
    if kind.type == "RandomPosterization":
        args["factor"] = 2
    layer = keras_class(kind.type)(**args)
    images = np.random.default_rng(0).uniform(0, 255, (2, 16, 16, 3)).astype("float32")
    out = np.asarray(layer(images, training=False))
    identity = out.shape == images.shape and np.allclose(out, images)
    assert identity == kind.training_only
    served = {e.type: e for e in get_catalogue().layers}
    assert served[kind.type].training_only == kind.training_only
