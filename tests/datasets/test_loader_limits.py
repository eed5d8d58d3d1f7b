"""Data files as untrusted input: headers are checked before bodies are read, memory stays
bounded by what a header declares (gzip bombs included), special files are refused at once.

Large files are sparse (``os.truncate``): they cost no disk and read as zeros, which is all
these tests need. Memory is measured with tracemalloc, which numpy reports its buffers to.
"""

import gzip
import os
import struct
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from nnscratch.datasets import CIFAR10, MNIST, ParallelCorpus, TextCorpus, TimeSeries
from nnscratch.datasets.idx import read_idx

MiB = 1 << 20


def idx_header(type_code: int, shape: tuple[int, ...]) -> bytes:
    return struct.pack(">BBBB", 0, 0, type_code, len(shape)) + struct.pack(f">{len(shape)}I", *shape)


def sparse_file(path: Path, head: bytes, size: int) -> Path:
    """A file of ``size`` bytes: ``head`` then zeros (a hole: nothing is written)."""
    path.write_bytes(head)
    os.truncate(path, size)
    return path


def peak_bytes(call):
    """``(result or exception, peak bytes traced)`` of ``call()``."""
    tracemalloc.start()
    try:
        try:
            outcome = call()
        except Exception as error:  # noqa: BLE001 - the caller inspects it
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_two_gib_of_zeros_as_mnist_is_refused_by_its_magic_without_reading(tmp_path):
    sparse_file(tmp_path / "train-images-idx3-ubyte", b"", 2 * 1024 * MiB)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_header(0x08, (3,)) + bytes(3))
    outcome, peak = peak_bytes(lambda: MNIST(tmp_path))
    assert isinstance(outcome, ValueError), outcome
    assert "train-images-idx3-ubyte" in str(outcome) and "type code 0x00" in str(outcome)
    assert peak < MiB, peak


@pytest.mark.parametrize("extra", [-1, 1, 300 * MiB])
def test_stored_idx_of_the_wrong_size_is_refused_before_its_body_is_read(tmp_path, extra):
    shape = (1000, 28, 28)
    head = idx_header(0x08, shape)
    path = sparse_file(tmp_path / "images", head, len(head) + 1000 * 28 * 28 + extra)
    outcome, peak = peak_bytes(lambda: read_idx(path))
    assert isinstance(outcome, ValueError) and str(path) in str(outcome), outcome
    assert ("truncated" if extra < 0 else "trailing bytes") in str(outcome)
    assert peak < MiB, peak


