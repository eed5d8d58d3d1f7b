"""models/beam_search.py: the shared beam search (``search_beams``) on a toy decoder whose
next-token distribution depends on the whole prefix, against exhaustive enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnscratch.models.beam_search import search_beams

BOS, EOS = 0, 1


def _log_probs(seed: int, sentence: int, prefix: tuple, vocab: int) -> np.ndarray:
    """log p(· | prefix) of input ``sentence``: a fixed random distribution per prefix, <bos>
    never written (−inf)."""
    logits = np.random.default_rng([seed, sentence, *prefix]).standard_normal(vocab) * 2
    logits[BOS] = -np.inf
    return logits - np.logaddexp.reduce(logits)


class ToyDecoder:
    """State: one (sentence, prefix) per row; ``step`` appends the token each row read."""

    def __init__(self, seed: int, vocab: int) -> None:
        self.seed, self.vocab = seed, vocab

    def step(self, tokens: np.ndarray, state: list) -> tuple:
        state = [(b, prefix if t == BOS else prefix + (int(t),)) for (b, prefix), t in zip(state, tokens)]
        log_probs = np.stack([_log_probs(self.seed, b, prefix, self.vocab) for b, prefix in state])
        return log_probs, state, None

    @staticmethod
    def reorder(state: list, parents: np.ndarray) -> list:
        return [state[p] for p in parents]


def _score(seed: int, sentence: int, tokens: tuple, vocab: int) -> float:
    return float(sum(_log_probs(seed, sentence, tokens[:i], vocab)[t] for i, t in enumerate(tokens)))


def _all_outputs(vocab: int, max_length: int):
    """Every output: words then <eos> (length ≤ max_length), or max_length words, no <eos>."""
    words = range(2, vocab)
    for n in range(max_length):
        for body in itertools.product(words, repeat=n):
            yield body, True
    yield from ((body, False) for body in itertools.product(words, repeat=max_length))


def _run(seed, batch, vocab, beam, max_length, alpha):
    toy = ToyDecoder(seed, vocab)
    state = [(b, ()) for b in range(batch) for _ in range(beam)]
    return search_beams(toy.step, toy.reorder, state, batch, beam, max_length, alpha, BOS, EOS)


def _exhaustive(seed: int, sentence: int, vocab: int, max_length: int, alpha: float) -> tuple:
    """What beam search with room for every prefix returns, by enumeration: the stopping rule
    (OpenNMT's) ends the search at the first length t whose most probable candidate (by total
    score) ends in <eos>; the answer is the best, by score / length^α, of the outputs that
    ended by then — and of the open ones if t reaches max_length."""
    outputs = list(_all_outputs(vocab, max_length))
    total = {output: _score(seed, sentence, output[0] + ((EOS,) if output[1] else ()), vocab)
             for output in outputs}
    stop = max_length
    for t in range(1, max_length + 1):
        # the candidates of step t: every prefix of t - 1 words, extended by <eos> or a word
        ended = {o: total[o] for o in outputs if o[1] and len(o[0]) == t - 1}
        extended = {body[:t]: _score(seed, sentence, body[:t], vocab)
                    for body, done in outputs if not done and len(body) >= t}
        if max(ended.values()) > max(extended.values(), default=-np.inf):
            stop = t
            break
    pool = [o for o in outputs if (o[1] and len(o[0]) < stop) or (not o[1] and stop == max_length)]
    length = {o: len(o[0]) + o[1] for o in pool}
    return max(pool, key=lambda o: total[o] / length[o] ** alpha), total


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), batch=st.integers(1, 3), vocab=st.integers(3, 4),
       max_length=st.integers(1, 4), alpha=st.sampled_from([0.0, 0.5, 1.0]))
def test_a_beam_holding_every_prefix_is_exhaustive_search_up_to_the_stopping_rule(
        seed, batch, vocab, max_length, alpha):
    """With room for every prefix nothing is pruned, so only the stopping rule limits what is
    found; for α = 0 that is the most probable output of all (scores only fall along a
    sequence, so once the best candidate has ended nothing open can beat it)."""
    beam = (vocab - 1) ** max_length  # ≥ the finite candidates of any step: all are kept
    found = _run(seed, batch, vocab, beam, max_length, alpha)
    for b, hypothesis in enumerate(found):
        (body, ended), total = _exhaustive(seed, b, vocab, max_length, alpha)
        assert (hypothesis.tokens, hypothesis.finished) == (list(body), ended)
        assert hypothesis.score == pytest.approx(total[body, ended], abs=1e-12)
        if alpha == 0.0:
            assert hypothesis.score == pytest.approx(max(total.values()), abs=1e-12)
        assert hypothesis.attention is None


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), batch=st.integers(1, 3), vocab=st.integers(3, 6),
       beam=st.integers(1, 4), max_length=st.integers(1, 6), alpha=st.sampled_from([0.0, 0.5, 1.0]))
def test_every_hypothesis_carries_the_score_and_length_of_its_own_tokens(seed, batch, vocab, beam,
                                                                        max_length, alpha):
    """The bookkeeping follows the beams: each result's score is that of its token sequence."""
    for b, hypothesis in enumerate(_run(seed, batch, vocab, beam, max_length, alpha)):
        tokens = tuple(hypothesis.tokens) + ((EOS,) if hypothesis.finished else ())
        assert len(tokens) <= max_length and EOS not in hypothesis.tokens
        assert hypothesis.finished or len(tokens) == max_length
        score = _score(seed, b, tokens, vocab)
        assert hypothesis.score == pytest.approx(score, abs=1e-12)
        assert hypothesis.normalized_score == pytest.approx(score / len(tokens) ** alpha, abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), vocab=st.integers(3, 6), max_length=st.integers(1, 6))
def test_one_beam_is_greedy_search(seed, vocab, max_length):
    prefix: tuple = ()
    while len(prefix) < max_length and (not prefix or prefix[-1] != EOS):
        prefix += (int(np.argmax(_log_probs(seed, 0, prefix, vocab))),)
    (hypothesis,) = _run(seed, 1, vocab, 1, max_length, 1.0)
    assert hypothesis.finished == (prefix[-1] == EOS)
    assert hypothesis.tokens == list(prefix[:-1] if hypothesis.finished else prefix)


def test_bad_settings_are_refused():
    for beam, length, alpha, field in ((0, 3, 1.0, "beam_size"), (2, 0, 1.0, "max_length"),
                                       (2, 3, -1.0, "length_penalty")):
        with pytest.raises(ValueError, match=field):
            _run(0, 1, 4, beam, length, alpha)
