"""The benchmark runner: ``python -m benchmarks [--workloads mlp,cnn] [--rounds 5] [--json]``.

For every workload it times the nnscratch side and the reference side (PyTorch) in separate
processes (one process per side per round, the order alternating from round to round so that
drift in the machine's load hits both alike), each after warm-up steps, and prints a markdown
table of the medians (see report.py). Every run also times a float32 2048³ GEMM in numpy and in
PyTorch: the machine's peak, against which the "% peak" columns are read.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from . import report
from .child import MARKER, SIDES
from .threads import default_threads, thread_environment
from .workloads import MODULES, PEAK

REPOSITORY = Path(__file__).resolve().parent.parent


def parse_arguments(argv: list | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time nnscratch against PyTorch on the same models, weights and batches.",
    )
    parser.add_argument("--workloads", default=",".join(MODULES),
                        help=f"comma-separated names (default: all): {', '.join(MODULES)}")
    parser.add_argument("--rounds", type=int, default=5, help="processes per side (default 5)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per process (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP threads of both frameworks (default: what numpy's BLAS uses)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--size", choices=("full", "small"), default="full",
                        help="'small' shrinks every workload (a quick check of the machinery)")
    parser.add_argument("--no-peak", action="store_true", help="skip the 2048³ GEMM peak measurement")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per process")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the markdown table")
    parser.add_argument("--return-freed-memory", action="store_true",
                        help="nnscratch processes run with glibc's own allocator behaviour "
                             "(NNSCRATCH_KEEP_FREED_MEMORY=0) instead of the library's default, "
                             "which keeps freed buffers for reuse (nnscratch/memory.py)")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.workloads.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODULES and name != PEAK]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(MODULES)}")
    if args.rounds < 1 or args.steps < 1 or args.warmup < 1:
        parser.error("--rounds, --steps and --warmup must be at least 1")
    args.names = [name for name in names if name != PEAK]
    return args


def run_side(name: str, side: str, args: argparse.Namespace) -> dict:
    """Start one child process for one side of one workload and return its result dict."""
    command = [
        sys.executable, "-m", "benchmarks.child", "--workload", name, "--side", side,
        "--size", args.size, "--steps", str(args.steps), "--warmup", str(args.warmup),
        "--threads", str(args.threads), "--device", args.device,
    ]
    environment = thread_environment(args.threads)
    if args.return_freed_memory:
        environment["NNSCRATCH_KEEP_FREED_MEMORY"] = "0"
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPOSITORY), environment.get("PYTHONPATH", "")])
    )
    base = {"workload": name, "side": side}
    try:
        finished = subprocess.run(command, cwd=REPOSITORY, env=environment, capture_output=True,
                                  text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {**base, "status": "error", "reason": f"timed out after {args.timeout:.0f} s"}
    for line in reversed(finished.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    tail = (finished.stderr.strip().splitlines() or ["no output"])[-1]
    return {**base, "status": "error", "reason": f"process exited {finished.returncode}: {tail}"}


def summarise(results: list) -> dict:
    """Combine one side's per-round results: median of the per-round median step times."""
    failed = [r for r in results if r["status"] != "ok"]
    if failed:
        return {"status": failed[0]["status"], "reason": failed[0]["reason"]}
    round_medians = [statistics.median(r["times"]) for r in results]
    first_losses = [r["first_loss"] for r in results]
    summary = {
        "status": "ok",
        "median_s": statistics.median(round_medians),
        "round_medians_s": round_medians,
        "best_s": min(min(r["times"]) for r in results),
        "first_loss": first_losses[0],
        "first_loss_varies": len(set(first_losses)) > 1,
        "peak_rss_bytes": max(r["peak_rss_bytes"] for r in results),
        "blas_threads": results[0].get("blas_threads"),
        "torch_threads": results[0].get("torch_threads"),
        "keep_freed_memory": results[0].get("keep_freed_memory"),
    }
    problems = sorted({p for r in results for p in r.get("float32_problems", [])})
    if problems:
        summary["float32_problems"] = problems
    return summary


def measure_all(args: argparse.Namespace) -> dict:
    """Run every round: per round, each workload's two sides in alternating order.

    Returns ``{workload: {side: summary}}``; a workload whose side fails or is not available
    is not started again in later rounds.
    """
    names = ([] if args.no_peak else [PEAK]) + args.names
    results: dict = {name: {side: [] for side in SIDES} for name in names}
    given_up: dict = {}
    for round_index in range(args.rounds):
        order = SIDES if round_index % 2 == 0 else tuple(reversed(SIDES))
        for name in names:
            if name in given_up:
                continue
            for side in order:
                result = run_side(name, side, args)
                results[name][side].append(result)
                _progress(round_index, args.rounds, name, side, result)
                if result["status"] != "ok":
                    given_up[name] = result
                    break
    skipped = {"status": "skipped", "reason": "the other side failed first"}
    return {
        name: {side: summarise(runs) if runs else skipped for side, runs in sides.items()}
        for name, sides in results.items()
    }


def _progress(round_index: int, rounds: int, name: str, side: str, result: dict) -> None:
    if result["status"] == "ok":
        detail = f"{statistics.median(result['times']) * 1e3:.2f} ms"
    else:
        detail = f"{result['status']}: {result['reason']}"
    print(f"[round {round_index + 1}/{rounds}] {name:<14} {side:<9} {detail}", file=sys.stderr, flush=True)


def _load_average() -> float | None:
    """The 1-minute load average (runnable processes), where the system reports one."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def main(argv: list | None = None) -> int:
    args = parse_arguments(argv)
    if args.device == "cuda" and importlib.util.find_spec("cupy") is None:
        print("--device cuda needs CuPy, which is not installed here "
              "(pip install 'nnscratch[gpu]', on a machine with an NVIDIA GPU); "
              "run without --device for the CPU benchmarks.", file=sys.stderr)
        return 2
    if args.threads is None:
        args.threads = default_threads()
    started, load_before = time.time(), _load_average()
    measured = measure_all(args)
    table = report.build(measured, args, seconds=time.time() - started)
    table["meta"]["load_average"] = [load_before, _load_average()]
    print(json.dumps(table, indent=2) if args.json else report.markdown(table))
    return 1 if any(row.get("problem") for row in table["rows"]) else 0
