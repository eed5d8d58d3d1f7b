"""Text corpora for language models and the batcher that cuts them into BPTT windows.

    TextCorpus            a text tokenised (characters or words), split into train / valid / test
                          token streams, and the vocabulary of its training part.
    default_corpus        a corpus made from the running Python's standard-library sources,
                          so language-model recipes run with no file given.
    LanguageModelBatches  one token stream as ``batch_size`` parallel rows, iterated in windows
                          of ``bptt`` steps: ``(input, target)`` with the target one step ahead.
"""

from __future__ import annotations

import math
import sys
import sysconfig
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy

from .. import backend
from .._tensor import Tensor
from ..creation import as_tensor
from .files import read_text
from .tokenize import get_tokenizer
from .vocab import DEFAULT_SPECIALS, Vocab

# Standard-library modules that make the default corpus: class-heavy, idiomatic Python, in
# every CPython since 3.10 (a module a version lacks is skipped, so the list only shrinks).
DEFAULT_CORPUS_MODULES = tuple(sorted("""
    argparse.py ast.py asyncio/base_events.py asyncio/events.py asyncio/futures.py asyncio/locks.py
    asyncio/queues.py asyncio/selector_events.py asyncio/streams.py asyncio/tasks.py bdb.py
    calendar.py cmd.py codecs.py collections/__init__.py concurrent/futures/_base.py
    concurrent/futures/process.py concurrent/futures/thread.py configparser.py contextlib.py copy.py
    csv.py dataclasses.py datetime.py difflib.py dis.py email/_header_value_parser.py
    email/feedparser.py email/message.py enum.py fractions.py ftplib.py functools.py gettext.py
    gzip.py heapq.py html/parser.py http/client.py http/cookiejar.py http/server.py
    importlib/_bootstrap.py importlib/_bootstrap_external.py inspect.py ipaddress.py json/decoder.py
    json/encoder.py locale.py logging/__init__.py logging/config.py logging/handlers.py mailbox.py
    multiprocessing/connection.py multiprocessing/managers.py multiprocessing/pool.py netrc.py
    optparse.py os.py pathlib.py pdb.py pickle.py platform.py pprint.py pydoc.py queue.py random.py
    reprlib.py sched.py selectors.py shlex.py shutil.py smtplib.py socket.py socketserver.py
    sqlite3/__init__.py ssl.py statistics.py string.py subprocess.py tarfile.py tempfile.py
    textwrap.py threading.py tokenize.py traceback.py typing.py unittest/case.py unittest/loader.py
    unittest/mock.py unittest/result.py unittest/runner.py urllib/parse.py urllib/request.py uuid.py
    weakref.py xml/dom/minidom.py xml/etree/ElementTree.py zipfile.py
""".split()))
DEFAULT_CORPUS_BYTES = 3_000_000
DEFAULT_SPLIT = (0.9, 0.05, 0.05)


def read_text_file(path: str | Path) -> str:
    """A file's text decoded as UTF-8 (a leading byte-order mark dropped).

    Raises ValueError naming the file and the byte offset when it is not UTF-8 or not a regular
    file (a FIFO, a device), and FileNotFoundError when it does not exist.
    """
    return read_text(path, what="text file")


def default_corpus_text(max_bytes: int = DEFAULT_CORPUS_BYTES) -> str:
    """The default corpus as one string: :data:`DEFAULT_CORPUS_MODULES` read from
    ``sysconfig.get_paths()["stdlib"]`` in sorted order, separated by blank lines, cut to at most
    ``max_bytes`` UTF-8 bytes (at a character boundary). Identical on every run of one Python."""
    if max_bytes < 1:
        raise ValueError(f"default_corpus: max_bytes must be >= 1, got {max_bytes}")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    parts, size = [], 0
    for name in DEFAULT_CORPUS_MODULES:
        path = stdlib / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        parts.append(data.rstrip(b"\n") + b"\n\n\n")
        size += len(parts[-1])
        if size >= max_bytes:
            break
    if not parts:
        raise RuntimeError(f"default_corpus: none of the {len(DEFAULT_CORPUS_MODULES)} corpus modules "
                           f"found under the standard library {stdlib}; pass a text file instead")
    # a cut inside a multi-byte character would leave a partial one: drop it
    return b"".join(parts)[:max_bytes].decode("utf-8", errors="ignore")


