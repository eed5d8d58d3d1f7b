"""Seq2Seq: an encoder–decoder with attention (Bahdanau et al. 2015; Luong et al. 2015).

    encoder      x_1 … x_S  →  embedding  →  (bi)LSTM/GRU, L layers  →  memory h_1 … h_S
    bridge       decoder state s_0 = tanh(W_h [h_S→; h_1←]),  c_0 = W_c [c_S→; c_1←]
    decoder      s_t = LSTM([E y_{t-1}; h̃_{t-1}], s_{t-1})       (h̃_{t-1} only with input feeding)
    attention    a_t = softmax_s score(s_t, h_s) over valid s;   c_t = Σ_s a_ts h_s
    output       h̃_t = tanh(W_c [c_t; s_t]);   p(y_t | y_<t, x) = softmax(W_o h̃_t + b_o)

Training uses teacher forcing: the decoder reads the true previous token y_{t-1}; with
``teacher_forcing_ratio`` < 1 each example reads its own previous prediction instead with
probability 1 − ratio at every step. Without input feeding and with full teacher forcing the
decoder LSTM runs over the whole target in one fused call and attention is computed for all
steps at once; otherwise it runs step by step (:meth:`Seq2Seq.decode_step`), as it must when
decoding (greedy and beam search live in beam_search.py).

Shapes (B = batch, S = source length, T = target length, V = target vocabulary):
source ``(B, S)`` int64 padded with ``pad_index``, source_lengths ``(B,)``, target_input
``(B, T)`` int64 starting with ``bos_index`` → logits ``(B, T, V)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy

from .. import backend, creation, functional
from .._tensor import Tensor
from ..nn.dropout import Dropout
from ..nn.embedding import Embedding
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from .attention import make_attention

ENCODER_CELLS = ("lstm", "gru")


@dataclass
class EncodedSource:
    """What the decoder needs from the encoder, for B sentences.

    memory ``(B, S, K)`` encoder states (K = directions × encoder_hidden_size), zero at padding;
    mask ``(B, S)`` bool, True at real tokens; keys ``attention.prepare(memory)``; state the
    decoder's initial ``(h_0, c_0)``, each ``(num_layers, B, hidden_size)``.
    """

    memory: Tensor
    mask: Tensor
    keys: Tensor
    state: tuple[Tensor, Tensor]

    def select(self, rows: Tensor) -> EncodedSource:
        """The sentences at ``rows`` (an int64 index; repeats allowed, as for beam search)."""
        h, c = self.state
        return EncodedSource(self.memory.index_select(0, rows), self.mask[rows],
                             self.keys.index_select(0, rows),
                             (h.index_select(1, rows), c.index_select(1, rows)))


# the recurrent decoder state: (h, c) of the LSTM (num_layers, N, H) and the previous
# attentional vector h̃ (N, H), fed back with input feeding (None before the first step)
DecoderState = tuple[Tensor, Tensor, Any]


class Seq2Seq(Module):
    """Encoder–decoder with attention over all encoder states.

    Args:
        source_vocab_size, target_vocab_size: vocabulary sizes (specials included).
        embedding_dim: size of the source and target token vectors.
        hidden_size: decoder state size H (and the size of the attentional vector h̃).
        num_layers: recurrent layers of the encoder and of the decoder.
        encoder: ``"lstm"`` or ``"gru"``.
        bidirectional: run the encoder both ways; memory is then [h→; h←].
        encoder_hidden_size: per direction (default ``hidden_size // directions``, so that the
            memory has size H and "dot" attention applies).
        attention: ``"additive"`` (Bahdanau), ``"dot"`` or ``"general"`` (Luong).
        attention_hidden_size: size of the additive attention's tanh layer (default H).
        input_feeding: feed h̃_{t-1} into the decoder with y_{t-1} (Luong §3.3).
        dropout: on embeddings, between recurrent layers and on h̃ before the output layer.
        teacher_forcing_ratio: probability that a training step reads the true previous token.
        pad_index, bos_index, eos_index: special target (and source padding) indices.
    """

    def __init__(self, source_vocab_size: int, target_vocab_size: int, embedding_dim: int = 64,
                 hidden_size: int = 128, num_layers: int = 1, encoder: str = "lstm",
                 bidirectional: bool = True, encoder_hidden_size: int | None = None,
                 attention: str = "general", attention_hidden_size: int | None = None,
                 input_feeding: bool = False, dropout: float = 0.0,
                 teacher_forcing_ratio: float = 1.0, pad_index: int = 0, bos_index: int = 2,
                 eos_index: int = 3) -> None:
        super().__init__()
        for name, value in (("source_vocab_size", source_vocab_size),
                            ("target_vocab_size", target_vocab_size),
                            ("embedding_dim", embedding_dim), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Seq2Seq: {name} must be a positive integer, got {value!r}")
        if encoder not in ENCODER_CELLS:
            raise ValueError(f"Seq2Seq: encoder must be one of {ENCODER_CELLS}, got {encoder!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"Seq2Seq: dropout must be in [0, 1), got {dropout}")
        directions = 2 if bidirectional else 1
        if encoder_hidden_size is None:
            if hidden_size % directions:
                raise ValueError(f"Seq2Seq: a bidirectional encoder splits hidden_size between "
                                 f"its directions; got the odd hidden_size {hidden_size} (give "
                                 f"encoder_hidden_size)")
            encoder_hidden_size = hidden_size // directions
        for name, index, size in (("pad_index", pad_index, min(source_vocab_size, target_vocab_size)),
                                  ("bos_index", bos_index, target_vocab_size),
                                  ("eos_index", eos_index, target_vocab_size)):
            if not 0 <= index < size:
                raise ValueError(f"Seq2Seq: {name} {index} is outside the vocabulary (size {size})")
        from .. import nn  # the recurrent layers load on first use

        self.config = dict(
            source_vocab_size=source_vocab_size, target_vocab_size=target_vocab_size,
            embedding_dim=embedding_dim, hidden_size=hidden_size, num_layers=num_layers,
            encoder=encoder, bidirectional=bidirectional, encoder_hidden_size=encoder_hidden_size,
            attention=attention, attention_hidden_size=attention_hidden_size,
            input_feeding=input_feeding, dropout=dropout,
            teacher_forcing_ratio=teacher_forcing_ratio, pad_index=pad_index,
            bos_index=bos_index, eos_index=eos_index)
        self.hidden_size, self.num_layers, self.directions = hidden_size, num_layers, directions
        self.encoder_cell, self.input_feeding = encoder, input_feeding
        self.pad_index, self.bos_index, self.eos_index = pad_index, bos_index, eos_index
        self.teacher_forcing_ratio = teacher_forcing_ratio
        memory_size = directions * encoder_hidden_size

        self.source_embedding = Embedding(source_vocab_size, embedding_dim, padding_idx=pad_index)
        self.target_embedding = Embedding(target_vocab_size, embedding_dim, padding_idx=pad_index)
        recurrent = nn.LSTM if encoder == "lstm" else nn.GRU
        self.encoder = recurrent(embedding_dim, encoder_hidden_size, num_layers, batch_first=True,
                                 dropout=dropout if num_layers > 1 else 0.0,
                                 bidirectional=bidirectional)
        # a learned bridge when the encoder's final states do not fit the decoder as they are
        self.uses_bridge = bidirectional or memory_size != hidden_size or encoder == "gru"
        if self.uses_bridge:
            self.bridge_h = Linear(memory_size, hidden_size)
            self.bridge_c = Linear(memory_size, hidden_size)
        decoder_input = embedding_dim + (hidden_size if input_feeding else 0)
        self.decoder = nn.LSTM(decoder_input, hidden_size, num_layers, batch_first=True,
                               dropout=dropout if num_layers > 1 else 0.0)
        self.attention = make_attention(attention, hidden_size, memory_size, attention_hidden_size)
        self.combine = Linear(memory_size + hidden_size, hidden_size, bias=False)  # W_c
        self.output = Linear(hidden_size, target_vocab_size)  # W_o, b_o
        self.drop = Dropout(dropout)

    @property
    def teacher_forcing_ratio(self) -> float:
        return self._teacher_forcing_ratio

    @teacher_forcing_ratio.setter
    def teacher_forcing_ratio(self, ratio: float) -> None:
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"Seq2Seq: teacher_forcing_ratio must be in [0, 1], got {ratio}")
        self._teacher_forcing_ratio = float(ratio)
        if hasattr(self, "config"):
            self.config["teacher_forcing_ratio"] = float(ratio)

    def source_lengths(self, source: Tensor, lengths: Any = None) -> numpy.ndarray:
        """Lengths as a host int64 array, checked against ``source (B, S)``; None: count the
        non-padding tokens."""
        if not isinstance(source, Tensor) or source.ndim != 2:
            raise ValueError(f"Seq2Seq: source must be a (batch, length) tensor of token indices, "
                             f"got {getattr(source, 'shape', type(source).__name__)}")
        if source.dtype.kind not in "iu":
            raise TypeError(f"Seq2Seq: source must hold integer token indices, got {source.dtype}")
        if lengths is None:
            lengths = (source.numpy() != self.pad_index).sum(axis=1)
        elif isinstance(lengths, Tensor):
            lengths = lengths.numpy()
        lengths = numpy.asarray(lengths, dtype=numpy.int64).reshape(-1)
        if lengths.shape[0] != source.shape[0]:
            raise ValueError(f"Seq2Seq: {lengths.shape[0]} source lengths for a batch of "
                             f"{source.shape[0]} (source {tuple(source.shape)})")
        if lengths.size and (lengths.min() < 1 or lengths.max() > source.shape[1]):
            raise ValueError(f"Seq2Seq: source lengths must be in [1, {source.shape[1]}] for "
                             f"source {tuple(source.shape)}, got {lengths.tolist()}")
        return lengths

    def encode(self, source: Tensor, lengths: Any = None) -> EncodedSource:
        """Run the encoder; see :class:`EncodedSource`."""
        lengths = self.source_lengths(source, lengths)
        longest = int(lengths.max())
        if longest < source.shape[1]:
            source = source[:, :longest]
        embedded = self.drop(self.source_embedding(source))  # (B, S, E)
        packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        output, final = self.encoder(packed)
        memory, _ = pad_packed_sequence(output, batch_first=True)  # (B, S, K), zeros at pads
        xp = backend.get_array_module(memory.array)
        mask = creation.as_tensor(xp.asarray(numpy.arange(longest)[None, :] < lengths[:, None]))
        keys = self.attention.prepare(memory)
        return EncodedSource(memory, mask, keys, self._bridge(final, source.shape[0]))

    def _bridge(self, final: Any, batch: int) -> tuple[Tensor, Tensor]:
        """Decoder's initial (h_0, c_0) from the encoder's final states (L·D, B, H_enc)."""
        h_n, c_n = final if self.encoder_cell == "lstm" else (final, final)
        if not self.uses_bridge:
            if self.encoder_cell == "gru":
                c_n = creation.zeros_like(h_n)
            return h_n, c_n

        def per_layer(states: Tensor) -> Tensor:
            # (L·D, B, H_enc) → (L, D, B, H_enc) → (L, B, D·H_enc): [h→; h←] of each layer
            states = states.reshape(self.num_layers, self.directions, batch, -1)
            return states.permute(0, 2, 1, 3).reshape(self.num_layers, batch, -1)

        h_0 = self.bridge_h(per_layer(h_n)).tanh()  # s_0 = tanh(W_h [h→; h←] + b)
        c_0 = self.bridge_c(per_layer(c_n))
        return h_0, c_0

    def initial_state(self, encoded: EncodedSource) -> DecoderState:
        h_0, c_0 = encoded.state
        feed = None
        if self.input_feeding:
            feed = creation.zeros(h_0.shape[1], self.hidden_size, dtype=h_0.dtype,
                                  device=h_0.device)
        return h_0, c_0, feed

    def _attend_and_predict(self, decoded: Tensor, encoded: EncodedSource) -> tuple[Tensor, Tensor, Tensor]:
        """Decoder outputs (B, [T,] H) → (logits, attentional vector h̃, attention weights)."""
        context, weights = self.attention(decoded, encoded.memory, encoded.mask, encoded.keys)
        attentional = self.combine(functional.cat([context, decoded], dim=-1)).tanh()  # h̃
        logits = self.output(self.drop(attentional))
        return logits, attentional, weights

    def decode_step(self, tokens: Tensor, state: DecoderState,
                    encoded: EncodedSource) -> tuple[Tensor, DecoderState, Tensor]:
        """One decoder step for N hypotheses: previous tokens ``(N,)`` → logits ``(N, V)``,
        the new state, and the attention weights ``(N, S)``."""
        h, c, feed = state
        x = self.drop(self.target_embedding(tokens))  # (N, E)
        if self.input_feeding:
            x = functional.cat([x, feed], dim=-1)
        output, (h, c) = self.decoder(x.unsqueeze(1), (h, c))
        logits, attentional, weights = self._attend_and_predict(output.squeeze(1), encoded)
        return logits, (h, c, attentional), weights

    def forward(self, source: Tensor, source_lengths: Any, target_input: Tensor) -> Tensor:
        """Teacher-forced logits ``(B, T, V)`` for ``target_input`` (B, T) = <bos> y_1 … ."""
        if not isinstance(target_input, Tensor) or target_input.ndim != 2 \
                or target_input.shape[0] != source.shape[0]:
            raise ValueError(f"Seq2Seq: target_input must be (batch, length) with the source's "
                             f"batch {source.shape[0]}, got "
                             f"{getattr(target_input, 'shape', type(target_input).__name__)}")
        encoded = self.encode(source, source_lengths)
        forcing_everywhere = not self.training or self.teacher_forcing_ratio >= 1.0
        if forcing_everywhere and not self.input_feeding:
            # the whole target in one fused LSTM call, attention for all steps at once
            embedded = self.drop(self.target_embedding(target_input))  # (B, T, E)
            decoded, _ = self.decoder(embedded, encoded.state)  # (B, T, H)
            return self._attend_and_predict(decoded, encoded)[0]
        return self._forward_step_by_step(encoded, target_input, forcing_everywhere)

    def _forward_step_by_step(self, encoded: EncodedSource, target_input: Tensor,
                              forcing_everywhere: bool) -> Tensor:
        state = self.initial_state(encoded)
        steps, batch = target_input.shape[1], target_input.shape[0]
        xp = backend.get_array_module(target_input.array)
        generator = backend.generator(target_input.device)
        tokens = target_input[:, 0]
        all_logits = []
        for t in range(steps):
            if t > 0:
                tokens = target_input[:, t]
                if not forcing_everywhere:
                    # each example reads the truth with probability `ratio`, else its prediction
                    predicted = xp.argmax(all_logits[-1].array, axis=-1)
                    truth = generator.random(batch) < self.teacher_forcing_ratio
                    tokens = creation.as_tensor(xp.where(xp.asarray(truth), tokens.array, predicted))
            logits, state, _ = self.decode_step(tokens, state, encoded)
            all_logits.append(logits)
        return functional.stack(all_logits, dim=1)

    def greedy_decode(self, source: Tensor, source_lengths: Any = None,
                      max_length: int = 50) -> list:
        """Most probable token at each step; a list of :class:`~.beam_search.Hypothesis`."""
        from .beam_search import greedy_search

        return greedy_search(self, source, source_lengths, max_length)

    def beam_search(self, source: Tensor, source_lengths: Any = None, beam_size: int = 5,
                    max_length: int = 50, length_penalty: float = 1.0) -> list:
        """Beam search with length normalisation; a list of :class:`~.beam_search.Hypothesis`."""
        from .beam_search import beam_search

        return beam_search(self, source, source_lengths, beam_size, max_length, length_penalty)

    def extra_repr(self) -> str:
        return (f"attention={self.attention.kind}, input_feeding={self.input_feeding}, "
                f"teacher_forcing_ratio={self.teacher_forcing_ratio}")
