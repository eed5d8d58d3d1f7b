"""Seq2Seq and its decoders: shapes for every encoder, masks, teacher forcing, greedy = beam 1,
beam search = exhaustive search, and a model that learns a tiny corpus exactly."""

import itertools

import numpy as np
import pytest

import nnscratch as ns
import nnscratch.nn.functional as F
from nnscratch.models import Seq2Seq

PAD, BOS, EOS = 0, 2, 3


def _batch(rng, batch=6, vocab=12, longest=6):
    """Sources of random lengths and their reversals as targets (a task attention can learn)."""
    lengths = rng.integers(2, longest + 1, batch)
    lengths[0] = longest
    source = np.full((batch, longest), PAD, np.int64)
    target_in = np.full((batch, longest + 1), PAD, np.int64)
    target_out = np.full((batch, longest + 1), PAD, np.int64)
    target_in[:, 0] = BOS
    for b, n in enumerate(lengths):
        tokens = rng.integers(4, vocab, n)
        source[b, :n] = tokens
        target_in[b, 1:n + 1] = tokens[::-1]
        target_out[b, :n] = tokens[::-1]
        target_out[b, n] = EOS
    return source, lengths, target_in, target_out


CONFIGS = [
    dict(),
    dict(bidirectional=False, attention="dot"),
    dict(encoder="gru", num_layers=2, attention="additive"),
    dict(encoder="lstm", num_layers=3, bidirectional=True, input_feeding=True),
    dict(encoder="gru", bidirectional=True, encoder_hidden_size=5, attention="general"),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_shapes(config, rng):
    model = Seq2Seq(10, 12, embedding_dim=8, hidden_size=16, **config)
    source, lengths, target_in, _ = _batch(rng, batch=4, vocab=10, longest=5)
    logits = model(ns.tensor(source), lengths, ns.tensor(target_in))
    assert logits.shape == (4, 6, 12)
    encoded = model.encode(ns.tensor(source), lengths)
    directions = 2 if config.get("bidirectional", True) else 1
    memory_size = directions * config.get("encoder_hidden_size", 16 // directions)
    assert encoded.memory.shape == (4, 5, memory_size)
    assert encoded.mask.numpy().sum(axis=1).tolist() == list(lengths)
    layers = config.get("num_layers", 1)
    assert [s.shape for s in encoded.state] == [(layers, 4, 16)] * 2
    step_logits, state, weights = model.decode_step(ns.tensor(target_in[:, 0]),
                                                    model.initial_state(encoded), encoded)
    assert step_logits.shape == (4, 12) and weights.shape == (4, 5)
    assert state[0].shape == (layers, 4, 16)
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("config", CONFIGS[:4])
def test_a_sentence_is_translated_alike_alone_or_padded_in_a_batch(config, rng):
    """Masks and packing: companions in the batch and the padding do not change a sentence."""
    model = Seq2Seq(10, 12, embedding_dim=8, hidden_size=16, **config).to(ns.float64).eval()
    source, lengths, target_in, _ = _batch(rng, batch=3, vocab=10, longest=6)
    together = model(ns.tensor(source), lengths, ns.tensor(target_in)).numpy()
    short = int(np.argmin(lengths))
    n = int(lengths[short])
    alone = model(ns.tensor(source[short:short + 1, :n]), [n],
                  ns.tensor(target_in[short:short + 1])).numpy()
    np.testing.assert_allclose(together[short], alone[0], rtol=1e-9, atol=1e-10)


def test_stepwise_and_fused_teacher_forcing_agree(rng):
    """Without input feeding the decoder runs as one fused LSTM call; step by step (what
    decoding does) gives the same logits."""
    model = Seq2Seq(10, 12, embedding_dim=8, hidden_size=16).to(ns.float64).eval()
    source, lengths, target_in, _ = _batch(rng, batch=3, vocab=10)
    fused = model(ns.tensor(source), lengths, ns.tensor(target_in)).numpy()
    encoded = model.encode(ns.tensor(source), lengths)
    state = model.initial_state(encoded)
    for t in range(target_in.shape[1]):
        logits, state, _ = model.decode_step(ns.tensor(target_in[:, t]), state, encoded)
        np.testing.assert_allclose(logits.numpy(), fused[:, t], rtol=1e-9, atol=1e-10)


def test_teacher_forcing_ratio_zero_reads_its_own_predictions(rng):
    model = Seq2Seq(10, 12, embedding_dim=8, hidden_size=16, teacher_forcing_ratio=0.0)
    source, lengths, target_in, _ = _batch(rng, batch=3, vocab=10)
    scrambled = target_in.copy()
    scrambled[:, 1:] = rng.integers(4, 12, scrambled[:, 1:].shape)
    first = model(ns.tensor(source), lengths, ns.tensor(target_in)).numpy()
    second = model(ns.tensor(source), lengths, ns.tensor(scrambled)).numpy()
    np.testing.assert_allclose(first, second, rtol=1e-6)  # the given tokens were never read
    model.teacher_forcing_ratio = 1.0
    forced = model(ns.tensor(source), lengths, ns.tensor(scrambled)).numpy()
    assert not np.allclose(forced, second)
    with pytest.raises(ValueError, match="teacher_forcing_ratio"):
        model.teacher_forcing_ratio = 1.5


@pytest.mark.parametrize("config", CONFIGS)
def test_beam_search_with_one_beam_is_greedy_search(config, rng):
    model = Seq2Seq(10, 12, embedding_dim=8, hidden_size=16, eos_index=EOS, **config)
    source, lengths, _, _ = _batch(rng, batch=5, vocab=10)
    greedy = model.greedy_decode(ns.tensor(source), lengths, max_length=7)
    beam = model.beam_search(ns.tensor(source), lengths, beam_size=1, max_length=7)
    for g, b in zip(greedy, beam):
        assert g.tokens == b.tokens and g.finished == b.finished
        assert g.score == pytest.approx(b.score, rel=1e-6, abs=1e-9)
        np.testing.assert_allclose(g.attention, b.attention)


def test_beam_search_without_length_penalty_finds_the_most_probable_sequence():
    """With a beam wider than the space of sequences, beam search is exhaustive search."""
    vocab, max_length = 6, 3
    model = Seq2Seq(8, vocab, embedding_dim=4, hidden_size=6).to(ns.float64)
    rng = np.random.default_rng(26)  # weights where greedy search misses the best sequence
    for p in model.parameters():
        p.data.array[...] = rng.standard_normal(p.shape)
    model.eval()
    source = np.array([[5, 6, 7]], np.int64)
    candidates = []  # every sequence beam search could return, with its log-probability
    for length in range(1, max_length + 1):
        for body in itertools.product([t for t in range(vocab) if t != EOS], repeat=length - 1):
            endings = [EOS] + ([t for t in range(vocab) if t != EOS] if length == max_length else [])
            for last in endings:
                sequence = list(body) + [last]
                target_in = np.array([[BOS] + sequence[:-1]], np.int64)
                log_probs = model(ns.tensor(source), [3], ns.tensor(target_in)).log_softmax(-1)
                score = float(sum(log_probs.numpy()[0, t, s] for t, s in enumerate(sequence)))
                candidates.append((score, sequence))
    best_score, best = max(candidates)
    found = model.beam_search(ns.tensor(source), [3], beam_size=vocab ** max_length,
                              max_length=max_length, length_penalty=0.0)[0]
    expected_tokens = best[:-1] if best[-1] == EOS else best
    assert found.tokens == expected_tokens
    assert found.score == pytest.approx(best_score, rel=1e-9)
    assert found.finished == (best[-1] == EOS)
    greedy = model.greedy_decode(ns.tensor(source), [3], max_length=max_length)[0]
    assert greedy.score < best_score - 0.1  # the case is one where searching matters


def test_length_normalised_score(rng):
    model = Seq2Seq(10, 12, embedding_dim=8, hidden_size=16)
    source, lengths, _, _ = _batch(rng, batch=3, vocab=10)
    for alpha in (0.0, 0.7, 1.0):
        for h in model.beam_search(ns.tensor(source), lengths, beam_size=3, max_length=6,
                                   length_penalty=alpha):
            produced = len(h.tokens) + h.finished
            assert h.normalized_score == pytest.approx(h.score / produced ** alpha)
            assert h.attention.shape == (produced, int(lengths.max()))


@pytest.mark.parametrize("config", [dict(), dict(encoder="gru", attention="additive",
                                                   input_feeding=True)])
def test_overfits_a_tiny_corpus_exactly(config, rng):
    ns.manual_seed(1)
    source, lengths, target_in, target_out = _batch(rng, batch=8, vocab=12, longest=5)
    model = Seq2Seq(12, 12, embedding_dim=16, hidden_size=32, **config)
    optimizer = ns.optim.Adam(model.parameters(), lr=1e-2)
    s, ti, to = ns.tensor(source), ns.tensor(target_in), ns.tensor(target_out)
    for _ in range(200):
        logits = model(s, lengths, ti)
        loss = F.cross_entropy(logits.reshape(-1, 12), to.reshape(-1), ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    expected = [list(target_out[b, :n]) for b, n in enumerate(lengths)]
    assert [h.tokens for h in model.greedy_decode(s, lengths, max_length=8)] == expected
    assert [h.tokens for h in model.beam_search(s, lengths, beam_size=3, max_length=8)] == expected
    assert all(h.finished for h in model.greedy_decode(s, lengths, max_length=8))


def test_bad_input_is_refused():
    model = Seq2Seq(10, 12, embedding_dim=8, hidden_size=16)
    source = ns.tensor(np.array([[4, 5, 0], [6, 0, 0]]))
    with pytest.raises(ValueError, match=r"source lengths must be in \[1, 3\]"):
        model.encode(source, [4, 1])
    with pytest.raises(ValueError, match="2 source lengths for a batch of 2|source lengths"):
        model.encode(source, [0, 1])
    with pytest.raises(ValueError, match="3 source lengths for a batch of 2"):
        model.encode(source, [1, 1, 1])
    with pytest.raises(TypeError, match="integer token indices"):
        model.encode(ns.zeros(2, 3), [1, 1])
    with pytest.raises(ValueError, match="target_input"):
        model(source, [2, 1], ns.tensor(np.array([[2, 4]])))
    with pytest.raises(ValueError, match="odd hidden_size"):
        Seq2Seq(10, 12, hidden_size=15)
    with pytest.raises(ValueError, match="encoder"):
        Seq2Seq(10, 12, encoder="rnn")
    with pytest.raises(ValueError, match="beam_size"):
        model.beam_search(source, [2, 1], beam_size=0)
    assert [len(h.tokens) <= 4 for h in model.greedy_decode(source, max_length=4)] == [True, True]
