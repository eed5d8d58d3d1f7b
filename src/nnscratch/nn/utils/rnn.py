"""Variable-length batches for the recurrent layers (``torch.nn.utils.rnn``).

A :class:`PackedSequence` stores a batch of sequences of different lengths without padding:
the sequences are ordered by decreasing length (``sorted_indices`` maps that order to the
caller's) and ``data`` holds, time step after time step, the rows of the sequences still
running at that step — ``batch_sizes[t]`` of them. The recurrent layers accept it and return
one; gradients flow through packing and unpacking.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy

from ... import functional
from ..._tensor import Tensor
from ...creation import full
from ...ops.recurrent import PackedToPadded, PaddedToPacked

__all__ = [
    "PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
    "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation",
]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)`` of a packed batch.

    - ``data`` ``(N, *)``: the rows of all sequences, step by step (N = Σ lengths);
    - ``batch_sizes`` ``(T,)`` int64 on the CPU: how many sequences run at each step;
    - ``sorted_indices`` ``(B,)``: caller's index of the k-th longest sequence (None when the
      batch was already sorted), ``unsorted_indices`` its inverse.
    Build one with :func:`pack_padded_sequence` or :func:`pack_sequence`, not directly.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor, batch_sizes: Any = None, sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None and not isinstance(batch_sizes, Tensor):
            batch_sizes = Tensor(numpy.asarray(batch_sizes, dtype=numpy.int64))
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """Move/cast ``data`` (indices follow the device; ``batch_sizes`` stays on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def move(index: Tensor | None) -> Tensor | None:
            return None if index is None else index.to(data.device)
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> PackedSequence:
        return self.to("cuda" if device is None else f"cuda:{device}")

    def float(self) -> PackedSequence:
        return self.to(numpy.float32)

    def double(self) -> PackedSequence:
        return self.to(numpy.float64)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation (``inverse[permutation[i]] = i``), None for None."""
    if permutation is None:
        return None
    order = permutation.numpy()
    inverse = numpy.empty_like(order)
    inverse[order] = numpy.arange(order.shape[0], dtype=order.dtype)
    return Tensor(inverse).to(permutation.device)


def _int_array(values: Any, what: str) -> numpy.ndarray:
    if isinstance(values, Tensor):
        values = values.numpy()
    array = numpy.asarray(values)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise ValueError(f"{what}: lengths must be a 1-D sequence of integers, got {values!r}")
    return array.astype(numpy.int64)


def _batch_sizes(lengths: numpy.ndarray) -> numpy.ndarray:
    """batch_sizes[t] = #{b : lengths[b] > t} for t < max(lengths) (lengths sorted or not)."""
    steps = numpy.arange(int(lengths.max()) if lengths.size else 0)
    return (lengths[None, :] > steps[:, None]).sum(axis=1).astype(numpy.int64)


def _lengths_from_batch_sizes(batch_sizes: numpy.ndarray) -> numpy.ndarray:
    """Per sorted sequence b: #{t : batch_sizes[t] > b}."""
    batch = int(batch_sizes[0]) if batch_sizes.size else 0
    return (batch_sizes[None, :] > numpy.arange(batch)[:, None]).sum(axis=1).astype(numpy.int64)


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` when ``batch_first``) of ``lengths``.

    With ``enforce_sorted`` the lengths must be in decreasing order; otherwise the batch is
    sorted here (stably) and ``sorted_indices`` records the order.
    """
    lengths = _int_array(lengths, "pack_padded_sequence")
    batch_dim = 0 if batch_first else 1
    if input.ndim < 2:
        raise ValueError(
            f"pack_padded_sequence: input must have at least 2 dimensions (T, B, *), got shape "
            f"{tuple(input.shape)}"
        )
    if lengths.shape[0] != input.shape[batch_dim]:
        raise ValueError(
            f"pack_padded_sequence: Expected `len(lengths)` to be equal to batch_size, but got "
            f"{lengths.shape[0]} (batch_size={input.shape[batch_dim]})"
        )
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError(
            "pack_padded_sequence: Length of all samples has to be greater than 0, but found an "
            f"element in 'lengths' that is <= 0 (lengths={lengths.tolist()})"
        )
    steps = input.shape[1 - batch_dim]
    if lengths.size and lengths.max() > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {int(lengths.max())} exceeds the padded length "
            f"{steps} of input of shape {tuple(input.shape)}"
        )
    sorted_indices = None
    if enforce_sorted:
        if numpy.any(numpy.diff(lengths) > 0):
            raise RuntimeError(
                "pack_padded_sequence: `lengths` array must be sorted in decreasing order when "
                "`enforce_sorted` is True (got lengths="
                f"{lengths.tolist()}). You can pass `enforce_sorted=False` to "
                "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you "
                "do not need ONNX exportability."
            )
    else:
        order = numpy.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = Tensor(order).to(input.device)
        input = functional.index_select(input, batch_dim, sorted_indices)  # noqa: A001
    padded = functional.transpose(input, 0, 1) if batch_first else input
    batch_sizes = _batch_sizes(lengths)
    data = PaddedToPacked.apply(padded, batch_sizes=batch_sizes)
    return PackedSequence(data, Tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None) -> tuple:
    """Inverse of :func:`pack_padded_sequence`: ``(padded (T, B, *), lengths (B,) int64)``.

    The batch comes back in the caller's order; ``total_length`` pads the time axis further.
    """
    batch_sizes = sequence.batch_sizes.numpy().astype(numpy.int64)
    max_length = batch_sizes.shape[0]
    if total_length is not None:
        if total_length < max_length:
            raise ValueError(
                "pad_packed_sequence: Expected total_length to be at least the length of the "
                f"longest sequence in input, but got total_length={total_length} and max "
                f"sequence length being {max_length}"
            )
    padded = PackedToPadded.apply(sequence.data, batch_sizes=batch_sizes,
                                  padding_value=padding_value, steps=total_length)
    lengths = _lengths_from_batch_sizes(batch_sizes)
    if sequence.unsorted_indices is not None:
        padded = functional.index_select(padded, 1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.numpy()]
    if batch_first:
        padded = functional.transpose(padded, 0, 1)
    return padded, Tensor(lengths)


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` if batch_first)."""
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got '{padding_side}'")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                "pad_sequence: every sequence must have the same trailing shape, got shapes "
                f"{[tuple(x.shape) for x in sequences]}"
            )
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = full((missing, *trailing), padding_value, dtype=s.dtype, device=s.device)
            s = functional.cat([s, fill] if padding_side == "right" else [fill, s], dim=0)
        padded.append(s)
    return functional.stack(padded, dim=0 if batch_first else 1)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)`` (by decreasing length unless not enforce_sorted)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list:
    """The list of sequences ``(L_i, *)`` inside a padded batch (inverse of pad_sequence)."""
    lengths = _int_array(lengths, "unpad_sequence")
    if not batch_first:
        padded_sequences = functional.transpose(padded_sequences, 0, 1)
    return [padded_sequences[b, : int(length)] for b, length in enumerate(lengths)]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences ``(L_i, *)`` inside a packed batch (inverse of pack_sequence)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
