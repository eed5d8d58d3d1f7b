"""``vanishing-gradient``: how the gradient's norm changes as it flows back through time and depth.

Three measurements:

1. ‖∂L/∂h_t‖ against the distance ``T − 1 − t`` from the loss for a tanh RNN, an LSTM and a
   GRU (PyTorch's default initialisation), at initialisation and after training on the adding
   problem (a long-lag task), normalised by its value at the last step.
2. The same for a tanh RNN whose recurrent matrix is ``s·Q`` (Q a random orthogonal matrix, so
   every singular value is ``s``) for s = 0.5, 1, 2: by the chain rule
   ``∂L/∂h_t = ∏ (diag(1 − h_k²) W)ᵀ ∂L/∂h_T`` and ``|tanh'| ≤ 1``, the norm shrinks at least as
   fast as ``s^d`` for s < 1 and can grow for s > 1 (Pascanu et al. 2013).
3. ‖∂L/∂W_l‖ and ‖∂L/∂h_l‖ per layer of a 20-layer MLP with sigmoid, tanh and ReLU units and
   Glorot initialisation (Glorot & Bengio 2010): sigmoid' ≤ 1/4 shrinks the backward signal at
   every layer.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy

from .. import backend, nn
from .._tensor import Tensor
from ..datasets.memory_tasks import ADDING_BASELINE_MSE, make_adding_problem
from ..models.recurrent_readout import LABELS, SequenceModel
from ..nn import functional as F
from ..viz.experiment_plots import Curve, Panel, save_panels
from .gradient_flow import cell_sharing_weights, hidden_state_gradient_norms, log_slope
from .report import Report, Table
from .run_cache import derived_seed
from .sequence_models import evaluate_in_batches, to_tensor, train_on_generator

TITLE = "Vanishing and exploding gradients through time and depth"
SUMMARY = ("‖∂L/∂h_t‖ against distance for RNN/LSTM/GRU (at init and trained), for scaled recurrent "
           "matrices, and per layer of a 20-layer sigmoid/tanh/ReLU MLP")
CLAIM = ("Back-propagated gradients are products of Jacobians, so their norm changes geometrically "
         "with the number of steps or layers they cross: a plain RNN's gradient vanishes (or "
         "explodes) at a rate set by its recurrent matrix, gated units (LSTM, GRU) keep it alive "
         "once trained on a long-lag task, and sigmoid layers shrink it at every layer where ReLU "
         "layers do not (Bengio et al. 1994; Hochreiter & Schmidhuber 1997; Glorot & Bengio 2010; "
         "Pascanu et al. 2013).")
MLP_ACTIVATIONS = {"sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu}


@dataclass
class Settings:
    architectures: tuple = ("rnn", "lstm", "gru")
    length: int = 100  # adding-problem length T (training and measurement)
    distance: int = 50  # the distance compared in the checks
    hidden_size: int = 128
    train_steps: int = 5000
    batch_size: int = 50
    lr: float = 3e-3
    solved_mse: float = 1e-3  # training stops once the test MSE is below this
    measure_batch: int = 100
    scales: tuple = (0.5, 1.0, 2.0)
    depth: int = 20
    width: int = 256
    mlp_batch: int = 256

    @classmethod
    def full(cls) -> Settings:
        return cls()

    @classmethod
    def quick(cls) -> Settings:
        return cls(length=60, hidden_size=64, train_steps=1500, lr=0.01, width=128)


def _to_float64(model: nn.Module) -> None:
    model.to(backend.float64)  # float32 would underflow: 0.5^100 ≈ 1e-30


def recurrent_gradient_norms(model: SequenceModel, inputs: numpy.ndarray, targets: numpy.ndarray,
                             device: str) -> numpy.ndarray:
    """‖∂L/∂h_t‖ by distance from the last step for the model's weights, measured in float64."""
    dtype = model.readout.weight.dtype
    _to_float64(model)
    cell = cell_sharing_weights(model.recurrent)
    x = to_tensor(inputs.astype(numpy.float64), device)
    y = to_tensor(targets.astype(numpy.float64), device)
    norms = hidden_state_gradient_norms(cell, x, lambda h: F.mse_loss(model.readout(h), y))
    model.zero_grad()
    model.to(dtype)
    return norms


