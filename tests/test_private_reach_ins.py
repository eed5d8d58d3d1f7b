"""Above the core, code uses the Tensor's public API: read statically (``ast``, nothing imported).

The core — ``_tensor_base.py``, ``_tensor.py``, ``backend.py``, ``autograd/``, ``ops/`` and
``functional/`` — owns a tensor's fields. Every other module wraps an array with
``ns.as_tensor``/``ns.from_numpy`` and reaches it with ``t.array``; it never calls
``Tensor._make(...)`` nor reads or writes ``t._array`` (spelled as an attribute or through
``getattr``/``setattr``/``hasattr``), and it does not import the core's private module
``_tensor_base`` (``creation.py``, which defines the public factories on top of it, does).

``NOT_YET_CONVERTED`` lists the modules that still reach in. It can only shrink: a listed
module that no longer reaches in fails the test until it is taken off the list.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "nnscratch"
CORE = ("_tensor_base.py", "_tensor.py", "backend.py", "autograd/", "ops/", "functional/")
MAY_IMPORT_TENSOR_BASE = CORE + ("creation.py",)
PRIVATE_FIELDS = {"_array", "_make"}

NOT_YET_CONVERTED: set[str] = set()


def reach_ins(source: str) -> list[str]:
    """``line: what`` for each use of a Tensor's private field in ``source``: ``x._array``
    (read or written), a call of ``X._make(...)``, and ``getattr``/``setattr``/``hasattr``
    given either name as a constant."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "_array":
            found.append((node.lineno, "._array"))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "_make":
                found.append((node.lineno, "._make(...)"))
            elif (isinstance(func, ast.Name) and func.id in ("getattr", "setattr", "hasattr")
                  and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
                  and node.args[1].value in PRIVATE_FIELDS):
                found.append((node.lineno, f"{func.id}(..., {node.args[1].value!r})"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def imports_tensor_base(source: str) -> list[int]:
    """Lines that import the module ``_tensor_base``, absolutely or relatively."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [alias.name for alias in node.names]
        else:
            continue
        if any(name.split(".")[-1] == "_tensor_base" for name in names):
            lines.append(node.lineno)
    return sorted(lines)


def modules(root: Path = PACKAGE) -> dict[str, str]:
    """``{path relative to the package (posix): source}`` of every module in the package."""
    return {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(root.rglob("*.py"))}


def in_any(relative: str, places: tuple[str, ...]) -> bool:
    return any(relative == place or (place.endswith("/") and relative.startswith(place))
               for place in places)


def test_the_scanner_finds_every_spelling_and_nothing_else() -> None:
    source = (
        "a = t._array\n"
        "t._array = b\n"
        "t._array[...] = 0\n"
        "u = Tensor._make(a)\n"
        "v = getattr(t, '_array')\n"
        "setattr(t, '_array', a)\n"
        "w = t.array\n"
        "x = ns.as_tensor(a)\n"
        "y = make(a)\n"
        "z = t._array_of\n"
        "getattr(t, 'array')\n"
    )
    assert reach_ins(source) == [
        "1: ._array", "2: ._array", "3: ._array", "4: ._make(...)",
        "5: getattr(..., '_array')", "6: setattr(..., '_array')",
    ]
    assert imports_tensor_base("from .._tensor_base import make_tensor\n"
                               "import nnscratch._tensor_base as base\n"
                               "from . import _tensor_base\n"
                               "from .._tensor import Tensor\n") == [1, 2, 3]


def test_no_module_above_the_core_reaches_into_a_tensor() -> None:
    offenders = [
        f"{relative}:{where}"
        for relative, source in modules().items()
        if not in_any(relative, CORE) and relative not in NOT_YET_CONVERTED
        for where in reach_ins(source)
    ]
    assert offenders == [], (
        "use ns.as_tensor / ns.from_numpy to wrap an array and t.array to reach it: "
        + "; ".join(offenders))


def test_the_list_of_unconverted_modules_only_shrinks() -> None:
    sources = modules()
    converted = sorted(relative for relative in NOT_YET_CONVERTED
                       if relative not in sources or not reach_ins(sources[relative]))
    assert converted == [], (
        f"{converted} no longer reach into a Tensor (or are gone): take them off "
        "NOT_YET_CONVERTED")


def test_only_the_core_and_creation_import_tensor_base() -> None:
    offenders = [
        f"{relative}:{line}"
        for relative, source in modules().items()
        if not in_any(relative, MAY_IMPORT_TENSOR_BASE)
        for line in imports_tensor_base(source)
    ]
    assert offenders == [], f"_tensor_base is the core's: {offenders}"
