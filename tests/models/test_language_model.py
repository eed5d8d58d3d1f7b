"""LanguageModel (models/language_model.py) against a PyTorch twin, BPTT state, sampling."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nnscratch as ns
from harness import check_module
from nnscratch.experiments import truncated_bptt
from nnscratch.models.language_model import LanguageModel, detach_state, sample_token
from nnscratch.train import hooks

VOCAB = 11


class TorchLanguageModel(torch.nn.Module):
    """PyTorch's word_language_model, the reference the nnscratch model must equal."""

    def __init__(self, vocab, embedding_dim, hidden, layers, cell, dropout=0.0, tie=False):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, embedding_dim)
        self.drop = torch.nn.Dropout(dropout)
        recurrent = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
        self.rnn = recurrent(embedding_dim, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.decoder = torch.nn.Linear(hidden, vocab)
        if tie:
            self.decoder.weight = self.embedding.weight

    def forward(self, tokens, state=None):
        output, state = self.rnn(self.drop(self.embedding(tokens)), state)
        return self.decoder(self.drop(output)), state


def _tokens(seq, batch, seed=0):
    return np.random.default_rng(seed).integers(0, VOCAB, size=(seq, batch))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers,tie", [(1, False), (2, True)])
def test_equals_pytorch_word_language_model(cell, layers, tie):
    hidden = 6
    embedding_dim = hidden if tie else 5
    ours = LanguageModel(VOCAB, embedding_dim, hidden, layers, cell=cell, tie_weights=tie)
    theirs = TorchLanguageModel(VOCAB, embedding_dim, hidden, layers, cell, tie=tie)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    check_module(ours, theirs, [_tokens(4, 3)])


def test_given_state_and_dropout_off_in_eval_mode():
    ours = LanguageModel(VOCAB, 5, 6, 2, cell="lstm", dropout=0.4).eval()
    theirs = TorchLanguageModel(VOCAB, 5, 6, 2, "lstm", dropout=0.4).eval()
    rng = np.random.default_rng(3)
    h0, c0 = rng.standard_normal((2, 2, 3, 6))

    def call(module, tokens):
        dtype = str(module.embedding.weight.dtype).removeprefix("torch.")
        wrap = ns.tensor if isinstance(module, LanguageModel) else torch.tensor
        return module(tokens, (wrap(h0.astype(dtype)), wrap(c0.astype(dtype))))

    check_module(ours, theirs, [_tokens(5, 3)], call=call)


def test_tied_weights_share_one_parameter():
    model = LanguageModel(VOCAB, 8, 8, 1, tie_weights=True)
    assert model.decoder.weight is model.embedding.weight
    assert len(list(model.parameters())) == len(list(model.named_parameters())) == 6
    with pytest.raises(ValueError, match="embedding_dim=4, hidden_size=8"):
        LanguageModel(VOCAB, 4, 8, tie_weights=True)


def test_carried_state_continues_the_sequence():
    """Two windows with the (detached) state carried equal one pass over the whole sequence."""
    model = LanguageModel(VOCAB, 5, 7, 2, cell="gru")
    tokens = ns.tensor(_tokens(9, 2))
    whole, _ = model(tokens)
    first, state = model(tokens[:4])
    state = model.detach_state(state)
    assert not state.requires_grad
    second, _ = model(tokens[4:], state)
    np.testing.assert_allclose(ns.cat([first, second]).numpy(), whole.numpy(), rtol=1e-5, atol=1e-6)


# a recurrent state: a tensor, None, or tuples/lists of states (an LSTM's (h, c), nested)
_STATES = st.recursive(
    st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    lambda inner: st.one_of(st.tuples(inner, inner), st.lists(inner, max_size=3)),
    max_leaves=6,
)


def _build(spec, rng):
    """(state, leaves): every (rows, cols) of ``spec`` becomes 2·x of a leaf x needing grad."""
    if spec is None:
        return None, []
    if isinstance(spec, tuple) and len(spec) == 2 and all(isinstance(n, int) for n in spec):
        leaf = ns.tensor(rng.standard_normal(spec), requires_grad=True)
        return leaf * 2.0, [leaf]
    built = [_build(part, rng) for part in spec]
    return type(spec)(state for state, _ in built), [leaf for _, leaves in built for leaf in leaves]


def _same_structure(detached, state) -> None:
    if isinstance(state, ns.Tensor):
        assert isinstance(detached, ns.Tensor) and not detached.requires_grad
        assert detached.grad_fn is None and state.grad_fn is not None
        np.testing.assert_array_equal(detached.numpy(), state.detach().numpy())
    elif isinstance(state, (tuple, list)):
        assert type(detached) is type(state) and len(detached) == len(state)
        for a, b in zip(detached, state):
            _same_structure(a, b)
    else:
        assert detached is state


@settings(max_examples=40, deadline=None)
@given(spec=_STATES)
def test_detach_state_keeps_values_and_structure_and_stops_gradients(spec):
    state, leaves = _build(spec, np.random.default_rng(0))
    detached = detach_state(state)
    _same_structure(detached, state)
    # a loss through the detached state reaches no leaf (the window edge of truncated BPTT)
    parts = []
    stack = [detached]
    while stack:
        item = stack.pop()
        if isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, ns.Tensor):
            parts.append(item)
    if leaves:
        probe = ns.tensor(1.0, requires_grad=True)
        sum((p * probe).sum() for p in parts).backward()
        assert all(leaf.grad is None for leaf in leaves) and probe.grad is not None


