"""Attention over a sequence of encoder states: additive (Bahdanau) and multiplicative (Luong).

A decoder state (the *query* q) scores every encoder state (the *memory* h_1 … h_S); a softmax
over the valid (non-padded) positions turns the scores into weights, and the *context* is the
weighted mean of the memory:

    e_s = score(q, h_s)                       s = 1 … S
    a_s = exp(e_s) / Σ_{s' valid} exp(e_s')   (a_s = 0 exactly at padded positions)
    c   = Σ_s a_s h_s

The scores (Luong et al. 2015, "Effective Approaches to Attention-based NMT", §3.1;
Bahdanau et al. 2015, eq. 6 and appendix A.1.2):

    dot         e_s = qᵀ h_s                               needs query_size == key_size
    general     e_s = qᵀ W_a h_s                           W_a: (query_size, key_size)
    additive    e_s = vᵀ tanh(W_q q + W_k h_s)             W_q: (A, query_size), W_k: (A, key_size)

The part of a score that depends on the memory alone (``W_a h_s``, ``W_k h_s``) is computed once
per source sentence by :meth:`Attention.prepare` and reused at every decoder step.

Shapes (B = batch, S = source positions, T = decoder steps):

========  ==========================================  ==========================================
argument  one decoder step                            all decoder steps at once
========  ==========================================  ==========================================
query     (B, query_size)                             (B, T, query_size)
memory    (B, S, key_size)                            (B, S, key_size)
mask      (B, S) bool, True at valid positions        (B, S)
context   (B, key_size)                               (B, T, key_size)
weights   (B, S)                                      (B, T, S)
========  ==========================================  ==========================================
"""

from __future__ import annotations

from typing import Any

from .. import backend
from .._tensor import Tensor
from ..creation import as_tensor
from ..nn.linear import Linear
from ..nn.module import Module

ATTENTION_KINDS = ("additive", "dot", "general")


