"""Quality check: nnscratch's char-lm reaches PyTorch's validation BPC (within 2%).

    python benchmarks/quality_char_lm.py                    # 300 steps of char-lm's LSTM, 1 thread
    python benchmarks/quality_char_lm.py --cell gru --steps 400 --hidden 256 --json

The nnscratch side is the ``char-lm`` recipe itself — its corpus, batches, model, Adam and the
Trainer with truncated BPTT and gradient clipping — run for ``--steps`` optimiser steps. The
PyTorch side is the same architecture (PyTorch's word_language_model: embedding → LSTM/GRU/RNN
→ linear) started from a copy of the nnscratch model's initial weights, trained on the same
windows in the same order with the same hyper-parameters (torch.optim.Adam, clip_grad_norm_,
the state detached between windows and reset at each epoch), and evaluated on the same
validation windows. Both BPCs are printed; the exit code is 1 when nnscratch's is more than
``--tolerance`` (2%) above PyTorch's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

# the char-lm recipe's model and optimiser settings, on a 1 MB slice of its default corpus
DEFAULTS = {"steps": 300, "corpus_bytes": 1_000_000, "cell": "lstm", "embedding_dim": 64,
            "hidden": 256, "layers": 1, "bptt": 100, "batch_size": 32, "lr": 3e-3, "clip": 1.0,
            "seed": 0}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, value in DEFAULTS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=type(value), default=value)
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads (default 1: on a "
                        "shared machine, spinning BLAS threads slow both sides many times over)")
    parser.add_argument("--tolerance", type=float, default=0.02, help="relative BPC margin (0.02)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser.parse_args(argv)


def set_threads(threads: int) -> None:
    """Before numpy loads: its BLAS reads the thread count from the environment."""
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(threads)


def build_nnscratch(args: argparse.Namespace):
    """The char-lm recipe's task, optimiser and trainer (no run folder) with ``args``' settings."""
    from nnscratch.recipes.launch import build, make_trainer
    from nnscratch.recipes.registry import get_recipe, resolve_settings

    recipe = get_recipe("char-lm")
    settings = resolve_settings(recipe, {
        "steps": args.steps, "corpus_bytes": args.corpus_bytes, "cell": args.cell,
        "embedding_dim": args.embedding_dim, "hidden": args.hidden, "layers": args.layers,
        "bptt": args.bptt, "batch_size": args.batch_size, "lr": args.lr,
        "clip_grad_norm": args.clip, "seed": args.seed, "plots": False, "minutes": 0.0,
        "checkpoint_every": None})
    task, optimizer, scheduler = build(recipe, settings)
    trainer = make_trainer(recipe, settings, task, optimizer, scheduler, None, "off")
    return task, trainer


def make_torch_model(task, args: argparse.Namespace):
    """PyTorch's twin of the task's LanguageModel, holding a copy of its initial weights."""
    import torch

    class TorchLanguageModel(torch.nn.Module):
        def __init__(self, vocab: int) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(vocab, args.embedding_dim)
            recurrent = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[args.cell]
            self.rnn = recurrent(args.embedding_dim, args.hidden, args.layers)
            self.decoder = torch.nn.Linear(args.hidden, vocab)

        def forward(self, tokens, state=None):
            output, state = self.rnn(self.embedding(tokens), state)
            return self.decoder(output), state

    model = TorchLanguageModel(task.model.vocab_size)
    weights = {name: torch.from_numpy(t.numpy().copy()) for name, t in task.model.state_dict().items()}
    model.load_state_dict(weights)
    return model


def _detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def train_torch(model, task, args: argparse.Namespace) -> float:
    """The trainer's loop in PyTorch over the same windows; returns the validation BPC."""
    import torch

    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    windows = task.train_data
    model.train()
    state = None
    for step in range(args.steps):
        k = step % len(windows)
        if k == 0:
            state = None  # a new epoch starts from a zero state, as the Trainer does
        inputs, targets = (torch.from_numpy(t.numpy()) for t in windows.window(k))
        logits, state = model(inputs, state)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        state = _detach(state)
    return evaluate_torch(model, task.val_data)


def evaluate_torch(model, windows) -> float:
    """Bits per character over every validation target, the state carried across windows."""
    import torch

    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for k in range(len(windows)):
            inputs, targets = (torch.from_numpy(t.numpy()) for t in windows.window(k))
            logits, state = model(inputs, state)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                     targets.reshape(-1), reduction="sum")
            total, count = total + float(loss), count + targets.numel()
    return total / count / math.log(2.0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    set_threads(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    task, trainer = build_nnscratch(args)
    torch_model = make_torch_model(task, args)  # before training: the same initial weights

    started = time.perf_counter()
    result = trainer.fit()
    ours_seconds = time.perf_counter() - started
    if result.status != "completed":
        print(f"nnscratch run {result.status}: {result.message}", file=sys.stderr)
        return 1
    ours = result.final["bpc"]

    started = time.perf_counter()
    theirs = train_torch(torch_model, task, args)
    torch_seconds = time.perf_counter() - started

    relative = ours / theirs - 1.0
    passed = relative <= args.tolerance
    report = {"settings": {k: getattr(args, k) for k in DEFAULTS}, "threads": args.threads,
              "train_tokens": args.steps * args.batch_size * args.bptt,
              "valid_tokens": task.val_data.num_tokens, "vocab": task.model.vocab_size,
              "bpc": {"nnscratch": ours, "pytorch": theirs}, "relative_difference": relative,
              "seconds": {"nnscratch": ours_seconds, "pytorch": torch_seconds},
              "tolerance": args.tolerance, "passed": passed}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"char-lm {args.cell} {args.layers}x{args.hidden}, {args.steps} steps of "
              f"{args.batch_size}x{args.bptt} characters, {args.threads} threads, "
              f"validation on {report['valid_tokens']} characters")
        print(f"  nnscratch  validation BPC {ours:.4f}   ({ours_seconds:.1f} s incl. evaluation)")
        print(f"  PyTorch    validation BPC {theirs:.4f}   ({torch_seconds:.1f} s incl. evaluation)")
        verdict = "within" if passed else "NOT within"
        print(f"  nnscratch / PyTorch - 1 = {relative:+.2%}: {verdict} {args.tolerance:.0%}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
