"""Recipes ``seq2seq-dates`` and ``seq2seq``: attention-based translation.

``seq2seq-dates`` needs nothing but the library: it learns to rewrite human-written dates in
English and Korean (:class:`~nnscratch.datasets.DateTranslation`) as ISO dates, character by
character, and is measured by exact match on held-out dates never seen in training.
``seq2seq --data FILE.tsv`` trains on any parallel corpus of ``source<TAB>target`` lines (a
Tatoeba pair file, say) split at random into training, validation and test pairs, and reports
corpus BLEU (0–100, computed by sacrebleu) on the test pairs.

Both evaluate by decoding: validation with greedy search every epoch, the test set at the end
with the run's decoding (greedy, or beam search with ``beam_size`` > 1). ``summary.json``'s
``final`` holds ``loss`` (teacher-forced cross-entropy per target token), ``exact_match`` (a
fraction) and BLEU: ``bleu`` over words (13a tokens) for ``level=word``, ``bleu_char`` over
characters for ``level=char`` and for seq2seq-dates (word-level BLEU-4 of one-word answers is
always 0, however good they are). The run folder gets the vocabularies, ``seq2seq.json`` and
attention heat-maps (see translate.py), and ``nnscratch translate RUN_DIR "…"`` uses them.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy

from .._tensor import Tensor
from ..data import DataLoader
from ..data.dataset import Dataset
from ..datasets.dates import DateTranslation
from ..datasets.parallel import ParallelCorpus, TranslationPairs, decode_tokens
from ..models.attention import ATTENTION_KINDS
from ..models.seq2seq import ENCODER_CELLS, Seq2Seq
from ..nn import functional as F
from ..optim import Adam
from ..optim.lr_scheduler import CosineAnnealingLR
from .registry import Range, Settings, SettingsError, Task, recipe
from .translate import TranslationFiles

EVAL_BATCH = 500


@dataclass
class Translations:
    """The model's output for a batch: teacher-forced ``logits`` (B, T, V) and, when
    evaluating, the decoded ``hypotheses`` as text."""

    logits: Tensor
    hypotheses: list[str] | None = None


@dataclass
class References:
    """The batch's targets: ``tokens`` (B, T) ending in <eos> and padded, ``count`` the number
    of real target tokens, ``references`` the reference translations as text."""

    tokens: Tensor
    count: int
    references: list[str]


class PairExamples(Dataset):
    """``(source_ids, target_ids, reference_text)`` of the pairs at ``indices``."""

    def __init__(self, pairs: TranslationPairs, indices: Any = None) -> None:
        self.pairs = pairs
        self.indices = numpy.arange(len(pairs)) if indices is None else numpy.asarray(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> tuple[numpy.ndarray, numpy.ndarray, str]:
        k = int(self.indices[index])
        source, target = self.pairs[k]
        return source, target, self.pairs.target_text(k)


class PadPairs:
    """Collate examples into a padded batch (a dict the trainer can move to a device)::

        source         (B, S) int64   source tokens, <pad> after each sentence's end
        source_lengths (B,)           numpy int64
        target_input   (B, T) int64   <bos> y_1 … y_n  <pad> …
        target_output  (B, T) int64   y_1 … y_n <eos>  <pad> …
    """

    def __init__(self, source_vocab: Any, target_vocab: Any, decoding: str = "greedy") -> None:
        self.source_pad = source_vocab.pad_index
        self.pad, self.bos, self.eos = (target_vocab.pad_index, target_vocab.bos_index,
                                        target_vocab.eos_index)
        self.decoding = decoding

    def __call__(self, examples: list) -> dict[str, Any]:
        batch = len(examples)
        source_lengths = numpy.array([len(s) for s, _, _ in examples], dtype=numpy.int64)
        target_lengths = numpy.array([len(t) for _, t, _ in examples], dtype=numpy.int64)
        source = numpy.full((batch, source_lengths.max()), self.source_pad, dtype=numpy.int64)
        steps = int(target_lengths.max()) + 1
        target_input = numpy.full((batch, steps), self.pad, dtype=numpy.int64)
        target_output = numpy.full((batch, steps), self.pad, dtype=numpy.int64)
        target_input[:, 0] = self.bos
        for row, (s, t, _) in enumerate(examples):
            source[row, :len(s)] = s
            target_input[row, 1:len(t) + 1] = t
            target_output[row, :len(t)] = t
            target_output[row, len(t)] = self.eos
        return {"source": Tensor(source), "source_lengths": source_lengths,
                "target_input": Tensor(target_input), "target_output": Tensor(target_output),
                "count": int(target_lengths.sum() + batch),
                "references": [reference for _, _, reference in examples],
                "decoding": self.decoding}


def make_forward(target_vocab: Any, tokenizer: Any, beam_size: int, length_penalty: float,
                 max_length: int) -> Any:
    """The trainer's ``forward``: teacher-forced logits always; decoded text when evaluating
    (beam search for batches collated with ``decoding="beam"`` when ``beam_size`` > 1)."""

    def forward(model: Any, batch: dict, state: Any) -> tuple[Translations, References, None]:
        source, lengths = batch["source"], batch["source_lengths"]
        output = Translations(model(source, lengths, batch["target_input"]))
        if not model.training:
            if batch["decoding"] == "beam" and beam_size > 1:
                found = model.beam_search(source, lengths, beam_size, max_length, length_penalty)
            else:
                found = model.greedy_decode(source, lengths, max_length)
            output.hypotheses = [decode_tokens(h.tokens, target_vocab, tokenizer) for h in found]
        return output, References(batch["target_output"], batch["count"],
                                  batch["references"]), None

    return forward


def make_loss(pad_index: int) -> Any:
    def loss(output: Translations, target: References) -> Tensor:
        """Mean cross-entropy over the real target tokens (padding ignored)."""
        vocab = output.logits.shape[-1]
        return F.cross_entropy(output.logits.reshape(-1, vocab), target.tokens.reshape(-1),
                               ignore_index=pad_index)

    return loss


def _tokenizer_description(tokenizer: Any) -> dict[str, Any]:
    return {"level": tokenizer.level, "lowercase": bool(getattr(tokenizer, "lowercase", False))}


def translation_task(settings: Settings, pairs: TranslationPairs, train: Any, val: Any, test: Any,
                     max_length: int, metrics: list[str], monitor: str,
                     heatmap_examples: list[str]) -> Task:
    """Model, data loaders, loss, metrics and run-folder files shared by both recipes.

    heatmap_examples: source texts whose attention is drawn when the run completes.
    """
    source_vocab, target_vocab = pairs.source_vocab, pairs.target_vocab
    try:
        model = Seq2Seq(
            len(source_vocab), len(target_vocab), embedding_dim=settings.embedding_dim,
            hidden_size=settings.hidden, num_layers=settings.layers, encoder=settings.encoder,
            bidirectional=settings.bidirectional, attention=settings.attention,
            input_feeding=settings.input_feeding, dropout=settings.dropout,
            teacher_forcing_ratio=settings.teacher_forcing, pad_index=target_vocab.pad_index,
            bos_index=target_vocab.bos_index, eos_index=target_vocab.eos_index)
    except ValueError as error:
        raise SettingsError(str(error)) from None
    if source_vocab.pad_index != target_vocab.pad_index:
        raise SettingsError("seq2seq: the source and target vocabularies must share <pad>")
    decoding = {"beam_size": settings.beam_size, "length_penalty": settings.length_penalty,
                "max_length": max_length}
    config = {"source_tokenizer": _tokenizer_description(pairs.source_tokenizer),
              "target_tokenizer": _tokenizer_description(pairs.target_tokenizer),
              "decoding": decoding, "model": dict(model.config)}
    greedy = PadPairs(source_vocab, target_vocab, "greedy")
    return Task(
        model=model,
        loss=make_loss(target_vocab.pad_index),
        train_data=DataLoader(train, batch_size=settings.batch_size, shuffle=True,
                              collate_fn=greedy),
        val_data=DataLoader(val, batch_size=EVAL_BATCH, collate_fn=greedy) if len(val) else None,
        test_data=DataLoader(test, batch_size=EVAL_BATCH,
                             collate_fn=PadPairs(source_vocab, target_vocab, "beam")),
        metrics=metrics,
        monitor=monitor,
        make_optimizer=lambda parameters: Adam(parameters, lr=settings.lr),
        make_scheduler=lambda optimizer, total_steps: CosineAnnealingLR(optimizer, T_max=total_steps),
        scheduler_interval="step",
        forward=make_forward(target_vocab, pairs.target_tokenizer, **decoding),
        count=lambda target: target.count,
        callbacks=[TranslationFiles(config, source_vocab, target_vocab, heatmap_examples)],
    )


# settings of the model and of decoding, shared by both recipes
MODEL_DEFAULTS = dict(encoder="lstm", bidirectional=True, layers=1, attention="general",
                      input_feeding=False, dropout=0.0, teacher_forcing=1.0, beam_size=1,
                      length_penalty=1.0, heatmaps=4)
MODEL_RANGES = {"encoder": ENCODER_CELLS, "layers": (1, 16), "attention": ATTENTION_KINDS,
                "dropout": Range(0, 1, high_open=True), "teacher_forcing": (0, 1), "beam_size": (1, 64),
                "length_penalty": (0, 10), "heatmaps": (0, 100), "embedding_dim": (1, 8192),
                "hidden": (1, 8192)}


@recipe(
    "seq2seq-dates",
    "attention seq2seq rewriting English and Korean dates of 1969-2068 as ISO dates, character by "
    "character, in 25 formats such as 'September 3, 2021', '03/09/2021' (day first) and "
    "'2021년 9월 3일' (all listed by nnscratch translate --help); >= 99% exact match on held-out "
    "dates in < 5 min on 2 cores",
    **MODEL_DEFAULTS, epochs=3, batch_size=64, lr=4e-3, log_every=50, clip_grad_norm=5.0,
    train_size=20000, val_size=500, test_size=5000, embedding_dim=32, hidden=128,
    ranges={**MODEL_RANGES, "train_size": (1, 1_000_000), "val_size": (0, 100_000),
            "test_size": (1, 100_000)},
)
def seq2seq_dates(settings: Settings) -> Task:
    sizes = {"train": settings.train_size, "val": settings.val_size, "test": settings.test_size}
    splits = {name: DateTranslation(size, name, seed=settings.seed) for name, size in sizes.items()}
    train, val, test = (PairExamples(splits[name]) for name in ("train", "val", "test"))
    # heat-maps of test dates written in different formats
    first_of_format: dict[str, int] = {}
    for index, name in enumerate(splits["test"].format_names):
        first_of_format.setdefault(name, index)
    shown = sorted(first_of_format.values())[:settings.heatmaps]
    return translation_task(settings, splits["train"], train, val, test, max_length=12,
                            metrics=["loss", "exact_match", "bleu_char"], monitor="exact_match",
                            heatmap_examples=[splits["test"].source_text(k) for k in shown])


@recipe(
    "seq2seq",
    "attention seq2seq on a parallel corpus: --data FILE.tsv of source<TAB>target lines "
    "(e.g. a Tatoeba pair file); reports corpus BLEU on held-out pairs",
    **{**MODEL_DEFAULTS, "beam_size": 4}, data="", lowercase=True, level="word", reverse=False,
    max_length=25, min_freq=1, max_vocab=20000, max_pairs=0, val_fraction=0.05,
    test_fraction=0.1, epochs=10, batch_size=64, lr=2e-3, log_every=50, clip_grad_norm=5.0,
    embedding_dim=128, hidden=256,
    ranges={**MODEL_RANGES, "level": ("word", "char"), "max_length": (1, 10_000),
            "min_freq": (1, 10**9), "max_vocab": (0, 10_000_000), "max_pairs": (0, 10**9),
            "val_fraction": Range(0, 1, high_open=True),
            "test_fraction": Range(0, 1, low_open=True, high_open=True)},
)
def seq2seq_corpus(settings: Settings) -> Task:
    if not settings.data:
        raise SettingsError("recipe 'seq2seq' needs a parallel corpus: --data FILE.tsv (lines "
                            "source<TAB>target[<TAB>anything], e.g. a Tatoeba pair file)")
    path = Path(settings.data)
    if not path.is_file():
        raise SettingsError(f"recipe 'seq2seq': {path} is not a file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            corpus = ParallelCorpus(path, lowercase=settings.lowercase, level=settings.level,
                                    max_length=settings.max_length, reverse=settings.reverse)
        except (ValueError, UnicodeDecodeError) as error:
            raise SettingsError(str(error)) from None
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr, flush=True)
    order = numpy.random.default_rng(settings.seed).permutation(len(corpus))
    if settings.max_pairs > 0:
        order = order[:settings.max_pairs]
    count = len(order)
    n_test = max(1, int(round(settings.test_fraction * count)))
    n_val = int(round(settings.val_fraction * count))
    if not (0 < settings.test_fraction < 1 and 0 <= settings.val_fraction < 1) \
            or n_test + n_val >= count:
        raise SettingsError(f"seq2seq: {count} pairs cannot be split into test_fraction="
                            f"{settings.test_fraction} and val_fraction={settings.val_fraction} "
                            f"with pairs left for training")
    test_indices, val_indices = order[:n_test], order[n_test:n_test + n_val]
    train_indices = order[n_test + n_val:]
    corpus.build_vocabs(train_indices, min_freq=settings.min_freq,
                        max_size=settings.max_vocab or None)
    # word-level BLEU-4 of one-word answers is 0 however good they are: characters instead
    bleu_metric = "bleu_char" if settings.level == "char" else "bleu"
    return translation_task(
        settings, corpus, PairExamples(corpus, train_indices), PairExamples(corpus, val_indices),
        PairExamples(corpus, test_indices), max_length=settings.max_length + 2,
        metrics=["loss", bleu_metric, "exact_match"], monitor=bleu_metric,
        heatmap_examples=[corpus.source_text(int(k)) for k in test_indices[:settings.heatmaps]])
