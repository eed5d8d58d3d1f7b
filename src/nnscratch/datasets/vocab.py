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
#: bounds of a vocabulary file (a 2-million-word vocabulary is about 30 MB of JSON)
MAX_TOKENS = 1 << 21
MAX_FILE_BYTES = 64 * 1024 * 1024


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

    def to_dict(self) -> dict[str, Any]:
        return {"format": _FORMAT, "version": _VERSION, "tokens": list(self._itos),
                "unk_token": self.unk_token, "specials": list(self.specials)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocab:
        return cls(data["tokens"], unk_token=data.get("unk_token"), specials=data.get("specials", ()))

    def dumps(self) -> str:
        """The vocabulary as the JSON text :meth:`save` writes."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=0)

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as UTF-8 JSON (human-readable; never pickle), atomically: a
        crash leaves the old file or the new one, never a truncated one."""
        from ..train.atomic import atomic_write_bytes

        atomic_write_bytes(path, self.dumps().encode("utf-8"))

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        """Read a file written by :meth:`save`. The file is untrusted: a special file, a file
        over :data:`MAX_FILE_BYTES`, malformed JSON or a field of the wrong type or size is
        refused with one ValueError naming the file and the field, before anything is built."""
        from ..untrusted import UntrustedFileError, field, read_json_object

        path = Path(path)
        data = read_json_object(path, max_bytes=MAX_FILE_BYTES, what="vocabulary")
        if data.get("format") != _FORMAT:
            raise UntrustedFileError(f"{path} is not a vocabulary file (no 'format': '{_FORMAT}')")
        if field(data, "version", int, source=path) != _VERSION:
            raise UntrustedFileError(f"{path} has version {data['version']!r}, this nnscratch "
                                     f"reads version {_VERSION}")
        tokens = field(data, "tokens", list, source=path)
        if not 1 <= len(tokens) <= MAX_TOKENS:
            raise UntrustedFileError(f"{path}: field 'tokens' must list 1 to {MAX_TOKENS} tokens, "
                                     f"got {len(tokens)}")
        _check_strings(tokens, "tokens", path)
        specials = field(data, "specials", list, source=path, default=[])
        _check_strings(specials, "specials", path)
        unk_token = field(data, "unk_token", (str, type(None)), source=path, default=None)
        try:
            return cls(tokens, unk_token=unk_token, specials=specials)
        except ValueError as error:  # repeated tokens, specials or unk_token not among them
            raise UntrustedFileError(f"{path}: {str(error).removeprefix('Vocab: ')}") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, unk_token={self.unk_token!r}, specials={list(self.specials)})"


def _check_strings(values: list, name: str, path: Path) -> None:
    """Every item of the list field ``name`` is a non-empty string, else ValueError naming it."""
    from ..untrusted import UntrustedFileError

    for number, value in enumerate(values):
        if not isinstance(value, str) or not value:
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise UntrustedFileError(f"{path}: field {name!r} item {number} must be a non-empty "
                                     f"string, got {shown}")
