"""What every command's arguments share: the parser class, the value types and the usage error.

A value type turns one command-line word into a value or raises ``argparse.ArgumentTypeError``,
which the parser reports as ``nnscratch COMMAND: argument --FLAG: expected …, got '…'``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

#: the exit status of a usage error (argparse's own)
USAGE_ERROR = 2


class UsageError(Exception):
    """Bad input from the user, raised by the CLI only: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
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
        # written so that NaN fails too (every comparison with NaN is false)
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
