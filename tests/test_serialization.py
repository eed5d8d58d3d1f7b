"""ns.save / ns.load: safetensors round trips, atomic writes, and refusing non-checkpoints."""

import io
import json
import os
import pickletools
import struct
import zipfile

import numpy as np
import pytest
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
        {"w": {"dtype": "F32", "shape": [10], "data_offsets": [0, 8]}}, b"\0" * 8), "valid"),
    "unknown dtype": (lambda good: safetensors_bytes(
        {"w": {"dtype": "Q99", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8), "valid"),
    "order metadata lies": (lambda good: safetensors_bytes(
        {"__metadata__": {"nnscratch.key_order": json.dumps(["w", "ghost"])},
         "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8), "order"),
    "header is a list": (lambda good: safetensors_bytes([], b""), "list"),
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
