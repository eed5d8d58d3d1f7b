"""One side of one workload, timed in a process of its own: ``python -m benchmarks.child``.

The runner starts one of these per framework per round with the thread variables already in
its environment. It builds the side (importing only that side's framework: the nnscratch
process never imports torch), runs the first step and records its loss, runs the remaining
warm-up steps, times ``--steps`` steps one by one, and prints one line
``BENCHMARK_RESULT {json}`` with the step times, the first-step loss, the process's peak
resident memory (``ru_maxrss``) and the thread counts it ran with.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import traceback
from typing import Any

MARKER = "BENCHMARK_RESULT "
SIDES = ("nnscratch", "reference")


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


def _float32_problems(model: Any) -> list:
    """Names of parameters or gradients of the nnscratch side that are not float32."""
    problems = []
    for name, parameter in model.named_parameters():
        if str(parameter.dtype) != "float32":
            problems.append(f"{name}: {parameter.dtype}")
        if parameter.grad is not None and str(parameter.grad.dtype) != "float32":
            problems.append(f"{name}.grad: {parameter.grad.dtype}")
    return problems


def measure(name: str, side: str, size: str, steps: int, warmup: int, threads: int, device: str) -> dict:
    """Build and time one side; always returns a result dict (status ok/unavailable/error)."""
    from .workloads import get
    from .workloads.base import UnavailableError, check_available

    workload = get(name)
    result: dict = {"workload": name, "side": side, "status": "ok"}
    uses_torch = side == "reference" and workload.reference == "torch"
    try:
        if side == "nnscratch":
            check_available(workload.requires)
            build = workload.build_nnscratch
        else:
            build = workload.build_reference
        if uses_torch:
            import torch

            torch.set_num_threads(threads)
            result["torch_threads"] = torch.get_num_threads()
        step = build(workload.config(size), device)
        if "nnscratch" in sys.modules:  # a process of nnscratch's own, as the CLI and Trainer.fit
            from nnscratch import memory

            memory.apply_default()  # keep freed buffers (NNSCRATCH_KEEP_FREED_MEMORY=0: glibc's own)
    except UnavailableError as reason:
        return {**result, "status": "unavailable", "reason": str(reason)}
    except Exception as error:  # noqa: BLE001 - reported as an error row, not a crash
        return {**result, "status": "error", "reason": _describe(error)}

    try:
        if step.run_many is not None:  # a loop of its own: warm-up and timed steps in one go
            times = step.run_many(warmup + steps)[warmup:]
            result["first_loss"] = step.loss_of(None)
        else:
            times, result["first_loss"] = _time_steps(step, steps, warmup)
    except Exception as error:  # noqa: BLE001
        return {**result, "status": "error", "reason": _describe(error)}

    from .threads import blas_threads

    result.update(times=times, peak_rss_bytes=_peak_rss_bytes(), blas_threads=blas_threads())
    result["torch_imported"] = "torch" in sys.modules
    if "nnscratch" in sys.modules:  # the allocator setting this process ran with
        result["keep_freed_memory"] = sys.modules["nnscratch"].memory.applied
    if side == "nnscratch" and result["torch_imported"]:
        result.update(status="error", reason="torch was imported in the nnscratch process")
    if side == "nnscratch" and step.model is not None:
        result["float32_problems"] = _float32_problems(step.model)
    return result


def _time_steps(step: Any, steps: int, warmup: int) -> tuple:
    """Run the warm-up steps, then time ``steps`` one by one: (durations, first-step loss)."""
    first = step.run()
    step.synchronize()
    first_loss = step.loss_of(first)
    del first
    for _ in range(warmup - 1):
        step.run()
    step.synchronize()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step.run()
        step.synchronize()
        times.append(time.perf_counter() - start)
    return times, first_loss


def _describe(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename.split('/')[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.child", description=__doc__)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--side", choices=SIDES, required=True)
    parser.add_argument("--size", default="full")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    result = measure(args.workload, args.side, args.size, args.steps, max(args.warmup, 1),
                     args.threads, args.device)
    print(MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