def test_one_detach_state_for_the_model_the_trainer_and_the_experiments():
    assert LanguageModel.detach_state is detach_state
    assert hooks.detach_state is detach_state and truncated_bptt.detach_state is detach_state


def test_init_state_shapes_and_batch_first():
    model = LanguageModel(VOCAB, 5, 7, 3, cell="lstm", batch_first=True)
    h, c = model.init_state(4)
    assert h.shape == c.shape == (3, 4, 7) and not h.numpy().any()
    logits, (h_n, c_n) = model(ns.tensor(_tokens(4, 6)), (h, c))  # (batch 4, seq 6)
    assert logits.shape == (4, 6, VOCAB) and h_n.shape == (3, 4, 7)
    assert LanguageModel(VOCAB, 5, 7, 1, cell="rnn").init_state(2).shape == (1, 2, 7)


def test_bad_arguments():
    with pytest.raises(ValueError, match="cell"):
        LanguageModel(VOCAB, cell="transformer")
    with pytest.raises(ValueError, match=r"tokens.*\(4,\)"):
        LanguageModel(VOCAB, 4, 4)(ns.tensor(np.arange(4)))
    with pytest.raises(ValueError, match="prompt"):
        LanguageModel(VOCAB, 4, 4).generate([], 3)
    with pytest.raises(ValueError, match=r"\[0, 11\)"):
        LanguageModel(VOCAB, 4, 4).generate([VOCAB], 3)


@pytest.mark.parametrize("batch_first", [False, True])
def test_greedy_generation_is_the_argmax_of_a_full_pass(batch_first):
    model = LanguageModel(VOCAB, 6, 8, 2, cell="lstm", dropout=0.5, batch_first=batch_first)
    prompt = [3, 1, 4]
    generated = model.generate(prompt, 7, temperature=0)
    assert len(generated) == 7 and model.training  # training mode restored
    assert model.generate(prompt, 7, top_k=1) == generated  # top-1 sampling is greedy too
    sequence = np.array(prompt + generated)[:, None]
    if batch_first:
        sequence = sequence.T
    model.eval()
    logits, _ = model(ns.tensor(sequence))
    scores = logits.numpy()[0] if batch_first else logits.numpy()[:, 0]
    assert list(scores.argmax(-1)[len(prompt) - 1: -1]) == generated


def test_generation_is_reproducible_from_the_seed():
    model = LanguageModel(VOCAB, 6, 8, 1, cell="gru")
    ns.manual_seed(7)
    first = model.generate([2], 20, temperature=1.3)
    ns.manual_seed(7)
    assert model.generate([2], 20, temperature=1.3) == first
    assert all(0 <= i < VOCAB for i in first)


def test_sample_token_follows_softmax_of_scaled_logits():
    logits = np.array([2.0, 1.0, 0.5, -1.0, 0.0], dtype=np.float32)
    temperature, draws = 0.7, 20000
    generator = np.random.default_rng(0)
    counts = np.bincount([sample_token(logits, temperature, None, generator) for _ in range(draws)],
                         minlength=5)
    expected = torch.softmax(torch.tensor(logits, dtype=torch.float64) / temperature, 0).numpy()
    # each frequency within 4 standard deviations of its binomial expectation
    sigma = np.sqrt(draws * expected * (1 - expected))
    assert np.all(np.abs(counts - draws * expected) < 4 * sigma + 1)


def test_sample_token_top_k_keeps_only_the_k_largest():
    logits = np.array([0.1, 3.0, -2.0, 2.9, 0.0])
    generator = np.random.default_rng(1)
    drawn = {sample_token(logits, 5.0, 2, generator) for _ in range(300)}
    assert drawn == {1, 3}
    assert sample_token(ns.tensor(logits), 0.0) == 1


def test_excluded_tokens_are_never_drawn():
    logits = np.array([5.0, 4.0, 0.0, 1.0])
    generator = np.random.default_rng(2)
    drawn = {sample_token(logits, 2.0, None, generator, exclude_ids=[0, 1]) for _ in range(200)}
    assert drawn == {2, 3}
    assert sample_token(logits, 0.0, exclude_ids=[0]) == 1
    with pytest.raises(ValueError, match="exclude_ids"):
        sample_token(logits, 1.0, exclude_ids=[0, 1, 2, 3])
    model = LanguageModel(VOCAB, 4, 4)
    assert not set(model.generate([1], 30, temperature=3.0, exclude_ids=range(5))) & set(range(5))
