"""Tiny settings (and tiny data files) with which every recipe runs in about a second.

``small_settings(recipe, folder)`` writes whatever data files the recipe needs into ``folder``
and returns the settings (as for ``--set``) that make its run small. A new recipe adds its
entry here; ``test_every_recipe_has_small_settings`` says so when one is missing.
"""

import gzip
import struct

import numpy as np

SMALL = {
    "mlp-spirals": {"train_size": 64, "val_size": 16, "test_size": 16, "hidden": 8},
    "cnn-shapes": {"train_size": 64, "val_size": 16, "test_size": 16, "width": 2, "hidden": 8,
                   "image_size": 16},
    "cnn-mnist": {"val_size": 16},
    "cnn-cifar10": {"val_size": 16, "width": 2, "hidden": 8},
    "cnn-images": {"width": 2, "hidden": 8, "val_fraction": 0.2, "test_fraction": 0.2},
    "autoencoder": {"train_size": 96, "val_size": 16, "test_size": 32, "probe_size": 32,
                    "hidden": 8, "code": 4},
    "rbm": {"train_size": 96, "val_size": 16, "test_size": 32, "probe_size": 32, "hidden": 8,
            "chains": 8, "sample_steps": 7},
    "forecast": {"length": 240, "past": 12, "horizon": 4, "hidden": 8, "ar_order": 3},
    "caption-shapes": {"train_size": 64, "val_size": 16, "test_size": 16, "grid": 4, "width": 2,
                       "hidden": 16, "embedding_dim": 8, "beam_size": 2},
    "seq2seq-dates": {"train_size": 64, "val_size": 16, "test_size": 16, "hidden": 16,
                      "embedding_dim": 8},
    "seq2seq": {"hidden": 16, "embedding_dim": 8, "test_fraction": 0.2, "beam_size": 2},
    "char-lm": {"hidden": 16, "embedding_dim": 8, "bptt": 10, "minutes": 0.0},
    "word-lm": {"hidden": 16, "embedding_dim": 16, "bptt": 5},
}
BATCH_SIZE = 16


def write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.tobytes()))


def fake_mnist(directory, rng, train_size=80, test_size=32):
    for prefix, n in (("train", train_size), ("t10k", test_size)):
        write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n).astype(np.uint8))


def fake_cifar(directory, rng, per_batch=16):
    for name in [f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]:
        records = np.concatenate([rng.integers(0, 10, (per_batch, 1)),
                                  rng.integers(0, 256, (per_batch, 3072))], axis=1).astype(np.uint8)
        (directory / name).write_bytes(records.tobytes())


PAIRS = [("I see the red cat.", "Je vois le chat rouge."), ("You like the big dog.", "Tu aimes le grand chien."),
         ("We have the old car.", "Nous avons la vieille voiture."),
         ("She wants the new book.", "Elle veut le nouveau livre.")]
TEXT = "\n".join(f"the {a} {b} sat on the {c} mat." for a in ("red", "big", "old", "small")
                 for b in ("cat", "dog", "bird") for c in ("blue", "green", "flat")) * 4


def small_settings(recipe, folder):
    """The settings of a small run of ``recipe`` (its data files written into ``folder``)."""
    settings = {**SMALL[recipe], "batch_size": BATCH_SIZE, "plots": False}
    rng = np.random.default_rng(7)
    if recipe == "cnn-mnist":
        fake_mnist(folder, rng)
        settings["data"] = str(folder)
    elif recipe == "cnn-cifar10":
        fake_cifar(folder, rng)
        settings["data"] = str(folder)
    elif recipe == "cnn-images":
        from PIL import Image

        for label in ("circles", "squares"):
            (folder / "images" / label).mkdir(parents=True, exist_ok=True)
            for index in range(24):
                pixels = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / "images" / label / f"{index}.png")
        settings["data"] = str(folder / "images")
    elif recipe == "seq2seq":
        lines = [f"{s}\t{t}" for s, t in PAIRS * 10]
        (folder / "pairs.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        settings["data"] = str(folder / "pairs.tsv")
    elif recipe in ("char-lm", "word-lm"):
        (folder / "text.txt").write_text(TEXT, encoding="utf-8")
        settings["text"] = str(folder / "text.txt")
    return settings


def as_set_flags(settings):
    """``--set KEY=VALUE`` arguments (values written as TOML)."""
    flags = []
    for name, value in settings.items():
        text = (str(value).lower() if isinstance(value, bool)
                else f'"{value}"' if isinstance(value, str) else str(value))
        flags += ["--set", f"{name}={text}"]
    return flags
