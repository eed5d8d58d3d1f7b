"""Convolution (``conv2d``, ``conv1d``): one fused Function, im2col by strided views + a GEMM.

Read ``ops/conv_reference.py`` first: the same computation in plain loops (im2col, one
matrix product, col2im), which the tests check this kernel against.

What is computed (a cross-correlation, as in PyTorch)::

    y[n, o, oh, ow] = b[o] + Σ_c Σ_i Σ_j  x_pad[n, c, oh·sH + i·dH, ow·sW + j·dW] · w[o, c, i, j]

A multi-channel convolution is the sum over input channels of per-channel 2-D
cross-correlations; with ``groups = G`` the channels split into G independent blocks.

As one matrix product: every window becomes a row of ``col`` (M = N·OH·OW rows,
K = kH·kW·C columns in (i, j, c) order), ``Wmat[(i, j, c), o] = w[o, c, i, j]`` and
``Y (M, O) = col @ Wmat``. The gradients, with ``GY`` the (M, O) output gradient:

* weight — the correlation of the input with the output gradient:
  ``dL/dw[o, c, i, j] = Σ_{n, oh, ow} gy[n, o, oh, ow] · x_pad[n, c, oh·sH + i·dH, ow·sW + j·dW]``,
  i.e. ``dWmat = colᵀ @ GY`` (and ``dL/db[o] = Σ gy[:, o]``, from a column of ones in col);
* input — the full correlation of the output gradient with the flipped kernel (stride 1):
  ``dL/dx[n, c, h, w] = Σ_o Σ_i Σ_j gy_pad[n, o, h + i·dH, w + j·dW] · w[o, c, kH-1-i, kW-1-j]``
  with ``gy`` padded by ``d·(k-1) - pad``; for stride > 1 by col2im: ``dcol = GY @ Wmatᵀ``,
  each kernel offset's slice added into the padded input gradient.

Layout: the products run channels-last (NHWC), so the rows of ``col`` and of the output are
contiguous; the output is an NHWC array seen as (N, C, H, W), PyTorch's ``channels_last``.
The batch is processed in chunks whose ``col`` fits in cache. When the weight needs a
gradient, forward keeps ``col`` (up to ``KEEP_COLUMNS_BYTES``) for backward instead of
gathering it again; otherwise chunks live in a reused scratch buffer.

The Function works on arrays; ``nnscratch/functional/conv.py`` checks and normalises the
arguments (stride, padding, groups) and calls it.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from .windows import pad_spatial, scratch, window_view

CHUNK_BYTES = 8 << 20  # col chunk size: large enough for an efficient GEMM, small enough for L3
KEEP_COLUMNS_BYTES = 64 << 20  # forward keeps col for the weight gradient up to this size
_PADDED, _COLUMNS = "conv padded input", "conv columns"  # scratch roles


class Convolution(Function):
    """Fused 2-D convolution. Options arrive normalised: ``stride``/``dilation`` pairs,
    ``padding`` (top, bottom, left, right); ``views`` is ``(x 4-D shape, weight 4-D shape,
    output shape)`` when the arrays are 1-D or unbatched and are seen as 2-D batched ones."""

    @staticmethod
    def forward(ctx, x, weight, bias, *, stride, padding, dilation, groups, views=None):
        xp = ctx.xp
        x4, w4 = _as_4d(x, weight, views)
        n, _, h, w = x4.shape
        out_channels, _, kh, kw = w4.shape
        oh, ow = output_hw((h, w), (kh, kw), stride, padding, dilation)
        src = pad_spatial(xp, x4.transpose(0, 2, 3, 1), (1, 2), padding, role=_PADDED)  # NHWC
        bias_rows = None if bias is None else bias.reshape(groups, 1, out_channels // groups)
        # the weight gradient needs col again: keep it (if not too large) rather than gather
        # it twice
        col_bytes = n * oh * ow * (w4[0].size + groups) * x.itemsize
        keep = ctx.needs_input_grad[1] and col_bytes <= KEEP_COLUMNS_BYTES
        y, columns = correlate(xp, src, weight_matrix(w4, groups), bias_rows, (oh, ow),
                               (kh, kw), stride, dilation, keep=keep)
        ctx.save_for_backward(x, weight, *(columns or ()))
        ctx.options = (stride, padding, dilation, groups, views)
        y = y.reshape(n, oh, ow, out_channels).transpose(0, 3, 1, 2)  # NHWC seen as NCHW
        return y if views is None else y.reshape(views[2])  # drops unit axes: still a view

    @staticmethod
    def backward(ctx, gy):
        xp = ctx.xp
        x, weight, *columns = ctx.saved
        stride, padding, dilation, groups, views = ctx.options
        need_x, need_w, need_b = ctx.needs_input_grad
        x4, w4 = _as_4d(x, weight, views)
        n, _, h, w = x4.shape
        out_channels, _, kh, kw = w4.shape
        oh, ow = output_hw((h, w), (kh, kw), stride, padding, dilation)
        gy4 = gy.reshape(n, out_channels, oh, ow)
        gy_rows = gy4.transpose(0, 2, 3, 1).reshape(n * oh * ow, out_channels)  # GY (M, O)
        grad_x = grad_w = grad_b = None
        if need_w:
            src = x4.transpose(0, 2, 3, 1)
            if not columns:
                src = pad_spatial(xp, src, (1, 2), padding, role=_PADDED)
            grad_w, grad_b = weight_grad(xp, src, gy_rows, (oh, ow), (kh, kw), stride,
                                         dilation, groups, need_b, columns or None)
            grad_w = grad_w.reshape(weight.shape)
        elif need_b:
            grad_b = gy_rows.sum(axis=0)
        if need_x:
            if stride == (1, 1):
                grad_x = _input_grad_by_correlation(xp, gy4, w4, (h, w), padding, dilation, groups)
            else:
                grad_x = _input_grad_by_col2im(xp, gy_rows, w4, x4.shape, (oh, ow), stride,
                                               padding, dilation, groups)
            grad_x = grad_x.transpose(0, 3, 1, 2).reshape(x.shape)  # NHWC seen as NCHW
        return grad_x, grad_w, grad_b


def _as_4d(x: Any, weight: Any, views: tuple | None) -> tuple:
    """The arrays as (N, C, H, W) and (O, Cg, kH, kW) views (1-D / unbatched inputs)."""
    return (x, weight) if views is None else (x.reshape(views[0]), weight.reshape(views[1]))


def output_hw(size, kernel, stride, padding, dilation) -> tuple[int, int]:
    """(OH, OW): ⌊(H + pad_top + pad_bottom - dH·(kH - 1) - 1) / sH⌋ + 1, likewise for W."""
    top, bottom, left, right = padding
    return (
        (size[0] + top + bottom - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1,
        (size[1] + left + right - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1,
    )


def weight_matrix(w4: Any, groups: int) -> Any:
    """(G, kH·kW·Cg, Og) with ``Wmat[g, (i, j, c), o] = w[g·Og + o, c, i, j]``."""
    out_channels, cg, kh, kw = w4.shape
    og = out_channels // groups
    return w4.reshape(groups, og, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(groups, -1, og)


def im2col(xp: Any, view: Any, ones: bool, buffer: Any) -> Any:
    """Copy a window view (kH, kW, n, OH, OW, Cg) into ``buffer`` as ``col`` (rows, K[+1]).

    With ``ones`` a last column of ones is appended (it turns the bias into a row of Wmat).
    For one channel per group the buffer is filled transposed (K, rows): its runs along OW
    are contiguous, where row-major col would copy kW elements at a time.
    """
    kh, kw, n, oh, ow, cg = view.shape
    rows, k = n * oh * ow, kh * kw * cg
    if cg == 1:
        col_t = buffer[: (k + ones) * rows].reshape(k + ones, rows)
        xp.copyto(col_t[:k].reshape(kh, kw, n, oh, ow), view[..., 0])
        if ones:
            col_t[k] = 1
        return col_t.T
    col = buffer[: rows * (k + ones)].reshape(rows, k + ones)
    target = xp.lib.stride_tricks.as_strided(
        col, (n, oh, ow, kh, kw, cg), _split_strides(col.strides, (n, oh, ow), (kh, kw, cg))
    )
    xp.copyto(target, view.transpose(2, 3, 4, 0, 1, 5))
    if ones:
        col[:, k] = 1
    return col


def _split_strides(strides: tuple, row_dims: tuple, col_dims: tuple) -> tuple:
    """Strides of a (rows, cols) matrix viewed with rows and columns split into dims."""
    def split(stride: int, dims: tuple) -> list:
        out, step = [], stride
        for size in reversed(dims):
            out.append(step)
            step *= size
        return out[::-1]

    return tuple(split(strides[0], row_dims) + split(strides[1], col_dims))


def _chunks(n: int, per_image: int, k: int, itemsize: int):
    """Batch slices whose col (per_image·k elements per image) stays near CHUNK_BYTES."""
    step = max(1, min(n, CHUNK_BYTES // max(1, per_image * k * itemsize)))
    return step, [(n0, min(n, n0 + step)) for n0 in range(0, n, step)]


def correlate(xp, src, wmat, bias_rows, out_hw, kernel, stride, dilation, keep=False):
    """Y (N·OH·OW, G·Og) = windows of ``src`` (N, Hp, Wp, G·Cg) @ ``wmat`` (G, kH·kW·Cg, Og).

    ``bias_rows`` (G, 1, Og) or None is added through a column of ones in col. Returns
    ``(Y, columns)``: with ``keep`` the whole-batch col of each group (N·OH·OW, K[+1]), for
    the weight gradient; else None (col then lives one chunk at a time in a scratch buffer).
    """
    n = src.shape[0]
    groups, kg, og = wmat.shape
    cg = src.shape[3] // groups
    per_image = out_hw[0] * out_hw[1]
    ones = bias_rows is not None
    if ones:
        wmat = xp.concatenate([wmat, bias_rows.astype(wmat.dtype, copy=False)], axis=1)
    y = xp.empty((n * per_image, groups * og), dtype=src.dtype)
    view = window_view(xp, src, (1, 2), out_hw, kernel, stride, dilation)
    step, chunks = _chunks(n, per_image, kg + ones, src.itemsize)
    if keep:  # one matrix per group; a transposed one (one channel per group) in one chunk
        shape = (kg + ones, n * per_image) if cg == 1 else (n * per_image, kg + ones)
        kept = [xp.empty(shape, dtype=src.dtype) for _ in range(groups)]
        chunks = [(0, n)] if cg == 1 else chunks
    else:
        buffer = scratch(xp, _COLUMNS, (step * per_image * (kg + ones),), src.dtype)
    columns = []
    for n0, n1 in chunks:
        rows = slice(n0 * per_image, n1 * per_image)
        for g in range(groups):
            if keep:
                buffer = (kept[g] if cg == 1 else kept[g][rows]).reshape(-1)
            col = im2col(xp, view[:, :, n0:n1, :, :, g * cg:(g + 1) * cg], ones, buffer)
            xp.matmul(col, wmat[g], out=y[rows, g * og:(g + 1) * og])
            if keep and n0 == 0:
                columns.append(col if cg == 1 else kept[g])
    return y, (columns if keep else None)


def weight_grad(xp, src, gy_rows, out_hw, kernel, stride, dilation, groups, need_bias,
                columns=None):
    """dL/dw (O, Cg, kH, kW) = colᵀ @ GY (summed over chunks), and dL/db (O,) or None.

    ``columns`` are the forward's whole-batch col matrices if it kept them; otherwise col is
    rebuilt from ``src`` (the padded NHWC input) chunk by chunk.
    """
    n, channels = src.shape[0], src.shape[3]
    cg, out_channels = channels // groups, gy_rows.shape[1]
    og, kg = out_channels // groups, kernel[0] * kernel[1] * cg
    per_image = out_hw[0] * out_hw[1]
    if columns is not None:
        ones = columns[0].shape[1] - kg
        chunks = [(0, n)]
    else:
        ones = int(bool(need_bias))
        view = window_view(xp, src, (1, 2), out_hw, kernel, stride, dilation)
        step, chunks = _chunks(n, per_image, kg + ones, src.itemsize)
        buffer = scratch(xp, _COLUMNS, (step * per_image * (kg + ones),), src.dtype)
    grad = xp.empty((groups, og, kg + ones), dtype=src.dtype)
    for index, (n0, n1) in enumerate(chunks):
        rows = slice(n0 * per_image, n1 * per_image)
        for g in range(groups):
            if columns is not None:
                col = columns[g]
            else:
                col = im2col(xp, view[:, :, n0:n1, :, :, g * cg:(g + 1) * cg], ones, buffer)
            grad_rows = gy_rows[rows, g * og:(g + 1) * og]
            if cg == 1:  # col is a transposed (K, rows) buffer: BLAS is faster this way round
                part = (col.T @ grad_rows).T  # (Og, K[+1])
            else:
                part = grad_rows.T @ col
            if index == 0:
                grad[g] = part
            else:
                grad[g] += part
    grad_b = grad[:, :, kg].reshape(out_channels).copy() if ones and need_bias else None
    grad_w = grad[:, :, :kg].reshape(groups, og, kernel[0], kernel[1], cg)
    grad_w = xp.ascontiguousarray(grad_w.transpose(0, 1, 4, 2, 3))
    return grad_w.reshape(out_channels, cg, kernel[0], kernel[1]), grad_b


def _input_grad_by_correlation(xp, gy4, w4, size, padding, dilation, groups) -> Any:
    """Stride 1: dL/dx (N, H, W, C) = correlation of gy, padded by d·(k-1) - pad, with the
    kernel flipped and its in/out channels swapped."""
    out_channels, cg, kh, kw = w4.shape
    top, bottom, left, right = padding
    reach_h, reach_w = dilation[0] * (kh - 1), dilation[1] * (kw - 1)
    pads = (reach_h - top, reach_h - bottom, reach_w - left, reach_w - right)
    src = pad_spatial(xp, gy4.transpose(0, 2, 3, 1), (1, 2), pads, role=_PADDED)  # NHWC
    og = out_channels // groups
    # flipped[g, (i, j, o), c] = w[g·Og + o, c, kH-1-i, kW-1-j]
    flipped = w4.reshape(groups, og, cg, kh, kw)[:, :, :, ::-1, ::-1]
    flipped = flipped.transpose(0, 3, 4, 1, 2).reshape(groups, kh * kw * og, cg)
    grad, _ = correlate(xp, src, flipped, None, size, (kh, kw), (1, 1), dilation)
    return grad.reshape(gy4.shape[0], size[0], size[1], cg * groups)


def _input_grad_by_col2im(xp, gy_rows, w4, x_shape, out_hw, stride, padding, dilation,
                          groups) -> Any:
    """Stride > 1: dcol = GY @ Wmatᵀ per chunk, each kernel offset's (n, OH, OW, Cg) slice
    added into the padded gradient through a strided view (a loop over kH·kW offsets only)."""
    n, channels, h, w = x_shape
    out_channels, cg, kh, kw = w4.shape
    og = out_channels // groups
    top, bottom, left, right = padding
    grad = xp.zeros((n, h + top + bottom, w + left + right, channels), dtype=gy_rows.dtype)
    view = window_view(xp, grad, (1, 2), out_hw, (kh, kw), stride, dilation)
    wmat = weight_matrix(w4, groups)  # (G, K, Og)
    per_image = out_hw[0] * out_hw[1]
    for n0, n1 in _chunks(n, per_image, kh * kw * cg, gy_rows.itemsize)[1]:
        rows = slice(n0 * per_image, n1 * per_image)
        for g in range(groups):
            dcol = gy_rows[rows, g * og:(g + 1) * og] @ wmat[g].T  # (rows, kH·kW·Cg)
            dcol = dcol.reshape(n1 - n0, out_hw[0], out_hw[1], kh, kw, cg)
            for i in range(kh):
                for j in range(kw):
                    view[i, j, n0:n1, :, :, g * cg:(g + 1) * cg] += dcol[:, :, :, i, j, :]
    return grad[:, top:top + h, left:left + w, :]
