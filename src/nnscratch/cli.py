"""The ``nnscratch`` command (also ``python -m nnscratch``).

Subcommands live in a small registry: a function decorated with :func:`command` becomes
``nnscratch NAME``; its ``configure(parser)`` adds the arguments and the function itself runs
with the parsed namespace and returns the exit code. Modules listed in :data:`COMMAND_MODULES`
are imported before parsing, so a new subcommand (``generate``, ``translate``, ``caption``,
``experiment``, ``viz``, ``bench`` …) is one decorated function in its own module plus one line
there — no growing chain of ``if``s.

Usage errors — an unknown recipe, a bad value, a missing file — print one line on stderr and
exit with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

# modules that register more subcommands when imported (later features add theirs here)
COMMAND_MODULES: list[str] = ["nnscratch.recipes.generate", "nnscratch.recipes.translate",
                              "nnscratch.viz.filters", "nnscratch.experiments.command",
                              "nnscratch.recipes.caption_files", "nnscratch.bench"]

USAGE_ERROR = 2


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


@dataclass
class Command:
    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    configure: Callable[[argparse.ArgumentParser], None]
    passthrough: bool = False  # the arguments after the name go to run() unparsed, as args.options


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str,  # noqa: A002 - argparse's word
            configure: Callable[[argparse.ArgumentParser], None] | None = None,
            passthrough: bool = False) -> Callable:
    """Register ``run(args) -> exit code`` as ``nnscratch NAME``; with ``passthrough`` the
    arguments after NAME reach ``run`` unparsed as ``args.options`` (a wrapped tool's own)."""

    def register(run: Callable[[argparse.Namespace], int]) -> Callable:
        COMMANDS[name] = Command(name, help, run, configure or (lambda parser: None), passthrough)
        return run

    return register


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (and exit code 2) and takes no
    abbreviations: ``--epoch`` is not ``--epochs`` (an abbreviation would silently change
    meaning the day a flag with the same start is added). Sub-parsers are of this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def bounded_number(kind: type, low: float, inclusive: bool, words: str) -> Callable[[str], Any]:
    """An argparse type: a finite ``kind`` number above ``low`` (or equal, when ``inclusive``)."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {words}, got {text!r}") from None
        if not (value >= low if inclusive else value > low) or value == float("inf"):
            raise argparse.ArgumentTypeError(f"expected {words}, got {text!r}")
        return value

    return parse


positive_int = bounded_number(int, 0, False, "a positive integer")
non_negative_int = bounded_number(int, 0, True, "an integer >= 0")
positive_float = bounded_number(float, 0, False, "a positive number")
non_negative_float = bounded_number(float, 0, True, "a number >= 0")


def device_name(text: str) -> str:
    """An argparse type: ``cpu``, ``cuda`` or ``cuda:N``, returned as given."""
    kind, _, index = text.partition(":")
    if kind not in ("cpu", "cuda") or (index and (kind == "cpu" or not index.isdigit())):
        raise argparse.ArgumentTypeError(f"expected cpu, cuda or cuda:N, got {text!r}")
    return text


# flag -> setting name and type; these are the settings a flag can override
TRAIN_FLAGS = {
    "--epochs": ("epochs", positive_int, "N", "passes over the training data"),
    "--steps": ("steps", positive_int, "N", "stop after N optimiser steps"),
    "--batch-size": ("batch_size", positive_int, "N", "examples per step"),
    "--lr": ("lr", positive_float, "X", "learning rate"),
    "--device": ("device", device_name, "cpu|cuda", "where to train"),
    "--seed": ("seed", non_negative_int, "N", "seed of every random draw"),
    "--checkpoint-every": ("checkpoint_every", positive_int, "STEPS",
                           "save a checkpoint every STEPS steps (and always once per epoch)"),
    "--data": ("data", str, "DIR", "folder of the data set (recipes that read files)"),
    "--text": ("text", str, "FILE", "UTF-8 text file (char-lm, word-lm)"),
    "--cell": ("cell", str, "rnn|lstm|gru", "recurrent cell (char-lm, word-lm)"),
    "--column": ("column", str, "NAME", "column of the CSV file given with --data (forecast)"),
}


def _setting(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` with VALUE read as TOML (``hidden=128``, ``fashion=true``) or else text."""
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    from .recipes.registry import parse_value

    return key.strip().replace("-", "_"), parse_value(value.strip())


def _configure_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", nargs="?", metavar="RECIPE",
                        help="recipe name (see `nnscratch recipes`); optional with --resume")
    for flag, (name, kind, metavar, text) in TRAIN_FLAGS.items():
        parser.add_argument(flag, dest=name, type=kind, metavar=metavar, help=text)
    parser.add_argument("--out", metavar="DIR", help="run folder (default runs/RECIPE-TIME)")
    parser.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its "
                        "newest valid checkpoint (a completed run only with a larger --steps or "
                        "--epochs, the one bound given then bounding it)")
    parser.add_argument("--config", metavar="FILE.toml", help="settings file (flags win)")
    parser.add_argument("--set", dest="assignments", type=_setting, action="append", default=[],
                        metavar="KEY=VALUE", help="override any setting of the recipe "
                        "(repeatable; see `nnscratch recipes`)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or messages")


