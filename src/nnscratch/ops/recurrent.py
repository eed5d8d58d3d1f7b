"""Shared plumbing of the fused recurrent kernels, and packing of variable-length batches.

The kernels themselves live in one file per cell family: ``recurrent_rnn.py`` (tanh/relu RNN),
``recurrent_lstm.py`` (LSTM, optional peepholes) and ``recurrent_gru.py``. Each is ONE
``Function`` per layer and direction that runs the whole sequence:

- the input projection of every time step is one matrix product
  ``x (T·B, I) @ W_ihᵀ + b_ih (+ b_hh)``, written into one preallocated gates buffer;
- each step is one matrix product ``h_{t-1} @ W_hhᵀ`` for all gates, followed by the gate
  nonlinearities applied in place on slices of that buffer;
- ``backward`` is BPTT, an explicit loop backwards over time carrying ``dL/dh_{t-1}`` (and
  ``dL/dc_{t-1}``): each step derives its gate derivatives from the saved activations while
  they are in cache, writes the pre-activation gradients of all gates into one preallocated
  ``(T, B, G)`` buffer and makes one matrix product ``dgates_t @ W_hh``; the weight, bias and
  input gradients are then single matrix products over all time steps.

Element-wise work runs in place on slices of preallocated buffers (no per-step allocation);
everything stays in the input's dtype (float32 end to end).

Variable lengths (packed sequences): a batch element ``b`` with ``lengths[b] = L`` takes part
only in steps ``t < L``; past its end its state is carried unchanged and its output is zero,
so the final state is the one at its true last step (for the reverse direction, the state
stays the initial one until ``t < L``). Internally the batch is ordered by decreasing length,
so the active elements of step ``t`` are a prefix ``[:batch_sizes[t]]`` of the batch and every
step works on contiguous rows.

This module also holds the two gathers that move between a packed sequence's data and a
padded ``(T, B, *)`` tensor (used by ``nn.utils.rnn`` and the recurrent layers).
"""

from __future__ import annotations

from typing import Any

import numpy

from ..autograd.function import Function


def time_steps(length: int, reverse: bool) -> range:
    """The order in which a direction visits the steps: 0…T-1, or T-1…0 when ``reverse``."""
    return range(length - 1, -1, -1) if reverse else range(length)


def state_slots(reverse: bool, t: int) -> tuple:
    """(slot of the state before step t, slot after it) in a ``(T + 1, B, H)`` state buffer.

    Forward: slot 0 holds the initial state and slot t + 1 the state after step t, so the
    outputs are slots 1…T. Reverse: slot T holds the initial state and slot t the state after
    step t, so the outputs are slots 0…T-1. Either way the outputs are one contiguous block.
    """
    return (t + 1, t) if reverse else (t, t + 1)


def output_block(buffer: Any, reverse: bool) -> Any:
    """The ``(T, …)`` outputs inside a ``(T + 1, …)`` state buffer (see :func:`state_slots`)."""
    return buffer[:-1] if reverse else buffer[1:]


def previous_block(buffer: Any, reverse: bool) -> Any:
    """The ``(T, …)`` states each step started from (the other end of the buffer)."""
    return buffer[1:] if reverse else buffer[:-1]


class BatchOrder:
    """Per-step active batch sizes from per-element lengths, sorting the batch if needed.

    ``lengths`` is None (every element runs all ``steps``) or ``B`` integers in any order.
    ``batch_sizes[t]`` is the number of elements with ``length > t`` (None when all run every
    step). When the lengths are not in decreasing order, ``sort``/``unsort`` permute the batch
    axis so that the active elements of every step come first; otherwise they do nothing.
    """

    def __init__(self, lengths: Any, steps: int, batch: int, xp: Any) -> None:
        self.batch_sizes = None
        self.permutation = self.inverse = None
        if lengths is None:
            return
        lengths = numpy.asarray(lengths.get() if hasattr(lengths, "get") else lengths)
        lengths = lengths.astype(numpy.int64).reshape(-1)
        if lengths.shape[0] != batch or (batch and (lengths.min() < 0 or lengths.max() > steps)):
            raise ValueError(
                f"recurrent kernel: lengths must hold {batch} values in [0, {steps}], got "
                f"{lengths.tolist()}"
            )
        if numpy.all(lengths >= steps):
            return
        if numpy.any(numpy.diff(lengths) > 0):
            order = numpy.argsort(-lengths, kind="stable")
            self.permutation = xp.asarray(order)
            self.inverse = xp.asarray(numpy.argsort(order))
            lengths = lengths[order]
        # batch_sizes[t] = #{b : lengths[b] > t}
        self.batch_sizes = [int(n) for n in (lengths[None, :] > numpy.arange(steps)[:, None]).sum(1)]

    def sort(self, array: Any, axis: int) -> Any:
        """The batch axis of ``array`` in decreasing-length order."""
        if self.permutation is None or array is None:
            return array
        return array.take(self.permutation, axis=axis)

    def unsort(self, array: Any, axis: int) -> Any:
        """Undo :meth:`sort`: the batch axis back in the caller's order."""
        if self.inverse is None or array is None:
            return array
        return array.take(self.inverse, axis=axis)

    def active(self, t: int, batch: int) -> int:
        """How many (leading) batch elements take part in step ``t``."""
        return batch if self.batch_sizes is None else self.batch_sizes[t]

    def zero_finished(self, outputs: Any) -> Any:
        """Outputs past each element's end are zero: ``outputs[t, batch_sizes[t]:] = 0``."""
        if self.batch_sizes is not None:
            for t, n in enumerate(self.batch_sizes):
                outputs[t, n:] = 0
        return outputs


