"""``dropout``: a network that over-fits a small training set, with and without dropout.

A wide three-hidden-layer ReLU MLP learns the two-spirals problem from a small, noisy training
set. Without dropout it memorises the training points (training loss → 0) while the validation
loss climbs; with dropout (Srivastava et al. 2014: each hidden unit is zeroed with probability
p during training, the survivors scaled by 1/(1 − p)) the same network cannot rely on any one
unit and the gap between training and validation narrows. Both sets are scored in eval mode
(dropout off), so the gap compares like with like.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy

from .. import backend, nn, optim
from ..autograd.grad_mode import no_grad
from ..datasets.spirals import make_spirals
from ..nn import functional as F
from ..viz.experiment_plots import Curve, Panel, save_decision_regions, save_panels
from .report import Report, Table
from .run_cache import derived_seed
from .sequence_models import to_tensor

TITLE = "Dropout against over-fitting"
SUMMARY = "an MLP over-fitting a small two-spirals training set, with and without dropout"
CLAIM = ("A network with many more parameters than training examples over-fits: its training loss "
         "keeps falling while its validation loss rises. Dropout — randomly zeroing hidden units "
         "during training — prevents units from co-adapting and narrows the gap between training "
         "and validation (Hinton et al. 2012; Srivastava et al. 2014).")


@dataclass
class Settings:
    train_size: int = 100
    validation_size: int = 2000
    noise: float = 0.2
    hidden_size: int = 256
    hidden_layers: int = 3
    rates: tuple = (0.0, 0.2, 0.5)
    epochs: int = 1500
    batch_size: int = 32
    lr: float = 3e-3
    eval_every: int = 10  # epochs

    @classmethod
    def full(cls) -> Settings:
        return cls()

    @classmethod
    def quick(cls) -> Settings:
        return cls(rates=(0.0, 0.5), epochs=500)


def make_mlp(hidden_size: int, hidden_layers: int, rate: float) -> nn.Sequential:
    """2 → (Linear, ReLU, Dropout(rate)) × hidden_layers → 2 logits."""
    layers: list = []
    width = 2
    for _ in range(hidden_layers):
        layers += [nn.Linear(width, hidden_size), nn.ReLU(), nn.Dropout(rate)]
        width = hidden_size
    layers.append(nn.Linear(width, 2))
    return nn.Sequential(*layers)


def _score(model: nn.Module, points: numpy.ndarray, labels: numpy.ndarray, device: str) -> tuple:
    """(cross-entropy, accuracy) in eval mode."""
    model.eval()
    with no_grad():
        logits = model(to_tensor(points, device))
        loss = float(F.cross_entropy(logits, to_tensor(labels, device)).item())
        accuracy = float((logits.argmax(1).numpy() == labels).mean())
    model.train()
    return loss, accuracy


def train_with_rate(rate: float, data: dict, settings: Settings, seed: int, device: str) -> tuple:
    """Train one network; its learning curves and the trained model."""
    backend.manual_seed(seed)  # same initial weights and batch order for every rate
    model = make_mlp(settings.hidden_size, settings.hidden_layers, rate).to(device)
    optimizer = optim.Adam(model.parameters(), lr=settings.lr)
    points, labels = data["train"]
    curve: dict = {"epochs": [], "train_loss": [], "train_accuracy": [], "val_loss": [],
                   "val_accuracy": []}
    generator = backend.generator(backend.CPU)
    for epoch in range(1, settings.epochs + 1):
        order = generator.permutation(len(points))
        for begin in range(0, len(points), settings.batch_size):
            batch = order[begin:begin + settings.batch_size]
            loss = F.cross_entropy(model(to_tensor(points[batch], device)),
                                   to_tensor(labels[batch], device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if epoch % settings.eval_every == 0 or epoch == settings.epochs:
            curve["epochs"].append(epoch)
            for split in ("train", "val"):
                split_loss, accuracy = _score(model, *data[split], device)
                curve[f"{split}_loss"].append(split_loss)
                curve[f"{split}_accuracy"].append(accuracy)
    return curve, model


def run(settings: Settings, out: Path, device: str = "cpu", seed: int = 0) -> Report:
    report = Report("dropout", TITLE, CLAIM, settings=asdict(settings))
    backend.manual_seed(derived_seed(seed, "data"))
    data = {"train": make_spirals(settings.train_size, settings.noise),
            "val": make_spirals(settings.validation_size, settings.noise)}
    curves, models = {}, {}
    for rate in settings.rates:
        curves[str(rate)], models[rate] = train_with_rate(rate, data, settings, derived_seed(seed, "net"),
                                                          device)
    tail = max(1, len(next(iter(curves.values()))["epochs"]) // 10)  # average the last 10% of points
    summary = {}
    for rate, curve in curves.items():
        means = {key: float(numpy.mean(curve[key][-tail:])) for key in curve if key != "epochs"}
        means["loss_gap"] = means["val_loss"] - means["train_loss"]
        means["accuracy_gap"] = means["train_accuracy"] - means["val_accuracy"]
        summary[rate] = means
    report.results = {"curves": curves, "final": summary, "averaged_points": tail}

    panels = [Panel("cross-entropy (solid: training, dashed: validation)", "epoch", "loss", log_y=True),
              Panel("accuracy (solid: training, dashed: validation)", "epoch", "accuracy")]
    colours = ["C0", "C1", "C2", "C3", "C4"]
    for index, (rate, curve) in enumerate(curves.items()):
        colour = colours[index % len(colours)]
        for panel, key in zip(panels, ("loss", "accuracy")):
            panel.curves.append(Curve(f"p = {rate}, training", curve["epochs"], curve[f"train_{key}"],
                                      {"color": colour}))
            panel.curves.append(Curve(f"p = {rate}, validation", curve["epochs"], curve[f"val_{key}"],
                                      {"color": colour, "linestyle": "--"}))
    save_panels(out / "curves.png", panels)
    report.figures.append(("curves.png", "Training (solid) and validation (dashed) loss and accuracy, "
                           "both in eval mode, for each dropout rate p."))
    _plot_boundaries(out / "boundaries.png", models, data, device)
    report.figures.append(("boundaries.png", "Decision regions learned from the training points "
                           "(dots), without and with dropout."))

    report.setup += [
        f"Two spirals with Gaussian noise {settings.noise:g}: {settings.train_size} training and "
        f"{settings.validation_size} validation points.",
        f"MLP 2 → {settings.hidden_layers} × {settings.hidden_size} ReLU → 2, dropout after every "
        f"hidden layer with p in {', '.join(map(str, settings.rates))}; Adam, learning rate "
        f"{settings.lr:g}, batches of {settings.batch_size}, {settings.epochs} epochs; the same "
        "initial weights and batch order for every p.",
        f"Final numbers are means over the last {tail} evaluations (every {settings.eval_every} epochs).",
    ]
    table = Table("Final scores (eval mode)", ["dropout p", "training loss", "validation loss",
                                               "loss gap", "training accuracy", "validation accuracy",
                                               "accuracy gap"])
    for rate, means in summary.items():
        table.rows.append([float(rate), means["train_loss"], means["val_loss"], means["loss_gap"],
                           means["train_accuracy"], means["val_accuracy"], means["accuracy_gap"]])
    report.tables.append(table)
    plain, strongest = summary[str(settings.rates[0])], summary[str(max(settings.rates))]
    report.check("without dropout the network over-fits (validation loss ≥ 3× training loss)",
                 plain["val_loss"] >= 3 * plain["train_loss"],
                 f"{plain['val_loss']:.3g} vs {plain['train_loss']:.3g}")
    report.check(f"dropout p = {max(settings.rates)} narrows the loss gap",
                 strongest["loss_gap"] < plain["loss_gap"],
                 f"{strongest['loss_gap']:.3g} vs {plain['loss_gap']:.3g}")
    report.check(f"dropout p = {max(settings.rates)} narrows the accuracy gap",
                 strongest["accuracy_gap"] < plain["accuracy_gap"],
                 f"{strongest['accuracy_gap']:.3g} vs {plain['accuracy_gap']:.3g}")
    for rate, means in summary.items():
        report.findings.append(
            f"p = {rate}: training loss {means['train_loss']:.3g}, validation loss {means['val_loss']:.3g} "
            f"(gap {means['loss_gap']:.3g}); accuracy {means['train_accuracy']:.3f} on training, "
            f"{means['val_accuracy']:.3f} on validation (gap {means['accuracy_gap']:.3f}).")
    return report


def _plot_boundaries(path: Path, models: dict, data: dict, device: str) -> None:
    grid = numpy.linspace(-1.3, 1.3, 200, dtype=numpy.float32)
    xx, yy = numpy.meshgrid(grid, grid)
    points = numpy.stack([xx.ravel(), yy.ravel()], axis=1)
    regions = {}
    for rate, model in models.items():
        model.eval()
        with no_grad():
            classes = model(to_tensor(points, device)).argmax(1).numpy()
        regions[f"dropout p = {rate}"] = classes.reshape(xx.shape)
    save_decision_regions(path, xx, yy, regions, *data["train"])
