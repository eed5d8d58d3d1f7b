"""What the trainer reports: throughput named as what it counts, the signal that stopped a run,
no numpy warning flood before the NaN message, messages in order, titled plots.

Rates are checked against a fake clock the forward pass advances by a known time per step, so
the expected numbers are exact: examples (or tokens) per step divided by seconds per step.
"""

import io
import signal
import warnings

import numpy as np
import pytest

import nnscratch as ns
import nnscratch.nn as nn
import nnscratch.nn.functional as F
from nnscratch.data import DataLoader, TensorDataset
from nnscratch.datasets.text import LanguageModelBatches
from nnscratch.optim import SGD
from nnscratch.train import RunFolder, Trainer
from nnscratch.train import trainer as trainer_module
from nnscratch.train.faults import SIGNAL_ENV
from nnscratch.train.hooks import default_forward
from nnscratch.train.progress import Progress


class FakeClock:
    """Stands in for the trainer's ``time`` module; ``advance`` moves it on."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(trainer_module, "time", fake)
    return fake


def timed(forward, clock, seconds_of_step):
    """``forward`` that advances the clock by ``seconds_of_step(n)`` at its n-th call."""
    calls = {"n": 0}

    def run(model, batch, state):
        calls["n"] += 1
        clock.advance(seconds_of_step(calls["n"]))
        return forward(model, batch, state)

    return run


def classification(n=64, batch_size=16):
    ns.manual_seed(0)
    x = ns.randn(n, 3)
    y = ns.tensor((x.numpy().sum(axis=1) > 0).astype(np.int64))
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
    return model, DataLoader(TensorDataset(x, y), batch_size=batch_size)


def train_records(trainer):
    return [r for r in trainer.history if r["split"] == "train"]


def test_classification_reports_samples_per_second_only(clock):
    model, loader = classification()
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=1,
                      log_every=2, forward=timed(default_forward, clock, lambda n: 0.5),
                      progress="off")
    trainer.fit()
    for record in train_records(trainer):
        assert record["samples_per_second"] == 16 / 0.5  # 16 examples per 0.5 s step
        assert "tokens_per_second" not in record


class TinyLM(nn.Module):
    def __init__(self, vocab=7):
        super().__init__()
        self.embedding, self.output = nn.Embedding(vocab, 4), nn.Linear(4, vocab)

    def forward(self, ids):
        return self.output(self.embedding(ids))


def lm_loss(output, target):
    return F.cross_entropy(output.reshape(-1, output.shape[-1]), target.reshape(-1))


@pytest.mark.parametrize("batch_first", [True, False])
def test_a_sequence_task_reports_sequences_and_tokens_per_second(clock, batch_first):
    ns.manual_seed(1)
    ids = np.random.default_rng(0).integers(0, 7, size=3 * 41)
    data = LanguageModelBatches(ids, batch_size=3, bptt=5, batch_first=batch_first)  # 8 windows
    model = TinyLM()
    stream = io.StringIO()
    trainer = Trainer(model, lm_loss, SGD(model.parameters(), lr=0.1), data, epochs=1, log_every=4,
                      forward=timed(default_forward, clock, lambda n: 0.25),
                      progress=Progress("plain", stream=stream))
    trainer.fit()
    records = train_records(trainer)
    assert len(records) == 2
    for record in records:
        assert record["samples_per_second"] == 3 / 0.25  # 3 sequences per window
        assert record["tokens_per_second"] == 3 * 5 / 0.25  # 15 target tokens per window
    assert "samples/s 12  tokens/s 60" in stream.getvalue().splitlines()[0]


def test_the_epoch_line_shows_the_epochs_own_rate(clock):
    model, loader = classification(n=64, batch_size=8)  # 8 steps per epoch
    # epoch 1: 1 s per step; epoch 2: six steps of 1 s, then two of 0.1 s
    seconds = [1.0] * 8 + [1.0] * 6 + [0.1] * 2
    stream = io.StringIO()
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=2,
                      log_every=3, forward=timed(default_forward, clock, lambda n: seconds[n - 1]),
                      progress=Progress("plain", stream=stream))
    trainer.fit()
    epoch_lines = [line for line in stream.getvalue().splitlines() if "train loss" in line]
    assert epoch_lines[0].endswith(f"samples/s {64 / 8.0:.0f}")
    assert epoch_lines[1].endswith(f"samples/s {64 / 6.2:.0f}")  # not the last window's 80


def test_plain_logging_honours_log_every():
    model, loader = classification(n=64, batch_size=4)  # 16 steps
    stream = io.StringIO()
    Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=1,
            log_every=5, progress=Progress("auto", stream=stream)).fit()
    steps = [line.split()[3] for line in stream.getvalue().splitlines() if "  loss " in line]
    assert steps == ["5", "10", "15", "16"]  # every log_every steps, and the epoch's last


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_the_result_names_the_signal_that_stopped_the_run(monkeypatch, tmp_path, name):
    monkeypatch.setenv(SIGNAL_ENV, f"3:{name}")
    model, loader = classification()
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=2,
                      run=RunFolder(tmp_path / "run"), progress="off", plots=False)
    result = trainer.fit()
    assert result.status == "stopped" and result.steps == 3
    assert result.signal == getattr(signal, name) and 128 + result.signal in (130, 143)
    assert result.message == f"stopped by {name} at step 3; checkpoint saved"
    monkeypatch.delenv(SIGNAL_ENV)
    assert Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=1,
                   progress="off").fit().signal is None


def test_a_diverging_run_names_the_step_without_numpy_warnings():
    model, loader = classification()
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))  # overflows at step 2
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=1e30), loader, epochs=3,
                      log_every=50, progress="off")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = trainer.fit()
        np.exp(np.array([1000.0]))  # outside the training steps numpy still warns
    assert result.status == "failed" and "loss is" in result.message and "at step" in result.message
    runtime = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert runtime == ["overflow encountered in exp"], runtime


def test_the_early_stopping_message_follows_its_epochs_line():
    model, loader = classification(n=32)
    stream = io.StringIO()
    validation = DataLoader(loader.dataset, batch_size=8)
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.0), loader,
                      val_data=validation, epochs=50, early_stopping_patience=3,
                      progress=Progress("plain", stream=stream))
    trainer.fit()
    lines = [line for line in stream.getvalue().splitlines() if "val loss" in line
             or "early stopping" in line]
    assert [line.split()[1] for line in lines[:-1]] == ["1/50", "2/50", "3/50", "4/50"]
    assert lines[-1].startswith("early stopping: validation loss has not improved for 3 epochs")


def test_every_plot_is_titled_with_the_run_and_recipe(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from nnscratch.viz import learning_curves as plots

    titles = {}
    real_save = plots.atomic_save_figure

    def record_title(figure, path, **options):
        titles[path.name] = figure.axes[0].get_title()
        return real_save(figure, path, **options)

    monkeypatch.setattr(plots, "atomic_save_figure", record_title)
    model, loader = classification()
    run = RunFolder(tmp_path / "spirals-run-7")
    Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=2,
            val_data=loader, metrics=["loss", "accuracy"], run=run, progress="off",
            recipe="mlp-spirals").fit()
    assert sorted(titles) == sorted(p.name for p in run.plots.iterdir())
    assert set(titles) >= {"loss.png", "accuracy.png", "lr.png"}
    for name, title in titles.items():
        assert title.startswith("spirals-run-7 (mlp-spirals): "), (name, title)


def test_without_matplotlib_the_run_completes_and_says_why_there_are_no_plots(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot", raising=False)
    model, loader = classification()
    stream = io.StringIO()
    run = RunFolder(tmp_path / "no-plots")
    result = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=1,
                     run=run, progress=Progress("plain", stream=stream)).fit()
    assert result.status == "completed" and result.message is None
    assert "matplotlib is not installed: no plots (pip install 'nnscratch[plot]')" in stream.getvalue()
    assert not run.plots.exists() or list(run.plots.iterdir()) == []


def test_the_loss_is_shown_and_plotted_under_its_name(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from nnscratch.viz import learning_curves as plots

    drawn = {}
    real_save = plots.atomic_save_figure

    def record(figure, path, **options):
        axes = figure.axes[0]
        drawn[path.name] = (axes.get_title(), axes.get_ylabel())
        return real_save(figure, path, **options)

    monkeypatch.setattr(plots, "atomic_save_figure", record)
    model, loader = classification()
    stream = io.StringIO()
    name = "free-energy gap F(data)-F(sample)"
    run = RunFolder(tmp_path / "named")
    trainer = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader, epochs=2,
                      val_data=loader, log_every=2, run=run, recipe="demo", loss_name=name,
                      progress=Progress("plain", stream=stream))
    trainer.fit()
    lines = stream.getvalue().splitlines()
    step_lines = [line for line in lines if "samples/s" in line and "val" not in line]
    epoch_lines = [line for line in lines if f"val {name}" in line]
    assert len(step_lines) == 4 and all(f"  {name} " in line for line in step_lines), lines
    assert len(epoch_lines) == 2 and all(f"train {name} " in line for line in epoch_lines), lines
    assert not any(" loss " in line for line in lines), lines
    assert drawn["loss.png"] == (f"named (demo): {name}", name)
    # metrics.jsonl keeps the key "loss" for what reads it
    assert all("loss" in record for record in run.read_metrics() if record["split"] == "train")


class MissingGlyphs:
    """Records every "Glyph … missing from font(s)" warning given inside the block (matplotlib
    warns while laying out, e.g. in tight_layout, so the whole drawing is watched)."""

    def __enter__(self):
        self._catcher = warnings.catch_warnings(record=True)
        self._caught = self._catcher.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc_info):
        self._catcher.__exit__(*exc_info)
        self.messages = [str(w.message) for w in self._caught
                         if "glyph" in str(w.message).lower() and "missing" in str(w.message)]


def test_a_korean_run_name_renders_in_the_plot_titles(tmp_path):
    pytest.importorskip("matplotlib")
    model, loader = classification()
    run = RunFolder(tmp_path / "나선-실험 2021년")
    with MissingGlyphs() as glyphs:
        result = Trainer(model, F.cross_entropy, SGD(model.parameters(), lr=0.1), loader,
                         epochs=1, run=run, progress="off", recipe="mlp-spirals").fit()
    assert result.status == "completed" and result.message is None, result.message
    assert glyphs.messages == []
    assert (run.plots / "loss.png").read_bytes().startswith(b"\x89PNG")


def test_a_korean_title_renders_in_an_image_grid(tmp_path):
    pytest.importorskip("matplotlib")
    from nnscratch.viz.image_grid import save_image_grid

    images = np.random.default_rng(0).random((4, 1, 8, 8))
    with MissingGlyphs() as glyphs:
        path = save_image_grid(images, tmp_path / "grid.png", columns=2,
                               titles=["원", "사각형", "삼각형", "별"], row_labels=["원본", "재구성"],
                               suptitle="오토인코더-실험: 재구성 (생성된 도형)")
    assert glyphs.messages == [] and path.read_bytes().startswith(b"\x89PNG")


def test_the_missing_glyph_check_can_fail(tmp_path):
    """Hangul in matplotlib's own font (DejaVu Sans) is reported: the checks above can fail."""
    matplotlib = pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    with MissingGlyphs() as glyphs, matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        figure, axes = plt.subplots()
        axes.set_title("나선-실험")
        figure.canvas.draw()
        plt.close(figure)
    assert glyphs.messages and "DejaVu Sans" in glyphs.messages[0]


def test_the_training_errors_are_exported():
    import nnscratch.train as train
    from nnscratch.train.checkpoint import NonFiniteStateError
    from nnscratch.train.folder_lock import RunFolderBusy

    assert train.NonFiniteStateError is NonFiniteStateError
    assert train.RunFolderBusy is RunFolderBusy
    assert {"NonFiniteStateError", "RunFolderBusy"} <= set(train.__all__)