def carry_finished(buffer: Any, previous: int, new: int, active: int) -> None:
    """Elements past their end keep their state: ``state_new[active:] = state_prev[active:]``."""
    if active < buffer.shape[1]:
        buffer[new, active:] = buffer[previous, active:]


def project_inputs(xp: Any, x: Any, w_ih: Any, bias: Any) -> tuple:
    """All steps' input projections in one product: ``x (T·B, I) @ W_ihᵀ + bias`` → (T, B, G).

    Returns ``(x_flat, projections)``; ``x_flat`` is the contiguous ``(T·B, I)`` input that the
    weight gradient needs later.
    """
    steps, batch, input_size = x.shape
    x_flat = xp.ascontiguousarray(x).reshape(steps * batch, input_size)
    projections = xp.empty((steps, batch, w_ih.shape[0]), dtype=x.dtype)
    xp.matmul(x_flat, w_ih.T, out=projections.reshape(steps * batch, w_ih.shape[0]))
    if bias is not None:
        projections += bias
    return x_flat, projections


def projection_grads(
    grad_gates: Any, inputs_flat: Any, weight: Any, need_input: bool, need_weight: bool,
    need_bias: bool,
) -> tuple:
    """Gradients of ``gates = inputs @ Wᵀ + b`` summed over all steps, one product each.

    ``grad_gates`` is ``(T, B, G)``, ``inputs_flat`` ``(T·B, K)``. Returns
    ``(dL/dinputs (T, B, K) | None, dL/dW (G, K) | None, dL/db (G,) | None)``.
    """
    steps, batch, width = grad_gates.shape
    flat = grad_gates.reshape(steps * batch, width)
    grad_inputs = (flat @ weight).reshape(steps, batch, weight.shape[1]) if need_input else None
    grad_weight = flat.T @ inputs_flat if need_weight else None  # Σ_t dgates_tᵀ · inputs_t
    grad_bias = flat.sum(axis=0) if need_bias else None
    return grad_inputs, grad_weight, grad_bias


def packed_positions(batch_sizes: Any) -> tuple:
    """(time index, batch index) of every row of a packed sequence's data, in data order.

    The data holds, for t = 0, 1, …, the rows of the ``batch_sizes[t]`` sequences still running
    at step t (in the sorted batch order): row ``offset_t + b`` is element b at time t.
    """
    sizes = numpy.asarray(batch_sizes, dtype=numpy.int64)
    time_index = numpy.repeat(numpy.arange(sizes.shape[0]), sizes)
    starts = numpy.cumsum(sizes) - sizes
    batch_index = numpy.arange(time_index.shape[0]) - starts[time_index]
    return time_index, batch_index


class PackedToPadded(Function):
    """Packed data ``(N, *)`` → padded ``(T, B, *)`` with ``padding_value`` past each end.

    ``steps`` (at least ``len(batch_sizes)``) pads the time axis to that length.
    """

    @staticmethod
    def forward(ctx, data, *, batch_sizes, padding_value=0.0, steps=None):
        xp = ctx.xp
        time_index, batch_index = packed_positions(batch_sizes)
        ctx.index = (xp.asarray(time_index), xp.asarray(batch_index))
        steps = len(batch_sizes) if steps is None else steps
        shape = (steps, int(batch_sizes[0]) if len(batch_sizes) else 0) + data.shape[1:]
        padded = xp.full(shape, padding_value, dtype=data.dtype)
        padded[ctx.index] = data  # every (t, b) appears once: plain assignment is exact
        return padded

    @staticmethod
    def backward(ctx, grad_padded):
        return grad_padded[ctx.index]  # d data[k] = d padded[t_k, b_k]


class PaddedToPacked(Function):
    """Padded ``(T, B, *)`` → packed data ``(N, *)``, the rows that ``batch_sizes`` keeps."""

    @staticmethod
    def forward(ctx, padded, *, batch_sizes):
        xp = ctx.xp
        time_index, batch_index = packed_positions(batch_sizes)
        ctx.index = (xp.asarray(time_index), xp.asarray(batch_index))
        ctx.shape = padded.shape
        return padded[ctx.index]

    @staticmethod
    def backward(ctx, grad_data):
        grad_padded = ctx.xp.zeros(ctx.shape, dtype=grad_data.dtype)
        grad_padded[ctx.index] = grad_data  # positions are distinct: no accumulation needed
        return grad_padded
