"""Recipe ``autoencoder``: a dense or convolutional autoencoder of grey images.

Images are generated shapes, or MNIST with ``--data DIR`` (see image_data.py). ``model =
"dense"`` (default, :class:`~nnscratch.models.Autoencoder`, ``hidden`` → ``code``) or ``"conv"``
(:class:`~nnscratch.models.ConvAutoencoder`); ``noise`` > 0 makes it denoising (masking noise,
or Gaussian with ``noise_type = "gaussian"``). The loss is the mean squared error between the
reconstruction and the clean image. ``summary.json``'s ``final`` holds:

    mse                  mean squared error per pixel of the test reconstructions
    feature_accuracy     accuracy of softmax regression trained on the codes of
                         ``probe_size`` training images, scored on the test images (on the
                         validation images in each epoch's validation)
    pixel_accuracy       the same classifier on the raw pixels

and the run folder gets ``reconstructions.png`` (test originals above their reconstructions,
and the corrupted inputs when denoising) and ``features.png`` (the first layer's weights as
images: what each first-layer unit looks for).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy

from .. import backend
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..creation import as_tensor, from_numpy
from ..data import DataLoader, TensorDataset
from ..models.autoencoder import NOISE_TYPES, Autoencoder, ConvAutoencoder, corrupt
from ..nn import functional as F
from ..optim import Adam
from ..optim.lr_scheduler import CosineAnnealingLR
from ..train.callbacks import Callback
from ..viz.image_grid import save_image_grid
from .image_data import IMAGE_SIZE, load_image_data
from .linear_probe import FeatureProbe
from .measured import Measured, register_figures, unwrapped
from .registry import Settings, SettingsError, Task, recipe

EVAL_BATCH = 500
RECONSTRUCTIONS_FILE, FEATURES_FILE = "reconstructions.png", "features.png"
register_figures(["feature_accuracy", "pixel_accuracy"], higher_is_better=True)


def codes(model: Any) -> Any:
    """``images (N, 1, 28, 28) numpy → codes (N, code_size) numpy`` on the model's device."""

    def features(images: numpy.ndarray) -> numpy.ndarray:
        device = next(iter(model.parameters())).device
        with no_grad():
            code = model.encode(as_tensor(backend.to_device(images, device)))
        return code.numpy()

    return features


def eval_batches(images: numpy.ndarray, probe: FeatureProbe | None) -> list[dict]:
    """Batches of images; the first carries the probe (measured once per evaluation)."""
    return [{"images": from_numpy(images[start:start + EVAL_BATCH]),
             "probe": probe if start == 0 else None}
            for start in range(0, len(images), EVAL_BATCH)]


def forward(model: Any, batch: Any, state: Any) -> tuple[Any, Tensor, None]:
    """The trainer's hook: reconstructions of the images (their own targets); when
    evaluating, with the reconstruction error and, on the probe's batch, the probes."""
    if model.training:
        images = batch[0]
        return model(images), images, None
    images = batch["images"]
    reconstruction = model(images)
    figures = {}
    probe = batch["probe"]
    if probe is not None:
        figures["feature_accuracy"] = (probe.feature_accuracy(codes(model)), 1)
        figures["pixel_accuracy"] = (probe.pixel_accuracy(), 1)
    return Measured(reconstruction, figures), images, None


class AutoencoderFigures(Callback):
    """Draws reconstructions.png and features.png when the run completes."""

    def __init__(self, test_images: numpy.ndarray, description: str) -> None:
        self.test_images, self.description = test_images, description

    def on_fit_end(self, trainer: Any, status: str) -> None:
        if trainer.run is None or status != "completed":
            return
        try:
            draw_autoencoder_figures(trainer.model, self.test_images, Path(trainer.run.path),
                                     self.description)
        except ImportError:
            trainer.progress.message("matplotlib is not installed: no reconstruction or feature "
                                     "pictures (pip install 'nnscratch[plot]')")


