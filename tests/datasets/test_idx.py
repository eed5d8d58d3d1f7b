"""IDX reader: round trips through files the test writes, and fuzzing that only ValueError escapes."""

import gzip
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnscratch.datasets.idx import parse_idx, read_idx

TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array`` written from the format's definition."""
    header = struct.pack(">BBBB", 0, 0, TYPE_CODES[array.dtype.type], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.mark.parametrize("dtype", list(TYPE_CODES))
@pytest.mark.parametrize("compressed", [False, True])
def test_round_trip_every_type(tmp_path, rng, dtype, compressed):
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    raw = idx_bytes(array)
    path = tmp_path / "data-idx3-ubyte"  # no .gz suffix: gzip is detected from the content
    path.write_bytes(gzip.compress(raw) if compressed else raw)
    loaded = read_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)


def test_one_dimensional_and_empty(tmp_path):
    labels = np.array([7, 2, 1, 0], dtype=np.uint8)
    np.testing.assert_array_equal(parse_idx(idx_bytes(labels)), labels)
    empty = np.zeros((0, 28, 28), dtype=np.uint8)
    assert parse_idx(idx_bytes(empty)).shape == (0, 28, 28)


def test_big_endian_values_decoded():
    raw = bytes([0, 0, 0x0C, 1, 0, 0, 0, 2]) + bytes([0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFE])
    np.testing.assert_array_equal(parse_idx(raw), [258, -2])


@pytest.mark.parametrize(
    ("raw", "fault"),
    [
        (b"\x00\x00", "shorter than the 4-byte magic"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x00", "magic number"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x00", "type code 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated IDX header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", "truncated"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "trailing bytes"),
        (b"\x1f\x8b\x08\x00garbage", "gzip"),
    ],
)
def test_faults_named(tmp_path, raw, fault):
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=fault) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_reported(tmp_path):
    path = tmp_path / "t.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))[:-9])
    with pytest.raises(ValueError, match="t.gz.*gzip"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent")


def _check_only_value_error(raw: bytes) -> None:
    try:
        parse_idx(raw, "fuzzed-file")
    except ValueError as error:
        assert "fuzzed-file" in str(error)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64))
def test_fuzz_random_bytes(raw):
    _check_only_value_error(raw)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 4), st.sampled_from(sorted(TYPE_CODES.values()) + [0, 0x0A, 0xFF]),
       st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 4), max_size=4), st.binary(max_size=80),
       st.booleans())
def test_fuzz_plausible_headers(ndim, type_code, sizes, body, compress):
    raw = bytes([0, 0, type_code, ndim]) + b"".join(struct.pack(">I", s) for s in sizes) + body
    _check_only_value_error(gzip.compress(raw) if compress else raw)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fuzz_truncated_and_corrupted_files(data):
    array = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    raw = idx_bytes(array)
    if data.draw(st.booleans(), label="gzip"):
        raw = gzip.compress(raw)
    cut = data.draw(st.integers(0, len(raw)), label="cut")
    damaged = bytearray(raw[:cut])
    if damaged and data.draw(st.booleans(), label="flip a byte"):
        where = data.draw(st.integers(0, len(damaged) - 1), label="where")
        damaged[where] ^= data.draw(st.integers(1, 255), label="mask")
    if cut == len(raw) and len(damaged) == len(raw) and bytes(damaged) == raw:
        np.testing.assert_array_equal(parse_idx(raw), array)
    else:
        _check_only_value_error(bytes(damaged))


def test_empty_array_with_huge_other_sizes_rejected():
    raw = bytes([0, 0, 0x08, 4]) + struct.pack(">4I", 0, 2, 0x4B310000, 0xD9E5B19E)
    with pytest.raises(ValueError, match="too large"):
        parse_idx(raw, "huge")