class TextCorpus:
    """A text tokenised and split, in order, into train / valid / test token streams.

    The vocabulary is built from the training part only (unless one is given), so tokens that
    appear only in valid/test encode as ``<unk>``, as they would for text never seen.

    text: the whole text. level: ``"char"`` or ``"word"`` (see :mod:`.tokenize`).
    split: fractions of the tokens for train, valid and test (summing to 1; a part with a
    non-zero fraction must get at least one token).
    min_freq, max_size, specials: passed to :meth:`Vocab.build`. vocab: use this one instead.

    Attributes: ``train``, ``valid``, ``test`` (1-D int64 numpy arrays of token indices),
    ``vocab``, ``tokenizer``, ``name``.
    """

    def __init__(self, text: str, level: str = "char", split: Sequence[float] = DEFAULT_SPLIT,
                 min_freq: int = 1, max_size: int | None = None,
                 specials: Sequence[str] = DEFAULT_SPECIALS, vocab: Vocab | None = None,
                 lowercase: bool = False, name: str = "<text>") -> None:
        self.name = name
        options = {"lowercase": lowercase} if level == "word" else {}
        self.tokenizer = get_tokenizer(level, **options)
        self.level = level
        tokens = self.tokenizer.tokenize(text)
        line_end = getattr(self.tokenizer, "eos_token", None)
        if all(token == line_end for token in tokens):  # no tokens, or only line ends
            raise ValueError(f"TextCorpus: {name} is empty (no {level} tokens in {len(text)} characters)")
        parts = _split_lengths(len(tokens), split, name)
        train_end, valid_end = parts[0], parts[0] + parts[1]
        train_tokens = tokens[:train_end]
        self.vocab = vocab if vocab is not None else Vocab.build(
            train_tokens, min_freq=min_freq, max_size=max_size, specials=specials)
        self.train = _encode(self.vocab, train_tokens)
        self.valid = _encode(self.vocab, tokens[train_end:valid_end])
        self.test = _encode(self.vocab, tokens[valid_end:])

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> TextCorpus:
        """The corpus of a UTF-8 text file (ValueError naming the file if it is not UTF-8 or empty)."""
        options.setdefault("name", str(path))
        return cls(read_text_file(path), **options)

    def __repr__(self) -> str:
        return (f"TextCorpus({self.name!r}, level={self.level!r}, vocab={len(self.vocab)}, "
                f"train={len(self.train)}, valid={len(self.valid)}, test={len(self.test)})")


def default_corpus(max_bytes: int = DEFAULT_CORPUS_BYTES, level: str = "char", **options: Any) -> TextCorpus:
    """The standard-library corpus (:func:`default_corpus_text`) as a :class:`TextCorpus`."""
    version = ".".join(map(str, sys.version_info[:2]))
    options.setdefault("name", f"python{version}-stdlib-{max_bytes}")
    return TextCorpus(default_corpus_text(max_bytes), level=level, **options)


def _split_lengths(n: int, split: Sequence[float], name: str) -> tuple[int, int, int]:
    if len(split) != 3 or any(f < 0 for f in split) or not math.isclose(sum(split), 1.0, abs_tol=1e-6):
        raise ValueError(f"TextCorpus: split must be three fractions >= 0 summing to 1, got {tuple(split)}")
    valid, test = round(n * split[1]), round(n * split[2])
    lengths = (n - valid - test, valid, test)
    for part, fraction, length in zip(("train", "valid", "test"), split, lengths):
        if fraction > 0 and length < 1:
            raise ValueError(f"TextCorpus: {name} has only {n} tokens, too few to give the {part} "
                             f"part ({fraction:g} of the tokens) any")
    return lengths


def _encode(vocab: Vocab, tokens: list[str]) -> numpy.ndarray:
    return numpy.fromiter(vocab.encode(tokens), dtype=numpy.int64, count=len(tokens))


