"""Round trips that must keep what Keras wrote: constant tensors in keras.ops calls
(DeepLabV3+ as keras.io writes it), the names Keras gave operator layers, and
initializers whose values came from numpy."""

from __future__ import annotations

import io
import json
import zipfile

import keras
import numpy as np
import pytest
from keras import layers

from graphs import layer_structure
from layerforge.graph import GraphError, build_model, import_keras_json
from layerforge.graph.checks.param_values import check_params
from layerforge.graph.convert.codegen import to_python
from layerforge.graph.convert.export import export_keras_file, export_keras_json


def run(code: str) -> keras.Model:
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)  # noqa: S102 - our own output
    return namespace["model"]


def _conv_block(x, filters=256, kernel_size=3, dilation_rate=1, use_bias=False):
    x = layers.Conv2D(
        filters,
        kernel_size,
        dilation_rate=dilation_rate,
        padding="same",
        use_bias=use_bias,
        kernel_initializer=keras.initializers.HeNormal(),
    )(x)
    x = layers.BatchNormalization()(x)
    return keras.ops.nn.relu(x)


def _aspp(x):
    dims = x.shape
    pooled = layers.AveragePooling2D(pool_size=(dims[-3], dims[-2]))(x)
    pooled = _conv_block(pooled, kernel_size=1, use_bias=True)
    pooled = layers.UpSampling2D(size=(dims[-3], dims[-2]), interpolation="bilinear")(pooled)
    branches = [_conv_block(x, kernel_size=1)]
    branches += [_conv_block(x, kernel_size=3, dilation_rate=rate) for rate in (6, 12, 18)]
    x = layers.Concatenate(axis=-1)([pooled, *branches])
    return _conv_block(x, kernel_size=1)


def deeplab_v3_plus(image_size: int = 64, num_classes: int = 3) -> keras.Model:
    """The keras.io DeepLabV3+ (multiclass segmentation example), at a small size."""
    model_input = keras.Input(shape=(image_size, image_size, 3))
    # caffe preprocessing: a channel flip (get_item, stack) and `x + constant tensor`
    preprocessed = keras.applications.resnet50.preprocess_input(model_input)
    resnet50 = keras.applications.ResNet50(
        weights=None, include_top=False, input_tensor=preprocessed
    )
    x = _aspp(resnet50.get_layer("conv4_block6_2_relu").output)
    scale = image_size // 4 // x.shape[1]
    input_a = layers.UpSampling2D(size=(scale, scale), interpolation="bilinear")(x)
    input_b = _conv_block(
        resnet50.get_layer("conv2_block3_2_relu").output, filters=48, kernel_size=1
    )
    x = layers.Concatenate(axis=-1)([input_a, input_b])
    x = _conv_block(_conv_block(x))
    scale = image_size // x.shape[1]
    x = layers.UpSampling2D(size=(scale, scale), interpolation="bilinear")(x)
    model_output = layers.Conv2D(num_classes, kernel_size=(1, 1), padding="same")(x)
    return keras.Model(inputs=model_input, outputs=model_output)


def test_deeplab_v3_plus_round_trips_with_its_constant_tensor():
    original = deeplab_v3_plus()
    graph = import_keras_json(original.to_json())
    (shift,) = [n for n in graph.nodes if n.type == "Op" and n.params["function"] == "add"]
    assert len(shift.params["x2"][0][0][0]) == 3  # the caffe mean, one per channel
    rebuilt = build_model(graph)
    assert rebuilt.count_params() == original.count_params()
    assert layer_structure(rebuilt) == layer_structure(original)
    exported = json.loads(export_keras_json(graph))["config"]["layers"]
    assert exported == json.loads(original.to_json())["config"]["layers"]  # names included
    generated = run(to_python(graph))
    assert generated.count_params() == original.count_params()
    assert layer_structure(generated) == layer_structure(original)


def _operation_names(model: keras.Model) -> list[str]:
    return [op.name for op in model.operations]


def test_names_keras_gave_operators_survive_every_export():
    a, b = keras.Input((4,)), keras.Input((4,))
    z = layers.Dense(3)((a + b) * b)
    original = keras.Model([a, b], keras.ops.relu(z) + layers.Add()([z, z]))
    names = _operation_names(original)
    graph = import_keras_json(original.to_json())
    # the same calls again in this process: Keras's counters now pick other names
    keras.Model([a, b], keras.ops.relu(z) + layers.Add()([z, z]))
    assert (
        _operation_names(keras.Model.from_config(json.loads(export_keras_json(graph))["config"]))
        == names
    )
    assert _operation_names(run(to_python(graph))) == names
    with zipfile.ZipFile(io.BytesIO(export_keras_file(graph))) as archive:
        config = json.loads(archive.read("config.json"))
    assert [layer["name"] for layer in config["config"]["layers"]] == names


def _constant_model() -> keras.Model:
    inputs = keras.Input((4,))
    x = layers.Dense(
        3,
        kernel_initializer=keras.initializers.Constant(np.full((4, 3), 0.25, "float32")),
        bias_initializer=keras.initializers.Constant(np.array([0.5, 1.0, 2.0], "float32")),
        name="first",
    )(inputs)
    x = layers.Dense(3, kernel_initializer=keras.initializers.Constant(np.float32(0.5)))(x)
    x = layers.Dense(3, bias_initializer=keras.initializers.Constant([1.0, 2.0, 3.0]))(x)
    return keras.Model(inputs, x)


def test_constant_initializers_from_numpy_come_back_as_keras_wrote_them():
    original = _constant_model()
    graph = import_keras_json(original.to_json())
    for rebuilt in (build_model(graph), run(to_python(graph))):
        for layer, source in zip(rebuilt.layers[1:], original.layers[1:], strict=True):
            config = {k: v for k, v in layer.get_config().items() if k != "name"}
            assert config == {k: v for k, v in source.get_config().items() if k != "name"}
    data = json.loads(export_keras_json(graph))["config"]["layers"][1]["config"]
    assert data["bias_initializer"]["config"]["value"]["class_name"] == "__numpy__"


@pytest.mark.parametrize(
    "array",
    [
        {"class_name": "__numpy__", "config": {"value": [1.0], "dtype": "object"}},
        {"class_name": "__numpy__", "config": {"value": "1.0", "dtype": "float32"}},
        {"class_name": "__tensor__", "config": {"value": [1.0]}, "module": "evil"},
    ],
)
def test_an_array_parameter_other_than_a_numeric_numpy_one_is_refused(array):
    original = _constant_model()
    data = json.loads(original.to_json())
    bias = data["config"]["layers"][1]["config"]["bias_initializer"]
    bias["config"]["value"] = array
    with pytest.raises(GraphError) as exc:
        import_keras_json(json.dumps(data))
    (only,) = exc.value.problems
    assert (only.node, only.param) == ("first", "bias_initializer")


@pytest.mark.parametrize(
    ("config", "ok"),
    [
        ({"value": [[1.0, 2.0]], "dtype": "float32"}, True),
        ({"value": [1, 2], "dtype": "int8"}, True),
        ({"value": [1.0], "dtype": "object"}, False),
        ({"value": [1.0], "dtype": "float32", "module": "os"}, False),
        ({"value": [{"class_name": "Zeros", "config": {}}], "dtype": "float32"}, False),
    ],
)
def test_a_graph_may_hold_numeric_numpy_arrays_only(config, ok):
    constant = {
        "class_name": "Constant",
        "config": {"value": {"class_name": "__numpy__", "config": config}},
    }
    problems = check_params("d", "Dense", {"units": 2, "bias_initializer": constant})
    assert (problems == []) == ok
