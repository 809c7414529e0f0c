"""TensorFlow's own count of a model's arithmetic, the independent reference the MAC
counts are checked against: the float operations the v1 profiler registers for the
model's traced inference function (variables frozen to constants), halved."""

from __future__ import annotations

import keras
import tensorflow as tf
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2


def profiler_macs(model: keras.Model) -> float:
    """Float operations of one sample through `model` (training=False) / 2."""
    specs = [tf.TensorSpec([1, *t.shape[1:]], t.dtype) for t in model.inputs]
    traced = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False))
    frozen = convert_variables_to_constants_v2(traced.get_concrete_function(*specs))
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(graph=frozen.graph, options=options)
    return float(profile.total_float_ops) / 2
