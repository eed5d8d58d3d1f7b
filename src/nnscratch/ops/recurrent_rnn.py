"""The fused Elman RNN sequence kernel (tanh or relu): one layer, one direction (see recurrent.py).

PyTorch's RNN::

    h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   φ = tanh or relu
"""

from __future__ import annotations

from ..autograd.function import Function
from .recurrent import (
    BatchOrder,
    carry_finished,
    output_block,
    previous_block,
    project_inputs,
    projection_grads,
    state_slots,
    time_steps,
)


class RNNSequence(Function):
    """``(x, h0, W_ih, W_hh, b_ih, b_hh) → (output, h_n)``.

    Shapes: x ``(T, B, I)``, h0 ``(B, H)``, W_ih ``(H, I)``, W_hh ``(H, H)``, biases ``(H,)``
    or None; output ``(T, B, H)``, h_n ``(B, H)``. Options: ``nonlinearity`` ``"tanh"`` or
    ``"relu"``; ``reverse`` and ``lengths`` as in recurrent.py.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, *, nonlinearity="tanh", reverse=False,
                lengths=None):
        xp = ctx.xp
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity '{nonlinearity}' (expected 'tanh' or 'relu')")
        steps, batch, _ = x.shape
        size = w_hh.shape[1]
        order = BatchOrder(lengths, steps, batch, xp)
        x, h0 = order.sort(x, 1), order.sort(h0, 0)
        bias = None if b_ih is None else b_ih + b_hh

        # pre_t = x_t W_ihᵀ + b_ih + b_hh for every t at once; + h_{t-1} W_hhᵀ per step
        x_flat, pre = project_inputs(xp, x, w_ih, bias)
        hidden = xp.empty((steps + 1, batch, size), dtype=x.dtype)
        hidden[steps if reverse else 0] = h0
        w_hh_t = xp.ascontiguousarray(w_hh.T)
        recurrent = xp.empty((batch, size), dtype=x.dtype)
        for t in time_steps(steps, reverse):
            prev, new = state_slots(reverse, t)
            n = order.active(t, batch)
            if n:
                xp.matmul(hidden[prev, :n], w_hh_t, out=recurrent[:n])
                step_pre = pre[t, :n]
                step_pre += recurrent[:n]
                if nonlinearity == "tanh":
                    xp.tanh(step_pre, out=hidden[new, :n])  # h_t = tanh(pre_t)
                else:
                    xp.maximum(step_pre, 0, out=hidden[new, :n])  # h_t = max(pre_t, 0)
            carry_finished(hidden, prev, new, n)

        output = output_block(hidden, reverse)
        if order.batch_sizes is not None:
            output = order.zero_finished(output.copy())
        ctx.order, ctx.reverse, ctx.nonlinearity = order, reverse, nonlinearity
        if any(ctx.needs_input_grad):
            ctx.save_for_backward(x_flat, hidden, w_ih, w_hh)
        return order.unsort(output, 1), order.unsort(hidden[0 if reverse else steps], 0)

    @staticmethod
    def backward(ctx, grad_output, grad_h_n):
        xp = ctx.xp
        x_flat, hidden, w_ih, w_hh = ctx.saved
        order, reverse = ctx.order, ctx.reverse
        steps, batch, size = hidden.shape[0] - 1, hidden.shape[1], hidden.shape[2]
        dtype = hidden.dtype
        grad_output = order.sort(grad_output, 1)
        outputs = output_block(hidden, reverse)
        # φ'(pre_t) from the outputs, for all steps at once
        if ctx.nonlinearity == "tanh":
            derivative = xp.multiply(outputs, outputs)
            xp.subtract(1.0, derivative, out=derivative)  # tanh' = 1 - h_t²
        else:
            derivative = (outputs > 0).astype(dtype)  # relu' = 1 where h_t > 0 (0 at 0, as PyTorch)

        make = xp.zeros if order.batch_sizes is not None else xp.empty
        grad_pre = make((steps, batch, size), dtype=dtype)
        if grad_h_n is None:
            carry = xp.zeros((batch, size), dtype=dtype)  # dL/dh_t from later steps
        else:
            carry = xp.array(order.sort(grad_h_n, 0), dtype=dtype, copy=True, order="C")
        for t in time_steps(steps, not reverse):
            n = order.active(t, batch)
            if not n:
                continue
            step_grad = grad_pre[t, :n]
            if grad_output is not None:  # dL/dh_t = dL/doutput_t + dL/dh_t|later
                xp.add(carry[:n], grad_output[t, :n], out=step_grad)
            else:
                step_grad[...] = carry[:n]
            step_grad *= derivative[t, :n]  # dL/dpre_t = dL/dh_t ⊙ φ'(pre_t)
            xp.matmul(step_grad, w_hh, out=carry[:n])  # dL/dh_{t-1} = dL/dpre_t · W_hh

        needs = ctx.needs_input_grad
        grad_x, grad_w_ih, grad_bias = projection_grads(
            grad_pre, x_flat, w_ih, needs[0], needs[2], needs[4] or needs[5])
        h_prev_flat = previous_block(hidden, reverse).reshape(steps * batch, size)
        _, grad_w_hh, _ = projection_grads(grad_pre, h_prev_flat, w_hh, False, needs[3], False)
        return (
            order.unsort(grad_x, 1),
            order.unsort(carry, 0) if needs[1] else None,
            grad_w_ih,
            grad_w_hh,
            grad_bias if needs[4] else None,
            grad_bias.copy() if needs[5] else None,  # b_ih and b_hh enter the same sum
        )
