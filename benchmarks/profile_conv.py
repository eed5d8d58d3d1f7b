"""conv2d and max_pool2d of the ``cnn`` workload, nnscratch against torch.nn.functional.

Run: ``python -m benchmarks.profile_conv [--threads 2] [--repeat 15]``. For each layer shape of
the benchmark network it times the forward pass (under no_grad) and forward + backward, and
prints the best time of each side and their ratio (nnscratch / PyTorch). The nnscratch inputs
of the second conv and of both poolings are stored channels-last, as the previous conv leaves
them; the data input of the first conv needs no gradient, as in training, and the other inputs
are outputs of an op (not leaves), so no gradient is accumulated into a leaf.
"""

from __future__ import annotations

import argparse
import os
import time


def _best(fn, repeat: int, setup=lambda: None) -> float:
    """Best time of ``fn(setup())`` in ms; ``setup`` runs outside the timed region."""
    fn(setup())  # warm up
    times = []
    for _ in range(repeat):
        argument = setup()
        start = time.perf_counter()
        fn(argument)
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def _cases(np, rng):
    def array(*shape, channels_last=False):
        a = rng.standard_normal(shape).astype(np.float32)
        return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2) \
            if channels_last else a

    yield ("conv1 1->32 28x28", "conv", array(128, 1, 28, 28), False,
           (array(32, 1, 3, 3) * 0.3, array(32)), array(128, 32, 28, 28, channels_last=True))
    yield ("conv2 32->64 14x14", "conv", array(128, 32, 14, 14, channels_last=True), True,
           (array(64, 32, 3, 3) * 0.06, array(64)), array(128, 64, 14, 14, channels_last=True))
    yield ("pool1 32x28x28", "pool", array(128, 32, 28, 28, channels_last=True), True, (),
           array(128, 32, 14, 14, channels_last=True))
    yield ("pool2 64x14x14", "pool", array(128, 64, 14, 14, channels_last=True), True, (),
           array(128, 64, 7, 7))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    import numpy as np
    import torch
    import torch.nn.functional as TF

    import nnscratch as ns
    import nnscratch.nn.functional as F

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"{'case':22} {'fwd ns':>8} {'fwd torch':>9} {'ratio':>6} | "
          f"{'f+b ns':>8} {'f+b torch':>9} {'ratio':>6}")
    for name, kind, x, x_grad, params, grad in _cases(np, rng):
        sides = {}
        for lib, tensor, fn, no_grad in (
            ("ns", ns.tensor, F, ns.no_grad), ("torch", torch.tensor, TF, torch.no_grad),
        ):
            xt = tensor(x, requires_grad=x_grad)
            pt = [tensor(p, requires_grad=True) for p in params]
            gt = tensor(grad)

            def forward(h, fn=fn, pt=pt, kind=kind):
                if kind == "conv":
                    return fn.conv2d(h, *pt, padding=1)
                return fn.max_pool2d(h, 2)

            def step(h, forward=forward, gt=gt):
                forward(h).backward(gt)

            # as inside a network, the input is the output of an op (x·1), not a leaf
            def setup(xt=xt, x_grad=x_grad):
                return xt * 1.0 if x_grad else xt

            with no_grad():
                fwd = _best(forward, args.repeat, lambda xt=xt: xt)
            sides[lib] = (fwd, _best(step, args.repeat, setup))
        (nf, nb), (tf, tb) = sides["ns"], sides["torch"]
        print(f"{name:22} {nf:8.2f} {tf:9.2f} {nf / tf:6.2f} | {nb:8.2f} {tb:9.2f} {nb / tb:6.2f}")


if __name__ == "__main__":
    main()
