"""Where a workload's step time goes, op by op, on the nnscratch side.

    python -m benchmarks.profile_workload lstm_lm [--steps 10] [--threads 2] [--rows 12]
    python -m benchmarks.profile_workload all          # every workload, one table each

It builds the workload's nnscratch side (the same model, weights and batch as the benchmark
table), runs warm-up steps, then ``--steps`` steps inside ``ns.autograd.profiler.profile`` and
prints the step time and a table of each op's forward and backward *self* time and its share
of the step; the last row is the time outside ops (module calls, the optimiser, the engine's
bookkeeping). ``--pyinstrument`` also prints a pyinstrument call tree when it is installed
(``pip install pyinstrument``), for the Python-level view.
"""

from __future__ import annotations

import argparse
import os
import sys


def profile_workload(name: str, steps: int, rows: int, pyinstrument: bool) -> str:
    """The markdown report for one workload."""
    import nnscratch as ns

    from .workloads import get

    workload = get(name)
    step = workload.build_nnscratch(workload.config("full"), "cpu")
    if step.run is None:
        return f"## {name}\n\nruns its own loop (run_many); profile the workload it wraps.\n"
    for _ in range(3):
        step.run()
    profiler = None
    if pyinstrument:
        try:
            from pyinstrument import Profiler
        except ImportError:
            print("pyinstrument is not installed; op table only", file=sys.stderr)
        else:
            profiler = Profiler()
            profiler.start()
    with ns.autograd.profiler.profile() as prof:
        for _ in range(steps):
            step.run()
    if profiler is not None:
        profiler.stop()
    milliseconds = prof.seconds / steps * 1e3
    text = (f"## {name}\n\n{workload.description}\n\n{milliseconds:.1f} ms per step "
            f"({steps} steps); {100 * prof.op_seconds / prof.seconds:.0f}% inside ops.\n\n"
            f"{prof.table(row_limit=rows)}\n")
    if profiler is not None:
        text += "\n```\n" + profiler.output_text(unicode=True, color=False) + "```\n"
    return text


def main(argv: list | None = None) -> int:
    from .workloads import MODULES

    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_workload",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", help="a workload name, or `all`: " + ", ".join(MODULES))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rows", type=int, default=12, help="ops shown per table (default 12)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads (set before numpy loads; default: numpy's own)")
    parser.add_argument("--pyinstrument", action="store_true", help="also print a call tree")
    args = parser.parse_args(argv)
    if args.threads is not None:
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = str(args.threads)
    names = [n for n in MODULES if n not in ("gemm", "mlp_trainer")] if args.workload == "all" \
        else [args.workload]
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        parser.error(f"unknown workload {unknown[0]!r}; known: {', '.join(MODULES)}")
    for name in names:
        print(profile_workload(name, args.steps, args.rows, args.pyinstrument))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
