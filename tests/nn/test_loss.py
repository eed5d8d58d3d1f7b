"""Loss layers and their functional forms against PyTorch: every reduction, class weights,
ignore_index, label smoothing, K-dim and unbatched targets, probability targets, errors."""

import warnings

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
import nnscratch.nn.functional as F
from harness import check_module, check_op

TF = torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]


def _weight_pair(w):
    """Build the class weight inside each framework with the input's dtype (weights carry no
    gradient in PyTorch's cross-entropy)."""
    if w is None:
        return (lambda x: None), (lambda x: None)
    return (lambda x: ns.tensor(w, dtype=x.dtype)), (lambda x: torch.tensor(w, dtype=x.dtype))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted, ignore, smoothing", [
    (False, False, 0.0), (True, True, 0.0), (False, True, 0.25), (True, False, 0.25),
    (True, True, 0.25)])
@pytest.mark.parametrize("shape", [(5, 4), (1, 3), (2, 3, 4), (2, 4, 3, 2), (4,)],
                         ids=["NC", "batch1", "NCd", "NCdd", "unbatched"])
def test_cross_entropy_matches_torch(rng, reduction, weighted, ignore, smoothing, shape):
    classes = shape[1] if len(shape) > 1 else shape[0]
    target_shape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    x = rng.standard_normal(shape) * 2
    t = np.asarray(rng.integers(0, classes, target_shape))
    if ignore and t.size > 1:
        t.reshape(-1)[1] = 2  # ignore_index=2 is also a valid class: those entries are skipped
    w = rng.random(classes) + 0.5 if weighted else None
    ns_w, torch_w = _weight_pair(w)
    ignore_index = 2 if ignore else -100
    check_op(
        lambda a, b: F.cross_entropy(a, b, weight=ns_w(a), ignore_index=ignore_index,
                                     reduction=reduction, label_smoothing=smoothing),
        lambda a, b: TF.cross_entropy(a, b, weight=torch_w(a), ignore_index=ignore_index,
                                      reduction=reduction, label_smoothing=smoothing),
        [x, t],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2), (5,)])
def test_cross_entropy_probability_targets_match_torch(rng, reduction, smoothing, weighted,
                                                      shape):
    x = rng.standard_normal(shape)
    q = rng.random(shape)
    q /= q.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)
    classes = shape[1] if len(shape) > 1 else shape[0]
    ns_w, torch_w = _weight_pair(rng.random(classes) + 0.5 if weighted else None)
    check_op(
        lambda a, b: F.cross_entropy(a, b, weight=ns_w(a), reduction=reduction,
                                     label_smoothing=smoothing),
        lambda a, b: TF.cross_entropy(a, b, weight=torch_w(a), reduction=reduction,
                                      label_smoothing=smoothing),
        [x, q],
    )


def test_cross_entropy_every_target_ignored_gives_nan_like_torch():
    x = np.zeros((2, 3))
    t = np.array([-100, -100])
    ours = F.cross_entropy(ns.tensor(x), ns.tensor(t))
    theirs = TF.cross_entropy(torch.tensor(x), torch.tensor(t))
    assert np.isnan(ours.item()) and np.isnan(theirs.item())
    assert F.cross_entropy(ns.tensor(x), ns.tensor(t), reduction="sum").item() == 0.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2), (3,)])
