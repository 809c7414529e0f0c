"""Curated parameter metadata: named choices and per-parameter kinds and ranges that a
constructor signature cannot tell (a Dense `units` is a positive int, a `rate` lies in
[0, 1), `padding` is one of a few words), and sample values for required arguments."""

from __future__ import annotations

from typing import Any

ACTIVATIONS = [
    "linear",
    "relu",
    "relu6",
    "leaky_relu",
    "elu",
    "selu",
    "celu",
    "gelu",
    "silu",
    "swish",
    "hard_silu",
    "hard_swish",
    "mish",
    "sigmoid",
    "hard_sigmoid",
    "log_sigmoid",
    "tanh",
    "hard_tanh",
    "softmax",
    "log_softmax",
    "softplus",
    "softsign",
    "exponential",
    "glu",
    "sparsemax",
    "squareplus",
    "sparse_plus",
    "sparse_sigmoid",
    "tanh_shrink",
    "soft_shrink",
    "hard_shrink",
]
INITIALIZERS = [
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
    "zeros",
    "ones",
    "constant",
    "identity",
]
REGULARIZERS = ["l1", "l2", "l1_l2", "orthogonal_regularizer"]
CONSTRAINTS = ["max_norm", "min_max_norm", "non_neg", "unit_norm"]
DTYPES = [
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
    "string",
    "mixed_float16",
    "mixed_bfloat16",
]
TENSOR_DTYPES = [d for d in DTYPES if not d.startswith("mixed_")]
"""What a tensor (an Input) may hold: the `mixed_*` entries are policies a layer takes."""
NAMED_CLASS_CHOICES = {
    "initializer": {
        "GlorotUniform",
        "GlorotNormal",
        "HeUniform",
        "HeNormal",
        "LecunUniform",
        "LecunNormal",
        "Orthogonal",
        "RandomNormal",
        "RandomUniform",
        "TruncatedNormal",
        "VarianceScaling",
        "Zeros",
        "Ones",
        "Constant",
        "Identity",
    },
    "regularizer": {"L1", "L2", "L1L2", "OrthogonalRegularizer"},
    "constraint": {"MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"},
}
"""Class names a `{"class_name": ..., "config": {...}}` value may name, per kind."""

CHOICES_BY_KIND = {
    "activation": ACTIVATIONS,
    "initializer": INITIALIZERS,
    "regularizer": REGULARIZERS,
    "constraint": CONSTRAINTS,
    "dtype": DTYPES,
}

DATA_FORMATS = ["channels_last", "channels_first"]

# name -> overrides applied to that parameter on every layer that has it
PARAM_RULES: dict[str, dict[str, Any]] = {
    "units": {"kind": "int", "min": 1},
    "filters": {"kind": "int", "min": 1},
    "kernel_size": {"kind": "int_tuple", "min": 1},
    "strides": {"kind": "int_tuple", "min": 1},
    "pool_size": {"kind": "int_tuple", "min": 1},
    "dilation_rate": {"kind": "int_tuple", "min": 1},
    "depth_multiplier": {"kind": "int", "min": 1},
    "groups": {"kind": "int", "min": 1},
    "input_dim": {"kind": "int", "min": 1},
    "output_dim": {"kind": "int", "min": 1},
    "num_heads": {"kind": "int", "min": 1},
    "num_query_heads": {"kind": "int", "min": 1},
    "num_key_value_heads": {"kind": "int", "min": 1},
    "key_dim": {"kind": "int", "min": 1},
    "head_dim": {"kind": "int", "min": 1},
    "value_dim": {"kind": "int", "min": 1},
    "n": {"kind": "int", "min": 1},
    "num_tokens": {"kind": "int", "min": 1},
    "num_bins": {"kind": "int", "min": 1},
    "height": {"kind": "int", "min": 1},
    "width": {"kind": "int", "min": 1},
    "rate": {"kind": "float", "min": 0.0, "max": 1.0},
    "dropout": {"kind": "float", "min": 0.0, "max": 1.0},
    "recurrent_dropout": {"kind": "float", "min": 0.0, "max": 1.0},
    "stddev": {"kind": "float", "min": 0.0},
    "epsilon": {"kind": "float", "min": 0.0},
    "momentum": {"kind": "float", "min": 0.0, "max": 1.0},
    "target_shape": {"kind": "shape"},
    "dims": {"kind": "int_tuple", "min": 1},
    "size": {"kind": "int_tuple", "min": 1},
    "output_size": {"kind": "int_tuple", "min": 1},
    "cropping": {"kind": "int_tuple", "min": 0},
    "axis": {"kind": "any"},
    "axes": {"kind": "int_tuple"},
    "data_format": {"kind": "choice", "choices": DATA_FORMATS, "nullable": True},
    "merge_mode": {
        "kind": "choice",
        "choices": ["sum", "mul", "concat", "ave"],
        "nullable": True,
    },
    "interpolation": {
        "kind": "choice",
        "choices": ["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"],
    },
    "fill_mode": {
        "kind": "choice",
        "choices": ["reflect", "wrap", "constant", "nearest"],
    },
    "output_mode": {
        "kind": "choice",
        "choices": ["one_hot", "multi_hot", "count", "int"],
    },
    "mode": {"kind": "str"},
    "seed": {"kind": "int", "nullable": True},
}

