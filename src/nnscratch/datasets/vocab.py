"""Vocab: the two-way map between tokens (strings) and indices, saved as JSON.

Indices are assigned in a fixed order, so the same tokens always give the same vocabulary:
the special tokens first (by default ``<pad>`` = 0, ``<unk>`` = 1, ``<bos>`` = 2, ``<eos>`` = 3),
then the other tokens by decreasing frequency, ties broken by the tokens' code points.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
DEFAULT_SPECIALS = (PAD, UNK, BOS, EOS)
_FORMAT, _VERSION = "nnscratch-vocab", 1


class Vocab:
    """A list of distinct tokens; a token's index is its position.

    tokens: every token in index order (specials included).
    unk_token: the token unknown tokens are encoded as; ``None`` makes an unknown token an
    error. It must be one of ``tokens``.
    specials: which of ``tokens`` are special (never produced by tokenisation, kept on save).
    """

    def __init__(self, tokens: Sequence[str], unk_token: str | None = UNK,
                 specials: Sequence[str] = ()) -> None:
        tokens = list(tokens)
        for token in tokens:
            if not isinstance(token, str):
                raise TypeError(f"Vocab: tokens must be strings, got {type(token).__name__} {token!r}")
        index = {token: i for i, token in enumerate(tokens)}
        if len(index) != len(tokens):
            repeated = sorted(token for token, n in Counter(tokens).items() if n > 1)
            raise ValueError(f"Vocab: tokens must be distinct, repeated: {repeated[:10]}")
        if unk_token is not None and unk_token not in index:
            raise ValueError(f"Vocab: unk_token {unk_token!r} is not one of the {len(tokens)} tokens")
        missing = [s for s in specials if s not in index]
        if missing:
            raise ValueError(f"Vocab: special tokens {missing} are not among the tokens")
        self._itos = tokens
        self._stoi = index
        self.unk_token = unk_token
        self.specials = tuple(specials)

    @classmethod
    def build(cls, tokens: Iterable[str], min_freq: int = 1, max_size: int | None = None,
              specials: Sequence[str] = DEFAULT_SPECIALS, unk_token: str | None = UNK) -> Vocab:
        """The vocabulary of a token stream.

        min_freq: tokens seen fewer times are left out (they will encode as ``unk_token``).
        max_size: at most this many tokens in all, specials included; the most frequent are kept.
        specials: put first, in this order, whether or not they occur in ``tokens``.
        """
        if min_freq < 1:
            raise ValueError(f"Vocab.build: min_freq must be >= 1, got {min_freq}")
        specials = list(dict.fromkeys(specials))
        if unk_token is not None and unk_token not in specials:
            raise ValueError(f"Vocab.build: unk_token {unk_token!r} must be one of the specials {specials}")
        if max_size is not None and max_size < len(specials):
            raise ValueError(f"Vocab.build: max_size {max_size} is smaller than the "
                             f"{len(specials)} special tokens")
        counts = Counter(tokens)
        special_set = set(specials)
        kept = [t for t, n in counts.items() if n >= min_freq and t not in special_set]
        kept.sort(key=lambda t: (-counts[t], t))  # most frequent first; ties in code-point order
        if max_size is not None:
            kept = kept[: max_size - len(specials)]
        return cls(specials + kept, unk_token=unk_token, specials=specials)

    # ------------------------------------------------------------------ lookup
    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: object) -> bool:
        return token in self._stoi

    def __getitem__(self, token: str) -> int:
        """The index of ``token`` (the unknown token's index when it is not in the vocabulary)."""
        index = self._stoi.get(token)
        if index is None:
            if self.unk_token is None:
                raise KeyError(f"Vocab: token {token!r} is not in the vocabulary (and it has no unk_token)")
            return self._stoi[self.unk_token]
        return index

    @property
    def itos(self) -> list[str]:
        """Tokens in index order (a copy)."""
        return list(self._itos)

    @property
    def stoi(self) -> dict[str, int]:
        """Token → index (a copy)."""
        return dict(self._stoi)

    def index_of(self, token: str) -> int | None:
        """The index of a token, ``None`` when absent (no unknown-token fallback)."""
        return self._stoi.get(token)

    @property
    def unk_index(self) -> int | None:
        return None if self.unk_token is None else self._stoi[self.unk_token]

    @property
    def pad_index(self) -> int | None:
        return self._stoi.get(PAD)

    @property
    def bos_index(self) -> int | None:
        return self._stoi.get(BOS)

    @property
    def eos_index(self) -> int | None:
        return self._stoi.get(EOS)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Indices of ``tokens``; unknown tokens become ``unk_index`` (or raise KeyError without one)."""
        lookup = self._stoi
        if self.unk_token is None:
            try:
                return [lookup[t] for t in tokens]
            except KeyError as error:
                raise KeyError(f"Vocab.encode: token {error.args[0]!r} is not in the vocabulary "
                               "(and it has no unk_token)") from None
        unk = lookup[self.unk_token]
        return [lookup.get(t, unk) for t in tokens]

    def decode(self, indices: Iterable[int]) -> list[str]:
        """Tokens of ``indices`` (ints, or a 1-D numpy array / Tensor converted with ``tolist()``)."""
        if hasattr(indices, "tolist"):
            indices = indices.tolist()
        size = len(self._itos)
        tokens = []
        for i in indices:
            if not 0 <= i < size:
                raise IndexError(f"Vocab.decode: index {i} is out of range for a vocabulary of {size}")
            tokens.append(self._itos[i])
        return tokens

    # ------------------------------------------------------------------ saving
    def to_dict(self) -> dict[str, Any]:
        return {"format": _FORMAT, "version": _VERSION, "tokens": list(self._itos),
                "unk_token": self.unk_token, "specials": list(self.specials)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocab:
        return cls(data["tokens"], unk_token=data.get("unk_token"), specials=data.get("specials", ()))

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as UTF-8 JSON (human-readable; never pickle)."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=0), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a file written by :meth:`save`; ValueError naming the file when it is not one."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"Vocab.load: {path} is not a vocabulary JSON file ({error})") from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"Vocab.load: {path} is not a vocabulary file (no 'format': '{_FORMAT}')")
        if data.get("version") != _VERSION:
            raise ValueError(f"Vocab.load: {path} has version {data.get('version')!r}, "
                             f"this nnscratch reads version {_VERSION}")
        if not isinstance(data.get("tokens"), list):
            raise ValueError(f"Vocab.load: {path} has no 'tokens' list")
        try:
            return cls.from_dict(data)
        except (TypeError, ValueError) as error:
            raise ValueError(f"Vocab.load: {path}: {error}") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, unk_token={self.unk_token!r}, specials={list(self.specials)})"
