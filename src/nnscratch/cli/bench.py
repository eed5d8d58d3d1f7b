"""``nnscratch bench [RUNNER OPTIONS]``: the benchmark table of ``benchmarks/`` from the CLI.

The benchmarks live beside the package in the source checkout (``benchmarks/``, not installed:
they need PyTorch, which the library itself never imports). This command finds that folder —
in the current directory or above the installed package of an editable install — and runs
``python -m benchmarks`` there with the options given, so ``nnscratch bench --workloads mlp
--json`` is ``python -m benchmarks --workloads mlp --json``. Without a checkout it says where
to get one instead of failing obscurely.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from .arguments import UsageError

NAME = "bench"
HELP = ("time nnscratch against PyTorch on every benchmark workload (markdown table or --json); "
        "needs the source checkout's benchmarks/ and the test extra (torch)")
#: the arguments after ``bench`` reach :func:`run` unparsed, as ``args.options`` (the runner's own)
PASSTHROUGH = True


def find_benchmarks(start: Path | None = None) -> Path | None:
    """The folder holding ``benchmarks/runner.py``: ``start`` (default the current directory),
    or the checkout this package was installed from (``src/nnscratch/cli`` → the repository
    root)."""
    package_root = Path(__file__).resolve().parents[3]
    for folder in (start or Path.cwd(), package_root):
        if (folder / "benchmarks" / "runner.py").is_file():
            return folder
    return None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("options", nargs="*", metavar="OPTIONS",
                        help="options of the runner, passed on unparsed (nnscratch bench --help "
                             "shows them): --workloads, --rounds, --steps, --threads, --json …")


def run(args: argparse.Namespace) -> int:
    root = find_benchmarks()
    if root is None:
        raise UsageError("nnscratch bench: no benchmarks/ folder here or beside the installed "
                         "package; run it in a clone of the nnscratch repository "
                         "(pip install -e '.[test]')")
    return subprocess.call([sys.executable, "-m", "benchmarks", *args.options], cwd=root)
