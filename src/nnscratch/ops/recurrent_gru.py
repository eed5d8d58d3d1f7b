"""The fused GRU sequence kernel: one layer, one direction, the whole sequence (see recurrent.py).

PyTorch's GRU, gates in the order r, z, n (rows of ``W_ih``/``W_hh``)::

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}  =  n_t + z_t ⊙ (h_{t-1} - n_t)

``b_hn`` stays inside the reset product, so only ``b_hr`` and ``b_hz`` join the input
projection; ``W_hn h_{t-1} + b_hn`` is kept per step for the backward pass.
"""

from __future__ import annotations

import numpy

from ..autograd.function import Function
from .activation import sigmoid_into
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


class GRUSequence(Function):
    """``(x, h0, W_ih, W_hh, b_ih, b_hh) → (output, h_n)``.

    Shapes: x ``(T, B, I)``, h0 ``(B, H)``, W_ih ``(3H, I)``, W_hh ``(3H, H)``, biases
    ``(3H,)`` or None; output ``(T, B, H)``, h_n ``(B, H)``. Options ``reverse`` and
    ``lengths`` as in recurrent.py.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, *, reverse=False, lengths=None):
        xp = ctx.xp
        steps, batch, _ = x.shape
        size = w_hh.shape[1]
        order = BatchOrder(lengths, steps, batch, xp)
        x, h0 = order.sort(x, 1), order.sort(h0, 0)
        keep = any(ctx.needs_input_grad)
        bias = None
        if b_ih is not None:  # b_hr and b_hz add like input biases; b_hn is multiplied by r
            bias = b_ih.copy()
            bias[:2 * size] += b_hh[:2 * size]
            hidden_bias = b_hh[2 * size:]

        x_flat, gates = project_inputs(xp, x, w_ih, bias)
        hidden = xp.empty((steps + 1, batch, size), dtype=x.dtype)
        hidden[steps if reverse else 0] = h0
        # W_hn h_{t-1} + b_hn for every step (needed by backward)
        hidden_cand = xp.empty((steps, batch, size), dtype=x.dtype) if keep else None
        w_hh_t = xp.ascontiguousarray(w_hh.T)
        recurrent = xp.empty((batch, 3 * size), dtype=x.dtype)
        scratch = xp.empty((batch, size), dtype=x.dtype)

        with numpy.errstate(over="ignore"):  # e^-a = inf in σ is intended
            for t in time_steps(steps, reverse):
                prev, new = state_slots(reverse, t)
                n = order.active(t, batch)
                if n:
                    g_all, rec, tmp = gates[t, :n], recurrent[:n], scratch[:n]
                    h_prev, h_new = hidden[prev, :n], hidden[new, :n]
                    xp.matmul(h_prev, w_hh_t, out=rec)  # h_{t-1} W_hhᵀ for r, z and n at once
                    reset_update = g_all[:, :2 * size]
                    reset_update += rec[:, :2 * size]
                    sigmoid_into(xp, reset_update, reset_update)  # r_t, z_t
                    reset, update, cand = g_all[:, :size], g_all[:, size:2 * size], g_all[:, 2 * size:]
                    rec_cand = hidden_cand[t, :n] if keep else rec[:, 2 * size:]
                    if b_ih is not None:
                        xp.add(rec[:, 2 * size:], hidden_bias, out=rec_cand)  # W_hn h_{t-1} + b_hn
                    elif keep:
                        rec_cand[...] = rec[:, 2 * size:]
                    xp.multiply(reset, rec_cand, out=tmp)
                    cand += tmp
                    xp.tanh(cand, out=cand)  # n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
                    xp.subtract(h_prev, cand, out=h_new)  # h_t = n_t + z_t ⊙ (h_{t-1} - n_t)
                    h_new *= update
                    h_new += cand
                carry_finished(hidden, prev, new, n)

        output = output_block(hidden, reverse)
        if order.batch_sizes is not None:
            output = order.zero_finished(output.copy())
        ctx.order, ctx.reverse = order, reverse
        if keep:
            ctx.save_for_backward(x_flat, gates, hidden, hidden_cand, w_ih, w_hh)
        return order.unsort(output, 1), order.unsort(hidden[0 if reverse else steps], 0)

    @staticmethod
    def backward(ctx, grad_output, grad_h_n):
        xp = ctx.xp
        x_flat, gates, hidden, hidden_cand, w_ih, w_hh = ctx.saved
        order, reverse = ctx.order, ctx.reverse
        steps, batch, width = gates.shape
        size = width // 3
        dtype = gates.dtype
        grad_output = order.sort(grad_output, 1)
        acts = gates.reshape(steps, batch, 3, size)  # r, z, n of every step
        make = xp.zeros if order.batch_sizes is not None else xp.empty
        # dL/d(x_t W_ihᵀ + b_ih) and dL/d(h_{t-1} W_hhᵀ + b_hh): equal for r and z, not for n
        grad_input_gates = make((steps, batch, width), dtype=dtype)
        grad_hidden_gates = make((steps, batch, width), dtype=dtype)
        grad_in = grad_input_gates.reshape(steps, batch, 3, size)
        grad_hid = grad_hidden_gates.reshape(steps, batch, 3, size)
        if grad_h_n is None:
            carry = xp.zeros((batch, size), dtype=dtype)  # dL/dh_t from later steps
        else:
            carry = xp.array(order.sort(grad_h_n, 0), dtype=dtype, copy=True, order="C")
        grad_h_buffer = xp.empty((batch, size), dtype=dtype)
        scratch = xp.empty((batch, size), dtype=dtype)
        for t in time_steps(steps, not reverse):
            n = order.active(t, batch)
            if not n:
                continue
            prev, _ = state_slots(reverse, t)
            act, g_in, g_hid = acts[t, :n], grad_in[t, :n], grad_hid[t, :n]
            reset, update, cand = act[:, 0], act[:, 1], act[:, 2]
            h_prev, rec_cand = hidden[prev, :n], hidden_cand[t, :n]
            dh, tmp = grad_h_buffer[:n], scratch[:n]
            if grad_output is not None:  # h_t is both an output and the next step's input
                xp.add(carry[:n], grad_output[t, :n], out=dh)
            else:
                dh[...] = carry[:n]
            # σ'(a) = a (1 - a) for r and z, in place in the gradient rows
            xp.subtract(1.0, act[:, :2], out=g_hid[:, :2])
            g_hid[:, :2] *= act[:, :2]
            # h_t = n + z ⊙ (h_{t-1} - n):  dL/dn_pre = dL/dh_t ⊙ (1 - z) ⊙ (1 - n²)
            grad_cand = g_in[:, 2]
            xp.multiply(cand, cand, out=grad_cand)
            xp.subtract(1.0, grad_cand, out=grad_cand)
            xp.subtract(1.0, update, out=tmp)
            tmp *= dh
            grad_cand *= tmp
            # dL/dz_pre = dL/dh_t ⊙ (h_{t-1} - n) ⊙ σ'(z)
            xp.subtract(h_prev, cand, out=tmp)
            tmp *= dh
            g_hid[:, 1] *= tmp
            # n_pre = … + r ⊙ (W_hn h_{t-1} + b_hn):
            # dL/dr_pre = dL/dn_pre ⊙ (W_hn h_{t-1} + b_hn) ⊙ σ'(r)
            xp.multiply(grad_cand, rec_cand, out=tmp)
            g_hid[:, 0] *= tmp
            xp.multiply(grad_cand, reset, out=g_hid[:, 2])  # dL/d(W_hn h + b_hn) = dL/dn_pre ⊙ r
            g_in[:, :2] = g_hid[:, :2]
            # dL/dh_{t-1} = dL/dh_t ⊙ z + dL/d(h_{t-1} W_hhᵀ) · W_hh
            xp.matmul(grad_hidden_gates[t, :n], w_hh, out=carry[:n])
            xp.multiply(dh, update, out=tmp)
            carry[:n] += tmp

        needs = ctx.needs_input_grad
        grad_x, grad_w_ih, grad_b_ih = projection_grads(
            grad_input_gates, x_flat, w_ih, needs[0], needs[2], needs[4])
        h_prev_flat = previous_block(hidden, reverse).reshape(steps * batch, size)
        _, grad_w_hh, grad_b_hh = projection_grads(
            grad_hidden_gates, h_prev_flat, w_hh, False, needs[3], needs[5])
        return (
            order.unsort(grad_x, 1),
            order.unsort(carry, 0) if needs[1] else None,
            grad_w_ih,
            grad_w_hh,
            grad_b_ih,
            grad_b_hh,
        )
