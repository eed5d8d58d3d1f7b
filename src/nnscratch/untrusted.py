"""Reading files that someone else may have written: a run folder, a checkpoint, a data set.

Every file nnscratch reads is treated as untrusted input. The helpers here turn every way such
a file can be wrong into one :class:`UntrustedFileError` (a ``ValueError``) whose message names
the file and the fault, raised before anything is built from it:

- the path is not a regular file: a FIFO (which would block forever), a device such as
  ``/dev/zero`` (which would read forever), a folder;
- the file is larger than what such a file can sensibly hold (``max_bytes``);
- the text is not UTF-8, the JSON is malformed, nested too deeply (a ``[[[[…]]]]`` bomb), or
  holds an integer too long to convert;
- a field is missing, of the wrong type or out of range (:func:`field`);
- a file name read from a file is not a plain name inside its folder (:func:`plain_name`), so
  nothing read from a file can make nnscratch read or delete anything outside the folder.

Example::

    >>> import json, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "model.json").write_text(json.dumps({"hidden": 64}))
    >>> config = read_json(folder / "model.json")
    >>> field(config, "hidden", int, source=folder / "model.json", low=1, high=65536)
    64
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

#: the largest JSON sidecar read by default (vocabularies of big corpora stay well below this)
JSON_LIMIT = 64 * 1024 * 1024


class UntrustedFileError(ValueError):
    """A file that nnscratch reads is missing, special, too large or malformed; the message
    names the file and the fault."""


def check_regular_file(path: str | os.PathLike, *, what: str = "file") -> Path:
    """``path`` if it names an existing regular file (links followed), else
    FileNotFoundError (missing) or :class:`UntrustedFileError` (a folder, FIFO, device …)."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {path} does not exist") from None
    except OSError as error:
        raise UntrustedFileError(f"{what} {path} cannot be read ({error.strerror or error})") from None
    if not stat.S_ISREG(info.st_mode):
        raise UntrustedFileError(f"{what} {path} is not a regular file ({_kind_of(info.st_mode)})")
    return path


def open_regular(path: str | os.PathLike, *, what: str = "file", buffering: int = -1) -> BinaryIO:
    """The regular file ``path`` opened for binary reading; FileNotFoundError when it is
    missing, :class:`UntrustedFileError` for a folder, FIFO, device or unreadable file. It is
    opened without blocking and checked on the open descriptor, so a FIFO swapped in after any
    earlier check cannot hang the reader."""
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {path} does not exist") from None
    except OSError as error:
        raise UntrustedFileError(f"{what} {path} cannot be read ({error.strerror or error})") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):  # checked before fdopen, which refuses a folder itself
        os.close(descriptor)
        raise UntrustedFileError(f"{what} {path} is not a regular file ({_kind_of(mode)})")
    return os.fdopen(descriptor, "rb", buffering=buffering)


def read_bytes(path: str | os.PathLike, *, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path`` (see :func:`open_regular`), refused before
    reading when it holds more than ``max_bytes``, and after when its size changed while it
    was read."""
    with open_regular(path, what=what) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise UntrustedFileError(f"{what} {path} has {size} bytes, more than the "
                                     f"{max_bytes} such a file may hold")
        try:
            data = handle.read(min(size, max_bytes) + 1)  # read() allocates what it is asked for
        except OSError as error:
            raise UntrustedFileError(f"{what} {path} cannot be read ({error.strerror or error})") from None
    if len(data) != size:  # one byte more than fstat said is read to see a growing file
        raise UntrustedFileError(f"{what} {path} changed size while being read")
    return data


def sha256_of(path: str | os.PathLike, *, what: str = "file") -> tuple[int, str]:
    """``(size, SHA-256 hex digest)`` of the regular file ``path``, read in 1 MiB chunks, so
    checking a file against a recorded digest costs bounded memory whatever its size."""
    import hashlib

    digest, size = hashlib.sha256(), 0
    try:
        with open_regular(path, what=what, buffering=0) as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
    except OSError as error:
        raise UntrustedFileError(f"{what} {path} cannot be read ({error.strerror or error})") from None
    return size, digest.hexdigest()


def parse_json(text: bytes | str, *, source: str | os.PathLike, allow_constants: bool = False) -> Any:
    """``text`` parsed as strict JSON (no NaN/Infinity unless ``allow_constants``), or
    :class:`UntrustedFileError` naming ``source``: not UTF-8, malformed, nested deeper than
    Python's recursion limit (json's C parser then raises RecursionError at once), or an
    integer too long to convert."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UntrustedFileError(f"{source} is not UTF-8 text ({error})") from None
    try:
        return json.loads(text, parse_constant=None if allow_constants else _refuse_constant)
    except json.JSONDecodeError as error:
        raise UntrustedFileError(f"{source} is not valid JSON ({error})") from None
    except RecursionError:
        raise UntrustedFileError(f"{source} nests JSON too deeply to be one of nnscratch's files") from None
    except ValueError as error:  # a 5,000-digit integer, NaN
        raise UntrustedFileError(f"{source} is not valid JSON ({error})") from None


