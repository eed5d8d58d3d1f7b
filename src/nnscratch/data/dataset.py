"""Map-style datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``.

A dataset has ``len(dataset)`` and ``dataset[i]``. It may also define ``fetch_batch(indices)``
returning exactly what ``default_collate([dataset[i] for i in indices])`` would: the
:class:`~nnscratch.data.DataLoader` then fetches a whole batch at once (one gather per tensor
instead of one Python call per example) when no ``collate_fn`` is given.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Any

import numpy

from .. import backend
from .._tensor import Tensor
from ..creation import as_tensor


class Dataset:
    """Base of map-style datasets: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Examples are slices along the first dimension: ``dataset[i] = (t[i] for t in tensors)``.

    All tensors (or numpy arrays) must have the same size N in dimension 0.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        for t in tensors:
            if not isinstance(t, (Tensor, numpy.ndarray)) or t.ndim == 0:
                shape = tuple(getattr(t, "shape", ()))
                raise TypeError(
                    f"TensorDataset: expected Tensors or numpy arrays with at least one "
                    f"dimension, got {type(t).__name__} of shape {shape}"
                )
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ValueError(f"TensorDataset: size mismatch between tensors: shapes {shapes}")
        self.tensors = tuple(tensors)

    def __getitem__(self, index: int) -> tuple:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def fetch_batch(self, indices: numpy.ndarray) -> list:
        """``[t[indices] for t in tensors]`` as Tensors: the default collation of the examples
        (a list, as PyTorch's ``default_collate`` returns for tuples)."""
        return [
            t[_on_device_of(indices, t)] if isinstance(t, Tensor) else as_tensor(t[indices])
            for t in self.tensors
        ]


def _on_device_of(indices: numpy.ndarray, tensor: Tensor) -> Any:
    """The index array where ``tensor`` lives (a GPU tensor is indexed by a GPU array)."""
    if tensor.device.type == "cpu":
        return indices
    return backend.to_device(numpy.asarray(indices), tensor.device)


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        self._index_array = None  # ``indices`` as an array, made on first batched fetch

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def fetch_batch(self) -> Any:
        """Batched fetching (``None`` unless the wrapped dataset has it)."""
        inner = getattr(self.dataset, "fetch_batch", None)
        if inner is None:
            return None
        if self._index_array is None or len(self._index_array) != len(self.indices):
            self._index_array = numpy.asarray(self.indices, dtype=numpy.int64)
        index_array = self._index_array
        return lambda indices: inner(index_array[indices])


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = []
        total = 0
        for dataset in self.datasets:
            total += len(dataset)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise IndexError(
                    f"ConcatDataset: index {index} is out of range for length {len(self)}"
                )
            index += len(self)
        if index >= len(self):
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {len(self)}")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]
