"""Decoding a :class:`~.seq2seq.Seq2Seq` model: greedy search and beam search, batched.

Greedy search takes the most probable token at every step. Beam search keeps the ``K`` most
probable partial translations (beams) of every sentence: at each step every beam is extended
by every token, and the K best of the K·V candidates by total log-probability survive

    score(y_1 … y_t) = Σ_{i ≤ t} log p(y_i | y_<i, x).

A candidate that ends in ``<eos>`` is finished; it leaves the beam and is ranked by its
length-normalised score

    score(y) / |y|^α                                  (|y| counts <eos>; α = length_penalty)

so that short translations are not preferred merely for having fewer factors below one
(α = 0: no normalisation; α = 1: mean log-probability per token). A sentence is done when
its best candidate (by total score) ends in ``<eos>`` — the stopping rule of OpenNMT's beam
search, which makes beam search with K = 1 exactly greedy search — or when ``max_length``
tokens have been produced (the beams still open are then ranked as they are).

Every model computation is batched over sentences × beams; the bookkeeping (a few (B, K)
arrays) runs on the host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy

from .. import backend
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor


@dataclass
class Hypothesis:
    """A decoded sentence: ``tokens`` (without <eos>), ``score`` (total log-probability),
    ``normalized_score`` (score / length^α), ``attention`` ``(len(tokens) + finished, S)`` —
    one row of source weights per produced token, <eos> included when it was produced —
    and whether it ``finished`` with <eos>."""

    tokens: list[int]
    score: float
    normalized_score: float
    attention: numpy.ndarray
    finished: bool


def _host(tensor: Tensor) -> numpy.ndarray:
    return backend.to_device(tensor.array, backend.CPU)


def _check(max_length: int, beam_size: int = 1) -> None:
    if not isinstance(max_length, int) or max_length < 1:
        raise ValueError(f"decode: max_length must be a positive integer, got {max_length!r}")
    if not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_search: beam_size must be a positive integer, got {beam_size!r}")


def greedy_search(model: Any, source: Tensor, source_lengths: Any = None,
                  max_length: int = 50) -> list[Hypothesis]:
    """The arg-max token at each step until <eos> or ``max_length`` tokens, for each sentence."""
    _check(max_length)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            lengths = model.source_lengths(source, source_lengths)
            encoded = model.encode(source, lengths)
            batch, positions = len(lengths), encoded.memory.shape[1]
            xp = backend.get_array_module(encoded.memory.array)
            tokens = Tensor._make(xp.full((batch,), model.bos_index, dtype=numpy.int64))
            state = model.initial_state(encoded)
            chosen = numpy.zeros((batch, max_length), dtype=numpy.int64)
            log_probs = numpy.zeros((batch, max_length))
            weights = numpy.zeros((batch, max_length, positions), dtype=numpy.float32)
            ended_at = numpy.full(batch, -1)  # the step that produced <eos>, -1: not yet
            for step in range(max_length):
                logits, state, attention = model.decode_step(tokens, state, encoded)
                step_log_probs = _host(logits.log_softmax(dim=-1))
                best = step_log_probs.argmax(axis=-1)
                chosen[:, step] = best
                log_probs[:, step] = step_log_probs[numpy.arange(batch), best]
                weights[:, step] = _host(attention)
                ended_at[(best == model.eos_index) & (ended_at < 0)] = step
                if (ended_at >= 0).all():
                    break
                tokens = Tensor._make(xp.asarray(best))
            steps_run = step + 1
    finally:
        model.train(was_training)
    hypotheses = []
    for b in range(batch):
        finished = bool(ended_at[b] >= 0)
        count = int(ended_at[b]) + 1 if finished else steps_run  # tokens produced, <eos> included
        score = float(log_probs[b, :count].sum())
        hypotheses.append(Hypothesis(chosen[b, :count - 1 if finished else count].tolist(), score,
                                     score / count, weights[b, :count], finished))
    return hypotheses


def beam_search(model: Any, source: Tensor, source_lengths: Any = None, beam_size: int = 5,
                max_length: int = 50, length_penalty: float = 1.0) -> list[Hypothesis]:
    """The best hypothesis of a beam search for each sentence (see the module docstring)."""
    _check(max_length, beam_size)
    if length_penalty < 0:
        raise ValueError(f"beam_search: length_penalty must be >= 0, got {length_penalty}")
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            return _beam_search(model, source, source_lengths, beam_size, max_length,
                                length_penalty)
    finally:
        model.train(was_training)


def _beam_search(model: Any, source: Tensor, source_lengths: Any, beams: int, max_length: int,
                 alpha: float) -> list[Hypothesis]:
    lengths = model.source_lengths(source, source_lengths)
    batch = len(lengths)
    xp = backend.get_array_module(source.array)
    # row b·K + k of every model tensor is beam k of sentence b
    encoded = model.encode(source, lengths)
    encoded = encoded.select(Tensor._make(xp.asarray(numpy.repeat(numpy.arange(batch), beams))))
    state = model.initial_state(encoded)
    positions = encoded.memory.shape[1]
    eos = model.eos_index

    scores = numpy.full((batch, beams), -numpy.inf)
    scores[:, 0] = 0.0  # all beams start as the same <bos>: expand only the first
    history = numpy.zeros((batch, beams, 0), dtype=numpy.int64)
    attention_history = numpy.zeros((batch, beams, 0, positions), dtype=numpy.float32)
    finished: list[list[Hypothesis]] = [[] for _ in range(batch)]
    done = numpy.zeros(batch, dtype=bool)
    tokens = Tensor._make(xp.full((batch * beams,), model.bos_index, dtype=numpy.int64))
    rows = numpy.arange(batch)[:, None]

    for step in range(max_length):
        logits, state, attention = model.decode_step(tokens, state, encoded)
        log_probs = _host(logits.log_softmax(dim=-1)).astype(numpy.float64)
        vocab = log_probs.shape[-1]
        # total score of every continuation: (B, K, V) → the K best of the K·V per sentence
        candidates = (scores[:, :, None] + log_probs.reshape(batch, beams, vocab)).reshape(batch, -1)
        best = numpy.argsort(-candidates, axis=1, kind="stable")[:, :beams]
        best_scores = numpy.take_along_axis(candidates, best, axis=1)
        origin, token = best // vocab, best % vocab  # (B, K): which beam, which token
        history = numpy.concatenate([history[rows, origin], token[:, :, None]], axis=2)
        step_attention = _host(attention).reshape(batch, beams, 1, positions)
        attention_history = numpy.concatenate(
            [attention_history[rows, origin], step_attention[rows, origin]], axis=2)

        last_step = step == max_length - 1
        for b in numpy.flatnonzero(~done):
            for k in range(beams):
                if best_scores[b, k] == -numpy.inf:
                    continue
                ended = token[b, k] == eos
                if ended or last_step:
                    length = step + 1
                    total = float(best_scores[b, k])
                    finished[b].append(Hypothesis(
                        history[b, k, :-1 if ended else None].tolist(), total,
                        total / length ** alpha, attention_history[b, k].copy(), bool(ended)))
                if ended:
                    best_scores[b, k] = -numpy.inf  # a finished beam is not extended
            if token[b, 0] == eos or last_step:
                done[b] = True
        if done.all():
            break
        scores = best_scores
        # reorder the model's state to follow the surviving beams
        parent = Tensor._make(xp.asarray((rows * beams + origin).reshape(-1)))
        h, c, feed = state
        state = (h.index_select(1, parent), c.index_select(1, parent),
                 feed.index_select(0, parent) if feed is not None else None)
        tokens = Tensor._make(xp.asarray(token.reshape(-1)))

    return [max(found, key=lambda hypothesis: hypothesis.normalized_score) for found in finished]