@pytest.mark.parametrize(("type_code", "dtype"), [(0x08, np.uint8), (0x0B, np.int16), (0x0D, np.float32)])
def test_valid_large_idx_peaks_at_its_own_size_not_twice(tmp_path, type_code, dtype):
    count = 48 * MiB // np.dtype(dtype).itemsize
    head = idx_header(type_code, (count // 64, 64))
    path = sparse_file(tmp_path / "big-idx2", head, len(head) + count * np.dtype(dtype).itemsize)
    array, peak = peak_bytes(lambda: read_idx(path))
    assert isinstance(array, np.ndarray), array
    assert array.shape == (count // 64, 64) and array.dtype == dtype and array.dtype.isnative
    assert not array.any()
    assert peak < 1.05 * array.nbytes, (peak, array.nbytes)


def test_valid_gzipped_idx_peaks_at_its_own_size_not_twice(tmp_path):
    shape = (32 * MiB // 784, 28, 28)
    path = tmp_path / "big-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_header(0x08, shape) + bytes(shape[0] * 784), compresslevel=1))
    array, peak = peak_bytes(lambda: read_idx(path))
    assert isinstance(array, np.ndarray) and array.shape == shape, array
    assert peak < 1.05 * array.nbytes + 2 * MiB, (peak, array.nbytes)


def _zeros_member(size: int) -> bytes:
    return gzip.compress(bytes(size), compresslevel=9)


def test_gzip_bomb_stops_at_the_declared_size(tmp_path):
    # 3,000 gzip members of 1 MiB of zeros each (about 3 MB on disk, 3 GiB decompressed) after
    # a member holding a valid header of a small (10, 28, 28) file and its body
    shape = (10, 28, 28)
    bomb = gzip.compress(idx_header(0x08, shape) + bytes(10 * 28 * 28)) + _zeros_member(MiB) * 3000
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(bomb)
    assert len(bomb) < 4 * MiB
    outcome, peak = peak_bytes(lambda: read_idx(path))
    assert isinstance(outcome, ValueError) and "trailing bytes" in str(outcome), outcome
    assert str(path) in str(outcome)
    assert peak < 4 * MiB, peak


def test_gzip_header_declaring_more_than_deflate_can_hold_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.gz"
    path.write_bytes(gzip.compress(idx_header(0x08, (100_000, 1000, 1000))))  # 100 GB claimed
    outcome, peak = peak_bytes(lambda: read_idx(path))
    assert isinstance(outcome, ValueError) and "can decompress to" in str(outcome), outcome
    assert peak < MiB


def test_truncated_gzip_body_is_named(tmp_path):
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(idx_header(0x08, (100, 28, 28)) + bytes(500)))
    with pytest.raises(ValueError, match="short.gz.*truncated"):
        read_idx(path)


def _cifar_folder(tmp_path: Path, records: int, extra: int = 0) -> Path:
    """``test_batch.bin`` of ``records`` all-zero records (label 0 is valid) and ``extra`` bytes."""
    sparse_file(tmp_path / "test_batch.bin", b"", records * 3073 + extra)
    return tmp_path


def test_cifar_size_checked_before_reading(tmp_path):
    _cifar_folder(tmp_path, 100_000, extra=1)  # 307 MB, one byte too many
    outcome, peak = peak_bytes(lambda: CIFAR10(tmp_path, train=False))
    assert isinstance(outcome, ValueError) and "not a positive multiple" in str(outcome), outcome
    assert peak < MiB


def test_valid_large_cifar_peaks_at_its_own_size_not_twice(tmp_path):
    records = 16_000  # 49 MB
    _cifar_folder(tmp_path, records)
    dataset, peak = peak_bytes(lambda: CIFAR10(tmp_path, train=False))
    assert isinstance(dataset, CIFAR10), dataset
    assert dataset.data.shape == (records, 3, 32, 32) and len(dataset.targets) == records
    assert peak < 1.05 * (records * 3073 + 8 * records), peak


def test_valid_gzipped_cifar_peaks_at_its_own_size_not_twice(tmp_path):
    records = 10_000  # 31 MB, a real batch file's size
    (tmp_path / "test_batch.bin.gz").write_bytes(gzip.compress(bytes(records * 3073), compresslevel=1))
    dataset, peak = peak_bytes(lambda: CIFAR10(tmp_path, train=False))
    assert isinstance(dataset, CIFAR10) and len(dataset) == records, dataset
    assert peak < 1.05 * (records * 3073 + 8 * records) + 2 * MiB, peak


def test_cifar_gzip_bomb_stops_at_the_size_its_trailer_declares(tmp_path):
    # the trailer (ISIZE) of the last member declares one record; 3 GiB of zeros come first
    bomb = _zeros_member(MiB) * 3000 + gzip.compress(bytes(3073))
    (tmp_path / "test_batch.bin.gz").write_bytes(bomb)
    outcome, peak = peak_bytes(lambda: CIFAR10(tmp_path, train=False))
    assert isinstance(outcome, ValueError) and "more than the 3073 bytes" in str(outcome), outcome
    assert peak < 4 * MiB


def test_gzipped_cifar_reads_as_stored(tmp_path, rng):
    records = np.concatenate([rng.integers(0, 10, (5, 1)), rng.integers(0, 256, (5, 3072))], axis=1)
    raw = records.astype(np.uint8).tobytes()
    (tmp_path / "test_batch.bin.gz").write_bytes(gzip.compress(raw))
    dataset = CIFAR10(tmp_path, train=False)
    np.testing.assert_array_equal(dataset.targets, records[:, 0])
    np.testing.assert_array_equal(dataset.data.reshape(5, -1), records[:, 1:])


def _loaders(folder: Path, name: str):
    """Each loader given ``folder / name`` (the path a special file is placed at)."""
    path = folder / name
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_header(0x08, (3,)) + bytes(3))
    return {
        "idx": lambda: read_idx(path),
        "mnist": lambda: MNIST(folder),  # name is train-images-idx3-ubyte
        "cifar": lambda: CIFAR10(folder, train=False),
        "tsv": lambda: ParallelCorpus(path),
        "csv": lambda: TimeSeries.from_csv(path, "value"),
        "text": lambda: TextCorpus.from_file(path),
    }


NAMES = {"idx": "data-idx1-ubyte", "mnist": "train-images-idx3-ubyte", "cifar": "test_batch.bin",
         "tsv": "pairs.tsv", "csv": "series.csv", "text": "corpus.txt"}


def _finishes(call, seconds: float = 5.0):
    """``call()``'s exception, run in a thread that must finish within ``seconds``."""
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(peak_bytes(call)[0]), daemon=True)
    worker.start()
    worker.join(seconds)
    return (not worker.is_alive()), (outcome[0] if outcome else None)


@pytest.mark.parametrize("loader", sorted(NAMES))
def test_fifo_is_refused_without_blocking(tmp_path, loader):
    path = tmp_path / NAMES[loader]
    os.mkfifo(path)
    finished, outcome = _finishes(_loaders(tmp_path, NAMES[loader])[loader])
    if not finished:  # let the blocked reader go before failing
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    assert finished, f"{loader} blocked on a FIFO"
    assert isinstance(outcome, ValueError) and "FIFO" in str(outcome), outcome
    assert str(path) in str(outcome)


@pytest.mark.parametrize("loader", sorted(NAMES))
def test_link_to_dev_zero_is_refused_without_reading(tmp_path, loader):
    path = tmp_path / NAMES[loader]
    path.symlink_to("/dev/zero")
    finished, outcome = _finishes(_loaders(tmp_path, NAMES[loader])[loader])
    assert finished, f"{loader} kept reading /dev/zero"
    assert isinstance(outcome, ValueError) and "device" in str(outcome), outcome
    assert str(path) in str(outcome)


def test_csv_field_over_the_csv_limit_names_file_and_line(tmp_path):
    path = tmp_path / "series.csv"
    path.write_text("date,value\n2021-01-01,1\n2021-01-02,\"" + "9" * 200_000 + "\"\n")
    with pytest.raises(ValueError, match=r"series.csv line 3: a field longer than 131,072") as info:
        TimeSeries.from_csv(path, "value")
    assert type(info.value).__module__ != "_csv"


@pytest.mark.parametrize("reader", ["csv", "text"])
def test_non_utf8_names_the_file_and_byte_offset(tmp_path, reader):
    path = tmp_path / "latin1.txt"
    path.write_bytes("value\n1\n2\ncafé 3\n".encode("latin-1"))
    call = {"csv": lambda: TimeSeries.from_csv(path, "value"),
            "text": lambda: TextCorpus.from_file(path)}[reader]
    with pytest.raises(ValueError, match=r"latin1.txt: not UTF-8 text: byte 0xe9 at byte offset 13"):
        call()


def test_tsv_non_utf8_line_reason_gives_the_byte_offset_in_the_file(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_bytes(b"Hi.\tSalut.\nCaf\xe9\tcaf\xe9\nGo.\tVa.\n")
    with pytest.warns(UserWarning, match="byte 0xe9 at byte offset 14 of the file"):
        corpus = ParallelCorpus(path)
    assert len(corpus) == 2
    with pytest.raises(ValueError, match=r"pairs.tsv, line 2: not valid UTF-8.*offset 14"):
        ParallelCorpus(path, strict=True)


@pytest.mark.parametrize("big", [1e308, -1e308])
def test_values_that_overflow_normalisation_name_the_column(tmp_path, big):
    rows = "\n".join(f"{big if k % 2 else -big},{k}" for k in range(40))
    path = tmp_path / "huge.csv"
    path.write_text("price,k\n" + rows + "\n")
    series = TimeSeries.from_csv(path, "price")  # each value is finite on its own
    with pytest.raises(ValueError, match=r"'price'.*overflow.*rescale the column 'price'"):
        series.windows(past=4, horizon=2)


@pytest.mark.parametrize(
    ("text", "words"),
    [("", "empty file"), ("\n\n", "empty file"), ("value\n", "no data lines"),
     ("1,2\n3,4\n", "needs a header line"), ("a,b\n1,2\n", "no column 'value'"),
     ("value\n1\nx\n", "line 3, column 'value': 'x' is not a number"),
     ("value\n1\n\"unterminated\n", "line 3"), ("value\n1\x00\n", "line 2")],
)
def test_csv_faults_are_named(tmp_path, text, words):
    path = tmp_path / "s.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=words) as info:
        TimeSeries.from_csv(path, "value")
    assert str(path) in str(info.value)


@pytest.mark.parametrize("recipe", ["cnn-mnist", "cnn-cifar10"])
def test_corrupt_data_through_the_command_line_is_one_line(tmp_path, capsys, recipe):
    from nnscratch.cli import main

    if recipe == "cnn-mnist":
        for prefix in ("train", "t10k"):
            (tmp_path / f"{prefix}-images-idx3-ubyte").write_bytes(idx_header(0x08, (5, 28, 28)) + bytes(9))
            (tmp_path / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_header(0x08, (5,)) + bytes(5))
        fault = "train-images-idx3-ubyte: IDX sizes (5, 28, 28)"
    else:
        for name in [f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]:
            (tmp_path / name).write_bytes(bytes([11]) + bytes(3072))
        fault = "data_batch_1.bin: record 0 has label 11"
    assert main(["train", recipe, "--data", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert fault in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
