"""The word-level language model shared by ``lstm_lm``, ``gru_lm`` and ``lstm_lm_infer``.

Embedding(10000, 256) → 2-layer LSTM or GRU(256) → Linear(256, 10000) over a (35, 32) batch of
token ids (time-major, PyTorch's default), cross-entropy on the next tokens, Adam(lr 1e-3) and
``clip_grad_norm_(0.25)`` — PyTorch's word_language_model example. Written once against the
PyTorch API; ``fw`` is the ``nnscratch`` or the ``torch`` module.
"""

from __future__ import annotations

from typing import Any

from .base import (
    Step,
    cross_entropy_numpy,
    integers,
    linear_weights,
    load_nnscratch,
    load_torch,
    nnscratch_step_parts,
    recurrent_weights,
    scalar_loss,
    torch_step_parts,
    uniform,
)

SIZES = {
    "full": {"vocab": 10000, "embed": 256, "hidden": 256, "layers": 2, "steps": 35, "batch": 32},
    "small": {"vocab": 40, "embed": 6, "hidden": 8, "layers": 2, "steps": 5, "batch": 3},
}
GATES = {"lstm": 4, "gru": 3}
COMMON_REQUIRES = ("nn.Embedding", "nn.Linear")
TRAIN_REQUIRES = ("nn.functional.cross_entropy", "nn.utils.clip_grad_norm_", "optim.Adam")


def requires(kind: str, training: bool) -> tuple:
    layer = {"lstm": "nn.LSTM", "gru": "nn.GRU"}[kind]
    return (*COMMON_REQUIRES, layer, *(TRAIN_REQUIRES if training else ()))


def weights(kind: str, config: dict) -> dict:
    """embedding.weight ~ U(-0.1, 0.1); rnn.* PyTorch's layout; decoder.* Linear's range."""
    v, e, h = config["vocab"], config["embed"], config["hidden"]
    return {
        "embedding.weight": uniform("embedding.weight", (v, e), 0.1),
        **recurrent_weights("rnn", kind, e, h, config["layers"]),
        **linear_weights("decoder", h, v),
    }


def batch(config: dict) -> dict:
    """tokens (T, B) ids; targets (T·B,) the next-token ids, flattened as the logits are."""
    t, b, v = config["steps"], config["batch"], config["vocab"]
    return {"tokens": integers("tokens", (t, b), v), "targets": integers("targets", (t * b,), v)}


def forward_flops(kind: str, config: dict) -> float:
    """F = Σ_layers 2·T·B·G·H·(in + H)  +  2·T·B·H·V  (G = 4 LSTM, 3 GRU; in = E then H)."""
    t, b, e, h, v = (config[k] for k in ("steps", "batch", "embed", "hidden", "vocab"))
    tokens = t * b
    recurrent = sum(
        2 * tokens * GATES[kind] * h * ((e if layer == 0 else h) + h) for layer in range(config["layers"])
    )
    return float(recurrent + 2 * tokens * h * v)


def training_flops(kind: str, config: dict) -> float:
    """3F: forward, weight grads and input grads (the embedding needs the first layer's)."""
    return 3 * forward_flops(kind, config)


def make_model(fw: Any, kind: str, config: dict) -> Any:
    nn = fw.nn
    v, e, h = config["vocab"], config["embed"], config["hidden"]
    recurrent = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]

    class LanguageModel(nn.Module):
        """tokens (T, B) → logits (T·B, V)."""

        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(v, e)
            self.rnn = recurrent(e, h, num_layers=config["layers"])
            self.decoder = nn.Linear(h, v)

        def forward(self, tokens: Any) -> Any:
            output, _ = self.rnn(self.embedding(tokens))
            return self.decoder(output.reshape(-1, h))

    return LanguageModel()


def _build(fw: Any, synchronize: Any, load: Any, kind: str, training: bool, config: dict, device: str) -> Step:
    model = make_model(fw, kind, config)
    load(model, weights(kind, config))
    model.to(device)
    data = batch(config)
    tokens = fw.tensor(data["tokens"], device=device)
    targets = fw.tensor(data["targets"], device=device)
    inputs = {"tokens": tokens, "targets": targets}
    if not training:
        model.eval()

        def infer() -> Any:
            with fw.no_grad():
                return model(tokens)

        def loss_of(logits: Any) -> float:
            return cross_entropy_numpy(logits.cpu().numpy(), data["targets"])

        return Step(infer, loss_of, synchronize, model, inputs)

    cross_entropy = fw.nn.functional.cross_entropy
    clip_grad_norm_ = fw.nn.utils.clip_grad_norm_
    parameters = list(model.parameters())
    optimizer = fw.optim.Adam(parameters, lr=1e-3)

    def train() -> Any:
        optimizer.zero_grad()
        loss = cross_entropy(model(tokens), targets)
        loss.backward()
        clip_grad_norm_(parameters, 0.25)
        optimizer.step()
        return loss

    return Step(train, scalar_loss, synchronize, model, inputs)


def builders(kind: str, training: bool) -> tuple:
    """(build_nnscratch, build_torch) for one recurrent kind, training or inference."""

    def build_nnscratch(config: dict, device: str) -> Step:
        ns, synchronize = nnscratch_step_parts(device)
        return _build(ns, synchronize, load_nnscratch, kind, training, config, device)

    def build_torch(config: dict, device: str) -> Step:
        torch, synchronize = torch_step_parts(device)
        return _build(torch, synchronize, load_torch, kind, training, config, device)

    return build_nnscratch, build_torch
