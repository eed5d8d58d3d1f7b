"""ops/conv_reference.py against PyTorch, and the fast kernel (ops/conv.py) against it: forward
and every gradient, over shapes, stride, padding, dilation and groups, on every path of the
fast kernel (kept or rebuilt columns, one or many chunks, one channel per group)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nnscratch as ns
from nnscratch.ops import conv
from nnscratch.ops.conv_reference import conv2d_backward, conv2d_forward, output_size


@st.composite
def convolutions(draw):
    """(x, weight, bias or None, options): a convolution whose output has at least one pixel."""
    groups = draw(st.integers(1, 3))
    cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 3))  # channels per group in and out
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(4))  # top, bottom, left, right
    # the smallest input the (dilated) kernel fits in, plus a few pixels
    h = max(1, dilation[0] * (kernel[0] - 1) + 1 - padding[0] - padding[1]) + draw(st.integers(0, 4))
    w = max(1, dilation[1] * (kernel[1] - 1) + 1 - padding[2] - padding[3]) + draw(st.integers(0, 4))
    n = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, groups * cg, h, w))
    weight = rng.standard_normal((groups * og, cg, *kernel))
    bias = rng.standard_normal(groups * og) if draw(st.booleans()) else None
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x, weight, bias, options


def _torch(x, weight, bias, grad_y, stride, padding, dilation, groups):
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, weight))
    tb = None if bias is None else torch.tensor(bias, requires_grad=True)
    top, bottom, left, right = padding
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny problems: a thread pool costs ~10 ms a call on a busy machine
    try:
        padded = torch.nn.functional.pad(tx, (left, right, top, bottom))
        y = torch.nn.functional.conv2d(padded, tw, tb, stride=stride, dilation=dilation, groups=groups)
        y.backward(torch.tensor(grad_y))
    finally:
        torch.set_num_threads(threads)
    return y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), None if tb is None else tb.grad.numpy()


def _grad_y(x, weight, options, seed=7):
    out = output_size(x.shape[2:], weight.shape[2:], options["stride"], options["padding"],
                      options["dilation"])
    return np.random.default_rng(seed).standard_normal((x.shape[0], weight.shape[0], *out))


@settings(max_examples=50, deadline=None)
@given(case=convolutions())
def test_reference_equals_pytorch(case):
    x, weight, bias, options = case
    grad_y = _grad_y(x, weight, options)
    y, gx, gw, gb = _torch(x, weight, bias, grad_y, **options)
    np.testing.assert_allclose(conv2d_forward(x, weight, bias, **options), y, rtol=1e-12, atol=1e-12)
    ref_gx, ref_gw, ref_gb = conv2d_backward(grad_y, x, weight, **options)
    np.testing.assert_allclose(ref_gx, gx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref_gw, gw, rtol=1e-12, atol=1e-12)
    if bias is not None:
        np.testing.assert_allclose(ref_gb, gb, rtol=1e-12, atol=1e-12)


@settings(max_examples=120, deadline=None)
@given(case=convolutions(), needs=st.sampled_from([(True, True), (True, False), (False, True)]),
       chunk_bytes=st.sampled_from([conv.CHUNK_BYTES, 1]),
       keep_bytes=st.sampled_from([conv.KEEP_COLUMNS_BYTES, 0]))
def test_fast_kernel_equals_reference(case, needs, chunk_bytes, keep_bytes):
    """``chunk_bytes=1`` makes one chunk per image; ``keep_bytes=0`` makes backward rebuild the
    columns instead of using the ones forward kept."""
    x, weight, bias, options = case
    grad_y = _grad_y(x, weight, options)
    tx = ns.tensor(x, requires_grad=needs[0])
    tw = ns.tensor(weight, requires_grad=needs[1])
    tb = None if bias is None else ns.tensor(bias, requires_grad=True)
    pairs = {k: tuple(v) if isinstance(v, tuple) else v for k, v in options.items()}
    with mock.patch.object(conv, "CHUNK_BYTES", chunk_bytes), \
            mock.patch.object(conv, "KEEP_COLUMNS_BYTES", keep_bytes):
        y = conv.Convolution.apply(tx, tw, tb, **pairs)
        y.backward(ns.tensor(grad_y))
    np.testing.assert_allclose(y.numpy(), conv2d_forward(x, weight, bias, **options),
                               rtol=1e-10, atol=1e-10)
    ref_gx, ref_gw, ref_gb = conv2d_backward(grad_y, x, weight, **options)
    if needs[0]:
        np.testing.assert_allclose(tx.grad.numpy(), ref_gx, rtol=1e-10, atol=1e-10)
    if needs[1]:
        np.testing.assert_allclose(tw.grad.numpy(), ref_gw, rtol=1e-10, atol=1e-10)
    if bias is not None:
        np.testing.assert_allclose(tb.grad.numpy(), ref_gb, rtol=1e-10, atol=1e-10)


def test_fast_kernel_equals_reference_in_float32():
    """The kernel's working dtype: a 3×3 'same' convolution with stride 2 and two groups."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 6, 11, 9)).astype(np.float32)
    weight = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    bias = rng.standard_normal(8).astype(np.float32)
    options = dict(stride=(2, 2), padding=(1, 1, 1, 1), dilation=(1, 1), groups=2)
    grad_y = _grad_y(x, weight, options).astype(np.float32)
    tx, tw, tb = (ns.tensor(a, requires_grad=True) for a in (x, weight, bias))
    y = conv.Convolution.apply(tx, tw, tb, **options)
    y.backward(ns.tensor(grad_y))
    expected = [conv2d_forward(x, weight, bias, **options), *conv2d_backward(grad_y, x, weight, **options)]
    for ours, theirs in zip([y, tx.grad, tw.grad, tb.grad], expected):
        assert ours.numpy().dtype == np.float32
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-4, atol=1e-4)


def test_reference_refuses_negative_padding():
    with pytest.raises(ValueError, match=r"conv2d_reference: padding.*\(0, -1, 0, 0\)"):
        conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 2, 2)), padding=(0, -1, 0, 0))
