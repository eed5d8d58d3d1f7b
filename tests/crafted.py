"""Helpers of the crafted-run-folder suite: legit run folders, attacks on their files, the CLI
run under limits, and the verdict on what it did.

A case copies a legit run folder into a sandbox, applies one attack to one of its files, runs one
``nnscratch`` command on the copy in a subprocess (a timeout, an address-space limit) and judges
the outcome against an :class:`Expect`:

- ``SUCCEED``: exit status 0 and no traceback (the legit folder itself, the control case);
- ``REFUSE``: exit status != 0, no traceback, exactly one line on stderr naming the file;
- ``FALLBACK``: exit status 0 (an older checkpoint was used), no traceback, the skipped file
  named on stderr;
- ``CLEAN``: either a success without a traceback or a ``REFUSE``-style error (for attacks where
  both answers are right, such as an unused field deleted).

Whatever the expectation, the command must not hang, die by a signal, print a traceback or
touch any file outside the run folder (a victim file beside the folder and one in the working
directory are compared byte for byte, with their mtimes, and so is every other file there).
"""

from __future__ import annotations

import copy
import enum
import hashlib
import json
import os
import random
import re
import resource
import shutil
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: seconds one command may take before it counts as a hang (a legit call takes about 1 s)
TIMEOUT_S = 20.0
#: the address space a command may map: numpy, BLAS and a tiny model fit well inside
ADDRESS_SPACE = 3 << 30
VICTIM = b"precious: nnscratch must never read this into a run, change it or delete it\n"
#: where the sandbox puts things (relative to the case's own folder)
RUNS, CWD = "runs", "cwd"
IMAGE = "image.png"


class Expect(enum.Enum):
    SUCCEED = "succeed"
    REFUSE = "refuse"
    FALLBACK = "fallback"
    CLEAN = "clean"


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def child_environment() -> dict[str, str]:
    """The environment of every command: no fault injection, a headless matplotlib, one BLAS
    thread (the machine is shared)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNSCRATCH_TEST_")}
    env.update(MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               PYTHONDONTWRITEBYTECODE="1")
    return env


@dataclass
class Result:
    args: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool


def run_cli(args: Sequence[str], cwd: Path, *, env: dict[str, str] | None = None,
            timeout: float = TIMEOUT_S) -> Result:
    """``python -m nnscratch ARGS`` in ``cwd`` under the timeout and the address-space limit;
    a command past the timeout is killed (with its process group) and marked ``timed_out``."""
    start = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "nnscratch", *args], cwd=cwd,
                               env=env or child_environment(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=_limit_address_space, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        out, err = process.communicate()
        timed_out = True
    return Result(tuple(args), None if timed_out else process.returncode,
                  out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                  time.monotonic() - start, timed_out)


def train_legit(out: Path, recipe: str, *options: str, env_extra: dict[str, str] | None = None,
                interrupted: bool = False) -> Path:
    """Train ``recipe`` into ``out`` (a tiny run); the folder, checked to be what it should be."""
    env = child_environment()
    env.update(env_extra or {})
    result = run_cli(["train", recipe, "--quiet", "--out", str(out), *options], out.parent,
                     env=env, timeout=120)
    assert result.returncode in ((0, 143) if interrupted else (0,)), result
    assert (out / "config.json").is_file(), result
    assert (out / "model.safetensors").exists() is not interrupted, result
    assert sorted((out / "checkpoints").glob("step-*.json")), result
    return out


def _entry(path: Path) -> tuple:
    info = os.lstat(path)
    if os.path.islink(path):
        return ("link", os.readlink(path))
    if os.path.isdir(path):
        return ("dir",)
    if not os.path.isfile(path):
        return ("special", info.st_mode)
    return ("file", info.st_size, info.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())


def snapshot(root: Path, skip: Path) -> dict[str, tuple]:
    """Every entry under ``root`` except the folder ``skip`` (links not followed): its kind,
    size, mtime and SHA-256."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if here / d != skip]
        for name in dirs + files:
            path = here / name
            if path != skip:
                entries[str(path.relative_to(root))] = _entry(path)
    return entries


