"""RBM (models/rbm.py) against exact enumeration on a model small enough to list every state:
free energy, conditionals, pseudo-likelihood, CD's positive phase and the expectation of its
CD-1 estimate, CD-k with long chains against the model expectation, Gibbs samples against p(v),
the free-energy surrogate's gradient, persistent chains and the library generator."""

import itertools

import numpy as np
import pytest

import nnscratch as ns
from nnscratch.models.rbm import RBM

V, H = 4, 3
STATES_V = np.array(list(itertools.product([0.0, 1.0], repeat=V)))  # (16, V)
STATES_H = np.array(list(itertools.product([0.0, 1.0], repeat=H)))  # (8, H)


def tiny_rbm(seed=0, persistent_chains=0):
    """An RBM in float64 with weights large enough that the distribution is far from uniform."""
    ns.manual_seed(seed)
    model = RBM(V, H, persistent_chains=persistent_chains).to(ns.float64)
    rng = np.random.default_rng(seed)
    model.weight.array[...] = rng.normal(0, 1.0, (H, V))
    model.visible_bias.array[...] = rng.normal(0, 0.5, V)
    model.hidden_bias.array[...] = rng.normal(0, 0.5, H)
    return model


def parameters(model):
    return model.weight.numpy(), model.visible_bias.numpy(), model.hidden_bias.numpy()


def energies(model):
    """E(v, h) for every visible state (rows) and hidden state (columns)."""
    W, b, c = parameters(model)
    return -(STATES_V @ b)[:, None] - (STATES_H @ c)[None, :] - np.einsum("hj,jv,av->ah", STATES_H, W, STATES_V)


def joint(model):
    weights = np.exp(-energies(model))
    return weights / weights.sum()  # p(v, h): (16, 8)


def exact_conditional_statistics(model, v):
    """⟨E[h|v] vᵀ⟩ over the rows of v, E[h|v] from enumerating h with p(h|v) ∝ exp(hᵀ(c + W v))."""
    W, _, c = parameters(model)
    logits = (v @ W.T + c) @ STATES_H.T  # (N, 8): hᵀa for each h
    p_h = np.exp(logits - logits.max(axis=1, keepdims=True))
    p_h /= p_h.sum(axis=1, keepdims=True)
    expected_h = p_h @ STATES_H  # (N, H)
    return {"weight": expected_h.T @ v / len(v), "visible_bias": v.mean(axis=0),
            "hidden_bias": expected_h.mean(axis=0)}


def model_expectation(model):
    """⟨h vᵀ⟩, ⟨v⟩, ⟨h⟩ under p(v, h), by enumerating all 128 joint states."""
    p = joint(model)
    return {"weight": np.einsum("ah,hj,av->jv", p, STATES_H, STATES_V),
            "visible_bias": p.sum(axis=1) @ STATES_V, "hidden_bias": p.sum(axis=0) @ STATES_H}


def data_batch(count=64, seed=1):
    return (np.random.default_rng(seed).random((count, V)) < 0.4).astype(np.float64)


def test_free_energy_is_minus_the_log_sum_over_hidden_states():
    model = tiny_rbm()
    brute = -np.log(np.exp(-energies(model)).sum(axis=1))
    np.testing.assert_allclose(model.free_energy(STATES_V).numpy(), brute, rtol=1e-12, atol=1e-12)
    p_v = np.exp(-brute) / np.exp(-brute).sum()
    np.testing.assert_allclose(p_v, joint(model).sum(axis=1), rtol=1e-12)


def test_conditionals_equal_enumeration():
    model = tiny_rbm()
    p = joint(model)
    p_h_given_v = p / p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.hidden_probabilities(STATES_V), p_h_given_v @ STATES_H, rtol=1e-12)
    p_v_given_h = p / p.sum(axis=0, keepdims=True)
    np.testing.assert_allclose(model.visible_probabilities(STATES_H), (p_v_given_h.T @ STATES_V),
                               rtol=1e-12)


def test_pseudo_likelihood_equals_enumeration():
    model = tiny_rbm()
    p_v = joint(model).sum(axis=1)
    index = {tuple(state): i for i, state in enumerate(STATES_V)}
    expected = []
    for state in STATES_V:
        total = 0.0
        for i in range(V):
            flipped = state.copy()
            flipped[i] = 1 - flipped[i]
            here, there = p_v[index[tuple(state)]], p_v[index[tuple(flipped)]]
            total += np.log(here / (here + there))
        expected.append(total)
    np.testing.assert_allclose(model.pseudo_likelihood(STATES_V), expected, rtol=1e-10)


def test_positive_phase_equals_the_exact_data_dependent_term():
    model = tiny_rbm()
    v = data_batch()
    ours = model.statistics(v)
    for name, value in exact_conditional_statistics(model, v).items():
        np.testing.assert_allclose(ours[name], value, rtol=1e-12, atol=1e-14)


