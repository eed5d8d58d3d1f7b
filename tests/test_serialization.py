"""ns.save / ns.load: safetensors round trips, atomic writes, and refusing non-checkpoints."""

import io
import json
import os
import pickletools
import struct
import time
import tracemalloc
import zipfile

import numpy as np
import pytest
import safetensors.torch
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import load_file, save_file

import nnscratch as ns


def sample_state():
    rng = np.random.default_rng(0)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45, 3.4e38], dtype=np.float32)
    payload_nan = np.array([0x7FC00001, 0xFFA00000], dtype=np.uint32).view(np.float32)
    return {
        "zeta.weight": ns.tensor(rng.standard_normal((3, 4)).astype(np.float32)),
        "alpha": rng.standard_normal((2, 5)),  # float64 numpy array
        "special": ns.from_numpy(np.concatenate([special, payload_nan])),
        "count": ns.tensor(np.array([np.iinfo(np.int64).min, -1, np.iinfo(np.int64).max])),
        "mask": ns.tensor(np.array([[True, False], [False, True]])),
        "pixels": np.arange(256, dtype=np.uint8).reshape(16, 16),
        "scalar": ns.tensor(2.5),
        "scalar64": np.array(7, dtype=np.int64),
        "transposed": ns.tensor(rng.standard_normal((3, 2))).t(),  # not contiguous
        "empty": ns.zeros(0, 3),
    }


def as_array(value):
    return value.numpy() if isinstance(value, ns.Tensor) else value


def test_round_trip_is_bit_exact_and_keeps_order(tmp_path):
    state = sample_state()
    path = tmp_path / "model.safetensors"
    ns.save(state, path)
    loaded = ns.load(path)
    assert list(loaded) == list(state)  # not safetensors' sorted order
    for name, value in state.items():
        expected = as_array(value)
        got = loaded[name]
        assert isinstance(got, ns.Tensor), name
        assert got.dtype == expected.dtype and got.shape == expected.shape, name
        assert got.numpy().tobytes() == np.ascontiguousarray(expected).tobytes(), name
    assert loaded["scalar"].shape == () and loaded["scalar"].item() == 2.5
    loaded["alpha"].array[0, 0] = 1.0  # loaded arrays are writable, ordinary memory


def test_file_is_plain_safetensors(tmp_path):
    path = tmp_path / "plain.safetensors"
    ns.save({"b": ns.ones(2), "a": np.arange(3)}, path)
    other = load_file(str(path))
    np.testing.assert_array_equal(other["a"], np.arange(3))
    foreign = tmp_path / "foreign.safetensors"  # written by another tool: no order metadata
    save_file({"y": np.ones(2, np.float32), "x": np.zeros(1, np.int64)}, str(foreign))
    loaded = ns.load(foreign)
    assert sorted(loaded) == ["x", "y"] and loaded["x"].dtype == ns.int64


def test_load_to_device(tmp_path):
    path = tmp_path / "m.safetensors"
    ns.save({"w": ns.ones(2)}, path)
    assert ns.load(path, device="cpu")["w"].device == ns.device("cpu")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        ns.load(tmp_path / "nope.safetensors")


@pytest.mark.parametrize("value", [{"nested": ns.ones(1)}, [ns.ones(1)], 3, "text", None,
                                   np.array(["a", "b"]), np.array([object()])])
def test_save_rejects_anything_but_arrays_before_writing(tmp_path, value):
    path = tmp_path / "bad.safetensors"
    with pytest.raises(TypeError, match="save"):
        ns.save({"ok": ns.ones(1), "bad": value}, path)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_save_rejects_non_dicts_and_non_str_keys(tmp_path):
    with pytest.raises(TypeError, match="dict"):
        ns.save([("a", ns.ones(1))], tmp_path / "x")
    with pytest.raises(TypeError, match="str"):
        ns.save({1: ns.ones(1)}, tmp_path / "x")


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    ns.save({"w": ns.ones(3)}, path)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        ns.save({"w": ns.zeros(3)}, path)
    monkeypatch.undo()
    assert ns.load(path)["w"].tolist() == [1.0, 1.0, 1.0]  # the old checkpoint survives
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # no temporary left behind
    ns.save({"w": ns.zeros(3)}, path)  # and overwriting works
    assert ns.load(path)["w"].tolist() == [0.0, 0.0, 0.0]