def touched(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """The entries created, deleted or changed between two snapshots."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


@dataclass
class Sandbox:
    """One case's folder: ``runs/NAME`` (the run under attack), ``runs/victim`` beside it,
    ``cwd/victim`` and ``cwd/image.png`` in the working directory of the command."""

    root: Path
    run: Path
    cwd: Path
    victim: Path
    before: dict[str, tuple] = field(default_factory=dict)
    #: the legit run folders by name, for attacks that borrow another run's file
    legit: Callable[[str], Path] | None = None

    @classmethod
    def make(cls, root: Path, legit: Path, image: bytes) -> Sandbox:
        run = root / RUNS / legit.name
        shutil.copytree(legit, run, symlinks=True)
        cwd = root / CWD
        cwd.mkdir()
        (cwd / "victim").write_bytes(VICTIM)
        (cwd / IMAGE).write_bytes(image)
        victim = root / RUNS / "victim"
        victim.write_bytes(VICTIM)
        return cls(root, run, cwd, victim)

    def seal(self) -> None:
        """Record everything outside the run folder (call after the attack)."""
        self.before = snapshot(self.root, self.run)

    def touched_outside(self) -> list[str]:
        return touched(self.before, snapshot(self.root, self.run))

    def outside(self, name: str) -> Path:
        """A path beside the run folder (outside it)."""
        return self.root / RUNS / name


def checkpoint_records(run: Path) -> list[Path]:
    return sorted((run / "checkpoints").glob("step-*.json"))


def resolve(run: Path, spec: str) -> Path:
    """The file a case attacks: a path inside the run folder, or ``@newest.json`` /
    ``@oldest.json`` (a checkpoint record), ``@newest.safetensors`` (its tensors file)."""
    if not spec.startswith("@"):
        return run / spec
    records = checkpoint_records(run)
    record = records[-1] if spec.startswith("@newest") else records[0]
    if spec.endswith(".json"):
        return record
    return record.parent / json.loads(record.read_text())["tensors"]


def tensors_record(tensors: Path) -> Path:
    """The record that names the checkpoint tensors file ``tensors``."""
    return tensors.parent / (tensors.name.split("-")[0] + "-" + tensors.name.split("-")[1] + ".json")


Attack = Callable[[Path, Sandbox], None]


def replace_file(path: Path, data: bytes) -> None:
    """``path`` (whatever it was: a file, a link, a FIFO) replaced by a regular file of ``data``."""
    if path.is_symlink() or path.exists():
        path.unlink()
    path.write_bytes(data)


def fifo(path: Path, box: Sandbox) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def dev_zero(path: Path, box: Sandbox) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")


def outside_link(path: Path, box: Sandbox) -> None:
    """A link to the victim beside the run folder."""
    path.unlink(missing_ok=True)
    path.symlink_to(box.victim)


def _content(data: bytes) -> Attack:
    def attack(path: Path, box: Sandbox) -> None:
        replace_file(path, data)
    return attack


#: the attacks that replace a JSON file as a whole
JSON_ATTACKS: dict[str, Attack] = {
    "fifo": fifo,
    "dev-zero": dev_zero,
    "outside-link": outside_link,
    "nesting-bomb": _content(b"[" * 100_000),
    "long-int": _content(b"1" * 5000),
    "bad-utf8": _content(b'{"format": "\xff\xfe\xfd", "tokens": ["\xc3\x28"]}'),
    "null": _content(b"null"),
    "list": _content(b"[]"),
    "string": _content(b'"x"'),
}
#: the representative subset where the same reader is reached again
JSON_FEW = ("fifo", "dev-zero", "nesting-bomb", "null")


def sparse_huge(path: Path, box: Sandbox) -> None:
    """An 8 GiB file of zeros that takes no disk (sparse): whoever reads it whole runs out of
    the address space."""
    path.unlink(missing_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(8 << 30)


def directory(path: Path, box: Sandbox) -> None:
    path.unlink(missing_ok=True)
    path.mkdir()


def nan_constant(key: str | None = None) -> Attack:
    """The legit JSON with the number of field ``key`` (default: the first number) replaced by
    JSON's non-standard NaN."""
    def attack(path: Path, box: Sandbox) -> None:
        text = path.read_text()
        name = re.escape(json.dumps(key)) if key else r'"[^"]+"'
        number = re.search(name + r': (-?\d+(\.\d+)?(e-?\d+)?)(?=[,\n])', text)
        replace_file(path, (text[:number.start(1)] + "NaN" + text[number.end(1):]).encode())
    return attack


#: attacks of the file as a file, tried where a reader is reached first
FILE_ATTACKS: dict[str, Attack] = {"sparse-8GiB": sparse_huge, "directory": directory}


#: the value :func:`set_field` takes to delete a field
DELETE = object()


@dataclass(frozen=True)
class Mutation:
    path: tuple          # keys / indices from the top of the JSON value
    kind: str            # "delete", "str-for-int", "list-for-dict", "huge", "huger", "negative" …
    value: Any = None

    def __str__(self) -> str:
        where = "/".join(str(p) for p in self.path) or "<top>"
        return f"{where}: {self.kind}" + ("" if self.kind == "delete" else f" -> {self.value!r}")

    @property
    def strict(self) -> bool:
        """A schema violation every reader must refuse: a string where an integer belongs, a
        list where an object belongs."""
        return self.kind in ("str-for-int", "list-for-dict")


def mutations(value: Any, path: tuple = (), list_items: int = 2) -> Iterator[Mutation]:
    """Every single-field mutation of the JSON ``value``: each field deleted, of the wrong type
    (a string for an int, a list for an object, an int for a string …) or of an absurd size
    (1e9, 1e10, -1). Only the first ``list_items`` items of a list are walked."""
    if path:
        if isinstance(value, bool):
            yield Mutation(path, "str-for-bool", "x")
        elif isinstance(value, int):
            yield Mutation(path, "str-for-int", "x")
            yield Mutation(path, "huge", 1_000_000_000)
            yield Mutation(path, "huger", 10_000_000_000)
            yield Mutation(path, "negative", -1)
        elif isinstance(value, float):
            yield Mutation(path, "str-for-float", "x")
            yield Mutation(path, "huge", 1e10)
            yield Mutation(path, "negative", -1.0)
        elif isinstance(value, str):
            yield Mutation(path, "int-for-str", 0)
        elif isinstance(value, dict):
            yield Mutation(path, "list-for-dict", [])
        elif isinstance(value, list):
            yield Mutation(path, "str-for-list", "x")
        elif value is None:
            yield Mutation(path, "huge", 1_000_000_000)
        if isinstance(path[-1], str):
            yield Mutation(path, "delete")
    if isinstance(value, dict):
        for key, item in value.items():
            yield from mutations(item, path + (key,), list_items)
    elif isinstance(value, list):
        for index, item in enumerate(value[:list_items]):
            yield from mutations(item, path + (index,), list_items)


def pick(candidates: Sequence[Mutation], k: int, seed: str) -> list[Mutation]:
    """``k`` mutations chosen deterministically from ``seed``, round-robin over the kinds so
    that every kind of mutation is tried before any is tried twice."""
    rng = random.Random(seed)
    by_kind: dict[str, list[Mutation]] = {}
    for m in candidates:
        by_kind.setdefault(m.kind, []).append(m)
    for group in by_kind.values():
        rng.shuffle(group)
    kinds = sorted(by_kind)
    rng.shuffle(kinds)
    chosen = []
    while len(chosen) < k and any(by_kind.values()):
        for kind in kinds:
            if by_kind[kind] and len(chosen) < k:
                chosen.append(by_kind[kind].pop())
    return chosen


def mutate(value: Any, mutation: Mutation) -> Any:
    """A deep copy of ``value`` with ``mutation`` applied."""
    value = copy.deepcopy(value)
    parent = value
    for key in mutation.path[:-1]:
        parent = parent[key]
    if mutation.kind == "delete":
        del parent[mutation.path[-1]]
    else:
        parent[mutation.path[-1]] = mutation.value
    return value


def set_field(value: Any, path: Sequence, new: Any) -> Any:
    """A deep copy of ``value`` whose field at ``path`` is ``new`` (deleted for ``DELETE``)."""
    return mutate(value, Mutation(tuple(path), "delete") if new is DELETE
                  else Mutation(tuple(path), "set", new))


def read_json(path: Path) -> Any:
    """A legit file's JSON (checkpoint records hold JSON's Infinity)."""
    return json.loads(path.read_text())


def write_json(path: Path, value: Any) -> None:
    replace_file(path, json.dumps(value, indent=2).encode())


def read_safetensors(path: Path) -> tuple[dict, bytes]:
    """The header (a dict) and the data bytes of a legit safetensors file."""
    blob = path.read_bytes()
    (length,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + length]), blob[8 + length:]


