"""One harness for every op and layer: compare with PyTorch, forward and backward.

``check_op`` takes numpy inputs, runs the nnscratch function and the PyTorch reference on them
(float inputs require grad), compares every output, then back-propagates the same random
upstream gradient through both and compares every input gradient. ``check_module`` does the
same for a layer, copying the PyTorch layer's weights in and comparing every parameter's
gradient by name. Both run in float64 (tight) and float32.

Both take ``device`` ("cpu" by default): the nnscratch side runs there and PyTorch stays on the
CPU as the oracle, so one test checks the GPU path too. Tests take conftest's ``device`` fixture
(cpu, and cuda where CuPy sees a GPU; skipped otherwise) to run on every device there is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

import nnscratch as ns

TOLERANCES = {"float64": dict(rtol=1e-10, atol=1e-10), "float32": dict(rtol=1e-5, atol=1e-5)}


def _as_tuple(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _is_float_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _assert_close(actual: Any, expected: Any, what: str, tol: dict) -> None:
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), err_msg=what, **tol)


def _upstream(outputs: Sequence[Any], rng: np.random.Generator, dtype: str) -> list:
    return [
        rng.standard_normal(o.shape).astype(dtype) if o is not None and o.dtype.kind == "f" else None
        for o in outputs
    ]


def check_op(
    ns_fn: Callable,
    torch_fn: Callable,
    inputs: Sequence[Any],
    dtypes: Sequence[str] = ("float64", "float32"),
    tol: dict | None = None,
    seed: int = 0,
    grad: bool = True,
    device: str = "cpu",
) -> None:
    """Outputs and input gradients of ``ns_fn(*inputs)`` on ``device`` equal
    ``torch_fn(*inputs)``'s on the CPU."""
    for dtype in dtypes:
        tolerance = (tol or {}).get(dtype, TOLERANCES[dtype])
        rng = np.random.default_rng(seed)
        ns_args, torch_args = [], []
        for value in inputs:
            if _is_float_array(value):
                array = value.astype(dtype)
                ns_args.append(ns.tensor(array, device=device, requires_grad=grad))
                torch_args.append(torch.tensor(array, requires_grad=grad))
            elif isinstance(value, np.ndarray):
                ns_args.append(ns.tensor(value, device=device))
                torch_args.append(torch.tensor(value))
            else:
                ns_args.append(value)
                torch_args.append(value)
        ns_out = _as_tuple(ns_fn(*ns_args))
        torch_out = _as_tuple(torch_fn(*torch_args))
        assert len(ns_out) == len(torch_out), f"{len(ns_out)} outputs, PyTorch gives {len(torch_out)}"
        for k, (a, b) in enumerate(zip(ns_out, torch_out)):
            assert tuple(a.shape) == tuple(b.shape), f"output {k}: shape {a.shape} vs {tuple(b.shape)}"
            assert a.device == ns.device(device), f"output {k}: on {a.device}, not {device}"
            if b.dtype.is_floating_point:
                assert str(a.dtype) == str(b.dtype).replace("torch.", ""), (
                    f"output {k}: dtype {a.dtype} vs {b.dtype}"
                )
            _assert_close(a.numpy(), b.detach().numpy(), f"{dtype} output {k}", tolerance)
        if not grad:
            continue
        seeds = _upstream([b.detach().numpy() for b in torch_out], rng, dtype)
        ns_total = torch_total = None
        for a, b, g in zip(ns_out, torch_out, seeds):
            if g is None or not b.requires_grad:
                continue
            ns_term = (a * ns.tensor(g, device=device)).sum()
            torch_term = (b * torch.tensor(g)).sum()
            ns_total = ns_term if ns_total is None else ns_total + ns_term
            torch_total = torch_term if torch_total is None else torch_total + torch_term
        if torch_total is None:
            continue
        ns_total.backward()
        torch_total.backward()
        for k, (a, b) in enumerate(zip(ns_args, torch_args)):
            if isinstance(b, torch.Tensor) and b.requires_grad:
                expected = b.grad
                if expected is None:
                    assert a.grad is None or not np.any(a.grad.numpy()), f"input {k}: grad"
                    continue
                assert a.grad is not None, f"{dtype}: input {k} got no gradient"
                assert a.grad.dtype == a.dtype, f"input {k}: grad dtype {a.grad.dtype}"
                _assert_close(a.grad.numpy(), expected.numpy(), f"{dtype} grad of input {k}", tolerance)


