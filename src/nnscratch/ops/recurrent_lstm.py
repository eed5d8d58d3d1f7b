"""The fused LSTM sequence kernel: one layer, one direction, the whole sequence (see recurrent.py).

PyTorch's LSTM, gates in the order i, f, g, o (rows of ``W_ih``/``W_hh``)::

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi  [+ w_ci ⊙ c_{t-1}])
    f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf  [+ w_cf ⊙ c_{t-1}])
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho  [+ w_co ⊙ c_t])
    h_t = o_t ⊙ tanh(c_t)

The bracketed peephole terms (Gers & Schmidhuber 2000) are present when ``w_ci``, ``w_cf`` and
``w_co`` are given: the input and forget gates look at the previous cell, the output gate at
the new one.
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


class LSTMSequence(Function):
    """``(x, h0, c0, W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co) → (output, h_n, c_n)``.

    Shapes: x ``(T, B, I)``, h0/c0 ``(B, H)``, W_ih ``(4H, I)``, W_hh ``(4H, H)``, biases
    ``(4H,)`` or None, peephole weights ``(H,)`` or all None; output ``(T, B, H)``,
    h_n/c_n ``(B, H)``. Options: ``reverse`` runs from t = T-1 down to 0; ``lengths`` (B
    integers) gives each element's true length (see recurrent.py).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_ci, w_cf, w_co, *, reverse=False,
                lengths=None):
        xp = ctx.xp
        steps, batch, _ = x.shape
        size = w_hh.shape[1]
        order = BatchOrder(lengths, steps, batch, xp)
        x, h0, c0 = order.sort(x, 1), order.sort(h0, 0), order.sort(c0, 0)
        peephole = w_ci is not None
        keep = any(ctx.needs_input_grad)  # keep every step's tanh(c_t) only for backward
        # Without peepholes the four gates are ready together, and tanh(a) = 2σ(2a) - 1 lets ONE
        # sigmoid over the whole gates block give i, f, o and σ(2a_g), from which g_t follows in
        # two cheap passes: the rows of g in the weights and biases are doubled (exact in binary
        # floating point). With peepholes o waits for c_t: σ(i, f), tanh(g), then σ(o).
        double = xp.ones(4 * size, dtype=x.dtype)
        if not peephole:
            double[2 * size:3 * size] = 2.0
        bias = None if b_ih is None else (b_ih + b_hh) * double

        # gates_t = x_t W_ihᵀ + b_ih + b_hh for every t at once; + h_{t-1} W_hhᵀ per step
        x_flat, gates = project_inputs(xp, x, w_ih * double[:, None], bias)
        hidden = xp.empty((steps + 1, batch, size), dtype=x.dtype)
        cell = xp.empty((steps + 1, batch, size), dtype=x.dtype)
        first = steps if reverse else 0
        hidden[first] = h0
        cell[first] = c0
        tanh_cell = xp.empty((steps if keep else 1, batch, size), dtype=x.dtype)
        w_hh_t = xp.empty((size, 4 * size), dtype=x.dtype)  # a contiguous W_hhᵀ multiplies faster
        xp.multiply(w_hh.T, double, out=w_hh_t)
        recurrent = xp.empty((batch, 4 * size), dtype=x.dtype)
        scratch = xp.empty((batch, size), dtype=x.dtype)
        if peephole:  # the i and f peepholes as one (2, H) block: one product, one sum per step
            peep_in_forget = xp.stack([w_ci, w_cf])
            scratch_in_forget = xp.empty((batch, 2, size), dtype=x.dtype)

        with numpy.errstate(over="ignore"):  # e^-a = inf in σ is intended
            for t in time_steps(steps, reverse):
                prev, new = state_slots(reverse, t)
                n = order.active(t, batch)
                if n:
                    g_all = gates[t, :n]
                    h_prev, c_prev, c_new = hidden[prev, :n], cell[prev, :n], cell[new, :n]
                    tmp = scratch[:n]
                    xp.matmul(h_prev, w_hh_t, out=recurrent[:n])
                    g_all += recurrent[:n]  # pre-activations a_i, a_f, 2a_g (a_g: peepholes), a_o
                    in_gate, forget_gate = g_all[:, :size], g_all[:, size:2 * size]
                    cand, out_gate = g_all[:, 2 * size:3 * size], g_all[:, 3 * size:]
                    if peephole:  # i and f see c_{t-1}: + w_ci ⊙ c_{t-1}, + w_cf ⊙ c_{t-1}
                        peep = scratch_in_forget[:n]
                        xp.multiply(c_prev[:, None, :], peep_in_forget, out=peep)
                        g_all[:, :2 * size] += peep.reshape(n, 2 * size)
                        sigmoid_into(xp, g_all[:, :2 * size], g_all[:, :2 * size])  # i_t, f_t
                        xp.tanh(cand, out=cand)  # g_t
                    else:
                        sigmoid_into(xp, g_all, g_all)  # i_t, f_t, σ(2a_g), o_t
                        cand *= 2.0  # g_t = 2σ(2a_g) - 1 = tanh(a_g)
                        cand -= 1.0
                    xp.multiply(forget_gate, c_prev, out=c_new)  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
                    xp.multiply(in_gate, cand, out=tmp)
                    c_new += tmp
                    if peephole:  # o sees the new cell: + w_co ⊙ c_t
                        xp.multiply(c_new, w_co, out=tmp)
                        out_gate += tmp
                        sigmoid_into(xp, out_gate, out_gate)  # o_t
                    tanh_c = tanh_cell[t if keep else 0, :n]
                    xp.tanh(c_new, out=tanh_c)
                    xp.multiply(out_gate, tanh_c, out=hidden[new, :n])  # h_t = o_t ⊙ tanh(c_t)
                carry_finished(hidden, prev, new, n)
                carry_finished(cell, prev, new, n)

        output = output_block(hidden, reverse)
        if order.batch_sizes is not None:
            output = order.zero_finished(output.copy())
        last = 0 if reverse else steps
        ctx.order, ctx.reverse = order, reverse
        if keep:
            ctx.save_for_backward(x_flat, gates, hidden, cell, tanh_cell, w_ih, w_hh, w_ci, w_cf, w_co)
        return order.unsort(output, 1), order.unsort(hidden[last], 0), order.unsort(cell[last], 0)

    @staticmethod
    def backward(ctx, grad_output, grad_h_n, grad_c_n):
        xp = ctx.xp
        x_flat, gates, hidden, cell, tanh_cell, w_ih, w_hh, w_ci, w_cf, w_co = ctx.saved
        order, reverse = ctx.order, ctx.reverse
        steps, batch, width = gates.shape
        size = width // 4
        dtype = gates.dtype
        grad_output = order.sort(grad_output, 1)
        peephole = w_ci is not None

        acts = gates.reshape(steps, batch, 4, size)  # i, f, g, o of every step
        make = xp.zeros if order.batch_sizes is not None else xp.empty
        grad_gates = make((steps, batch, width), dtype=dtype)  # dL/d(pre-activations)
        grad_acts = grad_gates.reshape(steps, batch, 4, size)
        grad_h = _start(xp, order.sort(grad_h_n, 0), (batch, size), dtype)  # dL/dh_t, carried
        grad_c = _start(xp, order.sort(grad_c_n, 0), (batch, size), dtype)  # dL/dc_t, carried
        # per-step scratch: each step's factors are derived while its gates are in cache
        grad_o_buffer = xp.empty((batch, size), dtype=dtype)
        scratch = xp.empty((batch, size), dtype=dtype)
        for t in time_steps(steps, not reverse):
            n = order.active(t, batch)
            if not n:
                continue
            prev, _ = state_slots(reverse, t)
            dh, dc, c_prev = grad_h[:n], grad_c[:n], cell[prev, :n]
            act, grad = acts[t, :n], grad_acts[t, :n]
            in_gate, forget_gate, cand, out_gate = act[:, 0], act[:, 1], act[:, 2], act[:, 3]
            tanh_c, grad_o, tmp = tanh_cell[t, :n], grad_o_buffer[:n], scratch[:n]
            if grad_output is not None:
                dh += grad_output[t, :n]  # h_t is both an output and the next step's input
            # h_t = o ⊙ tanh(c_t):  dL/do = dL/dh_t ⊙ tanh(c_t)
            xp.multiply(dh, tanh_c, out=grad_o)
            # dL/dc_t += dL/dh_t ⊙ o ⊙ (1 - tanh²(c_t)) = (dL/dh_t - dL/do ⊙ tanh(c_t)) ⊙ o
            xp.multiply(grad_o, tanh_c, out=tmp)
            xp.subtract(dh, tmp, out=tmp)
            tmp *= out_gate
            dc += tmp
            # the gate derivatives, in place in the gradient rows: σ'(a) = a (1 - a) for
            # i, f, o and tanh'(a_g) = 1 - g²
            xp.subtract(1.0, act, out=grad)
            grad *= act
            xp.multiply(cand, cand, out=grad[:, 2])
            xp.subtract(1.0, grad[:, 2], out=grad[:, 2])
            grad[:, 3] *= grad_o  # dL/do_pre = dL/do ⊙ σ'(o)
            if peephole:  # o_pre = … + w_co ⊙ c_t
                xp.multiply(grad[:, 3], w_co, out=tmp)
                dc += tmp
            # c_t = f ⊙ c_{t-1} + i ⊙ g:
            # dL/d[i, f, g]_pre = dL/dc_t ⊙ [g, c_{t-1}, i] ⊙ [σ'(i), σ'(f), tanh'(g)]
            grad[:, :3] *= dc[:, None, :]
            grad[:, 0] *= cand
            grad[:, 1] *= c_prev
            grad[:, 2] *= in_gate
            dc *= forget_gate  # dL/dc_{t-1} = dL/dc_t ⊙ f  [+ peephole terms]
            if peephole:  # i_pre, f_pre = … + w_ci ⊙ c_{t-1}, … + w_cf ⊙ c_{t-1}
                xp.multiply(grad[:, 0], w_ci, out=tmp)
                dc += tmp
                xp.multiply(grad[:, 1], w_cf, out=tmp)
                dc += tmp
            xp.matmul(grad_gates[t, :n], w_hh, out=dh)  # dL/dh_{t-1} = dL/dgates_t · W_hh

        needs = ctx.needs_input_grad
        grad_x, grad_w_ih, grad_bias = projection_grads(
            grad_gates, x_flat, w_ih, needs[0], needs[3], needs[5] or needs[6])
        h_prev_flat = previous_block(hidden, reverse).reshape(steps * batch, size)
        _, grad_w_hh, _ = projection_grads(grad_gates, h_prev_flat, w_hh, False, needs[4], False)
        peephole_grads = (None, None, None)
        if peephole:
            # dL/dw_ci = Σ dL/di_pre ⊙ c_{t-1}, dL/dw_cf likewise, dL/dw_co with c_t
            c_prev, c_new = previous_block(cell, reverse), output_block(cell, reverse)
            peephole_grads = tuple(
                (grad_acts[:, :, k] * state).sum(axis=(0, 1)) if need else None
                for k, state, need in ((0, c_prev, needs[7]), (1, c_prev, needs[8]),
                                       (3, c_new, needs[9]))
            )
        return (
            order.unsort(grad_x, 1),
            order.unsort(grad_h, 0) if needs[1] else None,
            order.unsort(grad_c, 0) if needs[2] else None,
            grad_w_ih,
            grad_w_hh,
            grad_bias if needs[5] else None,
            grad_bias.copy() if needs[6] else None,  # b_ih and b_hh enter the same sum
            *peephole_grads,
        )


def _start(xp, grad, shape, dtype):
    """A fresh carried-gradient buffer: a copy of the incoming gradient, or zeros."""
    if grad is None:
        return xp.zeros(shape, dtype=dtype)
    return xp.array(grad, dtype=dtype, copy=True, order="C")
