"""Calling Keras layers on symbolic tensors without allocating weights.

`no_weights()` is a `keras.StatelessScope` that leaves variables uninitialized (their
shapes are known, nothing is allocated) and forgets them afterwards, so validating a
ResNet costs no memory for its 25M parameters."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, NamedTuple

import keras
from keras.src.backend import get_keras_mask, set_keras_mask
from keras.src.backend.common import global_state

Shape = tuple[int | None, ...]


class TensorSpec(NamedTuple):
    """What a port carries: shape (batch axis first, None for free axes), dtype and
    the shape of the Keras mask riding on it (`Embedding(mask_zero=True)`, `Masking`,
    and every layer passing a mask on), or None. A named tuple, so cache keys made of
    specs hash at C speed."""

    shape: Shape
    dtype: str
    sparse: bool = False
    mask: Shape | None = None

    @classmethod
    def of(cls, tensor: keras.KerasTensor) -> TensorSpec:
        mask = get_keras_mask(tensor)
        return cls(
            tuple(tensor.shape),
            str(tensor.dtype),
            bool(getattr(tensor, "sparse", False)),
            tuple(mask.shape) if mask is not None else None,
        )

    def tensor(self) -> keras.KerasTensor:
        tensor = keras.KerasTensor(self.shape, dtype=self.dtype, sparse=self.sparse)
        if self.mask is not None:
            set_keras_mask(tensor, keras.KerasTensor(self.mask, dtype="bool"))
        return tensor

    def to_json(self) -> list[int | None]:
        return list(self.shape)


_UNINITIALIZED = "uninitialized_variables"


@contextlib.contextmanager
def no_weights() -> Iterator[None]:
    """Create layers' variables as shapes only; drop them from Keras's pending list after."""
    pending = list(global_state.get_global_attribute(_UNINITIALIZED, []) or [])
    try:
        with keras.StatelessScope(initialize_variables=False):
            yield
    finally:
        global_state.set_global_attribute(_UNINITIALIZED, pending)


def needs_real_weights(exc: BaseException) -> bool:
    """Keras refuses some variable creations (values given as arrays) in a stateless scope."""
    return "stateless scope" in str(exc)


def weight_counts(layer: keras.layers.Layer) -> tuple[int, int]:
    """(trainable, non-trainable) parameter counts from variable shapes only."""

    def count(variables: list[Any]) -> int:
        total = 0
        for v in {id(v): v for v in variables}.values():
            size = 1
            for dim in v.shape:
                size *= int(dim)
            total += size
        return total

    return count(layer.trainable_weights), count(layer.non_trainable_weights)
