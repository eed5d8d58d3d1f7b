"""Corpus BLEU (Papineni et al. 2002), computed exactly as sacrebleu's default ``corpus_bleu``.

sacrebleu (Post 2018) fixed what a BLEU score means: the same tokenisation (``13a``, the
tokeniser of the WMT scorer mteval-v13a.pl), case kept, n-grams up to 4, the closest
reference length, and the "exp" smoothing of mteval for an n-gram order with no match.
For a corpus of hypotheses h and references r (one or more per hypothesis):

    p_n  = Σ_h Σ_{g ∈ n-grams(h)} min(count_h(g), max_r count_r(g))  /  Σ_h #n-grams(h)
    BP   = 1 if c ≥ r else exp(1 − r / c)        c = Σ |h|,  r = Σ |closest reference|
    BLEU = 100 · BP · exp( (1/4) Σ_{n=1..4} log p_n )

Smoothing: the k-th order (in increasing n) with zero matches gets p_n = 1 / (2^k · #n-grams)
instead of 0. BLEU is 0 when nothing matches at all, and orders beyond the longest hypothesis
n-gram (no n-grams in the whole corpus) end the sum early, as in sacrebleu.

Statistics add up over sentences, so :class:`BLEUStatistics` accumulates a corpus batch by
batch and gives the same score as one call on the whole corpus. Importing this module registers
the metrics ``bleu`` and ``exact_match`` for recipes (see the end of the file).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .metrics import Metric, register_metric

MAX_ORDER = 4

# the 13a tokeniser's regular expressions (mteval-v13a.pl, as in sacrebleu)
_13A_RULES = (
    # punctuation and symbols in these ASCII ranges become tokens of their own
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),  # period and comma unless preceded by a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),  # period and comma unless followed by a digit
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),  # a dash preceded by a digit
)


@lru_cache(maxsize=2**16)
def tokenize_13a(line: str) -> str:
    """The ``13a`` tokenisation of one line: tokens separated by single spaces."""
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = (line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
                .replace("&gt;", ">"))
    line = f" {line} "
    for pattern, replacement in _13A_RULES:
        line = pattern.sub(replacement, line)
    return " ".join(line.split())


def ngram_counts(tokens: Sequence[str], max_order: int = MAX_ORDER) -> Counter:
    """Counts of every n-gram (as a tuple of tokens) for n = 1 … max_order."""
    return Counter(tuple(tokens[i:i + n]) for n in range(1, max_order + 1)
                   for i in range(len(tokens) - n + 1))


class BLEUStatistics:
    """The sufficient statistics of corpus BLEU, added one sentence at a time.

    ``matches[n-1]`` and ``totals[n-1]``: clipped matching and all hypothesis n-grams;
    ``hypothesis_length`` c and ``reference_length`` r in tokens.
    """

    def __init__(self, max_order: int = MAX_ORDER, lowercase: bool = False,
                 tokenize: bool = True) -> None:
        self.max_order, self.lowercase, self.tokenize = max_order, lowercase, tokenize
        self.matches = [0] * max_order
        self.totals = [0] * max_order
        self.hypothesis_length = 0
        self.reference_length = 0

    def _tokens(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"BLEU: sentences must be strings, got {type(text).__name__}")
        if self.lowercase:
            text = text.lower()
        text = text.rstrip()
        return (tokenize_13a(text) if self.tokenize else text).split()

    def add(self, hypothesis: str, references: str | Sequence[str]) -> None:
        """Add one hypothesis and its reference(s)."""
        if isinstance(references, str):
            references = [references]
        references = [r for r in references if r is not None]
        if not references:
            raise ValueError("BLEU: every hypothesis needs at least one reference")
        hypothesis_tokens = self._tokens(hypothesis)
        reference_tokens = [self._tokens(r) for r in references]
        # a reference n-gram may be matched as often as it occurs in the reference holding most
        clip: Counter = Counter()
        for tokens in reference_tokens:
            clip |= ngram_counts(tokens, self.max_order)
        for gram, count in ngram_counts(hypothesis_tokens, self.max_order).items():
            n = len(gram)
            self.totals[n - 1] += count
            self.matches[n - 1] += min(count, clip.get(gram, 0))
        length = len(hypothesis_tokens)
        self.hypothesis_length += length
        # the closest reference length; on a tie, the shorter reference
        self.reference_length += min((abs(len(r) - length), len(r)) for r in reference_tokens)[1]

    def update(self, hypotheses: Sequence[str], references: Sequence[str | Sequence[str]]) -> None:
        """Add a batch: ``references[i]`` is the reference (or list of them) of hypothesis i."""
        if len(hypotheses) != len(references):
            raise ValueError(f"BLEU: {len(hypotheses)} hypotheses but {len(references)} "
                             f"references")
        for hypothesis, reference in zip(hypotheses, references):
            self.add(hypothesis, reference)

    def brevity_penalty(self) -> float:
        c, r = self.hypothesis_length, self.reference_length
        if c >= r:
            return 1.0
        return math.exp(1.0 - r / c) if c > 0 else 0.0

    def precisions(self) -> list[float]:
        """p_n in percent, smoothed as sacrebleu's "exp" (0 for orders with no n-grams)."""
        precisions = [0.0] * self.max_order
        halvings = 1.0
        for n in range(self.max_order):
            if self.totals[n] == 0:
                break
            if self.matches[n] == 0:
                halvings *= 2
                precisions[n] = 100.0 / (halvings * self.totals[n])
            else:
                precisions[n] = 100.0 * self.matches[n] / self.totals[n]
        return precisions

    def score(self) -> float:
        """Corpus BLEU in [0, 100]."""
        if not any(self.matches):
            return 0.0
        # log 0 for an order without n-grams makes the score 0, as sacrebleu's my_log(0)
        logs = [math.log(p) if p > 0 else -9999999999 for p in self.precisions()]
        # min: exp(log 100) is 100.00000000000004 in floating point; keep the score in range
        return min(100.0, self.brevity_penalty() * math.exp(sum(logs) / self.max_order))


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str | Sequence[str]],
                lowercase: bool = False, tokenize: bool = True) -> float:
    """Corpus BLEU (0–100) of ``hypotheses`` against ``references`` (one string, or a list of
    strings, per hypothesis), equal to ``sacrebleu.corpus_bleu(hypotheses, streams).score``
    where ``streams`` are the references regrouped as sacrebleu wants them (``[[r[j] for r in
    references] for j in range(number of references)]``); a perfect score is exactly 100.

    ``tokenize=False`` splits on whitespace only (for text that is tokenised already).
    """
    statistics = BLEUStatistics(lowercase=lowercase, tokenize=tokenize)
    statistics.update(hypotheses, references)
    return statistics.score()


# ---------------------------------------------------------------------------- metrics
# Recipes that generate text (translation, captioning) evaluate it with these two metrics.
# Protocol: the model's evaluation ``output`` has ``hypotheses`` (list of generated texts) and
# the ``target`` has ``references`` (per hypothesis, a reference text or a list of them).
class CorpusBLEU(Metric):
    """``bleu``: corpus BLEU (0–100) of the hypotheses of a whole data set."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.statistics = BLEUStatistics()

    def update(self, output: Any, target: Any, loss: Any, count: int) -> None:
        self.statistics.update(output.hypotheses, target.references)

    def compute(self) -> float:
        return self.statistics.score()


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


register_metric("bleu", CorpusBLEU, higher_is_better=True)
register_metric("exact_match", ExactMatch, higher_is_better=True)
