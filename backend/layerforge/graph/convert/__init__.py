"""Graphs to and from other forms: `importer` (Keras JSON, `.keras` files: the walk over
layers and calls, with `inbound_calls`, `minimal_config`, `compile_config` and `masks`),
`codegen` (Python source), `export` (Keras JSON, `.keras`)."""
