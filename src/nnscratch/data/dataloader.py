"""DataLoader: iterate over a dataset in (optionally shuffled) batches, resumable mid-epoch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy

from .. import backend
from .collate import default_collate


class DataLoader:
    """Batches of ``batch_size`` examples of a map-style dataset, one epoch per iteration.

    - ``len(loader)`` is the number of batches: ``ceil(N / batch_size)``, or
      ``N // batch_size`` with ``drop_last`` (the short final batch is dropped).
    - ``shuffle=True``: each epoch visits the examples in a new random order, drawn from the
      library's generator (``backend.generator()``), so ``ns.manual_seed`` makes it
      reproducible. Without shuffling the order is ``0 .. N-1``.
    - ``collate_fn`` merges a list of examples into a batch (default: :func:`default_collate`).
      Without one, a dataset that has ``fetch_batch(indices)`` is asked for whole batches.
    - ``state_dict()`` / ``load_state_dict()`` save the position within the current epoch
      and its order: after loading, the next iteration yields exactly the batches the saved
      run had not yet yielded; later epochs draw new orders from the library generator (whose
      state the training checkpoint restores with ``ns.set_rng_state``).
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list], Any] | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, numpy.integer)) \
                or batch_size <= 0:
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer value, got {batch_size!r}"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.epochs_started = 0      # epochs begun so far (the current one included)
        self.batches_yielded = 0     # batches of the current epoch handed out
        self.epoch_seed = None       # seed of the current epoch's order (shuffle only)
        self._resume = False         # the next iteration continues a loaded epoch

    def __len__(self) -> int:
        size = len(self.dataset)
        if self.drop_last:
            return size // self.batch_size
        return (size + self.batch_size - 1) // self.batch_size

    def _order(self) -> numpy.ndarray:
        """The example indices of the current epoch, in visiting order."""
        size = len(self.dataset)
        if self.epoch_seed is None:
            return numpy.arange(size)
        return numpy.random.Generator(numpy.random.PCG64(self.epoch_seed)).permutation(size)

    def __iter__(self) -> Iterator[Any]:
        if self._resume:
            self._resume = False
        else:  # a new epoch: its order is drawn from the library generator
            self.epochs_started += 1
            self.batches_yielded = 0
            self.epoch_seed = (
                int(backend.generator(backend.CPU).integers(0, 2**62)) if self.shuffle else None
            )
        return self._batches(self._order(), self.batches_yielded)

    def _batches(self, order: numpy.ndarray, first: int) -> Iterator[Any]:
        fetch_batch = getattr(self.dataset, "fetch_batch", None) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        for index in range(first, len(self)):
            indices = order[index * self.batch_size:(index + 1) * self.batch_size]
            if fetch_batch is not None:
                batch = fetch_batch(indices)
            else:
                batch = collate([self.dataset[int(i)] for i in indices])
            self.batches_yielded = index + 1  # counted before the consumer sees the batch
            yield batch

    def state_dict(self) -> dict[str, Any]:
        """Where the loader is: ``epochs_started``, ``batches_yielded``, ``epoch_seed`` (ints)."""
        return {
            "epochs_started": self.epochs_started,
            "batches_yielded": self.batches_yielded,
            "epoch_seed": self.epoch_seed,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from a saved position: the next iteration yields the remaining batches of
        the saved epoch (none are left when it had finished, so a new epoch starts)."""
        missing = {"epochs_started", "batches_yielded", "epoch_seed"} - set(state_dict)
        if missing:
            raise ValueError(f"DataLoader.load_state_dict: missing keys {sorted(missing)}")
        batches_yielded = int(state_dict["batches_yielded"])
        if not 0 <= batches_yielded <= len(self):
            raise ValueError(
                f"DataLoader.load_state_dict: batches_yielded={batches_yielded} but an epoch "
                f"has {len(self)} batches"
            )
        seed = state_dict["epoch_seed"]
        self.epochs_started = int(state_dict["epochs_started"])
        self.batches_yielded = batches_yielded
        self.epoch_seed = None if seed is None else int(seed)
        self._resume = 0 < batches_yielded < len(self)
