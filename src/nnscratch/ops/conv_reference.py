"""A 2-D convolution to read: im2col by a loop over kernel offsets, one matrix product, col2im.

It computes what the fast kernel (``ops/conv.py``, ``Convolution``) computes, on NumPy arrays,
without its strided window views, transposed column buffers, chunks or scratch buffers; the
tests check the fast kernel against it (``tests/ops/test_conv_reference.py``). The shapes:
x ``(N, C, H, W)``, weight ``(O, C/G, kH, kW)``, bias ``(O,)`` or None, y ``(N, O, OH, OW)``;
``stride`` and ``dilation`` are ``(h, w)`` pairs, ``padding`` is (top, bottom, left, right)
of zeros, ``groups`` = G splits the channels into G independent convolutions. The equation
(a cross-correlation, as in PyTorch), for output channel o in group g = o // (O/G):

    y[n, o, oh, ow] = b[o] + Σ_c Σ_i Σ_j  x_pad[n, g·C/G + c, oh·sH + i·dH, ow·sW + j·dW] · w[o, c, i, j]
"""

from __future__ import annotations

import numpy


def output_size(size: tuple, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple) -> tuple:
    """(OH, OW): the window positions, OH = ⌊(H + top + bottom - dH·(kH - 1) - 1) / sH⌋ + 1."""
    top, bottom, left, right = padding
    return ((size[0] + top + bottom - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1,
            (size[1] + left + right - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1)


def im2col(x_pad: numpy.ndarray, kernel: tuple, stride: tuple, dilation: tuple, out: tuple) -> numpy.ndarray:
    """col ``(N·OH·OW, C·kH·kW)``: row (n, oh, ow) is the window under output pixel (oh, ow),
    column (c, i, j) its pixel x_pad[n, c, oh·sH + i·dH, ow·sW + j·dW]."""
    n, channels = x_pad.shape[:2]
    col = numpy.empty((n, out[0], out[1], channels, kernel[0], kernel[1]), dtype=x_pad.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):  # offset (i, j) sees a strided grid of the padded input
            rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (out[0] - 1) + 1, stride[0])
            cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (out[1] - 1) + 1, stride[1])
            col[..., i, j] = x_pad[:, :, rows, cols].transpose(0, 2, 3, 1)
    return col.reshape(n * out[0] * out[1], -1)


def col2im(dcol: numpy.ndarray, padded_shape: tuple, kernel: tuple, stride: tuple, dilation: tuple,
           out: tuple) -> numpy.ndarray:
    """The adjoint of :func:`im2col`: every entry of dcol added back onto the pixel it was
    copied from (a pixel in several windows collects several terms)."""
    n, channels = padded_shape[:2]
    dcol = dcol.reshape(n, out[0], out[1], channels, kernel[0], kernel[1])
    grad = numpy.zeros(padded_shape, dtype=dcol.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (out[0] - 1) + 1, stride[0])
            cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (out[1] - 1) + 1, stride[1])
            grad[:, :, rows, cols] += dcol[..., i, j].transpose(0, 3, 1, 2)
    return grad


def _pad(x: numpy.ndarray, padding: tuple) -> numpy.ndarray:
    top, bottom, left, right = padding
    if min(padding) < 0:
        raise ValueError(f"conv2d_reference: padding must be >= 0, got {padding}")
    return numpy.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


def conv2d_forward(x: numpy.ndarray, weight: numpy.ndarray, bias: numpy.ndarray | None = None,
                   stride: tuple = (1, 1), padding: tuple = (0, 0, 0, 0), dilation: tuple = (1, 1),
                   groups: int = 1) -> numpy.ndarray:
    """y ``(N, O, OH, OW)``: per group, Y_g (N·OH·OW, O/G) = col_g @ W_gᵀ with
    W_g (O/G, C/G·kH·kW) the group's filters, one per row; then + b."""
    n, out_channels, kernel = x.shape[0], weight.shape[0], weight.shape[2:]
    out = output_size(x.shape[2:], kernel, stride, padding, dilation)
    col = im2col(_pad(x, padding), kernel, stride, dilation, out)
    col_groups = numpy.split(col, groups, axis=1)  # columns (c, i, j): a group's c are adjacent
    w_groups = numpy.split(weight.reshape(out_channels, -1), groups, axis=0)
    y = numpy.concatenate([c @ w.T for c, w in zip(col_groups, w_groups)], axis=1)
    if bias is not None:
        y = y + bias
    return y.reshape(n, out[0], out[1], out_channels).transpose(0, 3, 1, 2)


def conv2d_backward(grad_y: numpy.ndarray, x: numpy.ndarray, weight: numpy.ndarray,
                    stride: tuple = (1, 1), padding: tuple = (0, 0, 0, 0), dilation: tuple = (1, 1),
                    groups: int = 1) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """(dL/dx, dL/dw, dL/db) from dL/dy ``(N, O, OH, OW)``. With GY (N·OH·OW, O) the output
    gradient as rows, per group: dW_g = GY_gᵀ @ col_g (each filter tap correlates the input with
    the output gradient), dcol_g = GY_g @ W_g and dL/dx = col2im(dcol) without the padding
    (each input pixel collects the gradient of every window it was in); dL/db = Σ_rows GY."""
    out_channels, kernel = weight.shape[0], weight.shape[2:]
    out = grad_y.shape[2:]
    x_pad = _pad(x, padding)
    col_groups = numpy.split(im2col(x_pad, kernel, stride, dilation, out), groups, axis=1)
    w_groups = numpy.split(weight.reshape(out_channels, -1), groups, axis=0)
    gy_groups = numpy.split(grad_y.transpose(0, 2, 3, 1).reshape(-1, out_channels), groups, axis=1)
    grad_w = numpy.concatenate([gy.T @ c for gy, c in zip(gy_groups, col_groups)], axis=0)
    dcol = numpy.concatenate([gy @ w for gy, w in zip(gy_groups, w_groups)], axis=1)
    grad_x_pad = col2im(dcol, x_pad.shape, kernel, stride, dilation, out)
    top, left, h, w = padding[0], padding[2], x.shape[2], x.shape[3]
    grad_x = grad_x_pad[:, :, top:top + h, left:left + w]
    return grad_x, grad_w.reshape(weight.shape), grad_y.sum(axis=(0, 2, 3))