class LanguageModelBatches:
    """A token stream as ``batch_size`` parallel rows, read in windows of ``bptt`` steps.

    As in the classic Penn Treebank setup, the stream is trimmed to a multiple of ``batch_size``
    and reshaped so that row ``b`` holds tokens ``b·n … (b+1)·n − 1`` (``n = len // batch_size``):
    each row continues itself from one window to the next, so a recurrent state carried across
    windows (truncated BPTT) sees its row's text in order. Window ``k`` gives

        input  = rows[:, k·bptt     : k·bptt + L]
        target = rows[:, k·bptt + 1 : k·bptt + L + 1]       (L = bptt, shorter for the last)

    as int64 Tensors of shape ``(L, batch_size)`` (time-major, the default) or
    ``(batch_size, L)`` with ``batch_first=True``. ``len()`` is the number of windows.

    Iterating starts at the window after the last one handed out (0 at first), and an epoch that
    runs to its end starts the next from 0; ``state_dict()`` / ``load_state_dict()`` save and
    restore that position, so a resumed run continues where it stopped.
    """

    def __init__(self, ids: Any, batch_size: int, bptt: int, batch_first: bool = False,
                 device: Any = None) -> None:
        if isinstance(ids, Tensor):
            ids = ids.numpy()
        ids = numpy.asarray(ids)
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise ValueError(f"LanguageModelBatches: ids must be a 1-D integer array, got shape "
                             f"{ids.shape} dtype {ids.dtype}")
        if batch_size < 1 or bptt < 1:
            raise ValueError(f"LanguageModelBatches: batch_size and bptt must be >= 1, got "
                             f"batch_size={batch_size}, bptt={bptt}")
        steps = len(ids) // batch_size
        if steps < 2:
            raise ValueError(f"LanguageModelBatches: {len(ids)} tokens cannot fill {batch_size} rows of "
                             f"at least 2 tokens (an input and its target); use a smaller batch_size")
        rows = ids[: steps * batch_size].astype(numpy.int64).reshape(batch_size, steps)
        # stored with the sliced axis first, so every window is a contiguous slice (no copy)
        self._data = numpy.ascontiguousarray(rows if batch_first else rows.T)
        self.batch_size, self.bptt, self.batch_first = batch_size, bptt, batch_first
        self.steps = steps
        self.device = backend.device(device) if device is not None else backend.CPU
        self.position = 0

    def __len__(self) -> int:
        return math.ceil((self.steps - 1) / self.bptt)

    @property
    def num_tokens(self) -> int:
        """Targets per epoch: ``batch_size · (steps − 1)``."""
        return self.batch_size * (self.steps - 1)

    def window(self, k: int) -> tuple[Tensor, Tensor]:
        """The ``(input, target)`` pair of window ``k`` (0 ≤ k < len)."""
        if not 0 <= k < len(self):
            raise IndexError(f"LanguageModelBatches: window {k} out of range for {len(self)} windows")
        start = k * self.bptt
        length = min(self.bptt, self.steps - 1 - start)
        if self.batch_first:
            inputs = self._data[:, start: start + length]
            targets = self._data[:, start + 1: start + 1 + length]
        else:
            inputs = self._data[start: start + length]
            targets = self._data[start + 1: start + 1 + length]
        return self._tensor(inputs), self._tensor(targets)

    def _tensor(self, array: numpy.ndarray) -> Tensor:
        array = numpy.ascontiguousarray(array)
        if self.device.type != "cpu":
            array = backend.to_device(array, self.device)
        return as_tensor(array)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        if self.position >= len(self):
            self.position = 0
        while self.position < len(self):
            k = self.position
            self.position = k + 1  # counted as handed out before the caller trains on it
            yield self.window(k)
        self.position = 0

    def state_dict(self) -> dict[str, int]:
        return {"position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        position = int(state["position"])
        if not 0 <= position <= len(self):
            raise ValueError(f"LanguageModelBatches.load_state_dict: position {position} out of range "
                             f"for {len(self)} windows")
        self.position = position

    def __repr__(self) -> str:
        layout = "batch_first" if self.batch_first else "time_major"
        return (f"LanguageModelBatches(batch_size={self.batch_size}, bptt={self.bptt}, "
                f"windows={len(self)}, {layout})")
