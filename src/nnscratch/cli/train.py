"""``nnscratch train RECIPE [--epochs N] [--set KEY=VALUE] …``: train a recipe into a run folder."""

from __future__ import annotations

import argparse
from typing import Any

from .arguments import device_name, non_negative_int, positive_float, positive_int

NAME = "train"
HELP = "train a recipe into a run folder"

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


def setting(text: str) -> tuple[str, Any]:
    """An argparse type: ``KEY=VALUE`` with VALUE read as TOML (``hidden=128``,
    ``fashion=true``) or else text; dashes in KEY become underscores."""
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    from ..recipes.registry import parse_value

    return key.strip().replace("-", "_"), parse_value(value.strip())


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", nargs="?", metavar="RECIPE",
                        help="recipe name (see `nnscratch recipes`); optional with --resume")
    for flag, (name, kind, metavar, text) in TRAIN_FLAGS.items():
        parser.add_argument(flag, dest=name, type=kind, metavar=metavar, help=text)
    parser.add_argument("--out", metavar="DIR", help="run folder (default runs/RECIPE-TIME)")
    parser.add_argument("--resume", metavar="DIR", help="continue the run in DIR from its "
                        "newest valid checkpoint (a completed run only with a larger --steps or "
                        "--epochs, the one bound given then bounding it)")
    parser.add_argument("--config", metavar="FILE.toml", help="settings file (flags win)")
    parser.add_argument("--set", dest="assignments", type=setting, action="append", default=[],
                        metavar="KEY=VALUE", help="override any setting of the recipe "
                        "(repeatable; see `nnscratch recipes`)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or messages")


def run(args: argparse.Namespace) -> int:
    from ..recipes.launch import train
    from ..recipes.registry import read_config_file

    flags = {name: getattr(args, name) for name, *_ in TRAIN_FLAGS.values()
             if getattr(args, name) is not None}
    config = read_config_file(args.config) if args.config else {}
    config.update(dict(args.assignments))  # --set wins over the file, named flags over both
    return train(args.recipe, flags, config, out=args.out, resume=args.resume, quiet=args.quiet)
