"""LanguageModel: embedding → dropout → RNN/LSTM/GRU stack → dropout → linear, and sampling.

The classic recurrent language model (Zaremba et al. 2014; PyTorch's word_language_model):

    x_t      = dropout(E[token_t])                      E: (vocab, embedding_dim)
    h_t, s_t = RNN(x_t, s_{t-1})                        s: the recurrent state carried along
    logits_t = W · dropout(h_t) + b                     W: (vocab, hidden); tied: W = E

trained to predict token_{t+1} from tokens ≤ t. With ``tie_weights`` the output layer reuses the
embedding matrix (Press & Wolf 2017; Inan et al. 2017), which needs embedding_dim == hidden_size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from .. import backend, creation
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..nn import init
from ..nn.dropout import Dropout
from ..nn.embedding import Embedding
from ..nn.linear import Linear
from ..nn.module import Module

State = Any  # h of shape (num_layers, batch, hidden), or (h, c) for an LSTM; None means zeros
CELLS = ("lstm", "gru", "rnn")


def detach_state(state: Any) -> Any:
    """The carried recurrent state with the same values, cut from the graph (truncated BPTT).

    ``state`` is a Tensor (an RNN's or GRU's ``h``), a tuple or list of states (an LSTM's
    ``(h, c)``, nested as deep as a model nests them) or None; the result has the same
    structure, every Tensor replaced by its ``detach()``: the next window's backward stops
    at the window edge instead of running into the windows before it. The one implementation,
    used by the trainer (``train.hooks``) and the experiments as well as by this model.
    """
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(part) for part in state)
    return state


class LanguageModel(Module):
    """A recurrent language model over a vocabulary of ``vocab_size`` tokens.

    Args:
        vocab_size: number of tokens (input and output classes).
        embedding_dim: size of the token vectors.
        hidden_size: size of the recurrent state of each layer.
        num_layers: recurrent layers stacked.
        cell: ``"lstm"``, ``"gru"`` or ``"rnn"`` (tanh).
        dropout: probability of zeroing the embeddings, the output of the stack and (with two
            layers or more) the activations between recurrent layers, in ``train()`` mode.
        tie_weights: share the embedding matrix with the output layer.
        batch_first: tokens are ``(batch, seq)`` instead of ``(seq, batch)``.

    Shapes (time-major): tokens ``(seq, batch)`` int64 → logits ``(seq, batch, vocab_size)``;
    the state has ``(num_layers, batch, hidden_size)`` tensors, whatever ``batch_first`` is.

    Parameters are named as in PyTorch's word_language_model (``embedding.weight``,
    ``rnn.weight_ih_l0`` …, ``decoder.weight``, ``decoder.bias``), so a PyTorch model built the
    same way exchanges state dicts with this one.
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 128, hidden_size: int = 256,
                 num_layers: int = 2, cell: str = "lstm", dropout: float = 0.0,
                 tie_weights: bool = False, batch_first: bool = False) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"LanguageModel: cell must be one of {CELLS}, got {cell!r}")
        for name, value in (("vocab_size", vocab_size), ("embedding_dim", embedding_dim),
                            ("hidden_size", hidden_size), ("num_layers", num_layers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"LanguageModel: {name} must be a positive integer, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"LanguageModel: dropout must be in [0, 1), got {dropout}")
        if tie_weights and embedding_dim != hidden_size:
            raise ValueError(f"LanguageModel: tie_weights needs embedding_dim == hidden_size, got "
                             f"embedding_dim={embedding_dim}, hidden_size={hidden_size}")
        from .. import nn  # the recurrent layers load on first use

        recurrent = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.vocab_size, self.embedding_dim, self.hidden_size = vocab_size, embedding_dim, hidden_size
        self.num_layers, self.cell, self.dropout_p = num_layers, cell, dropout
        self.tie_weights, self.batch_first = tie_weights, batch_first
        self.embedding = Embedding(vocab_size, embedding_dim)
        self.drop = Dropout(dropout)
        self.rnn = recurrent(embedding_dim, hidden_size, num_layers,
                             dropout=dropout if num_layers > 1 else 0.0, batch_first=batch_first)
        self.decoder = Linear(hidden_size, vocab_size)
        self.reset_output_parameters()
        if tie_weights:
            self.decoder.weight = self.embedding.weight

    def reset_output_parameters(self) -> None:
        """Embedding and output weights ~ U(-0.1, 0.1), output bias 0 (word_language_model's
        init; the recurrent layers keep PyTorch's U(-1/√H, 1/√H))."""
        init.uniform_(self.embedding.weight, -0.1, 0.1)
        init.uniform_(self.decoder.weight, -0.1, 0.1)
        init.zeros_(self.decoder.bias)

    def forward(self, tokens: Tensor, state: State = None) -> tuple[Tensor, State]:
        """logits ``(seq, batch, vocab)`` (``(batch, seq, vocab)`` batch-first) and the new state."""
        if tokens.ndim != 2 or tokens.dtype.kind not in "iu":
            raise ValueError(f"LanguageModel: tokens must be a 2-D integer tensor "
                             f"({'batch, seq' if self.batch_first else 'seq, batch'}), got shape "
                             f"{tuple(tokens.shape)} dtype {tokens.dtype}")
        embedded = self.drop(self.embedding(tokens))
        output, state = self.rnn(embedded, state)
        return self.decoder(self.drop(output)), state

    def init_state(self, batch_size: int, device: Any = None) -> State:
        """Zeros: ``h`` of shape ``(num_layers, batch, hidden)``, or ``(h, c)`` for an LSTM."""
        if device is None:
            device = self.embedding.weight.device
        dtype = self.embedding.weight.dtype

        def zeros() -> Tensor:
            return creation.zeros(self.num_layers, batch_size, self.hidden_size, dtype=dtype, device=device)

        return (zeros(), zeros()) if self.cell == "lstm" else zeros()

    detach_state = staticmethod(detach_state)  # (below) the state a forward pass returned

    def generate(self, prompt_ids: Sequence[int], length: int, temperature: float = 1.0,
                 top_k: int | None = None, generator: Any = None,
                 exclude_ids: Sequence[int] = ()) -> list[int]:
        """Continue ``prompt_ids`` by ``length`` sampled tokens (returned without the prompt).

        Each token is drawn from softmax(logits / temperature) restricted to the ``top_k`` most
        likely tokens, renormalised in float64. ``temperature=0`` takes the most likely token.
        generator: a numpy Generator; the library's CPU generator (``ns.manual_seed``) by default.
        exclude_ids: tokens never drawn (special tokens such as ``<pad>``).
        Runs in eval mode (no dropout) without gradients; the training mode is restored after.
        """
        prompt = [int(i) for i in prompt_ids]
        if not prompt:
            raise ValueError("LanguageModel.generate: prompt_ids must hold at least one token")
        if any(not 0 <= i < self.vocab_size for i in prompt):
            raise ValueError(f"LanguageModel.generate: prompt ids must be in [0, {self.vocab_size}), "
                             f"got {prompt}")
        if length < 0 or temperature < 0 or (top_k is not None and top_k < 1):
            raise ValueError(f"LanguageModel.generate: needs length >= 0, temperature >= 0, top_k >= 1; "
                             f"got length={length}, temperature={temperature}, top_k={top_k}")
        generator = generator if generator is not None else backend.generator(backend.CPU)
        device = self.embedding.weight.device
        was_training = self.training
        self.eval()
        generated: list[int] = []
        try:
            with no_grad():
                tokens, state = prompt, None
                for _ in range(length):
                    column = creation.tensor([tokens], dtype=backend.int64, device=device)
                    logits, state = self(column if self.batch_first else column.t(), state)
                    last = logits.array[0, -1] if self.batch_first else logits.array[-1, 0]
                    tokens = [sample_token(last, temperature, top_k, generator, exclude_ids)]
                    generated.append(tokens[0])
        finally:
            self.train(was_training)
        return generated

    def extra_repr(self) -> str:
        return f"cell={self.cell!r}, tie_weights={self.tie_weights}"


def sample_token(logits: Any, temperature: float = 1.0, top_k: int | None = None,
                 generator: Any = None, exclude_ids: Sequence[int] = ()) -> int:
    """One index drawn from softmax(logits / temperature) over the ``top_k`` largest logits
    (leaving out ``exclude_ids``).

    logits: a 1-D array (numpy or cupy) or Tensor of shape (vocab,). The probabilities are
    computed and renormalised in float64 on the host, so float32 rounding never makes them sum
    to less than one; the draw is inverse-CDF with one uniform number from ``generator``.
    """
    if isinstance(logits, Tensor):
        logits = logits.array
    scores = numpy.array(backend.to_device(logits, backend.CPU), dtype=numpy.float64).reshape(-1)
    if len(exclude_ids):
        scores[numpy.asarray(exclude_ids, dtype=numpy.int64)] = -numpy.inf
        if numpy.isneginf(scores).all():
            raise ValueError(f"sample_token: exclude_ids leave none of the {scores.size} tokens to draw")
    if temperature == 0:
        return int(scores.argmax())
    scores = scores / temperature
    if top_k is not None and top_k < scores.size:
        kth_largest = numpy.partition(scores, -top_k)[-top_k]
        scores[scores < kth_largest] = -numpy.inf
    probs = numpy.exp(scores - scores.max())  # p_i = exp(s_i − max s) / Σ_j exp(s_j − max s)
    cumulative = numpy.cumsum(probs)
    generator = generator if generator is not None else backend.generator(backend.CPU)
    # inverse CDF: the first i with Σ_{j≤i} p_j > u·Σ_j p_j (renormalised by the total)
    index = int(numpy.searchsorted(cumulative, generator.random() * cumulative[-1], side="right"))
    return min(index, scores.size - 1)