def read_json(path: str | os.PathLike, *, max_bytes: int = JSON_LIMIT, what: str = "file",
              allow_constants: bool = False) -> Any:
    """The JSON value in the regular file ``path`` (see :func:`read_bytes` and
    :func:`parse_json` for what is refused)."""
    return parse_json(read_bytes(path, max_bytes=max_bytes, what=what), source=path,
                      allow_constants=allow_constants)


def read_json_object(path: str | os.PathLike, *, max_bytes: int = JSON_LIMIT, what: str = "file",
                     allow_constants: bool = False) -> dict:
    """Like :func:`read_json`, for a file whose top level must be a JSON object."""
    value = read_json(path, max_bytes=max_bytes, what=what, allow_constants=allow_constants)
    if not isinstance(value, dict):
        raise UntrustedFileError(f"{path} holds a JSON {_json_type(value)}, not an object")
    return value


_MISSING = object()


def field(record: Mapping, key: str, kind: type | tuple[type, ...], *, source: str | os.PathLike,
          low: float | None = None, high: float | None = None, default: Any = _MISSING) -> Any:
    """``record[key]`` checked to be of ``kind`` (``bool`` is never an ``int`` here, an ``int``
    is accepted as a ``float``) and, for numbers, in ``[low, high]``; otherwise
    :class:`UntrustedFileError` naming ``source`` and the field. A missing key gives
    ``default`` when one is given."""
    if not isinstance(record, Mapping):
        raise UntrustedFileError(f"{source}: expected a JSON object, got a JSON {_json_type(record)}")
    if key not in record:
        if default is not _MISSING:
            return default
        raise UntrustedFileError(f"{source}: field {key!r} is missing")
    value = record[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    matches = isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))
    if not matches:
        expected = " or ".join(_TYPE_WORDS.get(k, k.__name__) for k in kinds)
        raise UntrustedFileError(f"{source}: field {key!r} must be {expected}, got "
                                 f"{_short(value)}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value or (low is not None and value < low) or (high is not None and value > high):
            bounds = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
            raise UntrustedFileError(f"{source}: field {key!r} must be in {bounds}, got {value!r}")
    return value


def plain_name(name: Any, folder: str | os.PathLike, *, source: str | os.PathLike) -> Path:
    """``folder / name`` for a file name read from the file ``source``, refused unless it is
    a plain name inside ``folder``: a non-empty string, no path separator, not ``.`` or
    ``..``, no NUL, and (if it exists) not a link that leads out of ``folder``."""
    if not isinstance(name, str) or not name or name in (".", "..") or "\0" in name \
            or "/" in name or "\\" in name or (os.altsep and os.altsep in name):
        raise UntrustedFileError(f"{source}: {_short(name)} is not a plain file name inside {folder}")
    folder = Path(folder)
    path = folder / name
    if path.is_symlink():
        target = path.resolve()
        if target.parent != folder.resolve():
            raise UntrustedFileError(f"{source}: {name!r} is a link that leads out of {folder}")
    return path


_TYPE_WORDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string",
               list: "a list", dict: "an object", type(None): "null"}


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number",
            float: "number", type(None): "null"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"
