"""``nnscratch generate RUN_DIR [--prompt TEXT] [--length N] …``: text sampled from a char-lm or
word-lm run (the library side is :func:`nnscratch.recipes.generate.generate_text`)."""

from __future__ import annotations

import argparse

from .arguments import UsageError, non_negative_float, non_negative_int

NAME = "generate"
HELP = "print text sampled from a trained char-lm or word-lm run"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a char-lm or word-lm run folder")
    parser.add_argument("--prompt", default="", metavar="TEXT", help="text to continue (default: "
                        "start of a line)")
    parser.add_argument("--length", type=non_negative_int, default=300, metavar="N",
                        help="tokens to generate: characters (char-lm) or words (word-lm)")
    parser.add_argument("--temperature", type=non_negative_float, default=0.8, metavar="T",
                        help="divide the logits by T (< 1 safer, > 1 wilder, 0 most likely)")
    parser.add_argument("--top-k", dest="top_k", type=non_negative_int, default=None, metavar="K",
                        help="draw from the K most likely tokens only")
    parser.add_argument("--seed", type=non_negative_int, default=None, metavar="N",
                        help="seed of the draws (default: different every time)")
    parser.add_argument("--device", default="cpu", metavar="cpu|cuda", help="where to run")


def run(args: argparse.Namespace) -> int:
    if args.top_k == 0:
        raise UsageError("nnscratch generate: --top-k must be >= 1")
    import numpy

    from ..recipes.generate import generate_text

    seed = args.seed
    if seed is None:
        seed = int(numpy.random.SeedSequence().entropy % (2**63))
    try:
        text = generate_text(args.run_dir, args.prompt, args.length, args.temperature, args.top_k,
                             seed, args.device)
    except (ValueError, FileNotFoundError) as error:  # a missing or corrupt file, named
        raise UsageError(f"nnscratch generate: {error}") from None
    print(text)
    return 0