def safetensors_bytes(header: dict, data: bytes) -> bytes:
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def _tensors(header: dict) -> list[tuple[str, dict]]:
    return sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                  key=lambda item: item[1]["data_offsets"][0])


def rebuild(header: dict, data: bytes, *, drop: str | None = None,
            grow: str | None = None) -> bytes:
    """A well-formed safetensors file of the same tensors, without ``drop`` and with one more
    row of zeros in ``grow``."""
    new_header, chunks, offset = {}, [], 0
    if "__metadata__" in header:
        new_header["__metadata__"] = header["__metadata__"]
    for name, info in _tensors(header):
        if name == drop:
            continue
        begin, end = info["data_offsets"]
        chunk, shape = data[begin:end], list(info["shape"])
        if name == grow:
            shape[0] += 1
            chunk = chunk + bytes(len(chunk) // max(info["shape"][0], 1))
        new_header[name] = {"dtype": info["dtype"], "shape": shape,
                            "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    return safetensors_bytes(new_header, b"".join(chunks))


def _largest(header: dict) -> str:
    return max(_tensors(header), key=lambda item: item[1]["data_offsets"][1]
               - item[1]["data_offsets"][0])[0]


def _flip(blob: bytes, position: int, bit: int) -> bytes:
    out = bytearray(blob)
    out[position] ^= bit
    return bytes(out)


def st_truncated(path: Path, box: Sandbox) -> None:
    blob = path.read_bytes()
    replace_file(path, blob[:len(blob) // 2])


def st_flip_data(path: Path, box: Sandbox) -> None:
    """One mantissa bit of a weight in the middle of the data: a silently different model."""
    blob = path.read_bytes()
    (length,) = struct.unpack("<Q", blob[:8])
    middle = 8 + length + (len(blob) - 8 - length) // 2
    replace_file(path, _flip(blob, middle - middle % 4 + 1, 0x10))


def st_flip_header(path: Path, box: Sandbox) -> None:
    """One bit of the first tensor name's first letter."""
    blob = path.read_bytes()
    header, _ = read_safetensors(path)
    name = _tensors(header)[0][0]
    position = blob.index(json.dumps(name).encode(), 8) + 1
    replace_file(path, _flip(blob, position, 0x01))


def st_header_bomb(path: Path, box: Sandbox) -> None:
    text = b"[" * 100_000
    replace_file(path, struct.pack("<Q", len(text)) + text)


def st_header_long_int(path: Path, box: Sandbox) -> None:
    text = b'{"w":{"dtype":"F32","shape":[' + b"9" * 5000 + b'],"data_offsets":[0,4]}}'
    replace_file(path, struct.pack("<Q", len(text)) + text + bytes(4))


def st_missing_key(path: Path, box: Sandbox) -> None:
    header, data = read_safetensors(path)
    replace_file(path, rebuild(header, data, drop=_largest(header)))


def st_wrong_shape(path: Path, box: Sandbox) -> None:
    header, data = read_safetensors(path)
    replace_file(path, rebuild(header, data, grow=_largest(header)))


SAFETENSORS_ATTACKS: dict[str, Attack] = {
    "truncated": st_truncated,
    "bitflip-data": st_flip_data,
    "bitflip-header": st_flip_header,
    "fifo": fifo,
    "dev-zero": dev_zero,
    "outside-link": outside_link,
    "header-bomb": st_header_bomb,
    "header-long-int": st_header_long_int,
    "missing-key": st_missing_key,
    "wrong-shape": st_wrong_shape,
}
SAFETENSORS_FEW = ("fifo", "dev-zero", "bitflip-data", "wrong-shape")


def rehash_checkpoint(tensors: Path, blob: bytes) -> None:
    """Replace a checkpoint's tensors by ``blob`` under the name and hash its record expects:
    a checkpoint whose hash is valid and whose content is not."""
    record_path = tensors_record(tensors)
    record = read_json(record_path)
    digest = hashlib.sha256(blob).hexdigest()
    step = tensors.name.split("-")[1]
    new = tensors.with_name(f"step-{step}-{digest[:8]}.safetensors")
    tensors.unlink()
    new.write_bytes(blob)
    record.update(tensors=new.name, bytes=len(blob), sha256=digest)
    write_json(record_path, record)


def ckpt_missing_key_rehashed(path: Path, box: Sandbox) -> None:
    header, data = read_safetensors(path)
    rehash_checkpoint(path, rebuild(header, data, drop=_largest(header)))


def ckpt_wrong_shape_rehashed(path: Path, box: Sandbox) -> None:
    header, data = read_safetensors(path)
    rehash_checkpoint(path, rebuild(header, data, grow=_largest(header)))


def png_bytes(width: int = 32, height: int = 32, seed: int = 0) -> bytes:
    """A small RGB PNG of random pixels (written with Pillow)."""
    import io

    import numpy as np
    from PIL import Image

    pixels = (np.random.default_rng(seed).random((height, width, 3)) * 255).astype("uint8")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def png_pixel_bomb() -> bytes:
    """A valid PNG header declaring 40,000 x 40,000 pixels over a few bytes of data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


_FRAME = re.compile(r'File "([^"]*nnscratch[^"]*)", line (\d+), in (\S+)')


def innermost_frame(stderr: str) -> str | None:
    """``module.py:LINE in function`` of the last nnscratch frame of a traceback."""
    frames = _FRAME.findall(stderr)
    if not frames:
        return None
    file, line, function = frames[-1]
    return f"{file.split('src/')[-1]}:{line} in {function}"


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


@dataclass
class Verdict:
    outcome: str                 # hang | signal | traceback | clean-error | unclear-error | success
    problems: list[str]
    touched: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def judge(result: Result, expect: Expect, names: Sequence[str], touched_outside: list[str]) -> Verdict:
    """What the command did, and every way that differs from ``expect``."""
    err_lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    named = bool(err_lines) and any(name in err_lines[0] for name in names)
    if result.timed_out:
        outcome = "hang"
    elif result.returncode is not None and result.returncode < 0:
        outcome = "signal"
    elif "Traceback" in result.stderr:
        outcome = "traceback"
    elif result.returncode == 0:
        outcome = "success"
    elif len(err_lines) == 1 and named:
        outcome = "clean-error"
    else:
        outcome = "unclear-error"
    problems = []
    if outcome == "hang":
        problems.append(f"no answer within {TIMEOUT_S:.0f} s (a hang)")
    elif outcome == "signal":
        problems.append(f"killed by signal {-result.returncode}")
    elif outcome == "traceback":
        frame = innermost_frame(result.stderr)
        problems.append(f"traceback: {last_line(result.stderr)}" + (f" [at {frame}]" if frame else ""))
    elif outcome == "unclear-error":
        problems.append(f"exit {result.returncode} but stderr is not one line naming "
                        f"{' or '.join(names)}: {result.stderr.strip()[-400:]!r}")
    elif expect is Expect.SUCCEED and outcome != "success":
        problems.append(f"exit {result.returncode} on a legit folder: {last_line(result.stderr)!r}")
    elif expect is Expect.REFUSE and outcome == "success":
        problems.append(f"exit 0 where a refusal naming {' or '.join(names)} was due; "
                        f"stderr {result.stderr.strip()[-300:]!r}")
    elif expect is Expect.FALLBACK:
        if outcome != "success":
            problems.append(f"exit {result.returncode} where a fallback to an older checkpoint "
                            f"was due: {last_line(result.stderr)!r}")
        elif not any(name in result.stderr for name in names):
            problems.append(f"fell back without a warning naming {' or '.join(names)}; "
                            f"stderr {result.stderr.strip()[-300:]!r}")
    if touched_outside:
        problems.append(f"touched outside the run folder: {touched_outside}")
    return Verdict(outcome, problems, touched_outside)
