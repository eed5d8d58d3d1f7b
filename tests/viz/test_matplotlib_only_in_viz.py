"""Figures are drawn in ``nnscratch/viz/`` only: no module outside it imports matplotlib.

Read statically (``ast`` over ``src/nnscratch``, nothing imported): every ``import`` statement at
any depth counts (a drawing function's lazy import too), as does a constant module name given
to ``importlib.import_module`` or ``__import__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent.parent / "src" / "nnscratch"
FIGURES = "matplotlib"


def imported_names(source: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every absolute module the code imports (relative imports are
    nnscratch's own)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) == "import_module"
                   or getattr(node.func, "id", None) in ("import_module", "__import__"))):
            found.append((node.lineno, node.args[0].value))
    return found


def is_matplotlib(module: str) -> bool:
    return module == FIGURES or module.startswith(FIGURES + ".")


def figure_imports_outside_viz(root: Path = PACKAGE) -> list[str]:
    """``file:line imports module`` for each import of matplotlib outside ``root/viz/``."""
    faults = []
    for path in sorted(root.rglob("*.py")):
        if (root / "viz") in path.parents:
            continue
        for line, module in imported_names(path.read_text(encoding="utf-8")):
            if is_matplotlib(module):
                faults.append(f"{path.relative_to(root.parent)}:{line} imports {module}")
    return faults


def test_only_viz_imports_matplotlib():
    assert (PACKAGE / "viz" / "learning_curves.py").is_file()
    assert figure_imports_outside_viz() == []


def test_viz_does_draw_with_matplotlib():
    """The check looks at the right tree: viz/ itself imports matplotlib."""
    viz = [module for path in (PACKAGE / "viz").glob("*.py")
           for _, module in imported_names(path.read_text(encoding="utf-8"))]
    assert any(is_matplotlib(module) for module in viz)


@pytest.mark.parametrize("code", [
    "import matplotlib",
    "import matplotlib.pyplot as plt",
    "from matplotlib import pyplot",
    "from matplotlib.figure import Figure",
    "def draw():\n    import matplotlib\n    matplotlib.use('Agg')",
    "import importlib\nimportlib.import_module('matplotlib.pyplot')",
    "plt = __import__('matplotlib')",
])
def test_each_spelling_is_seen_outside_viz(tmp_path, code):
    package = tmp_path / "nnscratch"
    (package / "viz").mkdir(parents=True)
    (package / "train").mkdir()
    (package / "viz" / "curves.py").write_text(code + "\n")  # inside viz: allowed
    (package / "train" / "plots.py").write_text('"""Doc."""\n' + code + "\n")
    faults = figure_imports_outside_viz(package)
    assert len(faults) == 1
    place, _, module = faults[0].partition(" imports ")
    assert place.startswith("nnscratch/train/plots.py:") and is_matplotlib(module)


@pytest.mark.parametrize("code", [
    "import matplotlib_inline",
    "from .viz import matplotlib",
    "text = 'import matplotlib'",
    "# matplotlib is not installed",
])
def test_other_code_is_not_taken_for_matplotlib(tmp_path, code):
    package = tmp_path / "nnscratch"
    (package / "recipes").mkdir(parents=True)
    (package / "recipes" / "rbm.py").write_text(code + "\n")
    assert figure_imports_outside_viz(package) == []
