"""``nnscratch experiment NAME|list [--quick] [--out DIR] [--device cpu|cuda] [--seed N]``."""

from __future__ import annotations

import argparse
import importlib

from ..cli import UsageError, command, device_name, non_negative_int
from . import EXPERIMENTS, default_out_dir, run_experiment


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="an experiment, or `list` to list them: "
                        + ", ".join(EXPERIMENTS))
    parser.add_argument("--quick", action="store_true",
                        help="the small set-up (a couple of minutes on a CPU) instead of the papers'")
    parser.add_argument("--out", metavar="DIR", help="output folder (default "
                        "runs/experiments/NAME[-quick]); a full run resumes from the runs kept there")
    parser.add_argument("--device", type=device_name, default="cpu", metavar="cpu|cuda")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="N")


@command("experiment", "run an experiment that makes the theory visible (figures, results.json, "
         "report.md); `nnscratch experiment list` lists them", _configure)
def experiment_command(args: argparse.Namespace) -> int:
    if args.name == "list":
        for name, module_name in EXPERIMENTS.items():
            module = importlib.import_module(f"{__package__}.{module_name}")
            print(f"{name}: {module.SUMMARY}")
        return 0
    if args.name not in EXPERIMENTS:
        raise UsageError(f"nnscratch experiment: unknown experiment {args.name!r}; known "
                         f"experiments: {', '.join(EXPERIMENTS)} (or `list`)")
    if args.device.startswith("cuda"):
        from .. import cuda

        if not cuda.is_available():
            raise UsageError(f"nnscratch experiment: --device {args.device} needs CuPy and a GPU")
    out = args.out or default_out_dir(args.name, args.quick)
    report = run_experiment(args.name, out, quick=args.quick, device=args.device, seed=args.seed)
    held = sum(check.holds for check in report.checks)
    print(f"{args.name}: {held} of {len(report.checks)} checked statements hold; "
          f"{report.seconds:.0f} s; report in {out}/report.md")
    return 0
