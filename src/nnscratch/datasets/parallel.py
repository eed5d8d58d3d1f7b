"""Parallel data for translation: sentence pairs, their vocabularies, and tab-separated files.

    TranslationPairs   (source tokens, target tokens) pairs with a vocabulary per side;
                       ``pairs[i]`` → two int64 arrays of token indices (no <bos>/<eos>).
    ParallelCorpus     pairs read from a file of ``source<TAB>target[<TAB>anything]`` lines,
                       the format of the Tatoeba pair files (manythings.org/anki), lower-cased
                       and split into words and punctuation, filtered by length.

A malformed line (no tab, an empty side, bytes that are not UTF-8: the reason gives the byte
offset in the file) is skipped and recorded in ``problems`` as ``(line_number, reason)``, and a
warning names the first ones; with
``strict=True`` the first one raises ValueError instead. Blank lines are ignored.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy

from ..data.dataset import Dataset
from ..untrusted import read_bytes
from .files import TEXT_LIMIT
from .tokenize import CharTokenizer, WordTokenizer
from .vocab import DEFAULT_SPECIALS, Vocab

Pair = tuple[list[str], list[str]]


class TranslationPairs(Dataset):
    """Sentence pairs as token lists, with a source and a target :class:`Vocab`.

    pairs: ``(source_tokens, target_tokens)`` lists of strings.
    source_tokenizer, target_tokenizer: how text becomes tokens (and back).
    source_vocab, target_vocab: given vocabularies (e.g. a training set's, for a test set);
    ``None`` builds each from all pairs (see :meth:`build_vocabs`).
    """

    def __init__(self, pairs: Sequence[Pair], source_tokenizer: Any, target_tokenizer: Any,
                 source_vocab: Vocab | None = None, target_vocab: Vocab | None = None,
                 min_freq: int = 1, max_vocab_size: int | None = None) -> None:
        self.pairs: list[Pair] = [(list(s), list(t)) for s, t in pairs]
        self.source_tokenizer, self.target_tokenizer = source_tokenizer, target_tokenizer
        self._encoded: list[tuple[numpy.ndarray, numpy.ndarray]] | None = None
        if source_vocab is None or target_vocab is None:
            self.build_vocabs(min_freq=min_freq, max_size=max_vocab_size)
        if source_vocab is not None:
            self.source_vocab = source_vocab
        if target_vocab is not None:
            self.target_vocab = target_vocab
        self._encoded = None

    def build_vocabs(self, indices: Iterable[int] | None = None, min_freq: int = 1,
                     max_size: int | None = None) -> None:
        """(Re)build both vocabularies from the pairs at ``indices`` (all when None), e.g. from
        the training part only so that held-out words are unknown, as they would be."""
        chosen = self.pairs if indices is None else [self.pairs[int(i)] for i in indices]
        self.source_vocab = Vocab.build((t for s, _ in chosen for t in s), min_freq=min_freq,
                                        max_size=max_size, specials=DEFAULT_SPECIALS)
        self.target_vocab = Vocab.build((t for _, s in chosen for t in s), min_freq=min_freq,
                                        max_size=max_size, specials=DEFAULT_SPECIALS)
        self._encoded = None

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[numpy.ndarray, numpy.ndarray]:
        """``(source_ids, target_ids)``: int64 arrays, without <bos>/<eos>."""
        if self._encoded is None:
            self._encoded = [(numpy.array(self.source_vocab.encode(s), dtype=numpy.int64),
                              numpy.array(self.target_vocab.encode(t), dtype=numpy.int64))
                             for s, t in self.pairs]
        return self._encoded[index]

    def encode_source(self, text: str) -> list[int]:
        """Token indices of a source sentence, tokenised as the training data was."""
        return self.source_vocab.encode(self.source_tokenizer.tokenize(text))

    def decode_target(self, indices: Iterable[int]) -> str:
        """Text of target indices (stopping at <eos>; <pad>/<bos> dropped)."""
        return decode_tokens(indices, self.target_vocab, self.target_tokenizer)

    def target_text(self, index: int) -> str:
        """The reference translation of pair ``index`` as text."""
        return self.target_tokenizer.detokenize(self.pairs[index][1])

    def source_text(self, index: int) -> str:
        return self.source_tokenizer.detokenize(self.pairs[index][0])

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self)} pairs, source vocabulary "
                f"{len(self.source_vocab)}, target vocabulary {len(self.target_vocab)})")


def decode_tokens(indices: Iterable[int], vocab: Vocab, tokenizer: Any) -> str:
    """Detokenised text of ``indices``: up to the first <eos>, without <pad> and <bos>."""
    if hasattr(indices, "tolist"):
        indices = indices.tolist()
    skipped = {vocab.pad_index, vocab.bos_index}
    tokens = []
    for token in vocab.decode(indices):
        index = vocab.index_of(token)
        if index == vocab.eos_index:
            break
        if index not in skipped:
            tokens.append(token)
    return tokenizer.detokenize(tokens)


def make_tokenizer(level: str, lowercase: bool) -> Any:
    """The tokenizer of one side: ``"word"`` (words and punctuation, no <eos>) or ``"char"``."""
    if level == "word":
        return WordTokenizer(lowercase=lowercase, eos_token=None)
    if level == "char":
        return _LowercaseChars() if lowercase else CharTokenizer()
    raise ValueError(f"ParallelCorpus: level must be 'word' or 'char', got {level!r}")


class _LowercaseChars(CharTokenizer):
    lowercase = True

    def tokenize(self, text: str) -> list[str]:
        return super().tokenize(text.lower() if isinstance(text, str) else text)

    def __repr__(self) -> str:
        return "CharTokenizer(lowercase=True)"


class ParallelCorpus(TranslationPairs):
    """Sentence pairs from a tab-separated file: ``source<TAB>target[<TAB>anything]`` per line.

    Args:
        path: the file (UTF-8; a byte-order mark is dropped).
        lowercase: fold case before tokenising.
        level: ``"word"`` (words, with punctuation split off) or ``"char"``.
        max_length: pairs with more tokens than this on either side are left out (counted in
            ``filtered``); None keeps all.
        reverse: swap the columns (translate the second column into the first).
        strict: raise ValueError at the first malformed line instead of skipping it.
        source_vocab, target_vocab, min_freq, max_vocab_size: see :class:`TranslationPairs`.

    Attributes: ``pairs``, ``line_numbers`` (the file line of each pair), ``problems``
    (``(line_number, reason)`` of every skipped line), ``filtered`` (pairs dropped by length).
    """

    def __init__(self, path: str | Path, lowercase: bool = True, level: str = "word",
                 max_length: int | None = None, reverse: bool = False, strict: bool = False,
                 source_vocab: Vocab | None = None, target_vocab: Vocab | None = None,
                 min_freq: int = 1, max_vocab_size: int | None = None) -> None:
        if max_length is not None and max_length < 1:
            raise ValueError(f"ParallelCorpus: max_length must be >= 1, got {max_length}")
        self.path = Path(path)
        tokenizer = make_tokenizer(level, lowercase)
        raw = read_bytes(self.path, max_bytes=TEXT_LIMIT, what="parallel corpus")
        offset = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
        pairs, self.line_numbers, self.problems, self.filtered = [], [], [], 0
        for number, line in enumerate(raw[offset:].split(b"\n"), start=1):
            pair, reason = _parse_line(line, tokenizer, offset)
            offset += len(line) + 1
            if reason is not None:
                if strict:
                    raise ValueError(f"ParallelCorpus: {self.path}, line {number}: {reason}")
                self.problems.append((number, reason))
                continue
            if pair is None:  # a blank line
                continue
            source, target = pair[::-1] if reverse else pair
            if max_length is not None and max(len(source), len(target)) > max_length:
                self.filtered += 1
                continue
            pairs.append((source, target))
            self.line_numbers.append(number)
        if self.problems:
            shown = "; ".join(f"line {n}: {reason}" for n, reason in self.problems[:10])
            more = f" (and {len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
            warnings.warn(f"ParallelCorpus: {self.path}: skipped {len(self.problems)} malformed "
                          f"line(s): {shown}{more}", stacklevel=2)
        if not pairs:
            limit = f" of at most {max_length} tokens" if max_length is not None else ""
            raise ValueError(f"ParallelCorpus: {self.path} holds no sentence pairs{limit} "
                             f"(expected lines 'source<TAB>target'; {len(self.problems)} "
                             f"malformed, {self.filtered} too long)")
        super().__init__(pairs, tokenizer, tokenizer, source_vocab, target_vocab, min_freq,
                         max_vocab_size)


def _parse_line(line: bytes, tokenizer: Any, offset: int) -> tuple[Pair | None, str | None]:
    """``(pair, None)``, ``(None, None)`` for a blank line, or ``(None, reason)``; ``offset``
    is the line's first byte in the file."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, (f"not valid UTF-8 (byte 0x{line[error.start]:02x} at byte offset "
                      f"{offset + error.start} of the file)")
    text = text.rstrip("\r")
    if not text.strip():
        return None, None
    fields = text.split("\t")
    if len(fields) < 2:
        return None, "no tab (expected source<TAB>target)"
    source, target = tokenizer.tokenize(fields[0].strip()), tokenizer.tokenize(fields[1].strip())
    if not source:
        return None, "empty source sentence"
    if not target:
        return None, "empty target sentence"
    return (source, target), None