_VOCABULARY = {
    "kind": "list",
    "nullable": True,
    "description": "A literal list of tokens (never a file path); null: adapted to the "
    "training data before fit.",
}
_LOOKUP_MODES = {"kind": "choice", "choices": ["int", "one_hot", "multi_hot", "count", "tf_idf"]}
_LOOKUP_RULES: dict[str, dict[str, Any]] = {
    "vocabulary": _VOCABULARY,
    "idf_weights": {"kind": "list", "nullable": True},
    "output_mode": _LOOKUP_MODES,
    "max_tokens": {"kind": "int", "min": 1, "nullable": True},
    "vocabulary_size": {"kind": "int", "min": 1, "nullable": True, "default": None},
}
TYPE_PARAM_RULES: dict[str, dict[str, dict[str, Any]]] = {
    "TextVectorization": {
        **_LOOKUP_RULES,
        "standardize": {
            "kind": "choice",
            "choices": ["lower_and_strip_punctuation", "lower", "strip_punctuation"],
            "nullable": True,
        },
        "split": {"kind": "choice", "choices": ["whitespace", "character"], "nullable": True},
        "output_mode": {"kind": "choice", "choices": ["int", "multi_hot", "count", "tf_idf"]},
        "output_sequence_length": {"kind": "int", "min": 1, "nullable": True},
    },
    "StringLookup": _LOOKUP_RULES,
    "IntegerLookup": {
        **_LOOKUP_RULES,
        "vocabulary_dtype": {"kind": "choice", "choices": ["int64", "int32"]},
    },
    "RandomFlip": {  # Keras takes any string and flips nothing for an unknown one
        "mode": {"kind": "choice", "choices": ["horizontal_and_vertical", "horizontal", "vertical"]}
    },
    "Discretization": {
        "bin_boundaries": {
            "kind": "list",
            "nullable": True,
            "description": "Ascending bin edges; null: adapted to the training data "
            "(num_bins of them) before fit.",
        },
        "output_mode": {"kind": "choice", "choices": ["int", "one_hot", "multi_hot", "count"]},
    },
}
"""Rules for one type's parameters, over the rules by name: the lookup layers' vocabulary
is a literal list (Keras would read a string as a file path), `standardize` and `split`
only Keras's named behaviours (never a callable), each layer's own modes."""

PADDING_CHOICES = {"default": ["valid", "same"], "Conv1D": ["valid", "same", "causal"]}

SAMPLE_REQUIRED = {
    "units": 2,
    "filters": 2,
    "kernel_size": 1,
    "input_dim": 4,
    "output_dim": 2,
    "num_heads": 2,
    "key_dim": 2,
    "num_query_heads": 2,
    "num_key_value_heads": 1,
    "head_dim": 2,
    "rate": 0.5,
    "stddev": 0.1,
    "target_shape": [1],
    "dims": [1],
    "n": 2,
    "activation": "relu",
    "height": 4,
    "width": 4,
    "output_size": 1,
    "scale": 1.0,
    "num_bins": 2,
    "equation": "ab,bc->ac",
    "output_shape": 2,
    "factor": 0.1,
    "height_factor": 0.1,
    "width_factor": 0.1,
    "value_range": [0, 255],
    "groups": 1,
    "pool_size": 2,
    "axes": 1,
    "init_values": 1e-6,
    "projection_dim": 2,
}
"""Values for required constructor arguments, so a default instance can be made and
its `get_config()` read for the other defaults."""

EXTRA_DESCRIPTIONS = {
    "dtype": "Compute and variable dtype of this layer (default: the global policy).",
    "return_state": "Also return the final state(s), as extra output ports.",
    "return_sequences": "Return the full sequence instead of the last output.",
}