def copy_weights(ns_module: Any, torch_module: torch.nn.Module) -> None:
    """Load a PyTorch module's state into the nnscratch module (as numpy arrays)."""
    state = {k: v.detach().numpy().copy() for k, v in torch_module.state_dict().items()}
    ns_module.load_state_dict(state)


def check_module(
    ns_module: Any,
    torch_module: torch.nn.Module,
    inputs: Sequence[Any],
    dtypes: Sequence[str] = ("float64", "float32"),
    tol: dict | None = None,
    seed: int = 0,
    call: Callable | None = None,
    randomize_biases: bool = True,
    device: str = "cpu",
) -> None:
    """A layer equals its PyTorch twin: outputs, input grads and every parameter's grad.

    ``call(module, *inputs)`` may adapt the call (default ``module(*inputs)``). Biases are
    randomised first: a bias bug hides behind zero biases.
    """
    call = call or (lambda module, *args: module(*args))
    if randomize_biases:
        with torch.no_grad():
            gen = torch.Generator().manual_seed(seed)
            for name, p in torch_module.named_parameters():
                if "bias" in name:
                    p.copy_(torch.rand(p.shape, generator=gen, dtype=p.dtype) - 0.5)
    for dtype in dtypes:
        tolerance = (tol or {}).get(dtype, TOLERANCES[dtype])
        torch_module.to(getattr(torch, dtype))
        ns_module.to(getattr(ns, dtype))
        copy_weights(ns_module, torch_module)
        ns_module.to(device)
        torch_module.zero_grad()
        ns_module.zero_grad()
        rng = np.random.default_rng(seed)
        ns_args, torch_args = [], []
        for value in inputs:
            if _is_float_array(value):
                array = value.astype(dtype)
                ns_args.append(ns.tensor(array, device=device, requires_grad=True))
                torch_args.append(torch.tensor(array, requires_grad=True))
            elif isinstance(value, np.ndarray):
                ns_args.append(ns.tensor(value, device=device))
                torch_args.append(torch.tensor(value))
            else:
                ns_args.append(value)
                torch_args.append(value)
        ns_out = _flatten(call(ns_module, *ns_args))
        torch_out = _flatten(call(torch_module, *torch_args))
        assert len(ns_out) == len(torch_out)
        for k, (a, b) in enumerate(zip(ns_out, torch_out)):
            assert tuple(a.shape) == tuple(b.shape), f"output {k}: shape {a.shape} vs {tuple(b.shape)}"
            _assert_close(a.numpy(), b.detach().numpy(), f"{dtype} output {k}", tolerance)
        seeds = _upstream([b.detach().numpy() for b in torch_out], rng, dtype)
        ns_total = sum((a * ns.tensor(g, device=device)).sum()
                       for a, g in zip(ns_out, seeds) if g is not None)
        torch_total = sum((b * torch.tensor(g)).sum() for b, g in zip(torch_out, seeds) if g is not None)
        ns_total.backward()
        torch_total.backward()
        for k, (a, b) in enumerate(zip(ns_args, torch_args)):
            if isinstance(b, torch.Tensor) and b.requires_grad and b.grad is not None:
                _assert_close(a.grad.numpy(), b.grad.numpy(), f"{dtype} grad of input {k}", tolerance)
        torch_params = dict(torch_module.named_parameters())
        for name, p in ns_module.named_parameters():
            expected = torch_params[name].grad
            if expected is None:
                assert p.grad is None or not np.any(p.grad.numpy()), f"{name}: unexpected grad"
                continue
            assert p.grad is not None, f"{dtype}: parameter {name} got no gradient"
            _assert_close(p.grad.numpy(), expected.numpy(), f"{dtype} grad of {name}", tolerance)


def _flatten(value: Any) -> list:
    """Tensors of a nested tuple output, in order (e.g. LSTM's ``out, (h, c)``)."""
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _flatten(item)]
    return [value]


def numeric_gradcheck(fn: Callable, *arrays: np.ndarray, **kwargs: Any) -> None:
    """ns.autograd.gradcheck on float64 copies of ``arrays`` (all requiring grad)."""
    tensors = [ns.tensor(a.astype("float64"), requires_grad=True) for a in arrays]
    assert ns.autograd.gradcheck(fn, tensors, **kwargs)