def scaled_rnn_gradient_norms(scale: float, hidden_size: int, inputs: numpy.ndarray,
                              targets: numpy.ndarray, device: str) -> numpy.ndarray:
    """‖∂L/∂h_t‖ by distance for a tanh RNN cell with ``W_hh = scale · Q``."""
    cell = nn.RNNCell(inputs.shape[2], hidden_size, dtype=backend.float64)
    nn.init.orthogonal_(cell.weight_hh)
    cell.weight_hh.array[...] *= scale
    readout = nn.Linear(hidden_size, targets.shape[1], dtype=backend.float64)
    cell.to(device)
    readout.to(device)
    y = to_tensor(targets.astype(numpy.float64), device)
    return hidden_state_gradient_norms(cell, to_tensor(inputs.astype(numpy.float64), device),
                                       lambda h: F.mse_loss(readout(h), y))


def mlp_gradient_norms(activation: str, depth: int, width: int, batch: int, device: str) -> dict:
    """Per-layer ‖∂L/∂W_l‖ and ‖∂L/∂h_l‖ (layer 1 nearest the input) of a ``depth``-layer MLP
    with Glorot-uniform weights and zero biases, cross-entropy on random labels (10 classes)."""
    layers = [nn.Linear(width, width, dtype=backend.float64) for _ in range(depth - 1)]
    layers.append(nn.Linear(width, 10, dtype=backend.float64))
    for layer in layers:
        nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
        layer.to(device)
    generator = backend.generator(backend.CPU)
    inputs = to_tensor(generator.standard_normal((batch, width)), device)
    labels = to_tensor(generator.integers(0, 10, size=batch), device)
    hidden: Tensor = inputs
    hidden_states = []
    for layer in layers[:-1]:
        hidden = MLP_ACTIVATIONS[activation](layer(hidden))
        hidden.retain_grad()
        hidden_states.append(hidden)
    F.cross_entropy(layers[-1](hidden), labels).backward()
    return {"weight": [float(numpy.linalg.norm(layer.weight.grad.numpy())) for layer in layers],
            "hidden": [float(numpy.linalg.norm(h.grad.numpy())) for h in hidden_states]}


def run(settings: Settings, out: Path, device: str = "cpu", seed: int = 0) -> Report:
    report = Report("vanishing-gradient", TITLE, CLAIM, settings=asdict(settings))
    backend.manual_seed(derived_seed(seed, "measure"))
    measure_inputs, measure_targets = make_adding_problem(settings.measure_batch, settings.length)
    test_inputs, test_targets = make_adding_problem(500, settings.length)

    def loss_of(model, inputs, targets):
        return F.mse_loss(model(inputs, last_only=True)[0], targets)

    through_time: dict = {}
    for architecture in settings.architectures:
        backend.manual_seed(derived_seed(seed, "train", architecture))
        model = SequenceModel(architecture, 2, settings.hidden_size, 1).to(device)
        at_init = recurrent_gradient_norms(model, measure_inputs, measure_targets, device)
        curve = train_on_generator(
            model, lambda: make_adding_problem(settings.batch_size, settings.length), loss_of,
            lambda m=model: evaluate_in_batches(m, test_inputs, test_targets, loss_of, device),
            steps=settings.train_steps, eval_every=100, lr=settings.lr, device=device,
            stop_below=settings.solved_mse)
        trained = recurrent_gradient_norms(model, measure_inputs, measure_targets, device)
        through_time[architecture] = {
            "distance": list(range(settings.length)),
            "init": at_init.tolist(), "trained": trained.tolist(),
            "init_relative": (at_init / at_init[0]).tolist(),
            "trained_relative": (trained / trained[0]).tolist(),
            "test_mse": curve.test[-1], "train_steps": curve.steps[-1]}

    backend.manual_seed(derived_seed(seed, "scaled"))
    scaled = {}
    for scale in settings.scales:
        norms = scaled_rnn_gradient_norms(scale, settings.hidden_size, measure_inputs, measure_targets,
                                          device)
        scaled[str(scale)] = {"norms": norms.tolist(), "log_slope": log_slope(norms),
                              "bound": math.log(scale)}

    backend.manual_seed(derived_seed(seed, "mlp"))
    mlp = {name: mlp_gradient_norms(name, settings.depth, settings.width, settings.mlp_batch, device)
           for name in MLP_ACTIVATIONS}
    for values in mlp.values():
        weights = values["weight"]
        values["first_over_last"] = weights[0] / weights[-1]
        values["log10_slope_per_layer"] = log_slope(weights[::-1]) / math.log(10)

    report.results = {"through_time": through_time, "scaled_rnn": scaled, "mlp": mlp}
    _plot(out, settings, report.results, report)
    _summarise(report, settings)
    return report


