"""Metrics of generated text: corpus BLEU as papers quote it (computed by sacrebleu, Post 2018,
word or character level) and exact match.

sacrebleu fixed what a BLEU score means: the tokenisation, case kept, n-grams up to 4, the
closest reference length and the "exp" smoothing of mteval for an order with no match. For a
corpus of hypotheses h and references r (one or more per hypothesis):

    p_n  = Σ_h Σ_{g ∈ n-grams(h)} min(count_h(g), max_r count_r(g))  /  Σ_h #n-grams(h)
    BP   = 1 if c ≥ r else exp(1 − r / c)        c = Σ |h|,  r = Σ |closest reference|
    BLEU = 100 · BP · exp( (1/4) Σ_{n=1..4} log p_n )

Two tokenisations are used:

- ``13a`` (words and punctuation, mteval-v13a.pl's tokeniser): the metric ``bleu``, for
  word-level tasks (translation of sentences, captions);
- ``char`` (every character but spaces is a token): the metric ``bleu_char``, for
  character-level tasks (dates, arithmetic, words written without spaces). Word-level BLEU-4
  of single-token answers is 0 however good they are: a one-word answer has no 4-grams.

The n-gram counts add up over sentences, so :class:`BLEUStatistics` accumulates a corpus batch by
batch (sacrebleu's sentence statistics) and gives the same score as one corpus call. The
metrics ``bleu``, ``bleu_char`` and ``exact_match`` of this module are in the trainer's table,
:data:`nnscratch.train.metrics.METRICS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .base import Metric

MAX_ORDER = 4
TOKENIZERS = ("13a", "char", "none")


def _tokenizer_name(tokenize: bool | str) -> str:
    if tokenize is True:
        return "13a"
    if tokenize is False:
        return "none"
    if tokenize not in TOKENIZERS:
        raise ValueError(f"BLEU: tokenize must be one of {TOKENIZERS}, got {tokenize!r}")
    return tokenize


def tokenize_13a(line: str) -> str:
    """The ``13a`` tokenisation of one line (sacrebleu's): tokens separated by single spaces."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return Tokenizer13a()(line)


class BLEUStatistics:
    """The sufficient statistics of corpus BLEU, added one sentence at a time.

    ``matches[n-1]`` and ``totals[n-1]``: clipped matching and all hypothesis n-grams;
    ``hypothesis_length`` c and ``reference_length`` r in tokens of ``tokenize`` ("13a",
    "char" or "none"; True/False mean "13a"/"none").
    """

    def __init__(self, max_order: int = MAX_ORDER, lowercase: bool = False,
                 tokenize: bool | str = True) -> None:
        from sacrebleu.metrics import BLEU

        self.max_order, self.lowercase = max_order, lowercase
        self.tokenize = _tokenizer_name(tokenize)
        # effective_order only changes how one sentence is scored, never its counts
        self._bleu = BLEU(lowercase=lowercase, tokenize=self.tokenize, max_ngram_order=max_order,
                          effective_order=True)
        self.matches = [0] * max_order
        self.totals = [0] * max_order
        self.hypothesis_length = 0
        self.reference_length = 0

    def add(self, hypothesis: str, references: str | Sequence[str]) -> None:
        """Add one hypothesis and its reference(s)."""
        if isinstance(references, str):
            references = [references]
        references = [r for r in references if r is not None]
        if not references:
            raise ValueError("BLEU: every hypothesis needs at least one reference")
        for text in (hypothesis, *references):
            if not isinstance(text, str):
                raise TypeError(f"BLEU: sentences must be strings, got {type(text).__name__}")
        found = self._bleu.sentence_score(hypothesis, list(references))
        for n in range(self.max_order):
            self.matches[n] += found.counts[n]
            self.totals[n] += found.totals[n]
        self.hypothesis_length += found.sys_len
        self.reference_length += found.ref_len

    def update(self, hypotheses: Sequence[str], references: Sequence[str | Sequence[str]]) -> None:
        """Add a batch: ``references[i]`` is the reference (or list of them) of hypothesis i."""
        if len(hypotheses) != len(references):
            raise ValueError(f"BLEU: {len(hypotheses)} hypotheses but {len(references)} "
                             f"references")
        for hypothesis, reference in zip(hypotheses, references):
            self.add(hypothesis, reference)

    def score(self) -> float:
        """Corpus BLEU in [0, 100], as sacrebleu's ``corpus_score`` of the same sentences."""
        from sacrebleu.metrics import BLEU

        score = BLEU.compute_bleu(self.matches, self.totals, self.hypothesis_length,
                                  self.reference_length, smooth_method="exp",
                                  max_ngram_order=self.max_order).score
        # exp(log 100) is 100.00000000000004 in floating point: keep the score in range
        return min(100.0, score)


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str | Sequence[str]],
                lowercase: bool = False, tokenize: bool | str = True) -> float:
    """Corpus BLEU (0–100) of ``hypotheses`` against ``references`` (one string, or a list of
    strings, per hypothesis): ``sacrebleu.corpus_bleu(hypotheses, streams, tokenize=…).score``
    with the references regrouped as sacrebleu wants them; a perfect score is exactly 100.

    ``tokenize``: "13a" (or True; words), "char" (characters) or "none" (or False; split on
    whitespace only, for text that is tokenised already).
    """
    statistics = BLEUStatistics(lowercase=lowercase, tokenize=tokenize)
    statistics.update(hypotheses, references)
    return statistics.score()


# Recipes that generate text (translation, captioning) evaluate it with these metrics.
# Protocol: the model's evaluation ``output`` has ``hypotheses`` (list of generated texts) and
# the ``target`` has ``references`` (per hypothesis, a reference text or a list of them).
class CorpusBLEU(Metric):
    """``bleu``: corpus BLEU (0–100, 13a word tokens) of the hypotheses of a whole data set."""

    tokenize = "13a"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.statistics = BLEUStatistics(tokenize=self.tokenize)

    def update(self, output: Any, target: Any, loss: Any, count: int) -> None:
        self.statistics.update(output.hypotheses, target.references)

    def compute(self) -> float:
        return self.statistics.score()


class CharacterBLEU(CorpusBLEU):
    """``bleu_char``: corpus BLEU (0–100) over characters (sacrebleu's ``tokenize="char"``),
    for character-level tasks whose answers are one word."""

    tokenize = "char"


class ExactMatch(Metric):
    """``exact_match``: the fraction (in [0, 1]) of hypotheses equal to (one of) their
    reference(s), character for character."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.matches = 0
        self.total = 0

    def update(self, output: Any, target: Any, loss: Any, count: int) -> None:
        for hypothesis, references in zip(output.hypotheses, target.references, strict=True):
            references = [references] if isinstance(references, str) else references
            self.matches += hypothesis in references
            self.total += 1

    def compute(self) -> float:
        return self.matches / self.total if self.total else math.nan
