"""``exploding-gradient``: a plain RNN whose gradients explode, trained with and without clipping.

The network is an IRNN (Le et al. 2015): ReLU units, recurrent matrix initialised to the
identity and zero biases. The Jacobian of one step is ``diag(relu'(a_t)) W_hh`` with ``W_hh = I``
at the start, so nothing damps the back-propagated gradient, and any growth of ``W_hh`` during
training makes it grow geometrically with the sequence length (Pascanu et al. 2013). It is
trained on the adding problem by plain SGD three ways:

* learning rate η, gradient norm clipped at ``max_norm`` (``nn.utils.clip_grad_norm_``);
* the same η without clipping;
* a tenth of η without clipping (the other way to survive the large gradients).

Every run records the global gradient norm *before* clipping and the loss on each fresh batch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy

from .. import backend, nn, optim
from ..datasets.memory_tasks import ADDING_BASELINE_MSE, make_adding_problem
from ..nn import functional as F
from ..viz.experiment_plots import Curve, Panel, save_panels
from .report import Report, Table
from .run_cache import derived_seed
from .sequence_models import to_tensor

TITLE = "Exploding gradients and gradient-norm clipping"
SUMMARY = "an identity-initialised ReLU RNN on the adding problem, SGD with and without clip_grad_norm_"
CLAIM = ("When the product of a recurrent network's Jacobians grows with the sequence length, a single "
         "gradient can be orders of magnitude larger than the typical one and one SGD step throws the "
         "weights off the loss surface; rescaling the gradient when its norm exceeds a threshold "
         "keeps training stable at the same learning rate (Pascanu, Mikolov & Bengio 2013).")
DIVERGED = 1e6  # a loss above this (or not finite) ends a run: the weights are lost
LOSS_AXIS_TOP = 10.0


@dataclass
class Settings:
    length: int = 100
    hidden_size: int = 100
    batch_size: int = 20
    steps: int = 20000
    lr: float = 0.01
    max_norm: float = 1.0
    window: int = 100  # steps averaged per point of the loss curve

    @classmethod
    def full(cls) -> Settings:
        return cls()

    @classmethod
    def quick(cls) -> Settings:
        return cls(length=50, hidden_size=64, steps=8000)


def make_irnn(input_size: int, hidden_size: int) -> tuple:
    """ReLU RNN with ``W_hh = I`` and zero biases (Le et al. 2015), plus a linear read-out."""
    rnn = nn.RNN(input_size, hidden_size, nonlinearity="relu", batch_first=True)
    rnn.weight_hh_l0.array[...] = numpy.eye(hidden_size, dtype=rnn.weight_hh_l0.array.dtype)
    rnn.bias_hh_l0.array[...] = 0
    rnn.bias_ih_l0.array[...] = 0
    return rnn, nn.Linear(hidden_size, 1)


def train_run(settings: Settings, lr: float, max_norm: float | None, seed: int, device: str) -> dict:
    """SGD on fresh adding-problem batches; per-step loss and gradient norm (before clipping).

    The run stops early when the loss passes :data:`DIVERGED` or is not finite."""
    backend.manual_seed(seed)
    rnn, readout = make_irnn(2, settings.hidden_size)
    rnn.to(device)
    readout.to(device)
    parameters = list(rnn.parameters()) + list(readout.parameters())
    optimizer = optim.SGD(parameters, lr=lr)
    losses, norms, diverged_at = [], [], None
    limit = max_norm if max_norm is not None else float("inf")
    for step in range(1, settings.steps + 1):
        inputs, targets = make_adding_problem(settings.batch_size, settings.length)
        outputs, _ = rnn(to_tensor(inputs, device))
        loss = F.mse_loss(readout(outputs[:, -1]), to_tensor(targets, device))
        value = float(loss.item())
        losses.append(value)
        if not math.isfinite(value) or value > DIVERGED:
            diverged_at = step
            break
        optimizer.zero_grad()
        loss.backward()
        with numpy.errstate(over="ignore", invalid="ignore"):
            norms.append(float(nn.utils.clip_grad_norm_(parameters, limit).item()))
        optimizer.step()
    return {"lr": lr, "max_norm": max_norm, "losses": losses, "grad_norms": norms,
            "diverged_at": diverged_at}


def _windowed(values: list, window: int) -> tuple[list, list]:
    """Means over consecutive windows (NaN-free prefix), at the window's last step."""
    steps, means = [], []
    for begin in range(0, len(values), window):
        chunk = numpy.asarray(values[begin:begin + window], dtype=float)
        steps.append(begin + len(chunk))
        means.append(float(chunk.mean()) if numpy.isfinite(chunk).all() else float("nan"))
    return steps, means


