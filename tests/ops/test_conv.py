"""conv2d / conv1d against PyTorch: outputs and the gradients of input, weight and bias."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import nnscratch as ns
import nnscratch.nn.functional as F
from harness import check_op, numeric_gradcheck
from nnscratch.ops import conv as conv_ops


def _random_config(rng):
    """A random valid conv2d configuration: shapes and keyword arguments."""
    groups = int(rng.integers(1, 4))
    kernel = tuple(int(k) for k in rng.integers(1, 4, size=2))
    stride = tuple(int(s) for s in rng.integers(1, 4, size=2))
    dilation = tuple(int(d) for d in rng.integers(1, 3, size=2))
    choice = rng.integers(0, 4)
    if choice == 0:
        padding = int(rng.integers(0, 3))
    elif choice == 1:
        padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
    elif choice == 2:
        padding, stride = "same", (1, 1)
    else:
        padding = "valid"
    pads = (padding, padding) if isinstance(padding, int) else padding
    pads = (0, 0) if isinstance(padding, str) else pads
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    height = int(rng.integers(max(1, reach[0] - 2 * pads[0]), 9))
    width = int(rng.integers(max(1, reach[1] - 2 * pads[1]), 9))
    x_shape = (int(rng.integers(1, 4)), groups * int(rng.integers(1, 3)), height, width)
    w_shape = (groups * int(rng.integers(1, 3)), x_shape[1] // groups, *kernel)
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x_shape, w_shape, bool(rng.integers(0, 2)), options


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("seed", range(40))
def test_conv2d_matches_torch_on_random_configurations(seed):
    rng = np.random.default_rng(seed)
    x_shape, w_shape, with_bias, options = _random_config(rng)
    inputs = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    if with_bias:
        inputs.append(rng.standard_normal(w_shape[0]))
    check_op(lambda *t: F.conv2d(*t, **options), lambda *t: TF.conv2d(*t, **options), inputs)


@pytest.mark.parametrize("options", [
    dict(), dict(padding=1), dict(stride=2, padding=2), dict(dilation=3, padding="same"),
    dict(groups=2, stride=3), dict(padding="valid", dilation=2),
])
def test_conv1d_matches_torch(rng, options):
    inputs = [rng.standard_normal((2, 4, 11)), rng.standard_normal((6, 4 // options.get("groups", 1), 3)),
              rng.standard_normal(6)]
    check_op(lambda *t: F.conv1d(*t, **options), lambda *t: TF.conv1d(*t, **options), inputs)


def test_unbatched_inputs_match_torch(rng):
    x, w, b = rng.standard_normal((3, 6, 5)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    check_op(lambda *t: F.conv2d(*t, padding=1), lambda *t: TF.conv2d(*t, padding=1), [x, w, b])
    check_op(lambda *t: F.conv2d(*t, stride=2), lambda *t: TF.conv2d(*t, stride=2), [x, w, b])
    x1, w1 = rng.standard_normal((3, 9)), rng.standard_normal((4, 3, 2))
    check_op(lambda *t: F.conv1d(*t, padding=1), lambda *t: TF.conv1d(*t, padding=1), [x1, w1, b])


@pytest.mark.parametrize("keep_columns", [True, False])
def test_batch_of_one_single_channel_and_depthwise(rng, monkeypatch, keep_columns):
    # one channel per group: the transposed-column path
    if not keep_columns:
        monkeypatch.setattr(conv_ops, "KEEP_COLUMNS_BYTES", 0)
    for x_shape, w_shape, groups in [((1, 1, 7, 5), (3, 1, 3, 3), 1), ((2, 4, 6, 6), (8, 1, 3, 2), 4)]:
        inputs = [rng.standard_normal(x_shape), rng.standard_normal(w_shape),
                  rng.standard_normal(w_shape[0])]
        for stride in (1, 2):
            options = dict(padding=1, groups=groups, stride=stride)
            check_op(lambda *t, o=options: F.conv2d(*t, **o),
                     lambda *t, o=options: TF.conv2d(*t, **o), inputs)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("keep_columns", [True, False])
def test_chunked_batches_give_the_same_result(rng, monkeypatch, stride, keep_columns):
    monkeypatch.setattr(conv_ops, "CHUNK_BYTES", 1)  # one image per chunk
    if not keep_columns:  # the weight gradient gathers the columns again
        monkeypatch.setattr(conv_ops, "KEEP_COLUMNS_BYTES", 0)
    inputs = [rng.standard_normal((5, 4, 6, 7)), rng.standard_normal((6, 2, 3, 3)),
              rng.standard_normal(6)]
    options = dict(padding=1, stride=stride, groups=2)
    check_op(lambda *t: F.conv2d(*t, **options), lambda *t: TF.conv2d(*t, **options), inputs)


def test_channels_last_intermediates_chain_like_torch(rng):
    # conv outputs are NHWC arrays seen as NCHW: feed them to conv, pooling and reshape
    def chain(conv, pool, relu, x, w1, b1, w2, b2):
        h = pool(relu(conv(x, w1, b1, padding=1)), 2)
        h = relu(conv(h, w2, b2, stride=2, padding=1))
        return pool(h, 2, 1).reshape(x.shape[0], -1)

    inputs = [rng.standard_normal((3, 2, 12, 10)), rng.standard_normal((5, 2, 3, 3)),
              rng.standard_normal(5), rng.standard_normal((4, 5, 3, 3)), rng.standard_normal(4)]
    check_op(lambda *t: chain(F.conv2d, F.max_pool2d, ns.relu, *t),
             lambda *t: chain(TF.conv2d, TF.max_pool2d, torch.relu, *t), inputs)


def test_float32_stays_float32_and_output_is_nchw(rng):
    x = ns.tensor(rng.standard_normal((2, 3, 5, 5)).astype(np.float32))
    w = ns.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = ns.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert y.dtype == ns.float32 and y.shape == (2, 4, 5, 5)
    y.sum().backward()
    assert w.grad.dtype == ns.float32 and b.grad.dtype == ns.float32


def test_data_input_gets_no_gradient_and_none_is_computed(rng, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("input gradient computed for an input that needs none")

    monkeypatch.setattr(conv_ops, "_input_grad_by_correlation", refuse)
    monkeypatch.setattr(conv_ops, "_input_grad_by_col2im", refuse)
    x = rng.standard_normal((2, 1, 6, 6))
    w = rng.standard_normal((3, 1, 3, 3))
    nx, nw = ns.tensor(x), ns.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x), torch.tensor(w, requires_grad=True)
    (F.conv2d(nx, nw, padding=1) ** 2).sum().backward()
    (TF.conv2d(tx, tw, padding=1) ** 2).sum().backward()
    assert nx.grad is None
    np.testing.assert_allclose(nw.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_only_bias_needs_grad(rng):
    x, w, b = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    nb, tb = ns.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    g = rng.standard_normal((2, 3, 3, 3))
    (F.conv2d(ns.tensor(x), ns.tensor(w), nb) * ns.tensor(g)).sum().backward()
    (TF.conv2d(torch.tensor(x), torch.tensor(w), tb) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(nb.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_numeric_gradcheck(rng):
    x, w, b = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((2, 1, 2, 3)), rng.standard_normal(2)
    numeric_gradcheck(lambda *t: F.conv2d(*t, stride=(2, 1), padding=1, groups=2), x, w, b)
    w_full = rng.standard_normal((2, 2, 2, 3))
    numeric_gradcheck(lambda *t: F.conv2d(*t, dilation=2, padding="same"), x, w_full, b)
    numeric_gradcheck(lambda *t: F.conv1d(*t, stride=2, groups=2), x[:, :, 0], w[:, :, 0], b)


@pytest.mark.parametrize("x_shape, w_shape, options, match", [
    ((2, 3, 5, 5), (4, 2, 3, 3), {}, r"groups=1.*\[4, 2, 3, 3\].*input\[2, 3, 5, 5\].*2 channels.*3"),
    ((2, 4, 5, 5), (3, 2, 3, 3), dict(groups=2), r"groups=2.*divisible by 2.*\[3, 2, 3, 3\]"),
    ((2, 3, 2, 2), (4, 3, 3, 3), {}, r"conv2d.*\(2 x 2\).*\(3 x 3\).*Kernel size can't be greater"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(padding=-1), "negative padding"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(stride=0), "non-positive stride"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(dilation=0), "dilation"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(groups=0), "non-positive groups"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(stride=2, padding="same"), "same.*strided"),
    ((5, 5), (4, 3, 3, 3), {}, r"3D \(unbatched\) or 4D \(batched\) input to conv2d.*\[5, 5\]"),
    ((2, 3, 5, 5), (4, 3, 3), {}, r"conv2d.*4-D weight.*\[4, 3, 3\]"),
])
def test_errors_name_conv2d_and_the_shapes(rng, x_shape, w_shape, options, match):
    x, w = ns.tensor(rng.standard_normal(x_shape)), ns.tensor(rng.standard_normal(w_shape))
    with pytest.raises(RuntimeError, match=match):
        F.conv2d(x, w, **options)


def test_other_errors(rng):
    x, w = ns.tensor(rng.standard_normal((2, 3, 5, 5))), ns.tensor(rng.standard_normal((4, 3, 3, 3)))
    with pytest.raises(RuntimeError, match=r"bias.*4 elements.*\[3\]"):
        F.conv2d(x, w, ns.tensor(np.zeros(3)))
    with pytest.raises(RuntimeError, match="conv2d.*same floating dtype.*float32.*float64"):
        F.conv2d(x.float(), w)
    with pytest.raises(ValueError, match="conv2d.*invalid padding string 'full'"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(TypeError, match="conv2d: input must be a Tensor"):
        F.conv2d(x.numpy(), w)
    with pytest.raises(RuntimeError, match="conv1d.*3 channels.*2"):
        F.conv1d(ns.tensor(np.zeros((1, 2, 5))), ns.tensor(np.zeros((4, 3, 3))))
