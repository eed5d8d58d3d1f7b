"""Recipes ``char-lm`` and ``word-lm``: recurrent language models trained by truncated BPTT.

    char-lm   characters of the default corpus (Python standard-library sources, so that the
              model learns to write Python) or of any UTF-8 file (``text``); ``cell`` rnn, lstm
              or gru. Reports validation loss, perplexity and bits per character, validated
              after every epoch. By default it trains a fixed number of epochs, so the same
              seed gives the same model on any machine, however busy.
    word-lm   words and punctuation of a UTF-8 file (``text`` is required), PTB-style: one
              ``<eos>`` per line, the ``max_vocab`` most frequent training words, tied weights.

Both cut the training stream into ``batch_size`` rows read in windows of ``bptt`` steps; the
recurrent state flows from one window to the next (the trainer detaches it, so gradients stop at
the window edge), and the gradient norm is clipped. ``minutes`` > 0 ends training (then
validates) after that much training time, and says so on stderr: such a run depends on the
machine's speed and load. 0 (the default) means no time budget. The vocabulary
(``vocab.json``) and the model's shape (``language_model.json``) are written into the run
folder when training starts (once: a resume leaves them as they are), so
``nnscratch generate RUN_DIR`` needs nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..datasets.text import LanguageModelBatches, TextCorpus, default_corpus
from ..models.language_model import CELLS, LanguageModel
from ..nn import functional as F
from ..optim import Adam
from ..train.callbacks import Callback
from .registry import Range, Settings, SettingsError, Task, recipe
from .run_files import json_bytes, language_model_description, read_description, read_vocab, write_once

VOCAB_FILE = "vocab.json"
MODEL_FILE = "language_model.json"


# minutes: training time budget (0: none); corpus_bytes: how much of the default corpus is read
LANGUAGE_RANGES = {"minutes": (0, 1_000_000), "cell": CELLS, "bptt": (1, 10_000),
                   "embedding_dim": (1, 8192), "hidden": (1, 8192), "layers": (1, 16),
                   "dropout": Range(0, 1, high_open=True), "corpus_bytes": (1, 10**9),
                   "min_freq": (1, 10**9), "max_vocab": (0, 10_000_000)}


def language_model_forward(model: LanguageModel, batch: Any, state: Any) -> tuple[Any, Any, Any]:
    """The trainer's hook: logits flattened to ``(seq·batch, vocab)`` against ``(seq·batch,)``
    targets, and the new recurrent state (which the trainer detaches and carries on)."""
    inputs, targets = batch
    logits, state = model(inputs, state)
    return logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), state


class SaveLanguageModelFiles(Callback):
    """Writes ``vocab.json`` and ``language_model.json`` into the run folder at the start,
    atomically and only when they differ from what is there (a resume leaves them alone)."""

    def __init__(self, corpus: TextCorpus, model_config: dict[str, Any]) -> None:
        self.corpus, self.model_config = corpus, model_config

    def on_fit_start(self, trainer: Any) -> None:
        if trainer.run is None:
            return
        folder = Path(trainer.run.path)
        write_once(folder / VOCAB_FILE, self.corpus.vocab.dumps().encode("utf-8"))
        write_once(folder / MODEL_FILE, json_bytes(self.model_config))


class TimeLimit(Callback):
    """Ends the run (status ``completed``, after a validation) once it has trained ``minutes``,
    and says so on stderr: a run ended by the clock depends on the machine's speed."""

    def __init__(self, minutes: float) -> None:
        self.minutes = minutes
        self.seconds = 60.0 * minutes

    def on_step_end(self, trainer: Any, step: int) -> None:
        if trainer.elapsed() >= self.seconds and not trainer.should_stop:
            trainer.should_stop = True
            print(f"time budget of {self.minutes:g} minutes ended the run at step {step}",
                  file=sys.stderr, flush=True)


def _corpus(settings: Settings, level: str) -> TextCorpus:
    text = settings.text
    if text is not None and not isinstance(text, str):
        raise SettingsError(f"setting 'text' must be a file name, got {text!r}")
    options: dict[str, Any] = {"level": level, "min_freq": settings.min_freq,
                               "max_size": settings.max_vocab or None}
    if level == "word":
        options["lowercase"] = settings.lowercase
    try:
        if text is None:
            return default_corpus(max_bytes=settings.corpus_bytes, **options)
        return TextCorpus.from_file(text, **options)
    except FileNotFoundError:
        raise SettingsError(f"text file {text} does not exist") from None
    except IsADirectoryError:
        raise SettingsError(f"text {text} is a directory, not a file") from None
    except ValueError as error:  # not UTF-8, empty, too short to split
        raise SettingsError(str(error)) from None


