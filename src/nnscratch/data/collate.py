"""``default_collate``: merge a list of examples into one batch of Tensors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy

from .. import backend
from .._tensor import Tensor
from ..creation import from_numpy
from ..functional import stack


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of examples into a batch, recursing through their structure.

    ===========================  ====================================================
    each example is              the batch is
    ===========================  ====================================================
    Tensor of shape S            Tensor (B, *S) (``ns.stack``; shapes must agree)
    numpy array of shape S       Tensor (B, *S), dtype kept
    numpy scalar                 Tensor (B,), dtype kept
    float                        Tensor (B,) of the default dtype (float32)
    int / bool                   Tensor (B,) int64 / bool
    str / bytes / None           the list itself
    dict (Mapping)               the same type, each key collated
    namedtuple                   the same type, each field collated
    tuple / list                 a list, each position collated (lengths must agree)
    ===========================  ====================================================

    Python floats become the default dtype (not float64 as in PyTorch), so that float32
    training stays float32.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        shapes = {tuple(e.shape) for e in batch}
        if len(shapes) > 1:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, got shapes "
                f"{sorted(shapes)}"
            )
        return stack(list(batch))
    if isinstance(elem, numpy.ndarray):
        if elem.dtype.kind in "SUOaV":
            raise TypeError(
                f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                f"lists; found numpy array of dtype {elem.dtype}"
            )
        shapes = {e.shape for e in batch}
        if len(shapes) > 1:
            raise RuntimeError(
                f"default_collate: numpy arrays must have equal shapes, got {sorted(shapes)}"
            )
        return from_numpy(numpy.stack(batch))
    if isinstance(elem, numpy.generic) and elem.dtype.kind in "biuf":
        return from_numpy(numpy.asarray(batch))
    if isinstance(elem, bool):
        return from_numpy(numpy.asarray(batch, dtype=backend.bool_))
    if isinstance(elem, int):
        return from_numpy(numpy.asarray(batch, dtype=backend.int64))
    if isinstance(elem, float):
        return from_numpy(numpy.asarray(batch, dtype=backend.get_default_dtype()))
    if elem is None or isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        collated = {key: default_collate([example[key] for example in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:  # a Mapping type that cannot be built from a dict
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        lengths = {len(example) for example in batch}
        if len(lengths) > 1:
            raise RuntimeError(
                f"default_collate: each element in list of batch should be of equal size, got "
                f"lengths {sorted(lengths)}"
            )
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError(
        f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )
