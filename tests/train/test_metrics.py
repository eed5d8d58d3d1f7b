"""Metrics against independent truths: PyTorch's cross-entropy, numpy counts, closed forms."""

import math

import numpy as np
import pytest
import torch

import nnscratch as ns
from nnscratch.train.metrics import (
    Accuracy,
    BitsPerCharacter,
    MeanLoss,
    MeanSquaredError,
    Perplexity,
    RunningMean,
    accuracy,
    make_metrics,
    mode_of,
)


def batches_of_tokens(seed=0):
    """Language-model-like batches of unequal size: (logits (B, T, V), targets (B, T))."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((b, t, 7)), rng.integers(0, 7, (b, t)))
            for b, t in [(2, 5), (3, 4), (1, 9)]]


def batch_loss(logits, targets):
    return torch.nn.functional.cross_entropy(torch.from_numpy(logits).reshape(-1, 7),
                                             torch.from_numpy(targets).reshape(-1)).item()


def test_perplexity_and_bpc_are_over_all_tokens_not_per_batch():
    batches = batches_of_tokens()
    all_logits = np.concatenate([l.reshape(-1, 7) for l, _ in batches])
    all_targets = np.concatenate([t.reshape(-1) for _, t in batches])
    token_loss = torch.nn.functional.cross_entropy(torch.from_numpy(all_logits),
                                                   torch.from_numpy(all_targets)).item()
    metrics = {"loss": MeanLoss(), "perplexity": Perplexity(), "bpc": BitsPerCharacter()}
    for logits, targets in batches:
        loss = np.asarray(batch_loss(logits, targets))
        for metric in metrics.values():
            metric.update(logits, targets, loss, targets.size)
    assert metrics["loss"].compute() == pytest.approx(token_loss, rel=1e-12)
    assert metrics["perplexity"].compute() == pytest.approx(math.exp(token_loss), rel=1e-12)
    assert metrics["bpc"].compute() == pytest.approx(token_loss / math.log(2), rel=1e-12)


def test_accuracy_counts_argmax_hits():
    rng = np.random.default_rng(1)
    logits, targets = rng.standard_normal((50, 4)), rng.integers(0, 4, 50)
    expected = sum(int(np.argmax(row) == t) for row, t in zip(logits, targets)) / 50
    assert accuracy(ns.tensor(logits), ns.tensor(targets)) == expected
    metric = Accuracy()
    metric.update(logits[:20], targets[:20], None, 20)
    metric.update(ns.tensor(logits[20:]), ns.tensor(targets[20:]), None, 30)
    assert metric.compute() == expected


def test_accuracy_skips_ignored_targets():
    logits = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    targets = np.array([1, -100, 1])
    metric = Accuracy()
    metric.update(logits, targets, None, 2)
    assert metric.compute() == 0.5


def test_accuracy_checks_shapes():
    with pytest.raises(ValueError, match=r"accuracy.*\(3, 2\).*\(4,\)"):
        accuracy(np.zeros((3, 2)), np.zeros(4, dtype=np.int64))


def test_mse_matches_torch():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    metric = MeanSquaredError()
    metric.update(a[:2], b[:2], None, 2)
    metric.update(a[2:], b[2:], None, 4)
    expected = torch.nn.functional.mse_loss(torch.from_numpy(a), torch.from_numpy(b)).item()
    assert metric.compute() == pytest.approx(expected, rel=1e-12)


def test_running_mean_is_weighted_and_saves_its_state():
    mean = RunningMean()
    mean.add(np.float32(2.0), 1)
    mean.add(5.0, 3)
    assert mean.compute() == pytest.approx((2 + 15) / 4)
    copy = RunningMean()
    copy.load_state_dict(mean.state_dict())
    assert copy.compute() == mean.compute()
    assert math.isnan(RunningMean().compute())


def test_registry_and_modes():
    assert set(make_metrics(["loss", "accuracy"])) == {"loss", "accuracy"}
    with pytest.raises(ValueError, match="bleu_score"):
        make_metrics(["bleu_score"])
    assert mode_of("accuracy") == "max" and mode_of("perplexity") == "min"


def test_the_text_metrics_are_in_the_table_without_importing_their_module_first():
    # a fresh process that imports only the metrics module: "bleu" used to exist only after
    # something imported the BLEU module for its side effect (the recipes did, a user's loop not)
    import subprocess
    import sys

    child = ("from nnscratch.train.metrics import make_metrics, mode_of\n"
             "names = ['bleu', 'bleu_char', 'exact_match']\n"
             "print(sorted(make_metrics(names)), [mode_of(name) for name in names])\n")
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    assert out == "['bleu', 'bleu_char', 'exact_match'] ['max', 'max', 'max']"
