"""The layers of nnscratch only look down: read statically (``ast``, nothing is imported).

The CLI (``nnscratch/cli/``, with ``nnscratch/__main__.py``, which runs it) is the top: no
other module imports it, absolutely (``import nnscratch.cli``, ``from nnscratch import cli``),
relatively (``from ..cli import x``, ``from .. import cli``) or by name
(``importlib.import_module("nnscratch.cli")``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from import_scan import imported_modules, module_name

SOURCE = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SOURCE / "nnscratch"
CLI = "nnscratch.cli"


def imports_cli(target: str) -> bool:
    return target == CLI or target.startswith(CLI + ".")


def upward_cli_imports(root: Path = PACKAGE) -> list[str]:
    """``file:line imports module`` for each import statement of the CLI outside the top
    (``root/cli/`` and ``root/__main__.py``)."""
    faults = {}
    for path in sorted(root.rglob("*.py")):
        if (root / "cli") in path.parents or path == root / "__main__.py":
            continue
        name = module_name(path, root.parent)
        for line, target in imported_modules(path.read_text(encoding="utf-8"), name,
                                             path.name == "__init__.py"):
            if imports_cli(target):
                faults.setdefault(f"{path.relative_to(root.parent)}:{line}", target)
    return [f"{place} imports {target}" for place, target in faults.items()]


def test_no_module_below_the_cli_imports_it():
    assert PACKAGE.is_dir() and (PACKAGE / "cli" / "__init__.py").is_file()
    assert upward_cli_imports() == []


# the checker itself: each way of writing an import of the CLI is seen, and nothing else is
@pytest.mark.parametrize("module, is_package, code", [
    ("nnscratch.viz.filters", False, "from ..cli import UsageError"),
    ("nnscratch.viz.filters", False, "from .. import cli"),
    ("nnscratch.bench", False, "from .cli import command"),
    ("nnscratch.bench", False, "from . import cli"),
    ("nnscratch.recipes", True, "from ..cli.arguments import positive_int"),
    ("nnscratch.recipes.launch", False, "import nnscratch.cli"),
    ("nnscratch.recipes.launch", False, "import nnscratch.cli.train as t"),
    ("nnscratch.recipes.launch", False, "from nnscratch import cli"),
    ("nnscratch.recipes.launch", False, "def f():\n    from nnscratch.cli import main"),
    ("nnscratch.recipes.launch", False, "import importlib\nimportlib.import_module('nnscratch.cli')"),
    ("nnscratch.a.b.c", False, "from ...cli import main"),
])
def test_each_spelling_of_an_import_of_the_cli_is_seen(module, is_package, code):
    assert any(imports_cli(target) for _, target in imported_modules(code, module, is_package))


@pytest.mark.parametrize("module, is_package, code", [
    ("nnscratch.viz.filters", False, "from . import cli"),  # nnscratch.viz.cli
    ("nnscratch.viz.filters", False, "from ..client import x"),
    ("nnscratch.viz", True, "from .cli import x"),  # nnscratch.viz.cli
    ("nnscratch.recipes.launch", False, "import nnscratch.client"),
    ("nnscratch.recipes.launch", False, "from nnscratch import clip_grad_norm"),
    ("nnscratch.recipes.launch", False, "text = 'nnscratch.cli'"),
])
def test_other_imports_are_not_taken_for_the_cli(module, is_package, code):
    assert not any(imports_cli(target) for _, target in imported_modules(code, module, is_package))


def test_an_upward_import_in_a_tree_is_reported(tmp_path):
    package = tmp_path / "nnscratch"
    for folder in (package / "cli", package / "viz"):
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "cli" / "train.py").write_text("from ..viz import x\n")  # downward: fine
    (package / "__main__.py").write_text("from .cli import main\n")  # the entry point: the top
    (package / "viz" / "filters.py").write_text('"""Doc."""\n\nfrom ..cli import UsageError, main\n')
    assert upward_cli_imports(package) == ["nnscratch/viz/filters.py:3 imports nnscratch.cli"]


# A child process: what `nnscratch ARGS` imports beyond `import nnscratch` (printed as JSON).
STARTUP = """
import contextlib, io, json, sys
import nnscratch
before = set(sys.modules)
from nnscratch.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps(sorted(name for name in set(sys.modules) - before if name.startswith("nnscratch"))))
"""


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["info"], ["bench", "--help"]])
def test_a_command_imports_only_what_it_uses(argv):
    """`nnscratch --help` costs what `import nnscratch` costs: no command's library (recipes,
    datasets, train, experiments, viz) is imported to describe the commands."""
    import json
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", STARTUP, *argv], capture_output=True, text=True,
                            timeout=120, cwd=SOURCE.parent)
    assert result.returncode == 0, result.stderr
    extra = json.loads(result.stdout.splitlines()[-1])
    assert "nnscratch.cli" in extra
    assert [name for name in extra if not name.startswith("nnscratch.cli")
            and name not in ("nnscratch.memory", "nnscratch.threads")] == []
