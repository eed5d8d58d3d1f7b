"""Shared checks for the optimiser tests: trajectories and state dicts against PyTorch.

A small problem with three parameters (a matrix, a vector, a scalar-ish vector) is optimised
by nnscratch and by PyTorch from the same starting values, either on a quadratic loss
computed by each library's own ops (so every step's gradient depends on the previous update)
or with the same random gradients fed to both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import nnscratch as ns

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-6, atol=2e-6)}
SHAPES = [(3, 4), (4,), (5,)]


def initial_values(dtype: str, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def problem_data(dtype: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(99)
    return {
        "target": rng.standard_normal(3).astype(dtype),
        "weights": rng.uniform(0.5, 2.0, size=5).astype(dtype),
    }


def quadratic_loss(lib: Any, params: list, data: dict) -> Any:
    """``|A b - t|² + 0.1 |A|² + Σ w c² / 2`` in either library (same operator code)."""
    a, b, c = params
    residual = a @ b - lib.tensor(data["target"])
    return (residual * residual).sum() + (a * a).sum() * 0.1 + (lib.tensor(data["weights"]) * c * c).sum() * 0.5


def make_params(values: list[np.ndarray]) -> tuple[list, list]:
    ns_params = [ns.nn.Parameter(ns.tensor(v)) for v in values]
    torch_params = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    return ns_params, torch_params


def split_groups(params: list, group_options: list[dict] | None) -> Any:
    """The plain parameter list, or groups {params: [...], **options} (one per options dict)."""
    if group_options is None:
        return params
    return [{"params": [params[0]], **group_options[0]},
            {"params": params[1:], **group_options[1]}]


class Run:
    """One optimiser on one copy of the problem, in either library."""

    def __init__(self, lib: Any, params: list, optimizer: Any, data: dict, mode: str, dtype: str):
        self.lib, self.params, self.optimizer = lib, params, optimizer
        self.data, self.mode, self.dtype = data, mode, dtype

    def step(self, index: int) -> None:
        self.optimizer.zero_grad()
        if self.mode == "loss":  # maximize: climb the negated loss, so both runs converge
            sign = -1.0 if self.optimizer.param_groups[0].get("maximize") else 1.0
            (quadratic_loss(self.lib, self.params, self.data) * sign).backward()
        else:  # the same random gradients in both libraries; p[1] gets none on odd steps
            rng = np.random.default_rng(1000 + index)
            for position, p in enumerate(self.params):
                g = rng.standard_normal(tuple(p.shape)).astype(self.dtype)
                if position == 1 and index % 2 == 1:
                    continue
                p.grad = self.lib.tensor(g)
        self.optimizer.step()

    def values(self) -> list[np.ndarray]:
        return [p.detach().numpy().copy() for p in self.params]


def start_runs(
    ns_factory: Callable, torch_factory: Callable, dtype: str, mode: str,
    group_options: list[dict] | None = None,
) -> tuple[Run, Run]:
    values = initial_values(dtype)
    data = problem_data(dtype)
    ns_params, torch_params = make_params(values)
    ns_opt = ns_factory(split_groups(ns_params, group_options))
    torch_opt = torch_factory(split_groups(torch_params, group_options))
    return (Run(ns, ns_params, ns_opt, data, mode, dtype),
            Run(torch, torch_params, torch_opt, data, mode, dtype))


def assert_same_values(ours: Run, theirs: Run, dtype: str, what: str) -> None:
    for index, (a, b) in enumerate(zip(ours.values(), theirs.values())):
        assert a.dtype == np.dtype(dtype), f"{what}: parameter {index} became {a.dtype}"
        assert np.isfinite(b).all(), f"{what}: PyTorch's run diverged (a useless test)"
        np.testing.assert_allclose(a, b, err_msg=f"{what}: parameter {index}", **TOLERANCES[dtype])


def check_trajectory(
    ns_factory: Callable, torch_factory: Callable, dtype: str, mode: str = "loss",
    steps: int = 10, group_options: list[dict] | None = None,
) -> tuple[Run, Run]:
    """Every parameter equals PyTorch's after each of ``steps`` steps."""
    ours, theirs = start_runs(ns_factory, torch_factory, dtype, mode, group_options)
    for index in range(steps):
        ours.step(index)
        theirs.step(index)
        assert_same_values(ours, theirs, dtype, f"after step {index + 1} ({mode}, {dtype})")
    return ours, theirs


def to_torch_state(state_dict: dict) -> dict:
    """Our state dict with Tensors turned into torch tensors (for torch's load_state_dict)."""
    def convert(value: Any) -> Any:
        return torch.tensor(value.numpy().copy()) if isinstance(value, ns.Tensor) else value

    return {
        "state": {k: {kk: convert(vv) for kk, vv in v.items()} for k, v in state_dict["state"].items()},
        "param_groups": [dict(g) for g in state_dict["param_groups"]],
    }


def check_state_dict(ns_factory: Callable, torch_factory: Callable, dtype: str = "float64",
                     mode: str = "loss") -> None:
    """Mid-run state dict: PyTorch's layout; reloading continues identically; crosses to and
    from PyTorch."""
    ours, theirs = start_runs(ns_factory, torch_factory, dtype, mode)
    for index in range(5):
        ours.step(index)
        theirs.step(index)
    saved = ours.optimizer.state_dict()
    reference = theirs.optimizer.state_dict()

    # PyTorch's layout: same positions, same state names and shapes, same hyper-parameters
    assert set(saved) == {"state", "param_groups"}
    assert sorted(saved["state"]) == sorted(reference["state"])
    for position, values in reference["state"].items():
        assert set(saved["state"][position]) == set(values), position
        for key, value in values.items():
            np.testing.assert_allclose(saved["state"][position][key].numpy(), value.numpy(),
                                       **TOLERANCES[dtype])
    for ours_group, torch_group in zip(saved["param_groups"], reference["param_groups"]):
        assert ours_group["params"] == torch_group["params"]
        for key, value in ours_group.items():
            assert torch_group[key] == value, key

    # a fresh optimiser over copies of the parameters continues exactly like the original
    copies = [ns.nn.Parameter(ns.tensor(v)) for v in ours.values()]
    resumed = Run(ns, copies, ns_factory(copies), ours.data, mode, dtype)
    resumed.optimizer.load_state_dict(saved)
    # loading from PyTorch's own state dict continues like PyTorch
    from_torch = [ns.nn.Parameter(ns.tensor(v)) for v in theirs.values()]
    crossed = Run(ns, from_torch, ns_factory(from_torch), ours.data, mode, dtype)
    crossed.optimizer.load_state_dict(reference)
    # and PyTorch continues from ours
    torch_copies = [torch.nn.Parameter(torch.tensor(v)) for v in ours.values()]
    torch_resumed = Run(torch, torch_copies, torch_factory(torch_copies), ours.data, mode, dtype)
    torch_resumed.optimizer.load_state_dict(to_torch_state(saved))
    for index in range(5, 10):
        for run in (ours, theirs, resumed, crossed, torch_resumed):
            run.step(index)
        for a, b in zip(ours.values(), resumed.values()):
            np.testing.assert_array_equal(a, b)
        assert_same_values(crossed, theirs, dtype, f"loaded from PyTorch, step {index + 1}")
        assert_same_values(ours, torch_resumed, dtype, f"PyTorch loaded ours, step {index + 1}")
