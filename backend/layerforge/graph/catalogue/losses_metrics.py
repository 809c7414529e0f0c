"""The loss and metric names an Output node (and a run's settings) may name: one list
each for the whole backend. Keras-free (the API checks run settings without Keras); a
unit test checks every name resolves in Keras."""

from __future__ import annotations

LOSSES: tuple[str, ...] = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "mse",
    "mae",
    "mape",
    "msle",
    "huber",
    "log_cosh",
    "kl_divergence",
    "poisson",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "cosine_similarity",
    "dice",
    "tversky",
)
"""In the order the Output form offers them."""

LOSSES_TAKING_LOGITS = frozenset(
    {
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "binary_focal_crossentropy",
        "categorical_focal_crossentropy",
    }
)
"""Losses whose Keras class takes `from_logits`; for the others the flag is ignored."""

METRICS = frozenset(
    {
        "accuracy",
        "acc",
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "mse",
        "mae",
        "mape",
        "msle",
        "mean_squared_error",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_logarithmic_error",
        "root_mean_squared_error",
        "auc",
        "precision",
        "recall",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "kl_divergence",
        "poisson",
        "cosine_similarity",
        "log_cosh_error",
        "hinge",
        "squared_hinge",
        "categorical_hinge",
        "r2_score",
    }
)
"""Metric names Keras resolves from a string ("accuracy" and "acc" Keras picks by loss)."""