def run(settings: Settings, out: Path, device: str = "cpu", seed: int = 0) -> Report:
    report = Report("exploding-gradient", TITLE, CLAIM, settings=asdict(settings))
    run_seed = derived_seed(seed, "irnn")  # the same initial weights and batches for every run
    runs = {
        "clipped": train_run(settings, settings.lr, settings.max_norm, run_seed, device),
        "unclipped": train_run(settings, settings.lr, None, run_seed, device),
        "unclipped_small_lr": train_run(settings, settings.lr / 10, None, run_seed, device),
    }
    labels = {"clipped": f"η = {settings.lr:g}, clipped at {settings.max_norm:g}",
              "unclipped": f"η = {settings.lr:g}, no clipping",
              "unclipped_small_lr": f"η = {settings.lr / 10:g}, no clipping"}
    tail = max(1, settings.steps // 10)
    for values in runs.values():
        losses = numpy.asarray(values["losses"], dtype=float)
        norms = numpy.asarray(values["grad_norms"], dtype=float)
        finite_norms = norms[numpy.isfinite(norms)]
        values["median_grad_norm"] = float(numpy.median(finite_norms)) if finite_norms.size else float("nan")
        values["max_grad_norm"] = float(norms.max()) if norms.size else float("nan")  # inf/nan stay
        values["max_loss"] = float(losses.max())
        values["final_loss"] = float(losses[-tail:].mean()) if values["diverged_at"] is None else float("nan")
        values["window_steps"], values["window_loss"] = _windowed(values["losses"], settings.window)
    report.results = {"runs": runs, "baseline_mse": ADDING_BASELINE_MSE}

    panels = [Panel("gradient norm before clipping", "step", "‖∇L‖", log_y=True),
              Panel(f"loss (mean over {settings.window} steps)", "step", "MSE", log_y=True,
                    references=[("baseline 0.167", ADDING_BASELINE_MSE)], y_limits=(None, LOSS_AXIS_TOP))]
    for name, values in runs.items():
        panels[0].curves.append(Curve(labels[name], range(1, len(values["grad_norms"]) + 1),
                                      values["grad_norms"], {"linewidth": 0.6, "alpha": 0.8}))
        if values["diverged_at"]:  # an × on the top edge where the run was lost
            panels[1].curves.append(Curve(f"{labels[name]}: diverged at step {values['diverged_at']}",
                                          [values["diverged_at"]], [LOSS_AXIS_TOP * 0.7],
                                          {"marker": "x", "markersize": 10, "linestyle": "none"}))
        else:
            panels[1].curves.append(Curve(labels[name], values["window_steps"], values["window_loss"]))
    save_panels(out / "clipping.png", panels)
    report.figures.append(("clipping.png", "Gradient norm at every step (before clipping) and the "
                           "training loss on fresh batches, for the three runs; × marks the step "
                           "where a run diverged."))

    report.setup += [
        f"Adding problem with T = {settings.length}; IRNN of {settings.hidden_size} ReLU units "
        "(W_hh = I, zero biases; input weights PyTorch's default) and a linear read-out; MSE on the "
        "last step.",
        f"Plain SGD, batches of {settings.batch_size} fresh sequences, {settings.steps} steps; every "
        "run starts from the same weights and sees the same batches. A run ends when its loss "
        f"exceeds {DIVERGED:g} or is not finite.",
    ]
    table = Table("Runs", ["run", "median ‖∇L‖", "largest ‖∇L‖", "largest loss",
                           f"final loss (last {tail} steps)", "diverged at step"])
    for name, values in runs.items():
        table.rows.append([labels[name], values["median_grad_norm"], values["max_grad_norm"],
                           values["max_loss"], values["final_loss"], values["diverged_at"]])
    report.tables.append(table)
    _check(report, runs, settings)
    return report


def _check(report: Report, runs: dict, settings: Settings) -> None:
    clipped, unclipped, small = runs["clipped"], runs["unclipped"], runs["unclipped_small_lr"]
    report.check("the gradient explodes: its largest norm is over 10× the median, even in the "
                 "clipped run (norms are measured before clipping)",
                 clipped["max_grad_norm"] > 10 * clipped["median_grad_norm"],
                 f"largest {clipped['max_grad_norm']:.3g}, median {clipped['median_grad_norm']:.3g}")
    report.check(f"without clipping, training at η = {settings.lr:g} diverges",
                 unclipped["diverged_at"] is not None,
                 f"step {unclipped['diverged_at']}" if unclipped["diverged_at"] else "no divergence")
    clipped_final = clipped["final_loss"]
    report.check("with clipping, the same η trains stably to a loss below half the baseline",
                 clipped["diverged_at"] is None and clipped_final < ADDING_BASELINE_MSE / 2,
                 f"final loss {clipped_final:.3g}")
    small_final = small["final_loss"]
    report.check(f"a smaller rate without clipping (η = {settings.lr / 10:g}) ends with a higher loss "
                 "than the clipped run",
                 small["diverged_at"] is not None or small_final > clipped_final,
                 "diverged" if small["diverged_at"] else f"{small_final:.3g} vs {clipped_final:.3g}")
    report.findings += [
        f"Without clipping the loss reached {unclipped['max_loss']:.3g} "
        + (f"and the run diverged at step {unclipped['diverged_at']}." if unclipped["diverged_at"]
           else "without diverging."),
        f"With clipping at {settings.max_norm:g} the gradient norm still spiked to "
        f"{clipped['max_grad_norm']:.3g} (median {clipped['median_grad_norm']:.3g}), but each step was "
        f"bounded and the loss fell to {clipped_final:.3g} (baseline {ADDING_BASELINE_MSE:.3f}).",
        f"At a tenth of the learning rate without clipping the largest loss was {small['max_loss']:.3g} "
        + (f"and the run diverged at step {small['diverged_at']}." if small["diverged_at"]
           else f"and the final loss {small_final:.3g}."),
    ]
