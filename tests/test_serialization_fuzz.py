"""Fuzzing ns.load: whatever the bytes, the only errors are a ValueError naming the file (or
FileNotFoundError for a missing one); whatever loads agrees with the reference reader."""

import json
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import load as reference_load

import nnscratch as ns

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def valid(folder) -> bytes:
    """The bytes of a file ns.save wrote: floats, booleans, a 0-d and an empty tensor."""
    path = folder / "valid.safetensors"
    ns.save({"w": ns.arange(6.0).reshape(2, 3), "mask": ns.tensor([True, False]),
             "step": ns.tensor(7), "empty": ns.zeros(0, 2)}, path)
    return path.read_bytes()


def check_load(path, raw: bytes) -> None:
    """ns.load of ``raw`` either raises a ValueError naming ``path`` or returns what the
    safetensors reference reader returns (for the dtypes both hold)."""
    path.write_bytes(raw)
    try:
        loaded = ns.load(path)
    except ValueError as error:
        assert str(path) in str(error), error
        return
    try:
        expected = reference_load(raw)
    except Exception:  # noqa: BLE001 - the reference refuses more (e.g. bfloat16 in numpy)
        return
    assert set(loaded) == set(expected)
    for name, array in expected.items():
        got = loaded[name].numpy()
        assert got.shape == array.shape
        if array.dtype == bool:  # ns.load reads any non-zero byte as True
            array = array.view(np.uint8) != 0
        assert got.dtype == array.dtype and got.tobytes() == array.tobytes()


@FUZZ
@given(st.binary(max_size=256))
def test_random_bytes(folder, raw):
    check_load(folder / "random.safetensors", raw)


@FUZZ
@given(st.data())
def test_mutated_valid_files(folder, valid, data):
    """A valid file with some bytes overwritten, some removed or inserted, or cut short."""
    raw = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        kind = data.draw(st.sampled_from(["overwrite", "delete", "insert", "truncate"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="at")
        if kind == "overwrite" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif kind == "delete":
            del raw[at:at + data.draw(st.integers(1, 8))]
        elif kind == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del raw[at:]
    check_load(folder / "mutated.safetensors", bytes(raw))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False)
    | st.text(max_size=6),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children,
                                                                       max_size=3),
    max_leaves=4)
dtypes = st.sampled_from(["F32", "F64", "I64", "BOOL", "U8", "BF16", "F8_E4M3", "F8_E5M2", "C64",
                          "F4", "f32", ""]) | json_values
counts = st.integers(-2, 24) | json_values


@st.composite
def header_entries(draw):
    entry = {"dtype": draw(dtypes), "shape": draw(st.lists(counts, max_size=3) | json_values),
             "data_offsets": draw(st.lists(counts, min_size=2, max_size=3) | json_values)}
    for key in draw(st.lists(st.sampled_from(list(entry)), max_size=1)):
        del entry[key]
    return entry


names = st.sampled_from(["", "w", "b", "é"])
key_orders = st.lists(names | json_values, max_size=4).map(json.dumps) | st.text(max_size=8) \
    | json_values
nestings = st.none() | st.integers(1, 3) | st.integers(1, 100_000)


@FUZZ
@given(st.dictionaries(names, header_entries(), max_size=4),
       st.none() | st.dictionaries(st.sampled_from(["nnscratch.key_order", "x"]), key_orders,
                                   max_size=2),
       nestings, st.booleans(), st.binary(max_size=48))
def test_edited_headers(folder, entries, metadata, depth, in_metadata, data):
    """Headers of random entries (right and wrong types, sizes and offsets), metadata (key
    orders of the wrong types, repeats, non-JSON), and nestings up to 100,000 deep put in
    an entry or in the key order."""
    header = dict(entries)
    if metadata is not None:
        header["__metadata__"] = metadata
    if depth is not None:
        if in_metadata:
            header["__metadata__"] = {"nnscratch.key_order": "[" * depth + "]" * depth}
        else:
            header["deep"] = "DEEP"
    raw = json.dumps(header).encode()
    if depth is not None:
        raw = raw.replace(b'"DEEP"', b"[" * depth + b"]" * depth)
    check_load(folder / "edited.safetensors", struct.pack("<Q", len(raw)) + raw + data)


@FUZZ
@given(st.integers(0, 2 ** 64 - 1), st.binary(max_size=64))
def test_any_header_length(folder, header_size, rest):
    check_load(folder / "length.safetensors", struct.pack("<Q", header_size) + rest)


def test_fuzzed_files_can_load(folder, valid):
    """The fuzzers reach loading, not only refusing: an untouched file loads."""
    path = folder / "plain.safetensors"
    path.write_bytes(valid)
    assert ns.load(path)["w"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_missing_file_is_file_not_found(folder):
    with pytest.raises(FileNotFoundError, match="absent.safetensors"):
        ns.load(folder / "absent.safetensors")
