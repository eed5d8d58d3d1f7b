"""Recipes caption-shapes, autoencoder, rbm and forecast in short modes, end to end through the
CLI in subprocesses (files written, summary parses, pictures are PNGs), and `nnscratch caption`."""

import json
import math
import os
import subprocess
import sys
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cli_checks import assert_usage_error
from nnscratch.datasets.shapes import CAPTION_WORDS, Shapes

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ENVIRONMENT = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}


def cli(*args, cwd, timeout=240):
    return subprocess.run([sys.executable, "-m", "nnscratch", *map(str, args)], cwd=cwd,
                          env=ENVIRONMENT, capture_output=True, text=True, timeout=timeout)


def train(cwd, recipe, *flags, settings=()):
    options = [item for name, value in dict(settings).items() for item in ("--set", f"{name}={value}")]
    result = cli("train", recipe, "--out", "run", "--quiet", *flags, *options, cwd=cwd)
    assert result.returncode == 0, result.stderr
    summary = json.loads((cwd / "run" / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["recipe"] == recipe
    return cwd / "run", summary["final"]


def assert_png(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE, path


# ---------------------------------------------------------------------------- caption-shapes
@pytest.fixture(scope="module")
def caption_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("caption")
    return train(cwd, "caption-shapes", "--steps", 4, "--batch-size", 16, settings={
        "train_size": 64, "val_size": 0, "test_size": 24, "grid": 4, "width": 4, "hidden": 16,
        "embedding_dim": 8, "beam_size": 2, "plots": "false"})


def test_caption_shapes_reports_exact_match_and_bleu(caption_run):
    run, final = caption_run
    assert set(final) == {"loss", "exact_match", "bleu"}
    assert 0 <= final["exact_match"] <= 1 and 0 <= final["bleu"] <= 100 and final["loss"] > 0
    assert_png(run / "captions.png")
    config = json.loads((run / "captioner.json").read_text())
    assert config["decoding"] == {"beam_size": 2, "length_penalty": 0.0}
    assert config["model"]["channels"] == [4, 8, 16]
    assert json.loads((run / "vocab.json").read_text())["tokens"][4:] == list(CAPTION_WORDS)


def test_caption_command_prints_a_caption_per_image(caption_run, tmp_path):
    import matplotlib.image

    run, _ = caption_run
    images = Shapes(2, image_size=32, seed=9).data.transpose(0, 2, 3, 1)
    matplotlib.image.imsave(tmp_path / "one.png", images[0])
    grey = images[1].mean(axis=2).astype(np.uint8)
    matplotlib.image.imsave(tmp_path / "two.png", np.kron(grey, np.ones((2, 2), np.uint8)), cmap="gray")
    single = cli("caption", run, "one.png", cwd=tmp_path)
    assert single.returncode == 0, single.stderr
    assert len(single.stdout.splitlines()) == 1
    assert set(single.stdout.split()) <= set(CAPTION_WORDS)
    both = cli("caption", run, "one.png", "two.png", "--beam", 1, cwd=tmp_path)  # 64x64 is resized
    assert both.returncode == 0, both.stderr
    lines = both.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("one.png: ") and lines[1].startswith("two.png: ")


def test_caption_command_errors(caption_run, tmp_path):
    run, _ = caption_run
    (tmp_path / "notes.png").write_text("not an image")
    assert_usage_error(cli("caption", tmp_path, "x.png", cwd=tmp_path), "not a caption-shapes run")
    assert_usage_error(cli("caption", run, "notes.png", cwd=tmp_path), "notes.png")
    assert_usage_error(cli("caption", run, "missing.png", cwd=tmp_path), "missing.png")
    assert_usage_error(cli("caption", run, "notes.png", "--beam", 0, cwd=tmp_path), "--beam")


# ---------------------------------------------------------------------------- autoencoder
@pytest.mark.parametrize("model, noise", [("dense", 0.0), ("conv", 0.3)])
def test_autoencoder_reports_reconstruction_and_probes(tmp_path, model, noise):
    run, final = train(tmp_path, "autoencoder", "--steps", 3, settings={
        "model": f'"{model}"', "noise": noise, "train_size": 240, "val_size": 40, "test_size": 60,
        "probe_size": 120, "hidden": 16, "code": 4, "channels": 2})
    assert set(final) == {"loss", "mse", "feature_accuracy", "pixel_accuracy"}
    assert 0 < final["mse"] < 1
    assert math.isclose(final["mse"], final["loss"], rel_tol=1e-5)  # the loss is MSE
    for name in ("feature_accuracy", "pixel_accuracy"):
        assert 0 <= final[name] <= 1
    for picture in ("reconstructions.png", "features.png", "plots/loss.png"):
        assert_png(run / picture)


def test_autoencoder_names_missing_mnist_files(tmp_path):
    result = cli("train", "autoencoder", "--data", tmp_path, "--out", "run", cwd=tmp_path)
    assert_usage_error(result, "train-images-idx3-ubyte", str(tmp_path))


# ---------------------------------------------------------------------------- rbm
@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_rbm_reports_pseudo_likelihood_and_probes(tmp_path, method):
    run, final = train(tmp_path, "rbm", "--steps", 3, settings={
        "method": f'"{method}"', "chains": 20, "train_size": 240, "val_size": 40, "test_size": 60,
        "probe_size": 120, "hidden": 16, "sample_steps": 7})
    assert set(final) == {"loss", "reconstruction_mse", "pseudo_likelihood", "feature_accuracy",
                          "pixel_accuracy"}
    assert 0 < final["reconstruction_mse"] < 1
    # log pseudo-likelihood of 784 binary pixels: negative, and above a coin flip's 784·log ½
    assert 784 * math.log(0.5) - 1 < final["pseudo_likelihood"] < 0
    assert 0 <= final["feature_accuracy"] <= 1 and 0 <= final["pixel_accuracy"] <= 1
    for picture in ("filters.png", "samples.png"):
        assert_png(run / picture)


# ---------------------------------------------------------------------------- forecast
SMALL_FORECAST = {"past": 12, "horizon": 4, "hidden": 8, "ar_order": 3}


def test_forecast_on_a_generated_series(tmp_path):
    run, final = train(tmp_path, "forecast", "--epochs", 1, "--cell", "gru",
                       settings={**SMALL_FORECAST, "length": 400})
    assert set(final) == {"loss", "forecast_mse", "last_value_mse", "ar_mse"}
    assert all(value > 0 for value in final.values())
    assert_png(run / "forecast.png")
    config = json.loads((run / "forecaster.json").read_text())
    assert config["model"]["cell"] == "gru" and config["horizon"] == 4


def test_forecast_on_a_csv_file_and_its_baseline(tmp_path):
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.standard_normal(300)) + 50.0
    start = datetime(2020, 1, 1)
    lines = ["date,price,volume"] + [f"{start + timedelta(hours=6 * step):%Y-%m-%d %H:%M},{v:.6f},{step}"
                                     for step, v in enumerate(values)]
    (tmp_path / "prices.csv").write_text("\n".join(lines) + "\n")
    run, final = train(tmp_path, "forecast", "--epochs", 1, "--data", "prices.csv", "--column", "price",
                       settings=SMALL_FORECAST)
    assert_png(run / "forecast.png")
    # the last-value baseline computed here from the file: every window whose 4 future values
    # lie in the last 15% of the series, forecast by the value just before them
    x = np.round(values, 6)
    test_start, horizon = len(x) - round(0.15 * len(x)), 4
    errors = [(x[s:s + horizon] - x[s - 1]) ** 2 for s in range(test_start, len(x) - horizon + 1)]
    assert math.isclose(final["last_value_mse"], float(np.mean(errors)), rel_tol=1e-4)


def test_forecast_csv_errors_are_usage_errors(tmp_path):
    (tmp_path / "prices.csv").write_text("date,price\n2021-01-01,1\n2021-01-02,oops\n")
    assert_usage_error(cli("train", "forecast", "--data", "prices.csv", "--column", "close", cwd=tmp_path),
                       "no column 'close'", "['date', 'price']")
    assert_usage_error(cli("train", "forecast", "--data", "prices.csv", "--column", "price", cwd=tmp_path),
                       "line 3", "'oops'")
    assert_usage_error(cli("train", "forecast", "--data", "prices.csv", cwd=tmp_path), "--column NAME")


def test_forecast_validation_loss_is_the_training_loss_measured_on_validation(tmp_path):
    """Both curves of loss.png are the one-step MSE (normalised units): the validation loss
    equals PyTorch's one-step MSE of the same weights on the validation windows."""
    import torch

    from nnscratch.recipes.launch import build
    from nnscratch.recipes.registry import get_recipe, resolve_settings

    run, final = train(tmp_path, "forecast", "--epochs", 2, settings={**SMALL_FORECAST, "length": 300,
                                                                       "plots": "false"})
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    validation = [r for r in records if r["split"] == "val"][-1]
    recipe = get_recipe("forecast")
    settings = resolve_settings(recipe, json.loads((run / "config.json").read_text())["settings"])
    task, _, _ = build(recipe, settings)
    weights = {k: torch.from_numpy(np.array(v.numpy())) for k, v in __import__("nnscratch").load(
        run / "model.safetensors").items()}
    lstm = torch.nn.LSTM(1, 8, batch_first=True)
    head = torch.nn.Linear(8, 1)
    lstm.load_state_dict({k.removeprefix("rnn."): v for k, v in weights.items() if k.startswith("rnn.")})
    head.load_state_dict({k.removeprefix("head."): v for k, v in weights.items() if k.startswith("head.")})
    errors, count = 0.0, 0
    with torch.no_grad():
        for batch in task.val_data:
            whole = torch.from_numpy(np.concatenate([batch["past"].numpy(), batch["future"].numpy()], axis=1))
            inputs = whole[:, :-1, None]
            predictions = head(lstm(inputs)[0]) + inputs  # residual: x_{t+1} − x_t is predicted
            errors += float(((predictions[..., 0] - whole[:, 1:]) ** 2).sum())
            count += whole[:, 1:].numel()
    assert validation["loss"] == pytest.approx(errors / count, rel=1e-4)
    assert validation["forecast_mse"] > 0  # the multi-step figure is reported on its own


@pytest.mark.parametrize("recipe_name", ["rbm", "autoencoder"])
def test_evaluate_reproduces_the_summary_and_validation_has_probes(tmp_path, recipe_name):
    import sys as _sys
    _sys.path.insert(0, os.path.dirname(__file__))
    from small_runs import as_set_flags, small_settings

    settings = small_settings(recipe_name, tmp_path)
    result = cli("train", recipe_name, "--steps", 4, "--out", "run", *as_set_flags(settings), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    final = json.loads((tmp_path / "run" / "summary.json").read_text())["final"]
    evaluated = cli("evaluate", "run", "--json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout) == final  # the same figures, to the last bit
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    validation = [r for r in records if r["split"] == "val"]
    assert validation and all(0 <= r["feature_accuracy"] <= 1 and 0 <= r["pixel_accuracy"] <= 1
                              for r in validation)  # measured, not NaN
    if recipe_name == "rbm":
        assert "free-energy gap" in result.stdout + result.stderr  # says what its loss is
        # and every progress line names it so (metrics.jsonl keeps the key "loss")
        epoch_lines = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
        assert epoch_lines and all("free-energy gap F(data)-F(sample)" in line and " loss " not in line
                                   for line in epoch_lines), result.stdout
        assert all("loss" in r for r in records if r["split"] == "train")


def test_figures_name_their_run(tmp_path, monkeypatch):
    """A PNG on its own says which run it shows: the run folder's name leads every title."""
    import nnscratch.recipes.autoencoder as autoencoder
    import nnscratch.recipes.rbm as rbm
    from nnscratch.models.autoencoder import Autoencoder
    from nnscratch.models.rbm import RBM

    titles = []
    for module in (autoencoder, rbm):
        monkeypatch.setattr(module, "save_image_grid", lambda *a, **k: titles.append(k["suptitle"]))
    folder = tmp_path / "my-run-42"
    images = np.random.default_rng(0).random((4, 1, 28, 28)).astype(np.float32)
    autoencoder.draw_autoencoder_figures(Autoencoder(784, 4, (8,)), images, folder, "shapes", count=4)
    rbm.draw_rbm_figures(RBM(784, 8), images.reshape(4, -1), 4, folder, "shapes", chains=2)
    assert len(titles) == 4 and all(title.startswith("my-run-42: ") for title in titles), titles


# ---------------------------------------------------------------------------- autoencoder, rbm data
@pytest.mark.parametrize("recipe_name", ["autoencoder", "rbm"])
def test_generated_data_too_large_for_memory_is_refused_up_front(tmp_path, recipe_name):
    result = cli("train", recipe_name, "--set", "train_size=1000000", "--set", "test_size=100000",
                 "--out", "run", cwd=tmp_path, timeout=60)
    assert_usage_error(result, recipe_name, "train_size 1000000", "test_size 100000", "GiB")
    assert not (tmp_path / "run").exists()


def test_the_memory_bound_of_drawn_images_holds():
    """The guard's 19 bytes per pixel bound what drawing really takes per image (measured by
    tracemalloc: the growth of the peak from 500 to 2500 images)."""
    import tracemalloc

    from nnscratch.recipes.image_data import DRAWING_BYTES_PER_PIXEL, IMAGE_SIZE, shapes_grey

    peaks = []
    for count in (500, 2500):
        tracemalloc.start()
        shapes_grey(count, seed=1)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    per_pixel = (peaks[1] - peaks[0]) / (2000 * IMAGE_SIZE * IMAGE_SIZE)
    assert 4 <= per_pixel <= DRAWING_BYTES_PER_PIXEL, per_pixel


def write_idx_images(folder, height, width, count=6):
    from small_runs import write_idx

    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (count, height, width), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, count).astype(np.uint8))


@given(height=st.integers(1, 40), width=st.integers(1, 40),
       recipe_name=st.sampled_from(["autoencoder", "rbm"]))
@hypothesis_settings(max_examples=25, deadline=None)
def test_idx_images_of_another_size_are_refused_for_what_the_recipe_reads(height, width, recipe_name):
    import tempfile
    from pathlib import Path

    from nnscratch.recipes.image_data import load_image_data
    from nnscratch.recipes.registry import Settings, SettingsError

    options = Settings(data="", fashion=False, train_size=0, test_size=0, seed=0)
    with tempfile.TemporaryDirectory() as folder:
        write_idx_images(Path(folder), height, width)
        options["data"] = folder
        if (height, width) == (28, 28):
            assert load_image_data(options, recipe_name).train_images.shape == (6, 1, 28, 28)
            return
        with pytest.raises(SettingsError) as caught:
            load_image_data(options, recipe_name)
    message = str(caught.value)
    assert message.startswith(f"{recipe_name}: ") and "train-images-idx3-ubyte.gz" in message
    assert f"{height}x{width}" in message and "28x28" in message and "cnn-images" not in message


@pytest.mark.parametrize("recipe_name", ["autoencoder", "rbm"])
def test_idx_images_of_another_size_through_the_cli(tmp_path, recipe_name):
    data = tmp_path / "digits"
    data.mkdir()
    write_idx_images(data, 8, 8)
    result = cli("train", recipe_name, "--data", data, "--out", "run", cwd=tmp_path, timeout=60)
    assert_usage_error(result, recipe_name, "train-images-idx3-ubyte.gz", "8x8", "28x28")
    assert "cnn-images" not in result.stderr