def evil_pickle(marker) -> bytes:
    """A protocol-2 pickle whose unpickling calls ``open(marker, "w")``, creating the file.

    Written by hand (pickle is never imported); ``pickletools.dis`` checks it is well formed
    without executing it.
    """
    body = b"cbuiltins\nopen\n(V" + str(marker).encode() + b"\nVw\ntR."
    payload = b"\x80\x02" + body
    listing = io.StringIO()
    pickletools.dis(payload, out=listing)
    assert "builtins open" in listing.getvalue() and "REDUCE" in listing.getvalue()
    return payload


@pytest.mark.parametrize("protocol", [0, 2])
def test_pickle_is_refused_and_never_executed(tmp_path, protocol):
    marker = tmp_path / "pwned"
    payload = evil_pickle(marker)
    if protocol == 0:
        payload = payload[2:]
    path = tmp_path / "model.pt"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="model.pt") as error:
        ns.load(path)
    assert not marker.exists()
    assert "not a valid checkpoint" in str(error.value) and "pickle" in str(error.value)


def safetensors_bytes(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def valid_bytes(tmp_path) -> bytes:
    path = tmp_path / "valid.safetensors"
    ns.save({"w": ns.ones(4), "b": ns.zeros(2)}, path)
    return path.read_bytes()


CORRUPTIONS = {
    "empty": (lambda good: b"", "empty"),
    "too short": (lambda good: b"\x01\x02\x03", "too short"),
    "random bytes": (lambda good: np.random.default_rng(0).bytes(4096), "header"),
    "truncated": (lambda good: good[:-5], "bytes"),
    "header cut": (lambda good: good[:20], "header"),
    "zip (torch.save)": (None, "zip"),
    "header not json": (lambda good: safetensors_bytes({}, b"")[:8] + b"{nope" + b" " * 3, "JSON"),
    "offsets past the data": (lambda good: safetensors_bytes(
        {"w": {"dtype": "F32", "shape": [10], "data_offsets": [0, 40]}}, b"\0" * 8), "bytes 0..40"),
    "shape disagrees with bytes": (lambda good: safetensors_bytes(
        {"w": {"dtype": "F32", "shape": [10], "data_offsets": [0, 8]}}, b"\0" * 8), "needs 40 bytes"),
    "unknown dtype": (lambda good: safetensors_bytes(
        {"w": {"dtype": "Q99", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8), "'Q99'"),
    "order metadata lies": (lambda good: safetensors_bytes(
        {"__metadata__": {"nnscratch.key_order": json.dumps(["w", "ghost"])},
         "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8), "order"),
    "header is a list": (lambda good: safetensors_bytes([], b""), "begin with '{'"),
    "offsets not integers": (lambda good: safetensors_bytes(
        {"w": {"dtype": "F32", "shape": [2], "data_offsets": ["0", 8]}}, b"\0" * 8), "data_offsets"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_invalid_files_raise_value_error_naming_file_and_fault(tmp_path, case):
    make, fault = CORRUPTIONS[case]
    path = tmp_path / "broken.safetensors"
    if make is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    else:
        path.write_bytes(make(valid_bytes(tmp_path)))
    with pytest.raises(ValueError, match="broken.safetensors") as error:
        ns.load(path)
    assert fault in str(error.value)


def test_header_length_that_looks_like_a_pickle_opcode(tmp_path):
    """The reproduction of issue 13: this header is 128 bytes, so the file starts with 0x80,
    the opcode that begins a protocol-2+ pickle."""
    path = tmp_path / "w.safetensors"
    ns.save({"wxxxxxxxxx": ns.zeros(2)}, path)
    assert path.read_bytes()[:1] == b"\x80"
    assert ns.load(path)["wxxxxxxxxx"].tolist() == [0.0, 0.0]


def test_every_header_length_loads(tmp_path):
    """32 header lengths in steps of 8 (safetensors pads them to multiples of 8), so the low
    byte of the length, the file's first byte, takes every value a padded length can have."""
    path = tmp_path / "w.safetensors"
    first_bytes = set()
    for length in range(1, 129, 4):  # the name is written twice: 8 more header bytes a step
        name = "w" * length
        ns.save({name: ns.ones(1)}, path)
        first_bytes.add(path.read_bytes()[0])
        assert list(ns.load(path)) == [name]
    assert first_bytes == set(range(0, 256, 8))


SAVED_DTYPES = [np.bool_, np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32,
                np.uint64, np.int64, np.float16, np.float32, np.float64]
names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40).filter(
    lambda name: name != "__metadata__")


@st.composite
def arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(SAVED_DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    size = int(np.prod(shape)) * dtype.itemsize
    return np.frombuffer(draw(st.binary(min_size=size, max_size=size)), dtype=np.uint8) \
        .view(dtype).reshape(shape).copy() if dtype != np.bool_ else \
        np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)), bool).reshape(shape)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(names, arrays(), max_size=6))
def test_round_trip_property(tmp_path_factory, state):
    """Any names (unicode, any length, so any header length) and any arrays come back bit
    for bit, with their dtypes and shapes, in the order given."""
    path = tmp_path_factory.mktemp("round") / "state.safetensors"
    ns.save(state, path)
    loaded = ns.load(path)
    assert list(loaded) == list(state)
    for name, array in state.items():
        got = loaded[name].numpy()
        assert got.dtype == array.dtype and got.shape == array.shape
        assert got.tobytes() == array.tobytes()
    assert load_file(str(path)).keys() == state.keys()  # and the reference reader agrees


def entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


def with_order(order, header):
    return {"__metadata__": {"nnscratch.key_order": order}, **header}


BOMB = "[" * 100_000 + "]" * 100_000
CRAFTED = {
    "nesting bomb": (b'{"w":' + BOMB.encode() + b"}", b"", "nests JSON too deeply"),
    "order is not a string": (with_order(["w"], {"w": entry()}), b"\0" * 8, "object of strings"),
    "order is not JSON": (with_order("[w", {"w": entry()}), b"\0" * 8, "not valid JSON"),
    "order is a number": (with_order("3", {"w": entry()}), b"\0" * 8, "list of strings"),
    "order holds numbers": (with_order("[1]", {"w": entry()}), b"\0" * 8, "list of strings"),
    "order repeats a name": (with_order('["w", "w"]', {"w": entry()}), b"\0" * 8, "twice"),
    "order is a nesting bomb": (with_order(BOMB, {"w": entry()}), b"\0" * 8, "nests"),
    "metadata is a list": ({"__metadata__": [], "w": entry()}, b"\0" * 8, "__metadata__"),
    "negative dimension": ({"w": entry(shape=(-1, 2))}, b"\0" * 8, "non-negative"),
    "boolean dimension": ({"w": entry(shape=(True, 2))}, b"\0" * 8, "non-negative"),
    "float dimension": ({"w": entry(shape=(2.0,))}, b"\0" * 8, "non-negative"),
    "shape is a number": ({"x": {**entry(), "shape": 2}}, b"\0" * 8, "shape of 'x'"),
    "too many dimensions": ({"w": entry(shape=(1,) * 65 + (2,))}, b"\0" * 8, "at most 64"),
    "shape too large": ({"w": entry(shape=(0, 2 ** 62), offsets=(0, 0))}, b"", "too large"),
    "dtype is not a string": ({"w": entry(dtype=5)}, b"\0" * 8, "dtype 5"),
    "complex64": ({"w": entry(dtype="C64", shape=(1,))}, b"\0" * 8, "C64"),
    "float8 e8m0": ({"w": entry(dtype="F8_E8M0", shape=(8,))}, b"\0" * 8, "F8_E8M0"),
    "offsets reversed": ({"w": entry(offsets=(8, 0))}, b"\0" * 8, "claims bytes 8..0"),
    "three offsets": ({"w": {**entry(), "data_offsets": [0, 4, 8]}}, b"\0" * 8, "two"),
    "overlapping": ({"a": entry(offsets=(0, 8)), "b": entry(offsets=(4, 12))}, b"\0" * 12,
                    "overlaps"),
    "empty tensor inside another": ({"a": entry(offsets=(0, 8)), "b": entry(shape=(0,), offsets=(4, 4))},
                                    b"\0" * 8, "overlaps"),
    "hole": ({"a": entry(offsets=(0, 8)), "b": entry(offsets=(12, 20))}, b"\0" * 20,
             "bytes 8..12 of the data section belong to no tensor"),
    "bytes left over": ({"a": entry(offsets=(0, 8))}, b"\0" * 12, "cover only 8"),
    "5,000-digit integer": (b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,' + b"9" * 5000 + b"]}}",
                            b"\0" * 8, "an integer of 5000 digits"),
    "21-digit integer": ({"a": entry(offsets=(0, 10 ** 20))}, b"\0" * 8, "of 21 digits"),
    "20-digit integer": ({"a": entry(offsets=(0, 10 ** 19))}, b"\0" * 8, "claims bytes 0.."),
    "long integers in the order": (with_order("[" + "9" * 4000 + "]", {"a": entry()}), b"\0" * 8,
                                   "key_order metadata is not valid JSON"),
    "entry is a list": ({"a": [1, 2]}, b"", "lacks dtype"),
}


def write_crafted(path, header, data):
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_headers_are_refused_naming_file_and_fault(tmp_path, case):
    header, data, fault = CRAFTED[case]
    path = tmp_path / f"{case}.safetensors"
    write_crafted(path, header, data)
    with pytest.raises(ValueError) as error:
        ns.load(path)
    message = str(error.value)
    assert str(path) in message and "not a valid checkpoint" in message
    assert fault in message, message


def test_huge_header_of_empty_entries_is_refused_quickly(tmp_path):
    """A 99 MB header of ~1.6 M empty entries (issue 14: 65 s and 2.9 GB) is refused after
    reading its first megabytes. The rest of the file is a hole, so the test costs no disk."""
    path = tmp_path / "many.safetensors"
    header_size = 99_000_000
    entries = b",".join(b'"%x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}' % i
                        for i in range(150_000))
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", header_size) + b"{" + entries)
        file.truncate(8 + header_size)
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ValueError, match="more than 1,000,000 JSON values") as error:
        ns.load(path)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert str(path) in str(error.value)
    assert seconds < 1.0 and peak < 64 * 2 ** 20, (seconds, peak)


def test_many_empty_tensors_within_the_bound_load(tmp_path):
    path = tmp_path / "empties.safetensors"
    state = {f"e{i}": np.zeros((0, i % 3), np.float32) for i in range(2_000)}
    ns.save(state, path)
    loaded = ns.load(path)
    assert list(loaded) == list(state) and loaded["e5"].shape == (0, 2)


@pytest.mark.parametrize("kind", ["fifo", "device", "link to device", "folder"])
def test_special_files_are_refused_without_reading(tmp_path, kind):
    path = tmp_path / "model.safetensors"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would block until a writer comes
    elif kind == "device":
        path = "/dev/zero"
    elif kind == "link to device":
        path.symlink_to("/dev/zero")  # reading it would never end
    else:
        path.mkdir()
    with pytest.raises(ValueError, match="not a regular file") as error:
        ns.load(path)
    assert str(path) in str(error.value)


def torch_file(tmp_path, tensors):
    path = tmp_path / "torch.safetensors"
    safetensors.torch.save_file(tensors, str(path))
    return path


def test_bfloat16_loads_as_float32_exactly(tmp_path):
    """Every bfloat16 bit pattern (NaN payloads, infinities, subnormals, -0) as torch's
    ``t.float()`` gives it."""
    bits = torch.arange(-2 ** 15, 2 ** 15, dtype=torch.int32).to(torch.int16)
    weights = bits.view(torch.bfloat16).reshape(256, 256)
    loaded = ns.load(torch_file(tmp_path, {"w": weights, "b": torch.ones(3)}))
    assert loaded["w"].dtype == ns.float32 and loaded["w"].shape == (256, 256)
    expected = weights.float().numpy()
    assert loaded["w"].numpy().view(np.uint32).tolist() == expected.view(np.uint32).tolist()
    assert loaded["b"].tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("dtype", ["float8_e4m3fn", "float8_e5m2"])
def test_float8_loads_as_float32_exactly(tmp_path, dtype):
    codes = torch.arange(256, dtype=torch.int32).to(torch.uint8)
    weights = codes.view(getattr(torch, dtype)).reshape(16, 16)
    loaded = ns.load(torch_file(tmp_path, {"w": weights}))["w"].numpy()
    expected = weights.float().numpy()
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(loaded), np.isnan(expected))
    same = ~np.isnan(expected)
    assert loaded[same].view(np.uint32).tolist() == expected[same].view(np.uint32).tolist()


def test_save_refuses_dtypes_safetensors_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="longdouble|float128"):
        ns.save({"w": np.zeros(2, np.longdouble)}, tmp_path / "x")
    assert os.listdir(tmp_path) == []


def test_big_endian_arrays_are_saved_by_value(tmp_path):
    array = np.arange(4, dtype=">i4")
    ns.save({"w": array}, tmp_path / "x")
    assert ns.load(tmp_path / "x")["w"].tolist() == [0, 1, 2, 3]
