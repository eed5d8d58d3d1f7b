"""Embedding against PyTorch: lookups, gradients with repeated indices, padding_idx,
from_pretrained, max_norm, scale_grad_by_freq, initialisation and errors."""

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
import nnscratch.nn.functional as F
from harness import check_module


@pytest.mark.parametrize("indices", [
    np.array([[0, 2, 2], [4, 2, 0]]), np.array([3]), np.array(1), np.array([[[1], [1]]]),
], ids=["2d-repeats", "single", "scalar", "3d"])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(indices, padding_idx):
    check_module(nn.Embedding(5, 3, padding_idx=padding_idx),
                 torch.nn.Embedding(5, 3, padding_idx=padding_idx), [indices])


def test_padding_row_is_zero_and_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=1)
    np.testing.assert_array_equal(emb.weight.numpy()[1], 0)
    emb(ns.tensor([1, 1, 3])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[1], 0)
    np.testing.assert_array_equal(emb.weight.grad.numpy()[3], 1)
    assert emb.padding_idx == 1 and nn.Embedding(4, 2, padding_idx=-1).padding_idx == 3


def test_repeated_indices_accumulate_their_gradients():
    emb = nn.Embedding(3, 2)
    out = emb(ns.tensor([2, 2, 2, 0]))
    out.backward(ns.ones(4, 2))
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[1, 1], [0, 0], [3, 3]])


def test_default_init_is_standard_normal():
    w = nn.Embedding(1000, 100).weight.numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01


def test_from_pretrained_freezes_and_shares_by_default():
    table = ns.tensor([[1.0, 2.0], [3.0, 4.0]])
    emb = nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    np.testing.assert_array_equal(emb(ns.tensor([1])).numpy(), [[3.0, 4.0]])
    assert emb.num_embeddings == 2 and emb.embedding_dim == 2
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad and trainable.padding_idx == 0
    with pytest.raises(ValueError, match=r"2-D.*\(3,\)"):
        nn.Embedding.from_pretrained(ns.ones(3))


def test_max_norm_renormalises_looked_up_rows_like_torch(rng):
    w = rng.standard_normal((5, 3)) * 3
    idx = np.array([0, 2, 2])
    ours = nn.Embedding(5, 3, max_norm=1.5).double()
    theirs = torch.nn.Embedding(5, 3, max_norm=1.5).double()
    ours.load_state_dict({"weight": w})
    theirs.load_state_dict({"weight": torch.tensor(w)})
    np.testing.assert_allclose(ours(ns.tensor(idx)).numpy(),
                               theirs(torch.tensor(idx)).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


def test_scale_grad_by_freq_matches_torch():
    check_module(nn.Embedding(4, 2, scale_grad_by_freq=True),
                 torch.nn.Embedding(4, 2, scale_grad_by_freq=True), [np.array([[1, 1, 3], [1, 0, 3]])])


def test_out_of_range_and_float_indices_are_rejected_naming_the_shapes():
    emb = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match=r"index 4 out of range.*\(4, 2\)"):
        emb(ns.tensor([0, 4]))
    with pytest.raises(IndexError, match="index -1"):
        emb(ns.tensor([-1]))
    with pytest.raises(TypeError, match="integer indices"):
        emb(ns.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(4, 2, padding_idx=4)


def test_functional_embedding_and_repr():
    w = ns.randn(4, 3)
    np.testing.assert_array_equal(F.embedding(ns.tensor([3, 0]), w).numpy(), w.numpy()[[3, 0]])
    for kwargs in ({}, {"padding_idx": 0}, {"max_norm": 1.0}, {"scale_grad_by_freq": True}):
        assert repr(nn.Embedding(10, 3, **kwargs)) == repr(torch.nn.Embedding(10, 3, **kwargs))


def test_embedding_gradient_stays_float32():
    emb = nn.Embedding(5, 2)
    emb(ns.tensor([[1, 2]])).sum().backward()
    assert emb.weight.grad.dtype == ns.float32
