"""Decoding: the one beam search of nnscratch (:func:`search_beams`, over any decoder that
extends its rows one token at a time: :class:`~.seq2seq.Seq2Seq`, :class:`~.captioner.Captioner`),
and greedy search and beam search for a Seq2Seq model, batched.

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

A decoder takes part through two functions (see :func:`search_beams`): ``step`` (tokens →
log-probabilities of the next token, new state, attention or None) and ``reorder`` (the rows of
the state that follow the surviving beams).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy

from .. import backend
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..creation import as_tensor


@dataclass
class Hypothesis:
    """A decoded sentence: ``tokens`` (without <eos>), ``score`` (total log-probability),
    ``normalized_score`` (score / length^α), ``attention`` ``(len(tokens) + finished, S)`` —
    one row of source weights per produced token, <eos> included when it was produced; None
    for a decoder without attention — and whether it ``finished`` with <eos>."""

    tokens: list[int]
    score: float
    normalized_score: float
    attention: numpy.ndarray | None
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
            tokens = as_tensor(xp.full((batch,), model.bos_index, dtype=numpy.int64))
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
                tokens = as_tensor(xp.asarray(best))
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
    """The best hypothesis of a beam search for each sentence of a Seq2Seq ``source (B, S)``
    (see the module docstring)."""
    _check(max_length, beam_size)
    if length_penalty < 0:
        raise ValueError(f"beam_search: length_penalty must be >= 0, got {length_penalty}")
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            lengths = model.source_lengths(source, source_lengths)
            batch = len(lengths)
            xp = backend.get_array_module(source.array)
            # row b·K + k of every model tensor is beam k of sentence b
            rows = as_tensor(xp.asarray(numpy.repeat(numpy.arange(batch), beam_size)))
            encoded = model.encode(source, lengths).select(rows)

            def step(tokens: numpy.ndarray, state: Any) -> tuple:
                logits, state, attention = model.decode_step(as_tensor(xp.asarray(tokens)),
                                                             state, encoded)
                return _host(logits.log_softmax(dim=-1)).astype(numpy.float64), state, _host(attention)

            def reorder(state: Any, parents: numpy.ndarray) -> Any:
                parent = as_tensor(xp.asarray(parents))
                h, c, feed = state
                return (h.index_select(1, parent), c.index_select(1, parent),
                        feed.index_select(0, parent) if feed is not None else None)

            return search_beams(step, reorder, model.initial_state(encoded), batch, beam_size,
                                max_length, length_penalty, model.bos_index, model.eos_index)
    finally:
        model.train(was_training)


def search_beams(step: Callable[[numpy.ndarray, Any], tuple], reorder: Callable[[Any, numpy.ndarray], Any],
                 state: Any, batch: int, beam_size: int, max_length: int, length_penalty: float,
                 bos_index: int, eos_index: int) -> list[Hypothesis]:
    """Beam search over any decoder: the best :class:`Hypothesis` of each of ``batch`` inputs.

    ``state`` is the decoder's state for B·K rows (K = ``beam_size``), row b·K + k being beam k
    of input b; all K rows of an input start equal, from ``bos_index``.

    - ``step(tokens, state) → (log_probs, state, attention)``: ``tokens`` (B·K,) int64 on the
      host, the token each row read last; ``log_probs`` (B·K, V) float64 on the host, log p of
      every next token (−inf for a token that must never be written); ``attention`` (B·K, S)
      on the host, or None.
    - ``reorder(state, parents) → state``: the state whose row r is row ``parents[r]`` (host
      int64, (B·K,)) of ``state``: the rows follow the beams that survived the step.
    """
    _check(max_length, beam_size)
    if length_penalty < 0:
        raise ValueError(f"beam_search: length_penalty must be >= 0, got {length_penalty}")
    beams, alpha, eos = beam_size, length_penalty, eos_index
    scores = numpy.full((batch, beams), -numpy.inf)
    scores[:, 0] = 0.0  # all beams start as the same <bos>: expand only the first
    history = numpy.zeros((batch, beams, 0), dtype=numpy.int64)
    attention_history = None
    finished: list[list[Hypothesis]] = [[] for _ in range(batch)]
    done = numpy.zeros(batch, dtype=bool)
    tokens = numpy.full(batch * beams, bos_index, dtype=numpy.int64)
    rows = numpy.arange(batch)[:, None]

    for step_index in range(max_length):
        log_probs, state, attention = step(tokens, state)
        vocab = log_probs.shape[-1]
        # total score of every continuation: (B, K, V) → the K best of the K·V per input
        candidates = (scores[:, :, None] + log_probs.reshape(batch, beams, vocab)).reshape(batch, -1)
        best = numpy.argsort(-candidates, axis=1, kind="stable")[:, :beams]
        best_scores = numpy.take_along_axis(candidates, best, axis=1)
        origin, token = best // vocab, best % vocab  # (B, K): which beam, which token
        history = numpy.concatenate([history[rows, origin], token[:, :, None]], axis=2)
        if attention is not None:  # (B, K, steps so far, S), following the beams like history
            step_attention = attention.reshape(batch, beams, 1, -1)[rows, origin]
            attention_history = step_attention if attention_history is None else numpy.concatenate(
                [attention_history[rows, origin], step_attention], axis=2)

        last_step = step_index == max_length - 1
        for b in numpy.flatnonzero(~done):
            for k in range(beams):
                if best_scores[b, k] == -numpy.inf:
                    continue
                ended = token[b, k] == eos
                if ended or last_step:
                    length = step_index + 1
                    total = float(best_scores[b, k])
                    weights = None if attention_history is None else attention_history[b, k].copy()
                    finished[b].append(Hypothesis(
                        history[b, k, :-1 if ended else None].tolist(), total,
                        total / length ** alpha, weights, bool(ended)))
                if ended:
                    best_scores[b, k] = -numpy.inf  # a finished beam is not extended
            if token[b, 0] == eos or last_step:
                done[b] = True
        if done.all():
            break
        scores = best_scores
        state = reorder(state, (rows * beams + origin).reshape(-1))
        tokens = token.reshape(-1)

    return [max(found, key=lambda hypothesis: hypothesis.normalized_score) for found in finished]
