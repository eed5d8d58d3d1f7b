"""Every data-file loader fuzzed as untrusted input: random bytes and mutations of small valid
files (cut, bytes flipped, inserted or deleted, gzipped) may only end in a ValueError (or
FileNotFoundError) whose message names the file, or load; never another exception type."""

import gzip
import io
import struct
import tempfile
import warnings
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from nnscratch.datasets import CIFAR10, MNIST, ImageFolder, ParallelCorpus, TextCorpus, TimeSeries
from nnscratch.datasets.idx import read_idx

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _idx(array: np.ndarray, code: int) -> bytes:
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _image_file(kind: str) -> bytes:
    pixels = np.arange(6 * 5 * 3, dtype=np.uint8).reshape(6, 5, 3) * 3
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=kind)
    return buffer.getvalue()


VALID = {
    "idx": _idx(np.arange(24, dtype=np.int16).reshape(2, 3, 4), 0x0B),
    "mnist-images": _idx(np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28), 0x08),
    "mnist-labels": _idx(np.array([3, 9], dtype=np.uint8), 0x08),
    "cifar": bytes([3]) + bytes(range(256)) * 12 + bytes([9]) + bytes(3072),
    "tsv": "Hi.\tSalut !\tCC-BY\nWho are you?\tQui es-tu ?\n한국어\t조선말\n".encode(),
    "csv": ("date,value,other\n" + "".join(f"2021-01-{d:02d},{d * 1.5},x\n" for d in range(1, 21))).encode(),
    "png": _image_file("PNG"),
    "jpeg": _image_file("JPEG"),
    "text": "The quick brown fox.\n다람쥐 헌 쳇바퀴에 타고파.\n".encode() * 4,
}


@st.composite
def mutated(draw, valid: bytes) -> bytes:
    """``valid`` damaged in a few random ways, or replaced by random bytes; maybe gzipped."""
    if draw(st.integers(0, 5)) == 0:
        data = draw(st.binary(max_size=4 * len(valid)))
    else:
        data = bytearray(valid)
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["cut", "flip", "insert", "delete", "append"]))
            where = draw(st.integers(0, len(data)))
            if kind == "cut":
                data = data[:where]
            elif kind == "flip" and where < len(data):
                data[where] ^= draw(st.integers(1, 255))
            elif kind == "insert":
                data[where:where] = draw(st.binary(min_size=1, max_size=8))
            elif kind == "delete":
                del data[where:where + draw(st.integers(1, 8))]
            elif kind == "append":
                data += draw(st.binary(min_size=1, max_size=8))
        data = bytes(data)
    if draw(st.booleans()):
        data = gzip.compress(data)
        if draw(st.booleans()):  # a damaged gzip stream
            data = data[:draw(st.integers(0, len(data)))]
    return data


def _only_named_errors(call, path: Path) -> object:
    """``call()``'s result; a ValueError or FileNotFoundError must name ``path``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ParallelCorpus warns about the lines it skips
            return call()
    except (ValueError, FileNotFoundError) as error:
        assert str(path) in str(error), error
        return None


def _in_folder(name: str, data: bytes, call_of) -> object:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return _only_named_errors(lambda: call_of(Path(folder), path), path)


@FUZZ
@given(mutated(VALID["idx"]))
def test_idx(data):
    array = _in_folder("data-idx3-ubyte", data, lambda folder, path: read_idx(path))
    if array is not None:
        assert isinstance(array, np.ndarray) and array.dtype.isnative


@FUZZ
@given(st.sampled_from(["images", "labels"]), st.data())
def test_mnist(which, data):
    damaged = data.draw(mutated(VALID[f"mnist-{which}"]))

    def load(folder, path):
        other = "labels" if which == "images" else "images"
        (folder / f"train-{other}-idx{1 if other == 'labels' else 3}-ubyte").write_bytes(VALID[f"mnist-{other}"])
        return MNIST(folder)

    name = "train-images-idx3-ubyte" if which == "images" else "train-labels-idx1-ubyte"
    dataset = _in_folder(name, damaged, load)
    if dataset is not None:
        assert dataset.data.shape[1:] == (28, 28) and len(dataset.targets) == len(dataset.data)
        assert dataset.targets.max(initial=0) < 10


@FUZZ
@given(mutated(VALID["cifar"]))
def test_cifar(data):
    dataset = _in_folder("test_batch.bin", data, lambda folder, path: CIFAR10(folder, train=False))
    if dataset is not None:
        assert dataset.data.shape[1:] == (3, 32, 32) and len(dataset.targets) == len(dataset.data)


@FUZZ
@given(mutated(VALID["tsv"]), st.sampled_from(["word", "char"]), st.booleans())
def test_tsv_parallel_pairs(data, level, strict):
    corpus = _in_folder("pairs.tsv", data, lambda folder, path: ParallelCorpus(path, level=level,
                                                                               strict=strict))
    if corpus is not None:
        assert len(corpus) >= 1 and all(len(s) and len(t) for s, t in corpus.pairs)


@FUZZ
@given(mutated(VALID["csv"]), st.sampled_from([None, "date"]))
def test_csv_time_series(data, date_column):
    def load(folder, path):
        series = TimeSeries.from_csv(path, "value", date_column=date_column)
        try:
            series.windows(past=3, horizon=2, val_fraction=0.2, test_fraction=0.2)
        except ValueError as error:  # too short or overflowing: named after the series
            assert "TimeSeries" in str(error)
        return series

    series = _in_folder("series.csv", data, load)
    if series is not None:
        assert np.isfinite(series.values).all() and len(series) >= 1


@FUZZ
@given(mutated(VALID["text"]), st.sampled_from(["char", "word"]))
def test_text_corpus(data, level):
    corpus = _in_folder("corpus.txt", data, lambda folder, path: TextCorpus.from_file(path, level=level))
    if corpus is not None:
        assert len(corpus.train) >= 1


@FUZZ
@given(st.sampled_from(["png", "jpeg"]), st.data())
def test_image_folder(kind, data):
    damaged = data.draw(mutated(VALID[kind]))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "class" / f"image.{kind}"
        path.parent.mkdir()
        path.write_bytes(damaged)
        item = _only_named_errors(lambda: ImageFolder(folder)[0], path)
    if item is not None:
        image, target = item
        assert image.mode == "RGB" and target == 0
