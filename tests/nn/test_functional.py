"""nn.functional's eager functions against torch.nn.functional: values and gradients,
PyTorch's signatures and argument errors."""

import inspect

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn.functional as F
from harness import check_op

TF = torch.nn.functional

NAMES = ["linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "elu",
         "gelu", "softplus", "dropout", "embedding", "one_hot", "pad", "batch_norm",
         "layer_norm", "cross_entropy", "nll_loss", "mse_loss", "l1_loss",
         "binary_cross_entropy", "binary_cross_entropy_with_logits"]


@pytest.mark.parametrize("name", NAMES)
def test_signatures_follow_torch(name):
    try:
        expected = list(inspect.signature(getattr(TF, name)).parameters)
    except ValueError:  # a C builtin: compare with its documented parameters
        expected = None
    ours = list(inspect.signature(getattr(F, name)).parameters)
    if expected is not None:
        assert ours == expected
    assert ours[0] in ("input", "tensor")


@pytest.mark.parametrize("shape", [(3, 4), (1, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(rng, shape, bias):
    inputs = [rng.standard_normal(shape), rng.standard_normal((5, 4))]
    if bias:
        inputs.append(rng.standard_normal(5))
    check_op(F.linear, TF.linear, inputs)


@pytest.mark.parametrize("name, kwargs", [
    ("relu", {}), ("leaky_relu", {"negative_slope": 0.3}), ("sigmoid", {}), ("tanh", {}),
    ("softmax", {"dim": 0}), ("log_softmax", {"dim": -1}), ("elu", {"alpha": 2.0}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("softplus", {"beta": 0.5, "threshold": 2}),
])
def test_activations(rng, name, kwargs):
    x = rng.standard_normal((3, 5)) * 3
    check_op(lambda t: getattr(F, name)(t, **kwargs), lambda t: getattr(TF, name)(t, **kwargs), [x])


def test_softmax_dtype_argument(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    out = F.softmax(ns.tensor(x), dim=1, dtype=ns.float64)
    assert out.dtype == ns.float64
    np.testing.assert_allclose(out.numpy(), TF.softmax(torch.tensor(x), 1, dtype=torch.float64).numpy(),
                               rtol=1e-12)


@pytest.mark.parametrize("pad, mode", [
    ((1, 2), "constant"), ((1, 1, 2, 0), "constant"), ((-1, 2, 1, -1), "constant"),
    ((2, 1), "reflect"), ((1, 2, 2, 1), "reflect"), ((2, 3), "replicate"),
    ((1, 1, 3, 0), "replicate"), ((2, 1, 1, 3), "circular"),
])
def test_pad(rng, pad, mode):
    # PyTorch's non-constant modes take (N, C, W) for 1-d padding, (N, C, H, W) for 2-d
    x = rng.standard_normal((2, 3, 4, 5) if len(pad) == 4 or mode == "constant" else (2, 3, 5))
    check_op(lambda t: F.pad(t, pad, mode=mode), lambda t: TF.pad(t, pad, mode=mode), [x])


def test_pad_constant_value_and_errors(rng):
    x = rng.standard_normal((2, 3))
    check_op(lambda t: F.pad(t, (1, 1), value=2.5), lambda t: TF.pad(t, (1, 1), value=2.5), [x])
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(ns.tensor(x), (1, 2, 3))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        F.pad(ns.tensor(x), (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match=r"reflect.*\(2, 3\)"):
        F.pad(ns.tensor(x), (3, 0), mode="reflect")


@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot(num_classes):
    t = np.array([[0, 3], [2, 4]])
    ours = F.one_hot(ns.tensor(t), num_classes)
    theirs = TF.one_hot(torch.tensor(t), num_classes)
    assert ours.dtype == ns.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(ns.tensor([0, 5]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(ns.tensor([-1, 2]))
    with pytest.raises(RuntimeError, match="integer"):
        F.one_hot(ns.tensor([1.0]))


def test_embedding_with_padding(rng):
    w = rng.standard_normal((6, 3))
    idx = np.array([[1, 2, 1], [0, 5, 2]])
    check_op(lambda i, a: F.embedding(i, a, padding_idx=2),
             lambda i, a: TF.embedding(i, a, padding_idx=2), [idx, w])


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_updates_running_stats_like_torch(rng, training):
    x = rng.standard_normal((4, 3, 2))
    w, b = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    stats = {"ns": (ns.zeros(3, dtype=ns.float64), ns.ones(3, dtype=ns.float64)),
             "torch": (torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64))}
    check_op(lambda a, c, d: F.batch_norm(a, *stats["ns"], c, d, training, 0.3),
             lambda a, c, d: TF.batch_norm(a, *stats["torch"], c, d, training, 0.3),
             [x, w, b], dtypes=("float64",))
    for ours, theirs in zip(stats["ns"], stats["torch"]):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_layer_norm(rng):
    x = rng.standard_normal((2, 3, 4))
    w, b = rng.uniform(0.5, 1.5, (3, 4)), rng.standard_normal((3, 4))
    check_op(lambda a, c, d: F.layer_norm(a, (3, 4), c, d, 1e-3),
             lambda a, c, d: TF.layer_norm(a, (3, 4), c, d, 1e-3), [x, w, b])


def test_dropout_defaults():
    x = ns.ones(1000)
    y = F.dropout(x)
    assert abs((y.numpy() == 0).mean() - 0.5) < 0.06  # p=0.5, training=True by default
    assert F.dropout(x, 0.5, False) is x


def test_batch_norm_and_layer_norm_errors_name_shapes():
    with pytest.raises(RuntimeError, match=r"running_mean.*3 elements.*\(2,\)"):
        F.batch_norm(ns.randn(4, 3), ns.zeros(2), ns.ones(3), training=True)
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        F.batch_norm(ns.randn(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*\[2, 3\]"):
        F.layer_norm(ns.randn(2, 3), (4,))


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_function"):
        F.no_such_function  # noqa: B018