@command("train", "train a recipe into a run folder", _configure_train)
def train_command(args: argparse.Namespace) -> int:
    from .recipes.launch import train
    from .recipes.registry import read_config_file

    flags = {name: getattr(args, name) for name, *_ in TRAIN_FLAGS.values()
             if getattr(args, name) is not None}
    config = read_config_file(args.config) if args.config else {}
    config.update(dict(args.assignments))  # --set wins over the file, named flags over both
    return train(args.recipe, flags, config, out=args.out, resume=args.resume, quiet=args.quiet)


def _configure_evaluate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder made by `train`")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--device", type=device_name, metavar="cpu|cuda",
                        help="where to evaluate (default: the run's device)")


@command("evaluate", "evaluate a run's final weights on its test data", _configure_evaluate)
def evaluate_command(args: argparse.Namespace) -> int:
    import json

    from .recipes.launch import evaluate
    from .train.run import finite_or_none

    metrics = evaluate(args.run_dir, device=args.device)
    if args.json:
        print(json.dumps(finite_or_none(metrics)))
    else:
        print("  ".join(f"{name} {value:.4g}" for name, value in metrics.items()))
    return 0


@command("recipes", "list the recipes with their descriptions, default settings and the "
         "values each setting allows")
def recipes_command(args: argparse.Namespace) -> int:
    from .recipes.registry import all_recipes

    for recipe in all_recipes().values():
        print(f"{recipe.name}: {recipe.description}")
        defaults = "  ".join(f"{k}={_toml_value(v)}" + (f" {recipe.ranges[k]}" if k in recipe.ranges else "")
                             for k, v in recipe.defaults.items())
        print(f"    defaults and allowed values (none: off): {defaults}")
    return 0


def _toml_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, str) else str(value)


@command("info", "print the version, the array backend, numpy's BLAS and whether a GPU is usable")
def info_command(args: argparse.Namespace) -> int:
    import platform

    import numpy

    from . import __version__

    print(f"nnscratch {__version__}")
    print(f"python    {platform.python_version()} ({platform.system()} {platform.machine()})")
    print(f"numpy     {numpy.__version__}, BLAS: {_blas_description(numpy)}")
    from .threads import get_num_threads

    print(f"threads   {get_num_threads()} in matrix products (OPENBLAS_NUM_THREADS=N before "
          "start, or ns.set_num_threads(N))")
    print("backend   numpy on cpu; cupy on cuda")
    print(f"gpu       {_gpu_description()}")
    return 0


def _blas_description(numpy: Any) -> str:
    try:
        config = numpy.show_config(mode="dicts")  # numpy >= 1.25
        blas = config["Build Dependencies"]["blas"]
    except Exception:  # noqa: BLE001 - older numpy: no machine-readable config
        return "unknown"
    name, version = blas.get("name", "unknown"), blas.get("version", "")
    detail = blas.get("openblas configuration", "")
    return " ".join(part for part in (name, version, f"({detail})" if detail else "") if part)


def _gpu_description() -> str:
    try:
        cupy = importlib.import_module("cupy")
    except ImportError:
        return "not usable (CuPy is not installed: pip install 'nnscratch[gpu]')"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # noqa: BLE001 - any CUDA failure means no GPU
        return f"not usable (CuPy {cupy.__version__}: {error})"
    if count == 0:
        return f"not usable (CuPy {cupy.__version__} sees no CUDA device)"
    names = []
    for index in range(count):
        name = cupy.cuda.runtime.getDeviceProperties(index)["name"]
        names.append(name.decode() if isinstance(name, bytes) else str(name))
    return f"usable: CuPy {cupy.__version__}, {count} device(s): {', '.join(names)}"


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``nnscratch``; its ``subparsers`` attribute maps each command to its own."""
    from . import __version__
    from .recipes.registry import import_quietly

    for module in COMMAND_MODULES:
        import_quietly(module)
    parser = _Parser(prog="nnscratch", description="Train and evaluate networks built with "
                     "nnscratch.")
    parser.add_argument("--version", action="version", version=f"nnscratch {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                        parser_class=_Parser)
    parser.subparsers = {}
    for entry in COMMANDS.values():
        sub = subcommands.add_parser(entry.name, help=entry.help, description=entry.help)
        entry.configure(sub)
        sub.set_defaults(run=entry.run)
        parser.subparsers[entry.name] = sub
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nnscratch`` console script; returns the exit code."""
    from .recipes.registry import SettingsError

    try:
        parser = build_parser()
        argv = sys.argv[1:] if argv is None else list(argv)
        wrapped = COMMANDS.get(argv[0]) if argv else None
        if wrapped is not None and wrapped.passthrough:
            return wrapped.run(argparse.Namespace(command=wrapped.name, options=argv[1:]))
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # the command's parser says it, pointing to `nnscratch COMMAND --help`
            owner = parser.subparsers.get(getattr(args, "command", None) or "", parser)
            owner.error(f"unrecognized arguments: {' '.join(unknown)}")
        if getattr(args, "run", None) is None:
            raise UsageError("nnscratch: name a command: " + ", ".join(COMMANDS)
                             + " (see nnscratch --help)")
        return args.run(args)
    except (UsageError, SettingsError) as error:
        return _usage_error(str(error))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as error:
        return _usage_error(f"nnscratch: {error}")
    except ValueError as error:  # the library's word on a bad file or value (it names both)
        return _usage_error(f"nnscratch: {error}")
    except KeyboardInterrupt:
        print("nnscratch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `nnscratch recipes | head`
        return 0


def _usage_error(message: str) -> int:
    if not message.startswith("nnscratch"):
        message = f"nnscratch: error: {message}"
    print(message.replace("\n", " "), file=sys.stderr, flush=True)
    return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
