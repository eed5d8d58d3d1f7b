"""recipes/catalog.py: every module that defines a recipe is imported, and listing the
recipes needs none of the optional dependencies."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import nnscratch.recipes
from nnscratch.recipes import catalog

RECIPES_FOLDER = Path(nnscratch.recipes.__file__).parent
OPTIONAL = ("matplotlib", "PIL", "koreanize_matplotlib", "cupy", "mpi4py")


def declared_recipes() -> dict[str, str]:
    """Recipe name -> module, read from the source: every ``@recipe("name", ...)`` decorator."""
    found = {}
    for path in RECIPES_FOLDER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Name)
                            and decorator.func.id == "recipe"
                            and isinstance(decorator.args[0], ast.Constant)):
                        found[decorator.args[0].value] = path.stem
    return found


def test_every_module_with_a_recipe_is_in_the_catalog():
    listed = {module.__name__.rsplit(".", 1)[1] for module in catalog.MODULES}
    assert set(declared_recipes().values()) == listed


# A fresh process with the optional dependencies made unimportable: all_recipes() must list
# every recipe in the source, and say nothing on stderr (a module that failed to import was a
# warning there and its recipes silently missing from `nnscratch recipes`).
CHILD = """
import importlib.abc, json, sys
class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in OPTIONAL:
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Missing())
from nnscratch.recipes.registry import all_recipes
print(json.dumps(sorted(all_recipes())))
"""


def test_listing_the_recipes_in_a_fresh_process_needs_no_optional_dependency():
    child = f"OPTIONAL = {OPTIONAL!r}\n" + CHILD
    finished = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                              timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert finished.stderr == ""
    assert json.loads(finished.stdout) == sorted(declared_recipes())
