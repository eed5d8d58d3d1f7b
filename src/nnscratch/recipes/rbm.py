"""Recipe ``rbm``: a Bernoulli–Bernoulli RBM learns features of binarised images.

Images (generated shapes, or MNIST with ``--data DIR``; see image_data.py) are binarised at 0.5
and the RBM is trained by CD-k (``method = "cd"``) or persistent CD (``"pcd"``, ``chains``
persistent Gibbs chains) through its free-energy surrogate (models/rbm.py), with SGD and
momentum. The logged ``loss`` is that surrogate, the free-energy gap mean F(data) − mean
F(negative sample) in nats: it is not a likelihood, it is negative while the model's samples
are less probable than the data and it rises towards zero as they become alike (on validation
and test it is the gap against a CD-1 sample drawn from a fixed seed, so the same weights give
the same figure whenever they are evaluated). What to watch instead (validation every epoch,
test at the end; all in ``summary.json``'s ``final``):

    reconstruction_mse   mean squared error of the mean-field round trip v → p(h|v) → p(v|h)
    pseudo_likelihood    exact mean log pseudo-likelihood Σ_i log p(v_i | v_−i) per image (nats)
    feature_accuracy     accuracy of softmax regression on the hidden probabilities p(h|v),
                         trained on ``probe_size`` training images and scored on the validation
                         images (every epoch) or the test images (at the end)
    pixel_accuracy       the same classifier on the raw binary pixels

The run folder gets ``filters.png`` (the weights of hidden units as images) and
``samples.png`` (Gibbs chains started at test images, a row every few hundred steps).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy

from .. import backend
from .._tensor import Tensor
from ..creation import from_numpy
from ..data import DataLoader, TensorDataset
from ..models.rbm import RBM
from ..optim import SGD
from ..train.callbacks import Callback
from ..viz.image_grid import save_image_grid
from .image_data import IMAGE_SIZE, load_image_data
from .linear_probe import FeatureProbe
from .measured import Measured, register_figures, unwrapped
from .registry import Range, Settings, SettingsError, Task, recipe

EVAL_BATCH = 500
EVAL_SEED = 20_240_901  # the seed of the evaluation's negative samples (any fixed number)
FILTERS_FILE, SAMPLES_FILE = "filters.png", "samples.png"
register_figures(["reconstruction_mse"], higher_is_better=False)
register_figures(["pseudo_likelihood", "feature_accuracy", "pixel_accuracy"], higher_is_better=True)


def binarize(images: numpy.ndarray) -> numpy.ndarray:
    """(N, …) pixels in [0, 1] → (N, pixels) float32 bits, 1 where the pixel exceeds 0.5."""
    return (images.reshape(len(images), -1) > 0.5).astype(numpy.float32)


def hidden_features(model: RBM) -> Any:
    """``inputs (N, V) numpy → p(h|v) (N, H) numpy`` on the model's device."""

    def features(inputs: numpy.ndarray) -> numpy.ndarray:
        device = backend.device_of(model.weight.array)
        probabilities = model.hidden_probabilities(backend.to_device(inputs, device))
        return backend.to_device(probabilities, backend.CPU)

    return features


def eval_batches(images: numpy.ndarray, probe: FeatureProbe | None) -> list[dict]:
    """Batches of binary images; the first carries the probe (measured once per evaluation),
    each the seed of its negative sample."""
    return [{"images": from_numpy(images[start:start + EVAL_BATCH]),
             "probe": probe if start == 0 else None, "seed": EVAL_SEED + start}
            for start in range(0, len(images), EVAL_BATCH)]


@contextmanager
def fixed_draws(seed: int) -> Iterator[None]:
    """Random draws inside come from the library's generator seeded with ``seed``; afterwards
    it is back where it was, so an evaluation neither depends on nor moves training's draws."""
    state = backend.get_rng_state()
    backend.manual_seed(seed)
    try:
        yield
    finally:
        backend.set_rng_state(state)


def make_forward(k: int, persistent: bool) -> Any:
    """The trainer's ``forward``: the free-energy gap against a CD-k/PCD-k sample when training;
    against a CD-1 sample, with the measures of the module docstring, when evaluating."""

    def forward(model: RBM, batch: Any, state: Any) -> tuple[Any, Tensor, None]:
        if model.training:
            v = batch[0]
            gap = model.free_energy_gap(v, model.negative_sample(v, k, persistent))
            return gap, v, None
        v = batch["images"]
        with fixed_draws(batch["seed"]):
            negative = model.negative_sample(v, 1)
        gap = model.free_energy_gap(v, negative)
        count = v.shape[0]
        figures = {"reconstruction_mse": (model.reconstruction_error(v), count),
                   "pseudo_likelihood": (float(model.pseudo_likelihood(v).mean()), count)}
        probe = batch["probe"]
        if probe is not None:
            figures["feature_accuracy"] = (probe.feature_accuracy(hidden_features(model)), 1)
            figures["pixel_accuracy"] = (probe.pixel_accuracy(), 1)
        return Measured(gap, figures), v, None

    return forward


# what the logged "loss" is (the progress lines and loss.png say it): mean F(v_data) − mean F(v_sample)
LOSS_NAME = "free-energy gap F(data)-F(sample)"
LOSS_MEANING = ("rbm: 'loss' is the free-energy gap F(data) - F(model sample) in nats per image, "
                "not a likelihood (it tends to 0 as the samples come to look like the data); "
                "pseudo_likelihood measures the fit")