def _plot(out: Path, settings: Settings, results: dict, report: Report) -> None:
    panels = []
    for stage, title in (("init_relative", "at initialisation"), ("trained_relative", "after training")):
        panel = Panel(f"adding problem T = {settings.length}, {title}", "distance from the loss T−1−t",
                      "‖∂L/∂h_t‖ / ‖∂L/∂h_{T−1}‖", log_y=True)
        for architecture, values in results["through_time"].items():
            panel.curves.append(Curve(LABELS[architecture], values["distance"], values[stage]))
        panels.append(panel)
    save_panels(out / "through_time.png", panels)
    report.figures.append(("through_time.png", "Gradient norm against distance from the loss, "
                           "relative to the last step, before and after training on the adding problem."))

    panel = Panel("tanh RNN with W_hh = s·Q (every singular value s)", "distance from the loss",
                  "‖∂L/∂h_t‖", log_y=True)
    for scale, values in results["scaled_rnn"].items():
        norms = values["norms"]
        panel.curves.append(Curve(f"s = {scale}", range(len(norms)), norms))
        bound_label = "s^d (linear bound)" if not panel.curves[:-1] else "_nolegend_"
        panel.curves.append(Curve(bound_label, range(len(norms)),
                                  [norms[0] * float(scale) ** d for d in range(len(norms))],
                                  {"linestyle": ":", "color": "grey"}))
    save_panels(out / "recurrent_scale.png", [panel], panel_size=(6.5, 4.5))
    report.figures.append(("recurrent_scale.png", "Plain tanh RNN whose recurrent matrix has all "
                           "singular values s: the gradient norm (solid) against the linear bound "
                           "s^d (dotted)."))

    panels = []
    for key, label in (("weight", "‖∂L/∂W_l‖"), ("hidden", "‖∂L/∂h_l‖")):
        panel = Panel(f"{settings.depth}-layer MLP, Glorot init", "layer l (1 = next to the input)",
                      label, log_y=True)
        for name, values in results["mlp"].items():
            panel.curves.append(Curve(name, range(1, len(values[key]) + 1), values[key], {"marker": "."}))
        panels.append(panel)
    save_panels(out / "depth.png", panels)
    report.figures.append(("depth.png", "Per-layer gradient norms of a deep MLP for three activations."))


