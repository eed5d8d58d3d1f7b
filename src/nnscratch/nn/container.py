"""Containers (Sequential, ModuleList, ModuleDict) and the shape-only layers Identity,
Flatten and Unflatten."""

# ruff: noqa: A001, A002 - PyTorch names the argument input

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .._tensor import Tensor
from .module import Module


def _check_module(owner: str, name: Any, module: Any) -> None:
    if module is not None and not isinstance(module, Module):
        raise TypeError(f"{owner}: {name!r} is not a Module subclass (got "
                        f"{type(module).__name__})")


def _position(owner: str, index: int, length: int) -> int:
    """A list position from a possibly negative index, with PyTorch's IndexError."""
    index = int(index)
    if not -length <= index < length:
        raise IndexError(f"{owner}: index {index} is out of range (length {length})")
    return index % length


class Sequential(Module):
    """Modules applied one after another: ``Sequential(m1, m2)(x) == m2(m1(x))``.

    Built from modules (named "0", "1", …) or from one ``OrderedDict`` of name → module.
    Supports ``len``, iteration, ``seq[i]``, ``seq[a:b]`` (a Sequential with the same names),
    item assignment and deletion, ``append``, ``insert``, ``extend`` and ``pop``.
    """

    def __init__(self, *args: Module) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                _check_module("Sequential", key, module)
                self.add_module(key, module)
        else:
            for index, module in enumerate(args):
                _check_module("Sequential", index, module)
                self.add_module(str(index), module)

    def _key(self, index: int) -> str:
        keys = list(self._modules)
        return keys[_position("Sequential", index, len(keys))]

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        _check_module("Sequential", index, module)
        self._modules[self._key(index)] = module  # in place: the order stays

    def __delitem__(self, index: int | slice) -> None:
        if isinstance(index, slice):
            for key in list(self._modules)[index]:
                del self._modules[key]
        else:
            del self._modules[self._key(index)]
        # PyTorch renumbers the remaining modules "0", "1", …
        self._modules = OrderedDict((str(i), m) for i, m in enumerate(self._modules.values()))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __add__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(f"Sequential: add operator supports only Sequential, got "
                             f"{type(other).__name__}")
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Sequential:
        return self.extend(other)

    def append(self, module: Module) -> Sequential:
        _check_module("Sequential", len(self), module)
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        _check_module("Sequential", index, module)
        length = len(self)
        if not -length <= index <= length:
            raise IndexError(f"Sequential.insert: index {index} is out of range (length "
                             f"{length})")
        modules = list(self._modules.values())
        modules.insert(index % (length + 1) if index < 0 else index, module)
        self._modules = OrderedDict((str(i), m) for i, m in enumerate(modules))
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def pop(self, index: int | slice) -> Any:
        value = self[index]
        del self[index]
        return value

    def forward(self, input: Any) -> Any:
        for module in self:
            input = module(input)
        return input


class ModuleList(Module):
    """A list of modules whose parameters are registered (names "0", "1", …)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_position("ModuleList", index, len(self)))]

    def __setitem__(self, index: int, module: Module) -> None:
        _check_module("ModuleList", index, module)
        self._modules[str(_position("ModuleList", index, len(self)))] = module

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[_position("ModuleList", index, len(modules))]
        self._modules = OrderedDict((str(i), m) for i, m in enumerate(modules))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def append(self, module: Module) -> ModuleList:
        _check_module("ModuleList", len(self), module)
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if isinstance(modules, (Module, Tensor)) and not isinstance(modules, (ModuleList,
                                                                               Sequential)):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got "
                            f"{type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        _check_module("ModuleList", index, module)
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules = OrderedDict((str(i), m) for i, m in enumerate(modules))

    def pop(self, index: int | slice = -1) -> Any:
        value = self[index]
        del self[index]
        return value

    def __repr__(self) -> str:
        """Runs of identical modules are shown once, as PyTorch does: ``(0-2): 3 x ReLU()``."""
        if not self._modules:
            return "ModuleList()"
        lines, start = [], 0
        items = [repr(m) for m in self._modules.values()]
        for end in range(1, len(items) + 1):
            if end == len(items) or items[end] != items[start]:
                body = items[start].replace("\n", "\n  ")
                label = f"({start})" if end - start == 1 else f"({start}-{end - 1}): " \
                    f"{end - start} x"
                lines.append(f"{label}: {body}" if end - start == 1 else f"{label} {body}")
                start = end
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of name → module whose parameters are registered under those names."""

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        _check_module("ModuleDict", key, module)
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {type(key).__name__}")
        self._modules[key] = module  # a replaced entry keeps its place, as in a dict

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        value = self[key]
        del self[key]
        return value

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for index, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"ModuleDict.update: element #{index} should be a (name, "
                                 f"module) pair, got {pair!r}")
            self[pair[0]] = pair[1]


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class Flatten(Module):
    """Merge dims ``start_dim``…``end_dim`` into one: (N, C, H, W) → (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        ndim = max(input.ndim, 1)
        if not (-ndim <= self.start_dim < ndim and -ndim <= self.end_dim < ndim):
            raise IndexError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): dimension out "
                f"of range for input of shape {tuple(input.shape)}"
            )
        if self.start_dim % ndim > self.end_dim % ndim:
            raise RuntimeError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): start_dim "
                f"cannot come after end_dim (input shape {tuple(input.shape)})"
            )
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: (N, 10) → (N, 2, 5) with (1, (2, 5))."""

    def __init__(self, dim: int, unflattened_size: Iterable[int]) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        sizes = self.unflattened_size
        if not -input.ndim <= self.dim < input.ndim:
            raise IndexError(f"{self._name()}: dim out of range for input of shape "
                             f"{tuple(input.shape)}")
        size = input.shape[self.dim]
        known = math.prod(s for s in sizes if s != -1)
        fits = size == known if -1 not in sizes else known and size % known == 0
        if not fits or list(sizes).count(-1) > 1:
            raise RuntimeError(
                f"{self._name()}: sizes {sizes} don't multiply up to the size {size} of dim "
                f"{self.dim} of input shape {tuple(input.shape)}"
            )
        return input.unflatten(self.dim, sizes)

    def _name(self) -> str:
        return f"Unflatten(dim={self.dim}, unflattened_size={self.unflattened_size})"

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
