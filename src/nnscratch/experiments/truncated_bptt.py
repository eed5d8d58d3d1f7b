"""``truncated-bptt``: a dependency of length L is learned only by windows longer than L.

Truncated back-propagation through time (Williams & Peng 1990) runs a long stream in windows of
k steps: the state is carried from one window to the next (the forward pass sees the whole
past) but cut from the graph (``detach``) at each window's start, so a loss at step t sends
gradient back only to the first step of its window. A target that depends on an input L steps
earlier can therefore only be learned when some (cue, query) pair falls inside one window,
i.e. when k > L.

Task: :func:`~nnscratch.datasets.memory_tasks.make_lag_recall` — streams of episodes (a binary
cue, L − 1 random distractors, a query); the target at the query is the cue. An LSTM is trained
with windows shorter and longer than L on the same data and scored by its accuracy at the
queries of a test stream (chance: 1/2).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy

from .. import backend, optim
from ..autograd.grad_mode import no_grad
from ..datasets.memory_tasks import IGNORE_INDEX, lag_recall_vocabulary, make_lag_recall
from ..models.language_model import detach_state
from ..models.recurrent_readout import LABELS, SequenceModel, add_forget_bias
from ..nn import functional as F
from ..nn.utils import clip_grad_norm_
from ..viz.experiment_plots import Curve, Panel, save_panels
from .report import Report, Table
from .run_cache import derived_seed
from .sequence_models import to_tensor

TITLE = "Truncated BPTT cannot learn dependencies longer than its window"
SUMMARY = "lag-L recall learned by an LSTM with truncation windows shorter and longer than L"
CLAIM = ("With back-propagation truncated to windows of k steps, no gradient connects a loss to an "
         "input more than k − 1 steps back, so a dependency of length L ≥ k cannot be learned even "
         "though the forward pass carries the state across windows; windows longer than L learn it "
         "(Williams & Peng 1990; Sutskever 2013).")


@dataclass
class Settings:
    lag: int = 20
    windows: tuple = (5, 10, 15, 30, 60)
    architecture: str = "lstm"
    hidden_size: int = 64
    num_distractors: int = 2
    batch_size: int = 32  # streams trained in parallel
    stream_length: int = 240  # steps per training batch of streams
    batches: int = 300  # batches of streams (the same data for every window)
    lr: float = 3e-3
    clip: float = 1.0
    forget_bias: float = 1.0  # added to the LSTM forget-gate bias (Gers et al. 2000)
    eval_every: int = 10  # batches
    test_streams: int = 64
    test_length: int = 600

    @classmethod
    def full(cls) -> Settings:
        return cls()

    @classmethod
    def quick(cls) -> Settings:
        # a short lag needs no forget-gate help, and without it nothing leaks across windows
        return cls(lag=10, windows=(5, 20, 40), hidden_size=32, stream_length=120, batches=100,
                   forget_bias=0.0)


def query_accuracy(model: SequenceModel, inputs: numpy.ndarray, targets: numpy.ndarray,
                   device: str) -> float:
    """Accuracy at the query steps (targets ≠ -100) of whole streams run without truncation."""
    model.eval()
    with no_grad():
        logits, _ = model(to_tensor(inputs, device))
    model.train()
    mask = targets != IGNORE_INDEX
    return float((logits.numpy().argmax(-1)[mask] == targets[mask]).mean())


def train_with_window(window: int, settings: Settings, test: tuple, seed: int, device: str) -> dict:
    """Truncated BPTT with windows of ``window`` steps; accuracy curve against batches."""
    backend.manual_seed(seed)  # same initial weights and data for every window
    vocabulary = lag_recall_vocabulary(settings.num_distractors)
    model = SequenceModel(settings.architecture, vocabulary, settings.hidden_size, 2,
                          num_symbols=vocabulary)
    add_forget_bias(model, settings.forget_bias)
    model.to(device)
    optimizer = optim.Adam(model.parameters(), lr=settings.lr)
    batches, accuracy, updates = [0], [query_accuracy(model, *test, device)], 0
    for batch in range(1, settings.batches + 1):
        inputs, targets = make_lag_recall(settings.batch_size, settings.stream_length, settings.lag,
                                          settings.num_distractors)
        state = None
        for begin in range(0, settings.stream_length, window):
            chunk = slice(begin, begin + window)
            logits, state = model(to_tensor(inputs[:, chunk], device), state)
            state = detach_state(state)  # truncation: no gradient into earlier windows
            chunk_targets = targets[:, chunk]
            if not (chunk_targets != IGNORE_INDEX).any():
                continue  # no query in this window: nothing to learn from
            loss = F.cross_entropy(logits.reshape(-1, 2), to_tensor(chunk_targets.reshape(-1), device))
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(model.parameters(), settings.clip)
            optimizer.step()
            updates += 1
        if batch % settings.eval_every == 0 or batch == settings.batches:
            batches.append(batch)
            accuracy.append(query_accuracy(model, *test, device))
    return {"batches": batches, "accuracy": accuracy, "updates": updates,
            "final_accuracy": float(numpy.mean(accuracy[-3:]))}


def run(settings: Settings, out: Path, device: str = "cpu", seed: int = 0) -> Report:
    report = Report("truncated-bptt", TITLE, CLAIM, settings=asdict(settings))
    backend.manual_seed(derived_seed(seed, "test"))
    test = make_lag_recall(settings.test_streams, settings.test_length, settings.lag,
                           settings.num_distractors)
    runs = {str(window): train_with_window(window, settings, test, derived_seed(seed, "train"), device)
            for window in settings.windows}
    report.results = {"lag": settings.lag, "runs": runs}

    curves = Panel(f"lag L = {settings.lag}: accuracy at the queries", "batch of streams",
                   "test accuracy", references=[("chance", 0.5)], y_limits=(0.4, 1.02))
    for window, values in runs.items():
        side = "<" if int(window) < settings.lag else (">" if int(window) > settings.lag else "=")
        curves.curves.append(Curve(f"k = {window} (k {side} L)", values["batches"], values["accuracy"]))
    final = Panel("final accuracy against the window", f"truncation window k (L = {settings.lag})",
                  "test accuracy",
                  references=[("chance", 0.5)], y_limits=(0.4, 1.02))
    windows = [int(w) for w in runs]
    final.curves.append(Curve(LABELS[settings.architecture], windows,
                              [runs[str(w)]["final_accuracy"] for w in windows], {"marker": "o"}))
    save_panels(out / "truncation.png", [curves, final])
    report.figures.append(("truncation.png", "Accuracy at the queries during training for each "
                           "window k, and at the end against k (the dependency spans "
                           f"L = {settings.lag} steps)."))

    report.setup += [
        f"Lag-recall streams: episodes of a cue (0 or 1), {settings.lag - 1} distractors from "
        f"{settings.num_distractors} symbols and a query; the target at the query is the cue, "
        f"L = {settings.lag} steps back. Inputs one-hot.",
        f"{LABELS[settings.architecture]} of {settings.hidden_size} units (forget-gate bias "
        f"+{settings.forget_bias:g}) and a linear read-out; Adam, "
        f"learning rate {settings.lr:g}, clipping at {settings.clip:g}; {settings.batches} batches of "
        f"{settings.batch_size} streams × {settings.stream_length} steps, one update per window that "
        "contains a query; the same initial weights and data for every window.",
        f"Scored by accuracy at the queries of {settings.test_streams} test streams of "
        f"{settings.test_length} steps run whole (mean of the last three evaluations).",
    ]
    table = Table("Final accuracy at the queries (chance 0.5)", ["window k", "k vs L", "updates",
                                                                 "accuracy"])
    for window, values in runs.items():
        table.rows.append([int(window), "shorter" if int(window) <= settings.lag else "longer",
                           values["updates"], values["final_accuracy"]])
    report.tables.append(table)
    for window, values in runs.items():
        k = int(window)
        if k <= settings.lag:
            report.check(f"window k = {k} ≤ L = {settings.lag} does not learn (accuracy < 0.6)",
                         values["final_accuracy"] < 0.6, f"{values['final_accuracy']:.3f}")
        else:
            report.check(f"window k = {k} > L = {settings.lag} learns (accuracy > 0.9)",
                         values["final_accuracy"] > 0.9, f"{values['final_accuracy']:.3f}")
        report.findings.append(f"k = {k}: accuracy {values['final_accuracy']:.3f} after "
                               f"{values['updates']} updates.")
    report.findings.append(
        "A window no longer than L gets no gradient from a query back to its cue, yet the forward "
        "pass still carries the state across windows: if the untrained recurrence happens to keep a "
        "trace of the cue, the read-out can learn to decode it and such a window may score a little "
        "above chance. What truncation removes is the gradient that would teach the network to "
        "keep the cue; windows longer than L get it and learn the task.")
    return report
