"""The layer catalogue: `kinds` (one record per layer type, the allowlist), `params`
(curated parameter metadata), `compile` (losses and metrics) and `publish` (the answer of
`GET /api/layers`, with what Keras itself says about each layer)."""