def test_cd1_estimate_averages_to_its_closed_form_expectation():
    """E[CD-1] = data term − E_{h ~ p(h|v), v′ ~ p(v′|h)}[p(h|v′) v′ᵀ], enumerated exactly."""
    model = tiny_rbm()
    v = data_batch(count=8)
    p = joint(model)
    p_h_given_v = p / p.sum(axis=1, keepdims=True)  # rows: v states
    p_v_given_h = (p / p.sum(axis=0, keepdims=True)).T  # rows: h states
    index = [int("".join(str(int(x)) for x in row), 2) for row in v]
    # distribution of v′ after one Gibbs step from each data row, averaged over the rows
    reached = (p_h_given_v[index] @ p_v_given_h).mean(axis=0)  # (16,)
    expected_h = p_h_given_v @ STATES_H  # E[h | v′] for every state v′
    expected_negative = {"weight": (expected_h * reached[:, None]).T @ STATES_V,
                         "visible_bias": reached @ STATES_V, "hidden_bias": reached @ expected_h}
    positive = exact_conditional_statistics(model, v)
    # the one-step expectation differs from the data term and from the model's expectation
    assert np.abs(expected_negative["weight"] - positive["weight"]).max() > 0.05
    assert np.abs(expected_negative["weight"] - model_expectation(model)["weight"]).max() > 0.03
    repeats = 4000
    batch = np.repeat(v, repeats, axis=0)  # 32,000 independent one-step chains
    estimate = model.contrastive_divergence(batch, k=1)
    for name in positive:
        exact = positive[name] - expected_negative[name]
        np.testing.assert_allclose(estimate[name], exact, atol=0.012)  # ~4 standard errors


def test_long_cd_chains_reach_the_model_expectation():
    model = tiny_rbm()
    v = np.repeat(data_batch(count=8), 2500, axis=0)
    estimate = model.contrastive_divergence(v, k=60)
    positive = exact_conditional_statistics(model, v)
    expected = model_expectation(model)
    for name in positive:
        np.testing.assert_allclose(estimate[name], positive[name] - expected[name], atol=0.015)


def test_gibbs_samples_follow_the_model_distribution():
    model = tiny_rbm()
    _, samples = model.gibbs_chain(np.zeros((20000, V)), 50)
    codes = samples @ (2 ** np.arange(V - 1, -1, -1))
    frequencies = np.bincount(codes.astype(int), minlength=16) / len(codes)
    p_v = joint(model).sum(axis=1)
    assert 0.5 * np.abs(frequencies - p_v).sum() < 0.02  # total variation distance


def test_free_energy_gap_gradient_is_minus_the_cd_estimate():
    model = tiny_rbm()
    v = data_batch()
    ns.manual_seed(5)
    negative = model.negative_sample(v, k=2)
    gap = model.free_energy_gap(v, negative)
    model.zero_grad()
    gap.backward()
    positive, sampled = model.statistics(v), model.statistics(negative)
    for name in ("weight", "visible_bias", "hidden_bias"):
        grad = getattr(model, name).grad.numpy()
        np.testing.assert_allclose(grad, -(positive[name] - sampled[name]), rtol=1e-10, atol=1e-12)
    ns.manual_seed(5)
    again = model.contrastive_divergence(v, k=2)  # same draws from the same seed
    np.testing.assert_allclose(again["weight"], positive["weight"] - sampled["weight"], rtol=1e-12)


def test_persistent_chains_carry_on_and_are_saved():
    model = tiny_rbm(persistent_chains=5000)
    start = model.chain.numpy().copy()
    assert set(np.unique(start)) <= {0.0, 1.0}
    assert "chain" in model.state_dict()
    sample = model.negative_sample(data_batch(), k=1, persistent=True)
    assert sample.shape == (5000, V)
    np.testing.assert_array_equal(model.chain.numpy(), sample)
    assert not np.array_equal(start, sample)
    for _ in range(30):  # the chains, never restarted, come to follow p(v)
        model.negative_sample(data_batch(), k=1, persistent=True)
    np.testing.assert_allclose(model.chain.numpy().mean(axis=0), model_expectation(model)["visible_bias"],
                               atol=0.03)
    with pytest.raises(RuntimeError, match="persistent_chains"):
        tiny_rbm().negative_sample(data_batch(), persistent=True)


def test_draws_come_from_the_library_generator():
    model = tiny_rbm()
    ns.manual_seed(11)
    first = model.gibbs_chain(data_batch(), 3)[1]
    ns.manual_seed(11)
    np.testing.assert_array_equal(model.gibbs_chain(data_batch(), 3)[1], first)
    ns.manual_seed(12)
    assert not np.array_equal(model.gibbs_chain(data_batch(), 3)[1], first)


def test_reconstruction_error_is_the_mean_field_round_trip():
    model = tiny_rbm()
    v = data_batch()
    W, b, c = parameters(model)
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    reconstruction = sigmoid(sigmoid(v @ W.T + c) @ W + b)
    assert model.reconstruction_error(v) == pytest.approx(((reconstruction - v) ** 2).mean(), rel=1e-12)


def test_learning_raises_the_likelihood_of_the_data():
    """A few hundred CD-1 steps on a two-pattern data set make those patterns most likely."""
    ns.manual_seed(0)
    model = RBM(V, 8).to(ns.float64)
    patterns = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=np.float64)
    data = np.repeat(patterns, 32, axis=0)
    optimizer = ns.optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
    for _ in range(300):
        loss = model.free_energy_gap(data, model.negative_sample(data, k=1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    free = model.free_energy(STATES_V).numpy()
    p_v = np.exp(-free) / np.exp(-free).sum()
    assert p_v[[0b1100, 0b0011]].sum() > 0.7


def test_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(N, 4\).*\(2, 5\)"):
        RBM(4, 3).free_energy(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="hidden_size"):
        RBM(4, 0)
    with pytest.raises(ValueError, match="k must be"):
        RBM(4, 3).negative_sample(np.zeros((2, 4)), k=0)