def draw_autoencoder_figures(model: Any, test_images: numpy.ndarray, folder: Path, description: str,
                             count: int = 12, features: int = 100) -> None:
    device = next(iter(model.parameters())).device
    originals = as_tensor(backend.to_device(test_images[:count], device))
    rows, labels = [test_images[:count]], ["original"]
    was_training = model.training
    model.eval()
    with no_grad():
        if model.noise > 0:
            noisy = corrupt(originals, model.noise, model.noise_type)
            rows.append(noisy.numpy())
            labels.append("corrupted")
            originals = noisy
        rows.append(model(originals).numpy())
        labels.append("reconstruction")
    model.train(was_training)
    save_image_grid(numpy.concatenate(rows), folder / RECONSTRUCTIONS_FILE, columns=count,
                    row_labels=labels, cell_inches=0.8,
                    suptitle=f"{folder.name}: test images and their reconstructions ({description})")
    weights = model.first_layer_weights.numpy()[:features]
    if weights.ndim == 2:  # dense: each unit's weights over the input pixels
        pictures, what = weights.reshape(-1, IMAGE_SIZE, IMAGE_SIZE), "first-layer units"
    else:  # convolutional: each filter of the first convolution (first input channel)
        pictures, what = weights[:, 0], f"first-layer {weights.shape[-1]}x{weights.shape[-1]} filters"
    save_image_grid(pictures, folder / FEATURES_FILE, columns=10, normalize_each=True,
                    cell_inches=0.7,
                    suptitle=f"{folder.name}: learned features: weights of {len(pictures)} {what}")


@recipe(
    "autoencoder",
    "dense (or conv) autoencoder, optionally denoising, of generated shapes or MNIST (--data DIR); "
    "reconstructions, learned features, and a linear probe of the codes against raw pixels",
    ranges={"model": ("dense", "conv"), "hidden": (1, 8192), "code": (1, 8192), "channels": (1, 1024),
            "noise": (0, 10), "noise_type": NOISE_TYPES, "train_size": (0, 1_000_000),
            "val_size": (0, 100_000), "test_size": (0, 100_000), "probe_size": (1, 100_000)},
    epochs=20, batch_size=64, lr=2e-3, log_every=50, model="dense", hidden=256, code=64,
    channels=16, noise=0.0, noise_type="mask", train_size=6000, val_size=500, test_size=2000,
    probe_size=3000, data="", fashion=False,
)
def autoencoder(settings: Settings) -> Task:
    if settings.noise_type == "mask" and settings.noise >= 1:
        raise SettingsError(f"autoencoder: masking noise is a probability: noise must be in [0, 1) "
                            f"with noise_type='mask', got {settings.noise}")
    data = load_image_data(settings, "autoencoder")
    train, train_labels = data.train_images, data.train_labels
    if not 0 <= settings.val_size < len(train):
        raise SettingsError(f"autoencoder: val_size must be in [0, {len(train)}), got {settings.val_size}")
    val, val_labels = train[:settings.val_size], train_labels[:settings.val_size]
    train, train_labels = train[settings.val_size:], train_labels[settings.val_size:]
    probe = FeatureProbe(train[:settings.probe_size], train_labels[:settings.probe_size],
                         data.test_images, data.test_labels)
    # validation measures the probes too (on the validation images): no NaN every epoch
    val_probe = FeatureProbe(train[:settings.probe_size], train_labels[:settings.probe_size],
                             val, val_labels)
    try:
        if settings.model == "dense":
            model = Autoencoder(IMAGE_SIZE * IMAGE_SIZE, settings.code, (settings.hidden,),
                                noise=settings.noise, noise_type=settings.noise_type)
        else:
            model = ConvAutoencoder(1, IMAGE_SIZE, (settings.channels, 2 * settings.channels),
                                    settings.code, noise=settings.noise, noise_type=settings.noise_type)
    except ValueError as error:
        raise SettingsError(str(error)) from None
    return Task(
        model=model,
        loss=unwrapped(F.mse_loss),
        train_data=DataLoader(TensorDataset(from_numpy(train), from_numpy(train_labels)),
                              batch_size=settings.batch_size, shuffle=True),
        val_data=eval_batches(val, val_probe) if len(val) else None,
        test_data=eval_batches(data.test_images, probe),
        metrics=["loss", "mse", "feature_accuracy", "pixel_accuracy"],
        monitor="loss",
        make_optimizer=lambda parameters: Adam(parameters, lr=settings.lr),
        make_scheduler=lambda optimizer, total_steps: CosineAnnealingLR(optimizer, T_max=total_steps),
        scheduler_interval="step",
        forward=forward,
        count=lambda target: int(target.numel()),
        callbacks=[AutoencoderFigures(data.test_images, data.description)],
    )
