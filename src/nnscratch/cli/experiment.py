"""``nnscratch experiment NAME|list [--quick] [--out DIR] [--device cpu|cuda] [--seed N]``: an
experiment of nnscratch/experiments/ (figures, results.json, report.md)."""

from __future__ import annotations

import argparse

from .arguments import UsageError, device_name, non_negative_int

NAME = "experiment"
HELP = ("run an experiment that makes the theory visible (figures, results.json, report.md); "
        "`nnscratch experiment list` lists them")


def configure(parser: argparse.ArgumentParser) -> None:
    from ..experiments import EXPERIMENTS

    parser.add_argument("name", metavar="NAME", help="an experiment, or `list` to list them: "
                        + ", ".join(EXPERIMENTS))
    parser.add_argument("--quick", action="store_true",
                        help="the small set-up (a couple of minutes on a CPU) instead of the papers'")
    parser.add_argument("--out", metavar="DIR", help="output folder (default "
                        "runs/experiments/NAME[-quick]); a full run resumes from the runs kept there")
    parser.add_argument("--device", type=device_name, default="cpu", metavar="cpu|cuda")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="N")


def run(args: argparse.Namespace) -> int:
    from ..experiments import EXPERIMENTS, default_out_dir, experiment_module, run_experiment

    if args.name == "list":
        for name in EXPERIMENTS:
            print(f"{name}: {experiment_module(name).SUMMARY}")
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
