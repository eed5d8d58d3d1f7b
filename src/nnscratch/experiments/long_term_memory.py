"""``long-term-memory``: gated recurrent networks carry information across long gaps.

The adding problem (Hochreiter & Schmidhuber 1997) and the copy-memory task (Arjovsky et al.
2016) at several lengths T, for a tanh RNN, an LSTM, a peephole LSTM and a GRU of the same
hidden size, trained with Adam on fresh batches and scored on a fixed test set. Each task has a
trivial memoryless baseline (adding: MSE 1/6 ≈ 0.167 by always answering 1; copy: cross-entropy
10·log 8 / (T + 20)); learning the task means getting far below it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .. import backend
from ..datasets.memory_tasks import (
    ADDING_BASELINE_MSE,
    COPY_CLASSES,
    copy_memory_baseline,
    make_adding_problem,
    make_copy_memory,
)
from ..models.recurrent_readout import ARCHITECTURES, LABELS, SequenceModel, add_forget_bias
from ..nn import functional as F
from ..viz.experiment_plots import Curve, Panel, save_panels
from .report import Report, Table
from .run_cache import cached_run, derived_seed
from .sequence_models import evaluate_in_batches, train_on_generator

TITLE = "Long-term memory: the adding and copy-memory problems"
SUMMARY = "tanh RNN vs LSTM, peephole LSTM and GRU on the adding and copy-memory tasks at several lengths"
CLAIM = ("A plain tanh RNN cannot learn dependencies across long time lags (its gradient vanishes), "
         "so on the adding problem it stays at the trivial baseline, while the gated LSTM and GRU "
         "learn the task far below the baseline (Hochreiter & Schmidhuber 1997; Le et al. 2015; "
         "Arjovsky et al. 2016).")


@dataclass
class Settings:
    adding_lengths: tuple = (100, 200)
    copy_delays: tuple = (100, 200)
    architectures: tuple = ARCHITECTURES
    hidden_size: int = 128
    batch_size: int = 50
    adding_steps: int = 10000
    copy_steps: int = 3000
    lr: float = 1e-3
    clip: float = 1.0  # global gradient-norm clipping
    forget_bias: float = 1.0  # added to the LSTM forget-gate bias (Gers et al. 2000)
    eval_every: int = 100
    test_size: int = 1000
    solved_mse: float = 1e-3  # an adding run stops once its test MSE is below this
    target_mse: float = 0.01  # "learned": test MSE below this

    @classmethod
    def full(cls) -> Settings:
        return cls()

    @classmethod
    def quick(cls) -> Settings:
        return cls(adding_lengths=(50,), copy_delays=(10,), hidden_size=64, adding_steps=1500,
                   copy_steps=1000, lr=0.01, test_size=500, solved_mse=2e-3,
                   target_mse=ADDING_BASELINE_MSE / 10)


def _adding_task(length: int) -> dict:
    def loss_of(model, inputs, targets):
        return F.mse_loss(model(inputs, last_only=True)[0], targets)

    return dict(make=lambda n: make_adding_problem(n, length), loss_of=loss_of,
                baseline=ADDING_BASELINE_MSE, model=dict(input_size=2, output_size=1))


def _copy_task(delay: int) -> dict:
    classes = COPY_CLASSES - 1  # outputs: blank and the 8 data symbols

    def loss_of(model, inputs, targets):
        logits = model(inputs)[0]  # (N, T + 20, classes)
        return F.cross_entropy(logits.reshape(-1, classes), targets.reshape(-1))

    return dict(make=lambda n: make_copy_memory(n, delay), loss_of=loss_of,
                baseline=copy_memory_baseline(delay),
                model=dict(input_size=COPY_CLASSES, output_size=classes, num_symbols=COPY_CLASSES))


TASKS = {"adding": _adding_task, "copy": _copy_task}


def train_one(task_name: str, length: int, architecture: str, settings: Settings, device: str,
              seed: int) -> dict:
    """Train one architecture on one task and length; its learning curve and final score."""
    task = TASKS[task_name](length)
    backend.manual_seed(derived_seed(seed, task_name, length, "test"))
    test_inputs, test_targets = task["make"](settings.test_size)
    backend.manual_seed(derived_seed(seed, task_name, length, architecture))
    model = SequenceModel(architecture, hidden_size=settings.hidden_size, **task["model"])
    add_forget_bias(model, settings.forget_bias)
    model.to(device)
    adding = task_name == "adding"
    curve = train_on_generator(
        model, lambda: task["make"](settings.batch_size), task["loss_of"],
        lambda: evaluate_in_batches(model, test_inputs, test_targets, task["loss_of"], device),
        steps=settings.adding_steps if adding else settings.copy_steps,
        eval_every=settings.eval_every, lr=settings.lr, clip=settings.clip, device=device,
        stop_below=settings.solved_mse if adding else None)
    return {"curve": curve.as_dict(), "final": curve.test[-1], "baseline": task["baseline"],
            "steps": curve.steps[-1]}


def run(settings: Settings, out: Path, device: str = "cpu", seed: int = 0) -> Report:
    report = Report("long-term-memory", TITLE, CLAIM, settings=asdict(settings))
    lengths = {"adding": settings.adding_lengths, "copy": settings.copy_delays}
    results: dict = {}
    for task_name, task_lengths in lengths.items():
        for length in task_lengths:
            for architecture in settings.architectures:
                key = {"task": task_name, "length": length, "architecture": architecture,
                       "seed": seed, "device": str(device), **asdict(replace(settings,
                       adding_lengths=(), copy_delays=(), architectures=()))}
                result = cached_run(out, f"{task_name}-T{length}-{architecture}", key,
                                    lambda t=task_name, n=length, a=architecture: train_one(
                                        t, n, a, settings, device, seed))
                results.setdefault(task_name, {}).setdefault(str(length), {})[architecture] = result
    report.results = results
    _describe(report, settings, lengths)
    for task_name, task_lengths in lengths.items():
        if task_lengths:
            name = f"{task_name}.png"
            _plot_task(out / name, task_name, results[task_name], settings)
            report.figures.append((name, _CAPTIONS[task_name]))
    _check(report, settings, results)
    return report


_CAPTIONS = {
    "adding": "Adding problem: test MSE during training at each length (dashed: the baseline "
              "0.167 of always answering 1), and (with several lengths) the final test MSE against T.",
    "copy": "Copy memory: test cross-entropy during training at each delay T (dashed: the "
            "baseline 10·log 8/(T+20)), and (with several delays) the final value against T.",
}
_METRIC = {"adding": "test MSE", "copy": "test cross-entropy"}


def _describe(report: Report, settings: Settings, lengths: dict) -> None:
    report.setup += [
        f"Adding problem at T = {', '.join(map(str, lengths['adding'])) or '—'}: two input channels "
        "(values U(0,1), a marker with one 1 in each half); target the sum of the two marked "
        "values; loss MSE on the last step. Runs stop once the test MSE is below "
        f"{settings.solved_mse:g}.",
        f"Copy memory at T = {', '.join(map(str, lengths['copy'])) or '—'}: 10 symbols from "
        "{1..8}, T−1 blanks, a delimiter, 10 blanks; the network must output the 10 symbols "
        "after the delimiter; loss cross-entropy averaged over all T+20 steps.",
        f"Networks: one recurrent layer of {settings.hidden_size} units ("
        + ", ".join(LABELS[a] for a in settings.architectures) + ") and a linear read-out; "
        f"LSTM forget-gate bias +{settings.forget_bias:g} (Gers et al. 2000), all else PyTorch's "
        "default initialisation.",
        f"Training: Adam, learning rate {settings.lr:g}, batches of {settings.batch_size} fresh "
        f"sequences, gradient norm clipped at {settings.clip:g}; at most {settings.adding_steps} "
        f"steps (adding) / {settings.copy_steps} steps (copy); test set of {settings.test_size} "
        f"sequences scored every {settings.eval_every} steps.",
    ]
    for task_name, task_results in ((t, report.results.get(t, {})) for t in lengths):
        if not task_results:
            continue
        table = Table(f"{'Adding problem' if task_name == 'adding' else 'Copy memory'}: final "
                      f"{_METRIC[task_name]}",
                      ["T", "baseline"] + [LABELS[a] for a in settings.architectures])
        for length, by_architecture in task_results.items():
            baseline = next(iter(by_architecture.values()))["baseline"]
            table.rows.append([int(length), baseline]
                              + [by_architecture[a]["final"] for a in settings.architectures])
        report.tables.append(table)
        steps = Table(f"{'Adding problem' if task_name == 'adding' else 'Copy memory'}: "
                      "training steps run and seconds", ["T"] + [LABELS[a] for a in settings.architectures])
        for length, by_architecture in task_results.items():
            steps.rows.append([int(length)] + [f"{by_architecture[a]['steps']} steps, "
                                               f"{by_architecture[a]['curve']['seconds']:.0f} s"
                                               for a in settings.architectures])
        report.tables.append(steps)


def _plot_task(path: Path, task_name: str, task_results: dict, settings: Settings) -> None:
    panels = []
    for length, by_architecture in task_results.items():
        panel = Panel(f"{task_name}, T = {length}", "training step", _METRIC[task_name], log_y=True,
                      references=[("baseline", next(iter(by_architecture.values()))["baseline"])])
        for architecture, result in by_architecture.items():
            panel.curves.append(Curve(LABELS[architecture], result["curve"]["steps"],
                                      result["curve"]["test"]))
        panels.append(panel)
    lengths = [int(length) for length in task_results]
    if len(lengths) < 2:  # a single length: the learning curves say it all
        save_panels(path, panels)
        return
    final = Panel(f"{task_name}: final score", "T", _METRIC[task_name], log_y=True)
    for architecture in settings.architectures:
        final.curves.append(Curve(LABELS[architecture], lengths,
                                  [task_results[str(t)][architecture]["final"] for t in lengths],
                                  {"marker": "o"}))
    final.curves.append(Curve("baseline", lengths,
                              [next(iter(task_results[str(t)].values()))["baseline"] for t in lengths],
                              {"linestyle": "--", "color": "grey"}))
    panels.append(final)
    save_panels(path, panels, columns=min(len(panels), 3))


def _check(report: Report, settings: Settings, results: dict) -> None:
    adding = results.get("adding", {})
    for length, by_architecture in adding.items():
        finals = {a: r["final"] for a, r in by_architecture.items()}
        for architecture in ("lstm", "gru"):
            if architecture in finals:
                value = finals[architecture]
                report.check(f"{LABELS[architecture]} learns the adding problem at T = {length} "
                             f"(test MSE < {settings.target_mse:.3g})",
                             value is not None and value < settings.target_mse, f"MSE {value:.3g}")
        if "rnn" in finals:
            value = finals["rnn"]
            report.check(f"the tanh RNN stays near the baseline at T = {length} (test MSE > half "
                         f"of {ADDING_BASELINE_MSE:.3f})",
                         value is None or value > ADDING_BASELINE_MSE / 2, f"MSE {value:.3g}")
    report.findings += _findings(results, settings)


def _findings(results: dict, settings: Settings) -> list:
    sentences = []
    for task_name, task_results in results.items():
        for length, by_architecture in task_results.items():
            baseline = next(iter(by_architecture.values()))["baseline"]
            parts = []
            for architecture, result in by_architecture.items():
                final = result["final"]
                ratio = "diverged" if final is None else f"{final / baseline:.2g}× the baseline"
                parts.append(f"{LABELS[architecture]} {ratio}")
            sentences.append(f"{'Adding' if task_name == 'adding' else 'Copy'}, T = {length}: "
                             f"final {_METRIC[task_name]} is " + "; ".join(parts) + ".")
    return sentences
