"""The ``nnscratch`` command (also ``python -m nnscratch``): the top layer of the package.

Each subcommand is one module of this package, listed in :data:`COMMANDS`, that defines

    NAME                  the word after ``nnscratch``
    HELP                  one line for ``nnscratch --help`` (and the command's description)
    configure(parser)     adds the command's arguments to its ``argparse`` parser
    run(args) -> int      does the work with the parsed namespace and returns the exit code
    PASSTHROUGH = True    (optional) the words after NAME reach ``run`` unparsed, as
                          ``args.options`` (``bench`` hands them to the benchmark runner)

so a new subcommand is one module plus one entry in :data:`COMMANDS`. A command module imports
the library inside ``run`` (``nnscratch --help`` stays fast); nothing outside this package
imports it. The library raises ``ValueError`` (:class:`~nnscratch.recipes.registry.SettingsError` for a
bad setting), ``FileNotFoundError`` and the like, or :class:`~nnscratch.train.atomic.WriteError`
for a file it cannot write; :func:`main` turns each into one line on stderr and exit code 2,
never a traceback, as it does a :class:`UsageError`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import bench, caption, evaluate, experiment, generate, info, recipes, train, translate, viz
from .arguments import USAGE_ERROR, Parser, UsageError

#: the subcommands, in the order ``nnscratch --help`` lists them
COMMANDS = (train, evaluate, recipes, info, generate, translate, viz, experiment, caption, bench)

__all__ = ["COMMANDS", "USAGE_ERROR", "UsageError", "build_parser", "main"]


def build_parser(words: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of ``nnscratch``; its ``subparsers`` attribute maps each command to its own.

    Given the command line's ``words``, only the commands named among them get their arguments
    (the others are listed with their help all the same): describing a command may import what
    it needs (``translate`` lists the date formats), and ``nnscratch --help`` or another
    command should not pay for it."""
    from .. import __version__

    parser = Parser(prog="nnscratch", description="Train and evaluate networks built with "
                    "nnscratch.")
    parser.add_argument("--version", action="version", version=f"nnscratch {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    parser.subparsers = {}
    for command in COMMANDS:
        sub = subcommands.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        if words is None or command.NAME in words:
            command.configure(sub)
        sub.set_defaults(run=command.run)
        parser.subparsers[command.NAME] = sub
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nnscratch`` console script; returns the exit code."""
    from .. import memory

    memory.apply_default()  # the command owns its process: keep freed buffers (see memory.py)
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        parser = build_parser(argv)
        wrapped = next((command for command in COMMANDS if argv and command.NAME == argv[0]), None)
        if wrapped is not None and getattr(wrapped, "PASSTHROUGH", False):
            return wrapped.run(argparse.Namespace(command=wrapped.NAME, options=argv[1:]))
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # the command's parser says it, pointing to `nnscratch COMMAND --help`
            owner = parser.subparsers.get(getattr(args, "command", None) or "", parser)
            owner.error(f"unrecognized arguments: {' '.join(unknown)}")
        if getattr(args, "run", None) is None:
            raise UsageError("nnscratch: name a command: "
                             + ", ".join(command.NAME for command in COMMANDS)
                             + " (see nnscratch --help)")
        return args.run(args)
    except UsageError as error:
        return _usage_error(str(error))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as error:
        return _usage_error(f"nnscratch: {error}")
    except BrokenPipeError:  # `nnscratch recipes | head`
        return 0
    # the library's error classes are imported where they are caught, not above: `nnscratch
    # --help` loads neither the recipe registry nor the trainer
    except OSError as error:
        from ..train.atomic import WriteError

        if not isinstance(error, WriteError):
            raise
        return _usage_error(f"nnscratch: {error}")  # it names the file it could not write
    except ValueError as error:  # the library's word on a bad file or value (it names both)
        from ..recipes.registry import SettingsError

        if isinstance(error, SettingsError):  # its message names the setting: shown as it is
            return _usage_error(str(error))
        return _usage_error(f"nnscratch: {error}")
    except KeyboardInterrupt:
        print("nnscratch: interrupted", file=sys.stderr)
        return 130


def _usage_error(message: str) -> int:
    if not message.startswith("nnscratch"):
        message = f"nnscratch: error: {message}"
    print(message.replace("\n", " "), file=sys.stderr, flush=True)
    return USAGE_ERROR
