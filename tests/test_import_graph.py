"""The core of nnscratch imports one way, read statically (``ast`` over ``src/nnscratch``).

The core is ``backend``, ``_tensor_base``, ``autograd/``, ``ops/``, ``functional/`` and
``_tensor``. Every import statement counts, those inside functions too (an import moved into a
function still closes a cycle); only ``if TYPE_CHECKING:`` blocks, which never run, are left
out. The checks: no cycle among the core modules; the core imports nothing above it; ``ops/``
(the Functions, on arrays) never imports the Tensor class; and no package binds a name that is
also one of its submodules to something else (``nnscratch.tensor`` was both the factory
function and the module defining Tensor).
"""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "nnscratch"
CORE_MODULES = ("nnscratch.backend", "nnscratch._tensor_base", "nnscratch._tensor")
CORE_PACKAGES = ("nnscratch.autograd", "nnscratch.ops", "nnscratch.functional")
TENSOR_MODULE = "nnscratch._tensor"


def module_names(root: Path = PACKAGE) -> dict[str, Path]:
    """``nnscratch.ops.conv`` → its file, for every module under ``root`` (a package's
    ``__init__.py`` is the package)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _runs(node: ast.AST) -> bool:
    """False for ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``), whose body never runs."""
    if not isinstance(node, ast.If):
        return True
    test = node.test
    return not (getattr(test, "id", None) == "TYPE_CHECKING"
                or getattr(test, "attr", None) == "TYPE_CHECKING")


def _statements(tree: ast.AST) -> list[ast.AST]:
    """Every import statement that can run, at any depth."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        if _runs(node):
            stack.extend(ast.iter_child_nodes(node))
        else:
            stack.extend(node.orelse)
    return found


def imports_of(source: str, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that the code of module ``name`` imports: ``import X``
    gives X, ``from X import a`` gives ``X.a`` where that is a module, else X."""
    package = name if is_package else name.rpartition(".")[0]
    targets = set()
    for node in _statements(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        for alias in node.names:
            submodule = f"{origin}.{alias.name}"
            targets.add(submodule if submodule in modules else origin)
    return {t for t in targets if t in modules and t != name}


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """module → the package's modules it imports."""
    names = module_names(root)
    return {name: imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py",
                             set(names))
            for name, path in names.items()}