class RBMFigures(Callback):
    """Says what the logged loss is when the run starts; draws filters.png and samples.png
    when it completes."""

    def __init__(self, test_images: numpy.ndarray, sample_steps: int, description: str) -> None:
        self.test_images, self.sample_steps, self.description = test_images, sample_steps, description

    def on_fit_start(self, trainer: Any) -> None:
        trainer.progress.message(LOSS_MEANING)

    def on_fit_end(self, trainer: Any, status: str) -> None:
        if trainer.run is None or status != "completed":
            return
        try:
            draw_rbm_figures(trainer.model, self.test_images, self.sample_steps, Path(trainer.run.path),
                             self.description)
        except ImportError:
            trainer.progress.message("matplotlib is not installed: no filter or sample pictures "
                                     "(pip install 'nnscratch[plot]')")


def draw_rbm_figures(model: RBM, test_images: numpy.ndarray, sample_steps: int, folder: Path,
                     description: str, filters: int = 100, chains: int = 10, snapshots: int = 8) -> None:
    weights = backend.to_device(model.weight.array[:filters], backend.CPU)
    save_image_grid(weights.reshape(-1, IMAGE_SIZE, IMAGE_SIZE), folder / FILTERS_FILE, columns=10,
                    normalize_each=True, cell_inches=0.7,
                    suptitle=f"{folder.name}: RBM filters: weights of {len(weights)} hidden units "
                             f"({description})")
    device = backend.device_of(model.weight.array)
    v = backend.to_device(test_images[:chains], device)
    every = max(1, sample_steps // (snapshots - 1))
    rows, labels = [backend.to_device(v, backend.CPU)], ["start"]
    for snapshot in range(1, snapshots):
        probabilities, v = model.gibbs_chain(v, every)
        rows.append(backend.to_device(probabilities, backend.CPU))
        labels.append(f"{snapshot * every} steps")
    grid = numpy.concatenate(rows).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    save_image_grid(grid, folder / SAMPLES_FILE, columns=chains, cell_inches=0.7, row_labels=labels,
                    suptitle=f"{folder.name}: Gibbs chains from test images: p(v|h) along each chain")


@recipe(
    "rbm",
    "Bernoulli-Bernoulli RBM (CD-k or persistent CD) on binarised generated shapes or MNIST "
    "(--data DIR); filters, Gibbs samples, and a linear probe of its features against raw pixels; "
    "its loss is the free-energy gap F(data) - F(sample) (nats, not a likelihood: watch "
    "pseudo_likelihood)",
    epochs=8, batch_size=32, lr=0.05, log_every=50, momentum=0.5, weight_decay=1e-4,
    hidden=256, k=1, method="cd", chains=100, train_size=6000, val_size=500, test_size=2000,
    probe_size=3000, sample_steps=700, data="", fashion=False,
    ranges={"momentum": Range(0, 1, high_open=True), "weight_decay": (0, 1), "hidden": (1, 8192),
            "k": (1, 1000), "method": ("cd", "pcd"), "chains": (1, 100_000),
            "train_size": (0, 1_000_000), "val_size": (0, 100_000), "test_size": (0, 100_000),
            "probe_size": (1, 100_000), "sample_steps": (1, 100_000)},
)
def rbm(settings: Settings) -> Task:
    data = load_image_data(settings, "rbm")
    train, test = binarize(data.train_images), binarize(data.test_images)
    if not 0 <= settings.val_size < len(train):
        raise SettingsError(f"rbm: val_size must be in [0, {len(train)}), got {settings.val_size}")
    val, val_labels = train[:settings.val_size], data.train_labels[:settings.val_size]
    train, train_labels = train[settings.val_size:], data.train_labels[settings.val_size:]
    probe_rows = slice(0, settings.probe_size)
    probe = FeatureProbe(train[probe_rows], train_labels[probe_rows], test, data.test_labels)
    # validation measures the probes too (on the validation images): no NaN every epoch
    val_probe = FeatureProbe(train[probe_rows], train_labels[probe_rows], val, val_labels)
    persistent = settings.method == "pcd"
    model = RBM(train.shape[1], settings.hidden, persistent_chains=settings.chains if persistent else 0)
    # b_i = log(p_i / (1 − p_i)) from the training pixels' frequencies (Hinton's guide, §8.1)
    frequency = numpy.clip(train.mean(axis=0), 0.01, 0.99)
    model.visible_bias.array[...] = numpy.log(frequency / (1 - frequency))
    return Task(
        model=model,
        loss=unwrapped(lambda gap, target: gap),
        train_data=DataLoader(TensorDataset(from_numpy(train), from_numpy(train_labels)),
                              batch_size=settings.batch_size, shuffle=True),
        val_data=eval_batches(val, val_probe) if len(val) else None,
        test_data=eval_batches(test, probe),
        metrics=["loss", "reconstruction_mse", "pseudo_likelihood", "feature_accuracy",
                 "pixel_accuracy"],
        monitor="pseudo_likelihood",
        make_optimizer=lambda parameters: SGD(parameters, lr=settings.lr, momentum=settings.momentum,
                                              weight_decay=settings.weight_decay),
        forward=make_forward(settings.k, persistent),
        count=lambda target: int(target.shape[0]),
        callbacks=[RBMFigures(test, settings.sample_steps, data.description)],
        loss_name=LOSS_NAME,
    )
