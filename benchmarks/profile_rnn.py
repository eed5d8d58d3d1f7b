"""Time forward + backward of nnscratch's recurrent layers against torch.nn's, layer alone.

    python benchmarks/profile_rnn.py                       # every case, 2 threads, 3 rounds
    python benchmarks/profile_rnn.py --cases lstm_wide --rounds 5
    python benchmarks/profile_rnn.py --profile lstm_lm     # where nnscratch's time goes

Cases are the recurrent parts of the benchmark workloads (benchmarks/README.md): ``lstm_lm`` /
``gru_lm`` a 2-layer LSTM/GRU(256) over (35, 32, 256) inputs that need a gradient (they come
from an embedding), ``lstm_wide`` LSTM(512, 512) over (100, 64, 512) data, ``rnn_tanh``
RNN(128, 128) over (200, 32, 128) data. A step is ``out, _ = layer(x)``,
``(out * g).sum().backward()``. Each side runs in its own process (so neither framework's
threads linger in the other's timings), the two sides alternate from round to round, and a
process reports the median of its timed steps; the table shows the median over rounds and
the ratio nnscratch / PyTorch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CASES = {
    # name: (layer, input_size, hidden, layers, steps, batch, input needs grad)
    "lstm_lm": ("LSTM", 256, 256, 2, 35, 32, True),
    "gru_lm": ("GRU", 256, 256, 2, 35, 32, True),
    "lstm_wide": ("LSTM", 512, 512, 1, 100, 64, False),
    "rnn_tanh": ("RNN", 128, 128, 1, 200, 32, False),
}
MARKER = "PROFILE_RNN "


def _build(side: str, case: str):
    """(step function, framework module) for one side of one case."""
    import numpy as np

    kind, input_size, hidden, layers, steps, batch, input_grad = CASES[case]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps, batch, input_size)).astype(np.float32)
    upstream = rng.standard_normal((steps, batch, hidden)).astype(np.float32)
    if side == "torch":
        import torch

        layer = getattr(torch.nn, kind)(input_size, hidden, layers)
        tx = torch.tensor(x, requires_grad=input_grad)
        tg = torch.tensor(upstream)

        def step():
            out, _ = layer(tx)
            (out * tg).sum().backward()
    else:
        import nnscratch as ns
        import nnscratch.nn as nn

        layer = getattr(nn, kind)(input_size, hidden, layers)
        tx = ns.tensor(x, requires_grad=input_grad)
        tg = ns.tensor(upstream)

        def step():
            out, _ = layer(tx)
            (out * tg).sum().backward()
    return step


def child(side: str, case: str, threads: int, repeats: int, warmup: int, clock: str) -> None:
    """Time one side of one case in this process; print one marked JSON line."""
    timer = time.process_time if clock == "cpu" else time.perf_counter
    if side == "torch":
        import torch

        torch.set_num_threads(threads)
    step = _build(side, case)
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = timer()
        step()
        times.append(timer() - start)
    print(MARKER + json.dumps({"side": side, "case": case, "median": statistics.median(times),
                               "min": min(times)}))


def _run_child(side: str, case: str, args: argparse.Namespace) -> dict:
    env = dict(os.environ)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = str(args.threads)
    command = [sys.executable, __file__, "--child", side, "--cases", case, "--threads",
               str(args.threads), "--repeats", str(args.repeats), "--warmup", str(args.warmup),
               "--clock", args.clock]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    raise RuntimeError(f"{side} {case} failed:\n{done.stdout}\n{done.stderr}")


def profile(case: str, threads: int) -> None:
    """Run nnscratch's side under pyinstrument and print where the time goes."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    from pyinstrument import Profiler

    step = _build("nnscratch", case)
    step()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(5):
        step()
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="cpu: process CPU time, steadier on a busy machine (use 1 thread)")
    parser.add_argument("--statistic", choices=["median", "min"], default="median",
                        help="min: each process's fastest step (filters out a busy machine's stalls)")
    parser.add_argument("--child", choices=["nnscratch", "torch"])
    parser.add_argument("--profile", metavar="CASE", choices=list(CASES))
    args = parser.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    if args.child:
        child(args.child, cases[0], args.threads, args.repeats, args.warmup, args.clock)
        return 0
    if args.profile:
        profile(args.profile, args.threads)
        return 0
    print(f"forward + backward, {args.threads} threads, {args.clock} clock, median over "
          f"{args.rounds} rounds of each process's {args.statistic} of {args.repeats} steps")
    print(f"{'case':<10} {'nnscratch ms':>13} {'torch ms':>10} {'ratio':>7}")
    for case in cases:
        medians: dict = {"nnscratch": [], "torch": []}
        for round_index in range(args.rounds):
            order = ("nnscratch", "torch") if round_index % 2 == 0 else ("torch", "nnscratch")
            for side in order:
                medians[side].append(_run_child(side, case, args)[args.statistic])
        ours = statistics.median(medians["nnscratch"]) * 1e3
        theirs = statistics.median(medians["torch"]) * 1e3
        print(f"{case:<10} {ours:>13.1f} {theirs:>10.1f} {ours / theirs:>7.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
