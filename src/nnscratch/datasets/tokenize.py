"""Character- and word-level tokenisation of any UTF-8 text (Korean, accented Latin, emoji …).

A tokenizer turns text into a list of string tokens and back:

    CharTokenizer   one token per Unicode code point, newlines and spaces included, so
                    ``detokenize(tokenize(text)) == text`` for every string.
    WordTokenizer   runs of word characters (letters of any script, digits, ``_`` and the
                    combining marks that belong to them) are words; every other non-space
                    character is a token of its own (punctuation is split off); whitespace only
                    separates. Each line ends with an end-of-sentence token (``<eos>``), as in
                    the Penn Treebank language-model setup, so line breaks survive the round
                    trip; the spacing inside a line does not (tokens are joined with one space).
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

EOS_TOKEN = "<eos>"


class CharTokenizer:
    """Every code point is a token: ``"가나\\n"`` → ``["가", "나", "\\n"]``."""

    level = "char"
    separator = ""

    def tokenize(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.tokenize: expected str, got {type(text).__name__}")
        return list(text)

    def detokenize(self, tokens: list[str]) -> str:
        return "".join(tokens)

    def __repr__(self) -> str:
        return "CharTokenizer()"


@functools.cache
def _word_pattern() -> re.Pattern:
    """``\\w`` plus every combining mark (Unicode categories Mn, Mc, Me), so that an accent
    written as a separate code point (``e`` + U+0301) or a Devanagari vowel sign stays inside
    its word. Python's ``re`` has no ``\\p{M}``, so the class is built once from unicodedata."""
    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    marks = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    # a word: word characters and marks; otherwise: one non-space character on its own
    return re.compile(rf"[\w{marks}]+|\S")


class WordTokenizer:
    """Words and punctuation, one ``<eos>`` per line: ``"Hello, 세계!"`` → ``["Hello", ",",
    "세계", "!", "<eos>"]``.

    lowercase: fold case (``str.lower``) before splitting.
    eos_token: appended after every line (the last line too, when the text does not end in a
    newline); ``None`` drops line ends.
    """

    level = "word"
    separator = " "

    def __init__(self, lowercase: bool = False, eos_token: str | None = EOS_TOKEN) -> None:
        self.lowercase = lowercase
        self.eos_token = eos_token

    def tokenize(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"WordTokenizer.tokenize: expected str, got {type(text).__name__}")
        if self.lowercase:
            text = text.lower()
        pattern = _word_pattern()
        if self.eos_token is None:
            return pattern.findall(text)
        tokens: list[str] = []
        for line in text.splitlines():
            tokens.extend(pattern.findall(line))
            tokens.append(self.eos_token)
        return tokens

    def detokenize(self, tokens: list[str]) -> str:
        """Tokens joined by single spaces, ``<eos>`` turned back into a line break."""
        lines, words = [], []
        for token in tokens:
            if token == self.eos_token:
                lines.append(" ".join(words))
                words = []
            else:
                words.append(token)
        text = "\n".join(lines + [" ".join(words)]) if lines else " ".join(words)
        return text

    def __repr__(self) -> str:
        return f"WordTokenizer(lowercase={self.lowercase}, eos_token={self.eos_token!r})"


def get_tokenizer(level: str, **options) -> CharTokenizer | WordTokenizer:
    """``"char"`` → :class:`CharTokenizer`, ``"word"`` → :class:`WordTokenizer` (options passed on)."""
    if level == "char":
        if options:
            raise TypeError(f"get_tokenizer: CharTokenizer takes no options, got {sorted(options)}")
        return CharTokenizer()
    if level == "word":
        return WordTokenizer(**options)
    raise ValueError(f"get_tokenizer: level must be 'char' or 'word', got {level!r}")
