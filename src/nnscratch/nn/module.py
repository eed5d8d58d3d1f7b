"""Module: the base of every layer; registers parameters, buffers and sub-modules in order."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy

from .._tensor import Tensor, parse_to_args
from ..backend import device_of
from ..creation import as_tensor
from .parameter import Parameter


class Module:
    """Base class of layers and models (``torch.nn.Module``).

    Attributes that are Parameters, Modules or registered buffers are tracked in the order of
    assignment, which fixes the order of ``parameters()`` and the keys of ``state_dict()``.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove(name, keep=params)
            params[name] = value
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign modules before Module.__init__() call")
            self._remove(name, keep=self._modules)
            self._modules[name] = value
        elif params is not None and name in params:
            if value is not None and not isinstance(value, Parameter):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' "
                    "(ns.nn.Parameter or None expected)"
                )
            params[name] = value
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer '{name}'")
            self._buffers[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module '{name}'")
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def _remove(self, name: str, keep: dict | None = None) -> None:
        """Forget ``name`` everywhere but in ``keep``, where a re-assignment keeps its place."""
        for table in (self.__dict__, self._parameters, self._buffers, self._modules):
            if table is not keep:
                table.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the registries
        for table in ("_parameters", "_buffers", "_modules"):
            registry = self.__dict__.get(table)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None")
        self._remove(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """A tensor that is state but not learnable (running means, counters)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: '{name}' must be a Tensor or None")
        self._remove(name, keep=self._buffers)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._remove(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def named_modules(self, prefix: str = "", memo: set | None = None) -> Iterator[tuple]:
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named(self, table: str, prefix: str, recurse: bool) -> Iterator[tuple]:
        seen: set = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple]:
        return self._named("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple]:
        return self._named("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Ordered name → Tensor of every parameter and persistent buffer (shared storage)."""
        state: OrderedDict = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                state[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                state[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, module in self._modules.items():
            if module is not None:
                state.update(module.state_dict(prefix=f"{prefix}{name}.", keep_vars=keep_vars))
        return state

    def _state_slots(self) -> OrderedDict:
        """name → (module, attribute, kind) for every entry state_dict would hold."""
        slots: OrderedDict = OrderedDict()
        for prefix, module in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    slots[dot + name] = param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    slots[dot + name] = buffer
        return slots

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> Any:
        """Copy values (Tensors or numpy arrays) into parameters and buffers, in place.

        With ``strict`` every missing and unexpected key and every shape mismatch is listed in
        one ``RuntimeError`` and nothing is changed. Returns ``(missing_keys, unexpected_keys)``.
        """
        slots = self._state_slots()
        missing = [k for k in slots if k not in state_dict]
        unexpected = [k for k in state_dict if k not in slots]
        mismatched = []
        for key, target in slots.items():
            if key in state_dict:
                value = state_dict[key]
                shape = tuple(value.shape) if hasattr(value, "shape") else numpy.shape(value)
                if shape != tuple(target.shape):
                    mismatched.append(
                        f"size mismatch for {key}: copying a param with shape {shape} from "
                        f"checkpoint, the shape in current model is {tuple(target.shape)}."
                    )
        problems = []
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if strict and unexpected:
            problems.append(
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + "."
            )
        problems += mismatched
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(problems)
            )
        for key, target in slots.items():
            if key in state_dict:
                value = state_dict[key]
                array = value.array if isinstance(value, Tensor) else numpy.asarray(value)
                if device_of(array) != target.device:
                    from ..backend import to_device

                    array = to_device(array, target.device)
                target.array[...] = array.astype(target.dtype, copy=False)
        return _IncompatibleKeys(missing, unexpected)

    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.array[...] = 0

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move/cast every parameter and buffer in place (floats only get a dtype); returns self."""
        target_device, target_dtype = parse_to_args(args, kwargs)

        def convert(t: Tensor) -> Tensor:
            array = t.array
            if target_dtype is not None and array.dtype.kind == "f":
                array = array.astype(target_dtype, copy=False)
            if target_device is not None:
                from ..backend import to_device

                array = to_device(array, target_device)
            return as_tensor(array)

        return self._apply_to_tensors(convert)

    def _apply_to_tensors(self, convert: Callable) -> Module:
        """Give every parameter, gradient and buffer ``convert(t).data``, in place: the tensor
        objects stay the same, so an optimiser built earlier still holds them (PyTorch)."""
        for module in self.modules():
            for param in module._parameters.values():
                if param is not None:
                    param.data = convert(param)
                    if param.grad is not None:
                        param.grad.data = convert(param.grad)
            for buffer in module._buffers.values():
                if buffer is not None:
                    buffer.data = convert(buffer)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Module:
        return self.to("cuda" if device is None else f"cuda:{device}")

    def float(self) -> Module:
        return self.to(numpy.float32)

    def double(self) -> Module:
        return self.to(numpy.float64)

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every sub-module (children first) and on self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self) -> list:
        registered = set(self._parameters) | set(self._modules) | set(self._buffers)
        return sorted(set(super().__dir__()) | registered)


class _IncompatibleKeys(tuple):
    def __new__(cls, missing: list, unexpected: list) -> _IncompatibleKeys:
        return super().__new__(cls, (missing, unexpected))

    @property
    def missing_keys(self) -> list:
        return self[0]

    @property
    def unexpected_keys(self) -> list:
        return self[1]
