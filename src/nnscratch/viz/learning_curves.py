"""Learning curves as PNG files, drawn headless from ``metrics.jsonl`` records.

One figure per metric: the training curve (logged every few steps) and the validation curve
(one point per epoch) against the optimiser step, plus the learning rate. Each figure is titled
with the run it shows (``title``: the trainer passes the run folder's name and the recipe), so
a PNG on its own says where it comes from; ``loss_name`` says what the loss is (the file stays
``loss.png``). Figures are drawn with a Hangul font (:func:`~nnscratch.viz.fonts.hangul_rc`),
since a run folder's name may be Korean. Matplotlib is an
optional dependency (``pip install 'nnscratch[plot]'``); without it no plot is drawn and
:func:`plot_learning_curves` says so.
"""

from __future__ import annotations

from pathlib import Path

from .figure_file import atomic_save_figure

_SKIP = {"step", "epoch", "split", "seconds", "samples_per_second", "tokens_per_second", "lr"}


def plot_learning_curves(records: list[dict], directory: str | Path,
                         title: str | None = None, loss_name: str = "loss") -> list[Path]:
    """Write ``<metric>.png`` (and ``lr.png``) into ``directory``; return the files written.

    ``title`` names the run (e.g. ``"cnn-run (cnn-shapes)"``); each figure's title is it and
    the quantity drawn (``loss_name`` for the loss). Raises ImportError when matplotlib is
    missing.
    """
    import matplotlib

    matplotlib.use("Agg")  # headless: no display needed, no window opened

    from .fonts import hangul_rc

    with matplotlib.rc_context(hangul_rc()):
        return _draw_curves(records, Path(directory), title, loss_name)


def _draw_curves(records: list[dict], directory: Path, title: str | None,
                 loss_name: str) -> list[Path]:
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    series: dict[str, dict[str, tuple[list, list]]] = {}
    for record in records:
        split, step = record.get("split"), record.get("step")
        if split not in ("train", "val") or not isinstance(step, int):
            continue
        for name, value in record.items():
            if name in _SKIP and not (name == "lr" and split == "train"):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                steps, values = series.setdefault(name, {}).setdefault(split, ([], []))
                steps.append(step)
                values.append(value)
    written = []
    for name, splits in series.items():
        figure, axes = plt.subplots(figsize=(6, 4), dpi=100)
        for split, (steps, values) in splits.items():
            style = {"marker": "o", "markersize": 3} if split == "val" else {"linewidth": 1}
            axes.plot(steps, values, label="validation" if split == "val" else "training", **style)
        quantity = {"lr": "learning rate", "loss": loss_name}.get(name, name)
        axes.set_xlabel("step")
        axes.set_ylabel(quantity)
        if name in ("loss", "perplexity") and all(v > 0 for _, vs in splits.values() for v in vs):
            axes.set_yscale("log")
        axes.grid(True, alpha=0.3)
        axes.set_title(f"{title}: {quantity}" if title else quantity, fontsize=10)
        axes.legend()
        figure.tight_layout()
        written.append(atomic_save_figure(figure, directory / f"{name}.png"))
    return written