def is_core(name: str) -> bool:
    return name in CORE_MODULES or any(name == p or name.startswith(p + ".") for p in CORE_PACKAGES)


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle ``[a, b, …, a]`` of ``graph``, or [] when it has none (iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, iterators = [start], [iter(sorted(graph.get(start, ())))]
        state[start] = 1
        while iterators:
            child = next(iterators[-1], None)
            if child is None:
                state[path.pop()] = 2
                iterators.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                iterators.append(iter(sorted(graph.get(child, ()))))
    return []


def shadowed_submodules(root: Path = PACKAGE) -> list[str]:
    """``package.name`` for each package whose ``__init__`` binds one of its submodules' names
    (by import, def, class or assignment) to something other than that submodule."""
    faults = []
    names = module_names(root)
    for package, path in names.items():
        if path.name != "__init__.py":
            continue
        children = {n.rpartition(".")[2] for n in names if n.rpartition(".")[0] == package}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            bound = []
            if isinstance(node, ast.ImportFrom):
                is_self = node.level == 1 and node.module is None
                bound = [(a.asname or a.name, is_self and (a.asname or a.name) == a.name)
                         for a in node.names]
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                bound = [(node.name, False)]
            elif isinstance(node, ast.Assign):
                bound = [(t.id, False) for t in node.targets if isinstance(t, ast.Name)]
            faults += [f"{package}.{n}" for n, itself in bound if n in children and not itself]
    return faults


def test_the_core_has_no_import_cycle():
    graph = import_graph()
    core = {name: {t for t in targets if is_core(t)} for name, targets in graph.items()
            if is_core(name)}
    assert "nnscratch.ops.conv" in core and "nnscratch.functional.shape" in core
    assert find_cycle(core) == []


def test_the_core_imports_nothing_above_it():
    upward = {f"{name} imports {target}" for name, targets in import_graph().items()
              if is_core(name) for target in targets if not is_core(target)}
    assert sorted(upward) == []


def test_ops_work_on_arrays_and_never_import_the_tensor_module():
    graph = import_graph()
    ops = [name for name in graph if name.startswith("nnscratch.ops")]
    assert len(ops) > 10
    assert [name for name in ops if TENSOR_MODULE in graph[name]] == []


def test_no_package_shadows_a_submodule_with_another_object():
    assert shadowed_submodules() == []


def test_the_tensor_module_and_the_factory_are_different_objects():
    import nnscratch
    import nnscratch._tensor as tensor_module

    assert callable(nnscratch.tensor) and not isinstance(nnscratch.tensor, type(tensor_module))
    assert tensor_module.Tensor is nnscratch.Tensor
    assert type(nnscratch.tensor([1.0]) + 1) is nnscratch.Tensor


# the checker itself, on small trees written for it
def _write(root: Path, files: dict[str, str]) -> Path:
    package = root / "nnscratch"
    for relative, text in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_the_checker_sees_a_cycle_closed_inside_a_function(tmp_path):
    package = _write(tmp_path, {
        "__init__.py": "",
        "_tensor.py": "from .ops import device\n",
        "ops/__init__.py": "",
        "ops/device.py": "def f():\n    from .._tensor import Tensor\n    return Tensor\n",
    })
    graph = import_graph(package)
    assert graph["nnscratch.ops.device"] == {"nnscratch._tensor"}
    assert find_cycle(graph) in (["nnscratch._tensor", "nnscratch.ops.device", "nnscratch._tensor"],
                                 ["nnscratch.ops.device", "nnscratch._tensor", "nnscratch.ops.device"])


def test_the_checker_leaves_out_type_checking_blocks_and_resolves_submodules(tmp_path):
    package = _write(tmp_path, {
        "__init__.py": "from . import ops\nfrom .creation import tensor\n",
        "creation.py": "def tensor():\n    pass\n",
        "_tensor.py": "from . import backend\nfrom .ops import shape as shaping\n",
        "backend.py": "import numpy\n",
        "ops/__init__.py": "",
        "ops/shape.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                         "    from .._tensor import Tensor\nelse:\n    from .. import backend\n"),
    })
    graph = import_graph(package)
    assert graph["nnscratch._tensor"] == {"nnscratch.backend", "nnscratch.ops.shape"}
    assert graph["nnscratch.ops.shape"] == {"nnscratch.backend"}
    assert graph["nnscratch"] == {"nnscratch.ops", "nnscratch.creation"}
    assert find_cycle(graph) == []
    assert shadowed_submodules(package) == []


def test_the_checker_sees_a_function_named_as_a_submodule(tmp_path):
    package = _write(tmp_path, {
        "__init__.py": "from .creation import tensor\nfrom . import ops\n",
        "creation.py": "def tensor():\n    pass\n",
        "tensor.py": "class Tensor:\n    pass\n",
        "ops/__init__.py": "",
    })
    assert shadowed_submodules(package) == ["nnscratch.tensor"]


@given(st.integers(2, 8).flatmap(lambda n: st.tuples(
    st.just(n), st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20))))
def test_find_cycle_agrees_with_reachability(case):
    n, edges = case
    graph = {str(i): {str(b) for a, b in edges if a == i} for i in range(n)}
    reach = {i: set(graph[i]) for i in graph}  # transitive closure, Floyd–Warshall style
    for k in graph:
        for i in graph:
            if k in reach[i]:
                reach[i] |= reach[k]
    has_cycle = any(i in reach[i] for i in graph)
    cycle = find_cycle(graph)
    assert bool(cycle) == has_cycle
    if cycle:
        assert cycle[0] == cycle[-1]
        assert all(b in graph[a] for a, b in zip(cycle, cycle[1:]))
