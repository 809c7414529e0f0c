"""Checking a graph. Without Keras: `static` (caps and the walk over levels, each a
`level`) runs `layer_checks` (a node's own definition, its params by `param_values`
and `op_params`), `topology_checks` (the wiring) and `output_checks`. With Keras:
`shapes` (layers called on symbolic tensors). Then `cost`, `fixes`, `report` (the typed
validate answer and build summary), `validate` (runs them all), `cache`."""
