"""Recipes cnn-shapes, cnn-mnist, cnn-cifar10: short runs end to end, and missing data named."""

import gzip
import json
import os
import struct
import time

import numpy as np
import pytest

import nnscratch.recipes.cnn  # noqa: F401 - registers the recipes
from nnscratch.cli import main
from nnscratch.recipes.launch import train

TINY_SHAPES = {"train_size": 256, "val_size": 64, "test_size": 128, "width": 4, "hidden": 16,
               "epochs": 1, "plots": False, "log_every": 2}


def summary(run):
    return json.loads((run / "summary.json").read_text())


def test_cnn_shapes_short_run(tmp_path):
    run = tmp_path / "run"
    assert train("cnn-shapes", TINY_SHAPES, {}, out=str(run), quiet=True) == 0
    result = summary(run)
    assert result["status"] == "completed" and result["steps"] == 256 // 64
    assert 0.0 <= result["final"]["accuracy"] <= 1.0  # on the test images
    assert (run / "model.safetensors").exists()


def test_cnn_shapes_through_the_command_line(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text("\n".join(f"{k} = {json.dumps(v)}" for k, v in TINY_SHAPES.items() if k != "epochs"))
    code = main(["train", "cnn-shapes", "--epochs", "1", "--config", str(config), "--out",
                 str(tmp_path / "run"), "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "run"), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(metrics) >= {"loss", "accuracy"}


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("NNSCRATCH_SLOW"), reason="full-length run: set NNSCRATCH_SLOW=1")
def test_cnn_shapes_default_reaches_95_percent_in_3_minutes(tmp_path):
    start = time.perf_counter()
    assert train("cnn-shapes", {"plots": False}, {}, out=str(tmp_path / "run"), quiet=True) == 0
    seconds = time.perf_counter() - start
    final = summary(tmp_path / "run")["final"]  # metrics on the held-out test images
    assert final["accuracy"] >= 0.95, final
    assert seconds <= 180, seconds


def write_idx(path, array):
    code = 0x08
    raw = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(raw + array.tobytes()))


def fake_mnist(directory, rng, train_size=96, test_size=32):
    for prefix, n in (("train", train_size), ("t10k", test_size)):
        write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n).astype(np.uint8))


def fake_cifar(directory, rng, per_batch=16):
    names = [f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]
    for name in names:
        records = np.concatenate([rng.integers(0, 10, (per_batch, 1)),
                                  rng.integers(0, 256, (per_batch, 3072))], axis=1).astype(np.uint8)
        (directory / name).write_bytes(records.tobytes())


@pytest.mark.parametrize("fashion", [False, True])
def test_cnn_mnist_short_run(tmp_path, rng, fashion):
    data = tmp_path / "data"
    data.mkdir()
    if fashion:
        (data / "FashionMNIST" / "raw").mkdir(parents=True)
        fake_mnist(data / "FashionMNIST" / "raw", rng)
    else:
        fake_mnist(data, rng)
    flags = {"data": str(data), "fashion": fashion, "val_size": 32, "epochs": 1, "plots": False}
    assert train("cnn-mnist", flags, {}, out=str(tmp_path / "run"), quiet=True) == 0
    assert summary(tmp_path / "run")["steps"] == 1  # 96 - 32 examples in batches of 64


def test_cnn_cifar10_short_run(tmp_path, rng):
    fake_cifar(tmp_path, rng)
    flags = {"data": str(tmp_path), "val_size": 16, "epochs": 1, "width": 4, "hidden": 8, "plots": False}
    assert train("cnn-cifar10", flags, {}, out=str(tmp_path / "run"), quiet=True) == 0
    assert summary(tmp_path / "run")["steps"] == 1  # 80 - 16 examples in one batch of 64


@pytest.mark.parametrize(
    ("recipe", "expected"),
    [("cnn-mnist", ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                    "t10k-labels-idx1-ubyte"]),
     ("cnn-cifar10", [f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"])],
)
def test_missing_data_is_a_usage_error_naming_the_files(tmp_path, capsys, recipe, expected):
    assert main(["train", recipe, "--out", str(tmp_path / "a")]) == 2
    message = capsys.readouterr().err
    assert "--data" in message and all(name in message for name in expected), message
    (tmp_path / "empty").mkdir()
    assert main(["train", recipe, "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "b")]) == 2
    message = capsys.readouterr().err
    assert len(message.strip().splitlines()) == 1 and "Traceback" not in message
    assert "not found" in message and all(name in message for name in expected), message


def test_partly_missing_mnist_names_only_what_is_missing(tmp_path, rng, capsys):
    fake_mnist(tmp_path, rng)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    assert main(["train", "cnn-mnist", "--data", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    message = capsys.readouterr().err
    assert "t10k-labels-idx1-ubyte not found" in message and "train-images-idx3-ubyte not found" not in message
