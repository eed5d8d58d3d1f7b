"""Experiments that make the theory of training deep and recurrent networks visible.

Each experiment is one module that defines ``TITLE``, ``SUMMARY``, a ``Settings`` dataclass
with ``quick()`` (a couple of minutes on two CPU cores, used in CI) and ``full()`` (the set-ups
of the original papers where they fit on a CPU) constructors, and
``run(settings, out_dir, device, seed) -> Report``. The registry below maps the command-line name to
the module; :func:`run_experiment` seeds the library, runs, and writes figures,
``results.json`` and ``report.md`` into the output folder.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from .. import backend
from ..threads import single_blas_thread

# command-line name -> module of nnscratch.experiments
EXPERIMENTS = {
    "vanishing-gradient": "vanishing_gradient",
    "long-term-memory": "long_term_memory",
    "exploding-gradient": "exploding_gradient",
    "dropout": "dropout",
    "truncated-bptt": "truncated_bptt",
}


def experiment_module(name: str) -> ModuleType:
    """The module of the experiment called ``name``; ValueError naming the known ones."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; known experiments: {', '.join(EXPERIMENTS)}")
    return importlib.import_module(f".{EXPERIMENTS[name]}", __name__)


def default_out_dir(name: str, quick: bool) -> Path:
    return Path("runs") / "experiments" / (f"{name}-quick" if quick else name)


def run_experiment(name: str, out: str | Path | None = None, quick: bool = False,
                   device: str = "cpu", seed: int = 0, settings: Any = None) -> Any:
    """Run one experiment and write its folder; return its :class:`~.report.Report`.

    ``settings`` overrides the quick/full presets (tests use smaller ones).
    """
    module = experiment_module(name)
    if settings is None:
        settings = module.Settings.quick() if quick else module.Settings.full()
    out = Path(out) if out is not None else default_out_dir(name, quick)
    out.mkdir(parents=True, exist_ok=True)
    backend.manual_seed(seed)
    start, cpu_start = time.perf_counter(), time.process_time()
    with single_blas_thread():  # small matrices: one BLAS thread is faster (see nnscratch/threads.py)
        report = module.run(settings, out, device, seed)
    report.seed, report.quick, report.device = seed, quick, str(device)
    report.seconds = time.perf_counter() - start
    report.cpu_seconds = time.process_time() - cpu_start
    report.write(out)
    return report


__all__ = ["EXPERIMENTS", "experiment_module", "run_experiment", "default_out_dir"]
