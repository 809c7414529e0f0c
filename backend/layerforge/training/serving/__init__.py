"""A finished run's model exported for serving (SavedModel, ONNX, LiteRT), optionally
quantized, and checked against the Keras model by the exported model's own runtime.

`wire` holds the request and the report (pydantic, no Keras: the API imports it);
`export` and `runtimes` do the Keras work in the child process `child` (started by
api/serving_process.py, never in the API process).
"""
