"""MACs and activation memory in the validate answer: exactly a count written out by
hand for small models (a MAC is 2 float operations: a weight multiplied and accumulated;
a bias, a merge or pooling element is 1, a normalisation's scale and shift 2), within 2 % of TensorFlow's profiler for a small CNN (the
ResNet50 / MobileNetV2 / EfficientNetB0 figures are in bench/bench_cost.py)."""

from __future__ import annotations

from graphs import chain, edge, graph, load_example, node
from layerforge.graph import build_model, validate_graph
from tf_profile import profiler_macs


def test_dense_stack_counts_weights_and_biases():
    report = validate_graph(
        chain([20], ("Dense", {"units": 30}), ("Dense", {"units": 5, "use_bias": False}))
    )
    assert report.nodes["n0"].macs == (2 * 20 * 30 + 30) // 2 == 615
    assert report.nodes["n1"].macs == 30 * 5
    assert report.total_macs == 615 + 150
    assert report.macs_uncounted == []


def test_dense_on_a_sequence_counts_every_position():
    report = validate_graph(chain([7, 20], ("Dense", {"units": 3})))
    assert report.total_macs == (7 * (2 * 20 * 3 + 3)) // 2


def test_conv2d_strided_same_padding_then_pool_and_batchnorm():
    report = validate_graph(
        chain(
            [32, 32, 3],
            ("Conv2D", {"filters": 16, "kernel_size": 3, "strides": 2, "padding": "same"}),
            ("BatchNormalization", {}),
            ("ReLU", {}),
            ("MaxPooling2D", {"pool_size": 2}),
            ("Conv2D", {"filters": 8, "kernel_size": [1, 3], "use_bias": False}),
        )
    )
    conv1 = (2 * 16 * 16 * 16 * (3 * 3 * 3) + 16 * 16 * 16) // 2
    batchnorm = 16 * 16 * 16
    pool = 8 * 8 * 16 * 4 // 2
    conv2 = 8 * 6 * 8 * (1 * 3 * 16)
    assert [report.nodes[f"n{i}"].macs for i in range(5)] == [conv1, batchnorm, 0, pool, conv2]
    assert report.total_macs == conv1 + batchnorm + pool + conv2
    assert report.nodes["n0"].activation_bytes == 16 * 16 * 16 * 4
    assert report.total_activation_bytes == 4 * (
        32 * 32 * 3 + 3 * 16 * 16 * 16 + 8 * 8 * 16 + 8 * 6 * 8
    )


def test_lstm_counts_four_gates_per_step():
    steps, features, units = 10, 8, 16
    report = validate_graph(chain([steps, features], ("LSTM", {"units": units})))
    gates = 2 * 4 * units * (features + units) + 4 * units  # kernels and biases
    updates = 4 * units  # c = f*c + i*g, h = o*tanh(c)
    assert report.total_macs == steps * (gates + updates) // 2


def test_lstm_over_free_steps_is_listed_uncounted():
    report = validate_graph(chain([None, 8], ("LSTM", {"units": 4}), ("Dense", {"units": 2})))
    assert report.valid
    assert report.nodes["n0"].macs is None
    assert report.macs_uncounted == ["n0"]
    assert report.total_macs == (2 * 4 * 2 + 2) // 2


def test_multi_head_attention_projections_scores_and_output():
    g = graph(
        [
            node("q", "Input", shape=[5, 16]),
            node("v", "Input", shape=[7, 12]),
            node("mha", "MultiHeadAttention", num_heads=2, key_dim=4),
            node("out", "Output", loss="mse"),
        ],
        [edge("q", "mha", 0, 0), edge("v", "mha", 0, 1), edge("mha", "out")],
    )
    report = validate_graph(g)
    heads, dim, t_q, t_v = 2, 4, 5, 7
    project_q = t_q * heads * dim * (2 * 16 + 1)  # weights and bias
    project_k = t_v * heads * dim * (2 * 12 + 1)
    project_v = t_v * heads * dim * (2 * 12 + 1)
    scores_and_sum = 2 * heads * t_q * t_v * (dim + dim)
    project_out = t_q * 16 * (2 * heads * dim + 1)
    assert (
        report.nodes["mha"].macs
        == (project_q + project_k + project_v + scores_and_sum + project_out) // 2
    )


def test_wrappers_and_merges():
    g = graph(
        [
            node("in", "Input", shape=[6, 10]),
            node("td", "TimeDistributed"),
            node("bi", "Bidirectional"),
            node("add", "Add"),
            node("out", "Output", loss="mse"),
        ],
        [edge("in", "td"), edge("in", "bi"), edge("td", "add", 0, 0), edge("bi", "add", 0, 1)],
    )
    data = g.model_dump()
    data["nodes"][1]["inner"] = {"type": "Dense", "params": {"units": 8}}
    data["nodes"][2]["inner"] = {
        "type": "SimpleRNN",
        "params": {"units": 4, "return_sequences": True},
    }
    data["edges"].append({"source": "add", "target": "out"})
    report = validate_graph(type(g).model_validate(data))
    assert report.valid, report.errors
    dense = (2 * 10 * 8 + 8) // 2  # one time step
    rnn = 6 * (2 * 4 * (10 + 4) + 4) // 2  # one direction
    assert report.nodes["td"].macs == 6 * dense
    assert report.nodes["bi"].macs == 2 * rnn
    assert report.nodes["add"].macs == 6 * 8 // 2
    assert report.total_macs == 6 * dense + 2 * rnn + 24


def test_a_nested_model_costs_its_definition_each_time_it_is_used():
    report = validate_graph(load_example("functional_nested_model_twice"))
    inner = sum(
        info.macs or 0 for nid, info in report.nodes.items() if nid.startswith("vision_model/")
    )
    assert inner > 0
    assert report.nodes["vision_a"].macs == report.nodes["vision_b"].macs == inner
    assert report.total_macs == 2 * inner + report.nodes["same_digit"].macs


def test_an_invalid_graph_has_no_total():
    report = validate_graph(chain([4], ("Conv2D", {"filters": 2, "kernel_size": 3})))
    assert not report.valid
    assert report.total_macs is None


def test_small_cnn_within_two_percent_of_tensorflows_profiler():
    g = chain(
        [64, 64, 3],
        ("Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same"}),
        ("BatchNormalization", {}),
        ("ReLU", {}),
        ("MaxPooling2D", {}),
        ("DepthwiseConv2D", {"kernel_size": 3, "padding": "same"}),
        ("SeparableConv2D", {"filters": 64, "kernel_size": 3}),
        ("GlobalAveragePooling2D", {}),
        ("Dense", {"units": 10, "activation": "softmax"}),
    )
    ours = validate_graph(g).total_macs
    reference = profiler_macs(build_model(g))
    assert ours is not None
    assert abs(ours - reference) / reference < 0.02, (ours, reference)
