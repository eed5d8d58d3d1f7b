"""The Trainer's overhead over a bare loop, measured in one process with interleaved blocks.

    python -m benchmarks.trainer_overhead [--rounds 15] [--block 20] [--threads 2]

The ``mlp_trainer`` row of the benchmark table compares the two in separate processes, like
every row; but the Trainer's own cost is microseconds on a ~20 ms step, far below the drift
between two processes on a shared machine (their round medians differ by 10-50%). Here both
run in the same process, alternating blocks of ``--block`` steps (Trainer, loop, Trainer,
loop, …), so drift hits both alike; each round compares the medians of two neighbouring
blocks and the result is the median over rounds of those ratios. The same is done on a tiny
model (Linear(4, 3), batch 8), where the step costs almost nothing, to show the engine's
absolute cost per step in microseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
from collections.abc import Callable


def _tiny_sides() -> tuple[Callable[[int], list], Callable[[int], list]]:
    """Trainer and bare-loop step timers for Linear(4, 3) on one batch of 8."""
    import nnscratch as ns
    from nnscratch.train import Trainer

    from .workloads.mlp_trainer import durations, step_clock

    ns.manual_seed(0)
    model, criterion = ns.nn.Linear(4, 3), ns.nn.CrossEntropyLoss()
    optimizer = ns.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batch = (ns.randn(8, 4), ns.randint(0, 3, (8,)))

    def trainer(steps: int) -> list:
        clock = step_clock()
        Trainer(model, criterion, optimizer, [batch] * steps, epochs=1, callbacks=[clock],
                progress="off", plots=False).fit()
        return durations(clock.stamps)

    def loop(steps: int) -> list:
        stamps = [time.perf_counter()]
        for x, y in [batch] * steps:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            stamps.append(time.perf_counter())
        return durations(stamps)

    return trainer, loop


def _mlp_sides() -> tuple[Callable[[int], list], Callable[[int], list]]:
    """The ``mlp_trainer`` workload's two sides (full size), built in this process."""
    from .workloads import get

    workload = get("mlp_trainer")
    config = workload.config("full")
    run_trainer = workload.build_nnscratch(config, "cpu").run_many
    loop = workload.build_reference(config, "cpu").run_many

    def trainer(steps: int) -> list:
        with contextlib.redirect_stdout(io.StringIO()):  # the workload's plain progress line
            return run_trainer(steps)

    return trainer, loop


def interleave(trainer: Callable[[int], list], loop: Callable[[int], list], rounds: int,
               block: int, warmup: int = 3) -> dict:
    """Alternate blocks of each; per round the ratio of the two blocks' median step times."""
    trainer(warmup), loop(warmup)
    trainer_ms, loop_ms, ratios = [], [], []
    for round_index in range(rounds):
        if round_index % 2:  # alternate which side goes first
            b, a = loop(block), trainer(block)
        else:
            a, b = trainer(block), loop(block)
        a, b = statistics.median(a), statistics.median(b)
        trainer_ms.append(a * 1e3)
        loop_ms.append(b * 1e3)
        ratios.append(a / b)
    trainer_median, loop_median = statistics.median(trainer_ms), statistics.median(loop_ms)
    return {"trainer_ms": trainer_median, "loop_ms": loop_median,
            "overhead_us": (trainer_median - loop_median) * 1e3,
            "paired_ratio": statistics.median(ratios)}


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.trainer_overhead",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--block", type=int, default=20, help="steps per block (default 20)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads (set before numpy loads; default: numpy's own)")
    args = parser.parse_args(argv)
    if args.threads is not None and "numpy" in sys.modules:
        print("--threads must be set before numpy is imported", file=sys.stderr)
        return 2
    if args.threads is not None:
        for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = str(args.threads)
    for name, sides, block in (("tiny Linear(4,3), batch 8", _tiny_sides(), 50 * args.block),
                               ("mlp (the mlp_trainer workload)", _mlp_sides(), args.block)):
        result = interleave(*sides, rounds=args.rounds, block=block)
        print(f"{name}: Trainer {result['trainer_ms']:.4g} ms/step, bare loop "
              f"{result['loop_ms']:.4g} ms/step, overhead {result['overhead_us']:+.1f} µs/step, "
              f"paired ratio {result['paired_ratio']:.4f} ({args.rounds} rounds of {block} steps)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
