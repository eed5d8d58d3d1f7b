"""Figures are drawn in ``nnscratch/viz/`` only: no module outside it imports matplotlib.

Read statically with tests/import_scan.py (the reader the CLI-layer test uses): every
``import`` statement at any depth counts (a drawing function's lazy import too), as does a
constant module name given to ``importlib.import_module`` or ``__import__``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from import_scan import imported_modules, module_name

PACKAGE = Path(__file__).resolve().parent.parent.parent / "src" / "nnscratch"
FIGURES = "matplotlib"


def is_matplotlib(module: str) -> bool:
    return module == FIGURES or module.startswith(FIGURES + ".")


def figure_imports_outside_viz(root: Path = PACKAGE) -> list[str]:
    """``file:line imports module`` for each import of matplotlib outside ``root/viz/``."""
    faults = {}
    for path in sorted(root.rglob("*.py")):
        if (root / "viz") in path.parents:
            continue
        name = module_name(path, root.parent)
        for line, module in imported_modules(path.read_text(encoding="utf-8"), name,
                                             path.name == "__init__.py"):
            if is_matplotlib(module):  # one fault per statement ("from matplotlib import x")
                faults.setdefault(f"{path.relative_to(root.parent)}:{line}", module)
    return [f"{place} imports {module}" for place, module in faults.items()]


def test_only_viz_imports_matplotlib():
    assert (PACKAGE / "viz" / "learning_curves.py").is_file()
    assert figure_imports_outside_viz() == []


def test_viz_does_draw_with_matplotlib():
    """The check looks at the right tree: viz/ itself imports matplotlib."""
    viz = [module for path in (PACKAGE / "viz").glob("*.py")
           for _, module in imported_modules(path.read_text(encoding="utf-8"),
                                             module_name(path, PACKAGE.parent))]
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
