"""``gemm``: one float32 matrix product C = A @ B, n x n x n (n = 2048), numpy vs PyTorch.

Not a model: it measures the machine's float32 matrix-product peak in the same run as the
workloads (each framework with the same number of threads), the yardstick of the "% of peak"
columns. The "nnscratch" side is plain numpy (the BLAS that nnscratch calls on the CPU, or
CuPy's on a GPU).
"""

from __future__ import annotations

from .base import Step, Workload, normal, torch_step_parts

SIZES = {"full": {"n": 2048}, "small": {"n": 64}}


def flops(config: dict) -> float:
    """2·n³: n³ multiply-adds."""
    return 2.0 * config["n"] ** 3


def _operands(config: dict) -> tuple:
    n = config["n"]
    return normal("a", (n, n)), normal("b", (n, n))


def build_numpy(config: dict, device: str) -> Step:
    import numpy

    a, b = _operands(config)
    synchronize = lambda: None  # noqa: E731
    xp = numpy
    if device == "cuda":
        import cupy

        xp, a, b = cupy, cupy.asarray(a), cupy.asarray(b)
        synchronize = cupy.cuda.Device().synchronize
    out = xp.empty_like(a)
    return Step(lambda: xp.matmul(a, b, out=out), lambda _: None, synchronize)


def build_torch(config: dict, device: str) -> Step:
    torch, synchronize = torch_step_parts(device)
    a, b = (torch.from_numpy(m).to(device) for m in _operands(config))
    out = torch.empty_like(a)
    return Step(lambda: torch.mm(a, b, out=out), lambda _: None, synchronize)


WORKLOAD = Workload(
    name="gemm",
    description="float32 GEMM 2048x2048x2048: numpy (nnscratch's BLAS) vs PyTorch, the peak yardstick",
    sizes=SIZES,
    flops=flops,
    build_nnscratch=build_numpy,
    build_reference=build_torch,
    training=False,
)
