"""``nnscratch evaluate RUN_DIR [--json] [--device cpu|cuda]``: a run's metrics on its test data."""

from __future__ import annotations

import argparse

from .arguments import device_name

NAME = "evaluate"
HELP = "evaluate a run's final weights on its test data"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder made by `train`")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--device", type=device_name, metavar="cpu|cuda",
                        help="where to evaluate (default: the run's device)")


def run(args: argparse.Namespace) -> int:
    import json

    from ..recipes.launch import evaluate
    from ..train.run import finite_or_none

    metrics = evaluate(args.run_dir, device=args.device)
    if args.json:
        print(json.dumps(finite_or_none(metrics)))
    else:
        print("  ".join(f"{name} {value:.4g}" for name, value in metrics.items()))
    return 0