def _summarise(report: Report, settings: Settings) -> None:
    results = report.results
    d = min(settings.distance, settings.length - 1)
    report.setup += [
        f"Through time: one recurrent layer of {settings.hidden_size} units (PyTorch's default "
        f"initialisation) and a linear read-out, trained with Adam (learning rate {settings.lr:g}, "
        f"batches of {settings.batch_size}, clipping at 1) on the adding problem with T = "
        f"{settings.length} for up to {settings.train_steps} steps (stopping once the test MSE "
        f"< {settings.solved_mse:g}); ‖∂L/∂h_t‖ measured in float64 on {settings.measure_batch} "
        "sequences by running the same weights through the composed cells step by step.",
        f"Scaled RNN: tanh RNN cell of {settings.hidden_size} units, W_hh = s·Q with Q random "
        f"orthogonal, s in {', '.join(map(str, settings.scales))}, on the same sequences; the "
        "log-slope is the least-squares slope of ln‖∂L/∂h_t‖ against the distance.",
        f"Depth: {settings.depth} linear layers of width {settings.width} (Glorot-uniform weights, "
        f"zero biases), cross-entropy on random labels, a batch of {settings.mlp_batch} Gaussian inputs.",
    ]
    table = Table(f"Through time: gradient norm at distance {d} relative to distance 0",
                  ["network", "at initialisation", "after training", "test MSE after training", "steps"])
    for architecture, values in results["through_time"].items():
        table.rows.append([LABELS[architecture], values["init_relative"][d], values["trained_relative"][d],
                           values["test_mse"], values["train_steps"]])
    report.tables.append(table)
    table = Table("Scaled tanh RNN: per-step growth rate of the gradient norm",
                  ["s", "log-slope", "ln s (linear bound)", "norm at the largest distance / at 0"])
    for scale, values in results["scaled_rnn"].items():
        table.rows.append([float(scale), values["log_slope"], values["bound"],
                           values["norms"][-1] / values["norms"][0]])
    report.tables.append(table)
    table = Table("Deep MLP: weight-gradient norm of the first layer over the last",
                  ["activation", "‖∂L/∂W_1‖ / ‖∂L/∂W_L‖", "log10 change per layer (towards the input)"])
    for name, values in results["mlp"].items():
        table.rows.append([name, values["first_over_last"], values["log10_slope_per_layer"]])
    report.tables.append(table)

    time_results, scaled, mlp = results["through_time"], results["scaled_rnn"], results["mlp"]
    slopes = {float(s): v["log_slope"] for s, v in scaled.items()}
    if 0.5 in slopes and 2.0 in slopes:
        report.check("the plain RNN's gradient vanishes at s = 0.5 (log-slope < 0, at least as fast "
                     "as 0.5^d)", slopes[0.5] < 0 and slopes[0.5] <= math.log(0.5) + 0.05,
                     f"slope {slopes[0.5]:.3f}, ln 0.5 = {math.log(0.5):.3f}")
        report.check("it explodes at s = 2 (log-slope > 0)", slopes[2.0] > 0, f"slope {slopes[2.0]:.3f}")
        report.check("the rate increases with s", all(a < b for a, b in zip(
            [slopes[s] for s in sorted(slopes)], [slopes[s] for s in sorted(slopes)][1:])))
    if "rnn" in time_results:
        rnn = time_results["rnn"]["trained_relative"][d]
        for architecture in ("lstm", "gru"):
            if architecture in time_results:
                gated = time_results[architecture]["trained_relative"][d]
                report.check(f"after training, the {LABELS[architecture]}'s gradient at distance {d} "
                             "is orders of magnitude (≥ 10^3×) above the tanh RNN's",
                             gated > 1e3 * rnn, f"{gated:.2e} vs {rnn:.2e}")
    for architecture, values in time_results.items():
        report.check(f"at initialisation the {LABELS[architecture]}'s gradient decays "
                     f"(below 10^-2 at distance {d})", values["init_relative"][d] < 1e-2,
                     f"{values['init_relative'][d]:.2e}")
    if "sigmoid" in mlp and "relu" in mlp:
        report.check("per-layer gradient norms fall with depth much faster with sigmoid than with "
                     "ReLU (first/last layer ratio ≥ 10^3× smaller)",
                     mlp["sigmoid"]["first_over_last"] * 1e3 < mlp["relu"]["first_over_last"],
                     f"{mlp['sigmoid']['first_over_last']:.2e} vs {mlp['relu']['first_over_last']:.2e}")
    findings = []
    for architecture, values in time_results.items():
        findings.append(f"{LABELS[architecture]}: at distance {d} the gradient is "
                        f"{values['init_relative'][d]:.1e} of its value at the loss at initialisation and "
                        f"{values['trained_relative'][d]:.1e} after training (test MSE "
                        f"{values['test_mse']:.3g}; baseline {ADDING_BASELINE_MSE:.3f}).")
    for scale, values in scaled.items():
        findings.append(f"s = {scale}: the gradient norm changes by a factor "
                        f"{math.exp(values['log_slope']):.3g} per step (s itself: {float(scale):g}).")
    for name, values in mlp.items():
        findings.append(f"{name} MLP: the first layer's weight gradient is {values['first_over_last']:.1e} "
                        "times the last layer's.")
    report.findings += findings
