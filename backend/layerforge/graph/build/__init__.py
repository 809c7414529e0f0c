"""Keras from a graph: `layers` (make and call one layer), `symbolic` (tensor specs and
weightless calls), `model` (assemble the Sequential or Functional model), `compile_args`."""