class Attention(Module):
    """Base of the attention variants: masked softmax over scores, then the weighted mean.

    Subclasses define :meth:`score` (and :meth:`prepare` when part of the score depends on the
    memory only).
    """

    kind = ""

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__()
        for name, value in (("query_size", query_size), ("key_size", key_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive integer, "
                                 f"got {value!r}")
        self.query_size, self.key_size = query_size, key_size

    def prepare(self, memory: Tensor) -> Tensor:
        """The memory-only part of the score, computed once per source: ``(B, S, ·)``."""
        return memory

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        """Scores ``(B, T, S)`` of queries ``(B, T, query_size)`` against prepared keys."""
        raise NotImplementedError

    def forward(self, query: Tensor, memory: Tensor, mask: Tensor | None = None,
                keys: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(context, weights)`` of ``query`` over ``memory`` (see the module's shape table).

        mask: ``(B, S)`` bool, True where the memory holds a real token (None: all valid).
        Every row must have at least one valid position. keys: ``prepare(memory)`` when the
        caller has it already (decoding step by step).
        """
        single_step = self._check(query, memory, mask, keys)
        if single_step:
            query = query.unsqueeze(1)  # (B, 1, query_size)
        if keys is None:
            keys = self.prepare(memory)
        scores = self.score(query, keys)  # (B, T, S)
        if mask is not None:
            padded = as_tensor(backend.get_array_module(mask.array).logical_not(mask.array))
            # exp(-inf) = 0: padded positions get exactly zero weight and zero gradient
            scores = scores.masked_fill(padded.unsqueeze(1), float("-inf"))
        weights = scores.softmax(dim=-1)
        context = weights @ memory  # c_t = Σ_s a_ts h_s: (B, T, S) @ (B, S, K) → (B, T, K)
        if single_step:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights

    def _check(self, query: Tensor, memory: Tensor, mask: Tensor | None,
               keys: Tensor | None) -> bool:
        name = type(self).__name__
        if memory.ndim != 3 or memory.shape[-1] != self.key_size:
            raise ValueError(f"{name}: memory must be (batch, source_len, {self.key_size}), "
                             f"got {tuple(memory.shape)}")
        if query.ndim not in (2, 3) or query.shape[-1] != self.query_size:
            raise ValueError(f"{name}: query must be (batch, {self.query_size}) or (batch, steps, "
                             f"{self.query_size}), got {tuple(query.shape)}")
        if query.shape[0] != memory.shape[0]:
            raise ValueError(f"{name}: query {tuple(query.shape)} and memory "
                             f"{tuple(memory.shape)} have different batch sizes")
        if mask is not None and tuple(mask.shape) != tuple(memory.shape[:2]):
            raise ValueError(f"{name}: mask must be (batch, source_len) = "
                             f"{tuple(memory.shape[:2])}, got {tuple(mask.shape)}")
        if mask is not None and mask.dtype != backend.bool_:
            raise TypeError(f"{name}: mask must be a bool tensor, got dtype {mask.dtype}")
        if keys is not None and tuple(keys.shape[:2]) != tuple(memory.shape[:2]):
            raise ValueError(f"{name}: keys {tuple(keys.shape)} do not match memory "
                             f"{tuple(memory.shape)}")
        return query.ndim == 2

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, key_size={self.key_size}"


class DotAttention(Attention):
    """Luong's dot score: ``e_s = qᵀ h_s`` (no parameters; query_size == key_size)."""

    kind = "dot"

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__(query_size, key_size)
        if query_size != key_size:
            raise ValueError(f"DotAttention: the dot score needs query_size == key_size, got "
                             f"{query_size} and {key_size} (use 'general' or 'additive')")

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        return query @ keys.transpose(1, 2)  # (B, T, H) @ (B, H, S)


class GeneralAttention(Attention):
    """Luong's general score: ``e_s = qᵀ W_a h_s`` with ``W_a`` = ``key_projection.weight``."""

    kind = "general"

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__(query_size, key_size)
        self.key_projection = Linear(key_size, query_size, bias=False)

    def prepare(self, memory: Tensor) -> Tensor:
        return self.key_projection(memory)  # W_a h_s: (B, S, query_size)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        return query @ keys.transpose(1, 2)


class AdditiveAttention(Attention):
    """Bahdanau's additive (Luong's "concat") score: ``e_s = vᵀ tanh(W_q q + W_k h_s)``.

    hidden_size: A, the size of the tanh layer (default: query_size).
    """

    kind = "additive"

    def __init__(self, query_size: int, key_size: int, hidden_size: int | None = None) -> None:
        super().__init__(query_size, key_size)
        hidden_size = query_size if hidden_size is None else hidden_size
        if not isinstance(hidden_size, int) or hidden_size < 1:
            raise ValueError(f"AdditiveAttention: hidden_size must be a positive integer, "
                             f"got {hidden_size!r}")
        self.hidden_size = hidden_size
        self.query_projection = Linear(query_size, hidden_size, bias=False)  # W_q
        self.key_projection = Linear(key_size, hidden_size)  # W_k (its bias is the tanh's)
        self.energy = Linear(hidden_size, 1, bias=False)  # v

    def prepare(self, memory: Tensor) -> Tensor:
        return self.key_projection(memory)  # W_k h_s + b: (B, S, A)

    def score(self, query: Tensor, keys: Tensor) -> Tensor:
        projected = self.query_projection(query)  # (B, T, A)
        hidden = (projected.unsqueeze(2) + keys.unsqueeze(1)).tanh()  # (B, T, S, A)
        return self.energy(hidden).squeeze(-1)  # vᵀ tanh(…): (B, T, S)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, hidden_size={self.hidden_size}"


def make_attention(kind: str, query_size: int, key_size: int,
                   hidden_size: int | None = None) -> Attention:
    """The attention named ``kind``: ``"additive"`` (alias ``"bahdanau"``, ``"concat"``),
    ``"dot"`` or ``"general"``."""
    aliases: dict[str, Any] = {"bahdanau": "additive", "concat": "additive"}
    kind = aliases.get(kind, kind)
    if kind == "additive":
        return AdditiveAttention(query_size, key_size, hidden_size)
    if kind == "dot":
        return DotAttention(query_size, key_size)
    if kind == "general":
        return GeneralAttention(query_size, key_size)
    raise ValueError(f"make_attention: kind must be one of {ATTENTION_KINDS} (or 'bahdanau'), "
                     f"got {kind!r}")
