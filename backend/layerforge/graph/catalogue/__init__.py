"""The layer catalogue: `kinds` (one record per layer type, the allowlist), `param_rules`
(curated parameter metadata), `losses_metrics` (the loss and metric names), `keras_ops`
(the allowlisted keras.ops functions), `call_arguments` (what a layer's call takes
beyond its tensors) and `specs` (each layer's parameter specs with what Keras itself
says about them: the answer of `GET /api/layers`)."""