def build_language_task(settings: Settings, level: str, metrics: list[str]) -> Task:
    """Corpus → batches → LanguageModel → Adam, for either recipe."""
    corpus = _corpus(settings, level)
    device = settings.device
    try:
        train = LanguageModelBatches(corpus.train, settings.batch_size, settings.bptt, device=device)
        valid = LanguageModelBatches(corpus.valid, settings.batch_size, settings.bptt, device=device)
    except ValueError as error:
        raise SettingsError(f"{corpus.name}: {error}") from None
    config = {"level": level, "vocab_size": len(corpus.vocab), "embedding_dim": settings.embedding_dim,
              "hidden_size": settings.hidden, "num_layers": settings.layers, "cell": settings.cell,
              "dropout": settings.dropout, "tie_weights": settings.tie_weights,
              "lowercase": bool(settings.get("lowercase", False))}
    try:
        model = LanguageModel(config["vocab_size"], settings.embedding_dim, settings.hidden,
                              settings.layers, cell=settings.cell, dropout=settings.dropout,
                              tie_weights=settings.tie_weights)
    except ValueError as error:
        raise SettingsError(str(error)) from None
    return Task(
        model=model,
        loss=F.cross_entropy,
        train_data=train,
        val_data=valid,
        metrics=metrics,
        monitor="loss",
        make_optimizer=lambda parameters: Adam(parameters, lr=settings.lr),
        forward=language_model_forward,
        callbacks=[SaveLanguageModelFiles(corpus, config)]
        + ([TimeLimit(settings.minutes)] if settings.minutes else []),
    )


@recipe(
    "char-lm",
    "character-level LSTM/GRU/RNN language model; writes Python-like text after 3 epochs "
    "(~2,500 steps, 3-5 min on 2 cores) of the default corpus (stdlib sources), or any UTF-8 "
    "text with text=FILE; minutes=N adds a time budget",
    epochs=3, minutes=0.0, batch_size=32, lr=3e-3, clip_grad_norm=1.0, log_every=25,
    checkpoint_every=200, text=None, cell="lstm", bptt=100, embedding_dim=64, hidden=256,
    layers=1, dropout=0.0, tie_weights=False, corpus_bytes=3_000_000, min_freq=1, max_vocab=0,
    ranges=LANGUAGE_RANGES,
)
def char_lm(settings: Settings) -> Task:
    return build_language_task(settings, "char", ["loss", "perplexity", "bpc"])


@recipe(
    "word-lm",
    "word-level LSTM/GRU/RNN language model of a UTF-8 text file (text=FILE), PTB-style",
    epochs=10, minutes=0.0, batch_size=20, lr=2e-3, clip_grad_norm=0.25, log_every=50, text=None,
    cell="lstm", bptt=35, embedding_dim=200, hidden=200, layers=2, dropout=0.2, tie_weights=True,
    corpus_bytes=3_000_000, min_freq=1, max_vocab=10000, lowercase=False,
    ranges=LANGUAGE_RANGES,
)
def word_lm(settings: Settings) -> Task:
    if settings.text is None:
        raise SettingsError("recipe 'word-lm' needs a text file: --text FILE (or text = \"FILE\" "
                            "in a --config file)")
    return build_language_task(settings, "word", ["loss", "perplexity"])


def read_language_model_files(run_dir: str | Path) -> tuple[dict[str, Any], Any]:
    """The ``language_model.json`` description (checked, see run_files.py) and the
    :class:`Vocab` of a char-lm/word-lm run folder; the vocabulary must have exactly
    ``vocab_size`` tokens."""
    folder = Path(run_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"run folder {folder} does not exist" if not folder.exists()
                                else f"{folder} is not a folder")
    config_path = folder / MODEL_FILE
    if not config_path.exists() and not config_path.is_symlink():
        raise FileNotFoundError(f"{folder} is not a language-model run folder (no {MODEL_FILE})")
    config = language_model_description(
        read_description(config_path, "language-model description"), config_path)
    vocab = read_vocab(folder / VOCAB_FILE, size=config["vocab_size"], source=config_path,
                       size_field="vocab_size")
    return config, vocab
