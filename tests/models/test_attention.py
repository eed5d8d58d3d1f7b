"""Attention: weights are a distribution over the valid positions, the values equal the formulas
computed by PyTorch, and every gradient matches finite differences."""

import numpy as np
import pytest
import torch

import nnscratch as ns
from nnscratch.models.attention import (
    AdditiveAttention,
    DotAttention,
    GeneralAttention,
    make_attention,
)

KINDS = ("dot", "general", "additive")


def _mask(lengths, positions):
    return np.arange(positions)[None, :] < np.asarray(lengths)[:, None]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("steps", [None, 3])
def test_weights_sum_to_one_and_are_zero_at_padding(kind, steps, rng):
    attention = make_attention(kind, 6, 6)
    lengths = [5, 2, 1, 4]
    memory = ns.tensor(rng.standard_normal((4, 5, 6)).astype(np.float32))
    shape = (4, 6) if steps is None else (4, steps, 6)
    query = ns.tensor(rng.standard_normal(shape).astype(np.float32) * 3)
    mask = _mask(lengths, 5)
    context, weights = attention(query, memory, ns.tensor(mask))
    w = weights.numpy()
    assert w.shape == (4, 5) if steps is None else (4, steps, 5)
    assert context.shape == ((4, 6) if steps is None else (4, steps, 6))
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-6)
    padded = ~mask if steps is None else np.broadcast_to(~mask[:, None, :], w.shape)
    assert np.all(w[padded] == 0.0)  # exactly zero, not merely small
    assert np.all(w[~padded] > 0.0)
    # the context is the weighted mean of the memory rows
    expected = np.einsum("b...s,bsk->b...k", w, memory.numpy())
    np.testing.assert_allclose(context.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_padding_values_do_not_matter(rng):
    """Whatever sits in the padded memory rows changes neither weights nor context."""
    attention = make_attention("additive", 4, 4)
    memory = rng.standard_normal((2, 6, 4)).astype(np.float32)
    mask = _mask([3, 6], 6)
    query = ns.tensor(rng.standard_normal((2, 4)).astype(np.float32))
    first = attention(query, ns.tensor(memory), ns.tensor(mask))
    memory[0, 3:] = 1e3 * rng.standard_normal((3, 4))
    second = attention(query, ns.tensor(memory), ns.tensor(mask))
    for a, b in zip(first, second):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def _torch_reference(kind, attention, query, memory, mask):
    q, m = torch.tensor(query), torch.tensor(memory)
    if kind == "dot":
        scores = q @ m.transpose(1, 2)
    elif kind == "general":
        w = torch.tensor(attention.key_projection.weight.numpy())
        scores = q @ (m @ w.T).transpose(1, 2)
    else:
        wq = torch.tensor(attention.query_projection.weight.numpy())
        wk = torch.tensor(attention.key_projection.weight.numpy())
        bk = torch.tensor(attention.key_projection.bias.numpy())
        v = torch.tensor(attention.energy.weight.numpy())
        hidden = torch.tanh((q @ wq.T)[:, :, None, :] + (m @ wk.T + bk)[:, None, :, :])
        scores = (hidden @ v.T).squeeze(-1)
    scores = scores.masked_fill(~torch.tensor(mask)[:, None, :], float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return (weights @ m).numpy(), weights.numpy()


@pytest.mark.parametrize("kind", KINDS)
def test_matches_the_formulas_computed_by_pytorch(kind, rng):
    attention = make_attention(kind, 5, 5, hidden_size=7).to(ns.float64)
    for p in attention.parameters():  # non-zero biases: a bias bug hides behind zeros
        p.data.array[...] = rng.standard_normal(p.shape)
    query = rng.standard_normal((3, 4, 5))
    memory = rng.standard_normal((3, 6, 5))
    mask = _mask([6, 3, 1], 6)
    context, weights = attention(ns.tensor(query), ns.tensor(memory), ns.tensor(mask))
    expected_context, expected_weights = _torch_reference(kind, attention, query, memory, mask)
    np.testing.assert_allclose(weights.numpy(), expected_weights, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(context.numpy(), expected_context, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_gradients_match_finite_differences(kind, rng):
    attention = make_attention(kind, 3, 3, hidden_size=2).to(ns.float64)
    query = ns.tensor(rng.standard_normal((2, 2, 3)), requires_grad=True)
    memory = ns.tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)
    mask = ns.tensor(_mask([3, 2], 3))
    parameters = list(attention.parameters())

    def context_and_weights(q, m, *_parameters):
        return attention(q, m, mask)

    assert ns.autograd.gradcheck(context_and_weights, [query, memory, *parameters])


def test_prepared_keys_give_the_same_result(rng):
    attention = make_attention("general", 4, 6)
    memory = ns.tensor(rng.standard_normal((2, 5, 6)).astype(np.float32))
    query = ns.tensor(rng.standard_normal((2, 4)).astype(np.float32))
    mask = ns.tensor(_mask([5, 2], 5))
    keys = attention.prepare(memory)
    direct = attention(query, memory, mask)
    prepared = attention(query, memory, mask, keys=keys)
    for a, b in zip(direct, prepared):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_factory_and_errors():
    assert isinstance(make_attention("bahdanau", 4, 8), AdditiveAttention)
    assert isinstance(make_attention("general", 4, 8), GeneralAttention)
    assert isinstance(make_attention("dot", 4, 4), DotAttention)
    with pytest.raises(ValueError, match="query_size == key_size"):
        make_attention("dot", 4, 8)
    with pytest.raises(ValueError, match="kind"):
        make_attention("cosine", 4, 4)
    attention = make_attention("general", 4, 8)
    with pytest.raises(ValueError, match=r"memory must be \(batch, source_len, 8\)"):
        attention(ns.zeros(2, 4), ns.zeros(2, 5, 7))
    with pytest.raises(ValueError, match="batch sizes"):
        attention(ns.zeros(3, 4), ns.zeros(2, 5, 8))
    with pytest.raises(ValueError, match=r"mask must be \(batch, source_len\)"):
        attention(ns.zeros(2, 4), ns.zeros(2, 5, 8), ns.tensor(np.ones((2, 4), bool)))
    with pytest.raises(TypeError, match="bool"):
        attention(ns.zeros(2, 4), ns.zeros(2, 5, 8), ns.ones(2, 5))