def test_nll_loss_matches_torch(rng, reduction, weighted, shape):
    classes = shape[1] if len(shape) > 1 else shape[0]
    target_shape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    x = rng.standard_normal(shape)
    t = np.asarray(rng.integers(0, classes, target_shape))
    if t.size > 1:
        t.reshape(-1)[0] = -100
    ns_w, torch_w = _weight_pair(rng.random(classes) + 0.5 if weighted else None)
    check_op(lambda a, b: F.nll_loss(a, b, weight=ns_w(a), reduction=reduction),
             lambda a, b: TF.nll_loss(a, b, weight=torch_w(a), reduction=reduction), [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_losses_match_torch(rng, reduction, name):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    check_op(lambda a, b: getattr(F, name)(a, b, reduction=reduction),
             lambda a, b: getattr(TF, name)(a, b, reduction=reduction), [x, y])
    w = rng.random((3, 4))
    check_op(lambda a, b, c: getattr(F, name)(a, b, reduction=reduction, weight=c),
             lambda a, b, c: getattr(TF, name)(a, b, reduction=reduction, weight=c), [x, y, w])


def test_mse_broadcast_target_warns_and_matches_torch(rng):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    with pytest.warns(UserWarning, match="target size"):
        check_op(F.mse_loss, lambda a, b: TF.mse_loss(a, b), [x, y], dtypes=("float64",))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", [None, (4,), (3, 4)])
def test_binary_cross_entropy_matches_torch(rng, reduction, weight_shape):
    x = rng.uniform(0.02, 0.98, (3, 4))
    y = rng.uniform(0, 1, (3, 4))
    if weight_shape is None:
        check_op(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction),
                 lambda a, b: TF.binary_cross_entropy(a, b, reduction=reduction), [x, y])
    else:
        w = rng.uniform(0.5, 2, weight_shape)  # PyTorch's BCE takes no gradient for weight
        check_op(lambda a, b: F.binary_cross_entropy(a, b, ns.tensor(w, dtype=a.dtype),
                                                     reduction=reduction),
                 lambda a, b: TF.binary_cross_entropy(a, b, torch.tensor(w, dtype=a.dtype),
                                                      reduction=reduction), [x, y])


def test_binary_cross_entropy_clamps_log_at_saturated_inputs():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    check_op(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
             lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"), [x, y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("with_pos_weight", [False, True])
def test_bce_with_logits_matches_torch(rng, reduction, with_weight, with_pos_weight):
    x = rng.standard_normal((3, 4)) * 4
    y = rng.uniform(0, 1, (3, 4))
    # PyTorch takes no gradient for weight or pos_weight: constants here, gradchecked in ops
    w = rng.uniform(0.5, 2, (3, 4)) if with_weight else None
    pw = rng.uniform(0.5, 3, (4,)) if with_pos_weight else None

    def call(fw, a, b):
        weight = None if w is None else fw.tensor(w, dtype=a.dtype)
        pos_weight = None if pw is None else fw.tensor(pw, dtype=a.dtype)
        return fw.nn.functional.binary_cross_entropy_with_logits(
            a, b, weight=weight, reduction=reduction, pos_weight=pos_weight)

    check_op(lambda *a: call(ns, *a), lambda *a: call(torch, *a), [x, y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_modules_match_torch(rng, reduction):
    x = rng.standard_normal((4, 3))
    t = rng.integers(0, 3, 4)
    w = rng.random(3) + 0.5
    check_module(nn.CrossEntropyLoss(weight=ns.tensor(w), ignore_index=1, reduction=reduction,
                                     label_smoothing=0.1),
                 torch.nn.CrossEntropyLoss(weight=torch.tensor(w), ignore_index=1,
                                           reduction=reduction, label_smoothing=0.1), [x, t])
    check_module(nn.NLLLoss(reduction=reduction), torch.nn.NLLLoss(reduction=reduction), [x, t])
    y = rng.standard_normal((4, 3))
    check_module(nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction), [x, y])
    check_module(nn.L1Loss(reduction=reduction), torch.nn.L1Loss(reduction=reduction), [x, y])
    p = rng.uniform(0.05, 0.95, (4, 3))
    q = rng.uniform(0, 1, (4, 3))
    check_module(nn.BCELoss(weight=ns.tensor(w), reduction=reduction),
                 torch.nn.BCELoss(weight=torch.tensor(w), reduction=reduction), [p, q])
    pw = rng.uniform(0.5, 3, 3)
    check_module(nn.BCEWithLogitsLoss(pos_weight=ns.tensor(pw), reduction=reduction),
                 torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw), reduction=reduction),
                 [x, q])


def test_loss_module_weights_are_buffers_like_torch():
    ours = nn.CrossEntropyLoss(weight=ns.tensor([1.0, 2.0]))
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0]))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert list(nn.MSELoss().state_dict()) == []
    assert repr(ours) == repr(theirs) == "CrossEntropyLoss()"
    assert list(nn.BCEWithLogitsLoss(pos_weight=ns.tensor([2.0])).state_dict()) == ["pos_weight"]


def test_legacy_size_average_and_reduce_flags(rng):
    x, y = rng.standard_normal((3,)), rng.standard_normal((3,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for size_average, reduce in [(False, None), (None, False), (True, True)]:
            ours = F.mse_loss(ns.tensor(x), ns.tensor(y), size_average, reduce)
            theirs = TF.mse_loss(torch.tensor(x), torch.tensor(y), size_average, reduce)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_cross_entropy_errors_name_the_op_and_shapes():
    x = ns.randn(4, 3)
    with pytest.raises(ValueError, match=r"cross_entropy.*\(4\).*\(5\)"):
        F.cross_entropy(x, ns.tensor([0, 1, 2, 0, 1]))
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(x, ns.tensor([0, 1, 3, 0]))
    with pytest.raises(RuntimeError, match="out of bounds"):  # also a RuntimeError
        F.cross_entropy(x, ns.tensor([0, -5, 1, 0]))
    with pytest.raises(RuntimeError, match=r"3 classes.*\(2,\)"):
        F.cross_entropy(x, ns.tensor([0, 1, 2, 0]), weight=ns.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, ns.tensor([0, 1, 2, 0]), reduction="average")
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        F.cross_entropy(x, ns.rand(4, 2))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(x, ns.tensor([0, 1, 2, 0]), label_smoothing=1.5)


def test_binary_losses_check_ranges_and_shapes():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(ns.tensor([0.5, 1.5]), ns.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        F.binary_cross_entropy(ns.rand(3, 1), ns.rand(3))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        F.binary_cross_entropy_with_logits(ns.randn(3), ns.rand(2))
    with pytest.raises(RuntimeError, match=r"mse_loss.*\(3,\).*\(2,\)"), \
            pytest.warns(UserWarning):
        F.mse_loss(ns.randn(3), ns.randn(2))
