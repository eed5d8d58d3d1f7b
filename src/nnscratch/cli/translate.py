"""``nnscratch translate RUN_DIR [TEXT …] [--beam K] [--attention FILE.png]``: sentences
translated by a seq2seq or seq2seq-dates run (the library side is
:func:`nnscratch.recipes.translate.load_translator`)."""

from __future__ import annotations

import argparse
import sys

from .arguments import UsageError

NAME = "translate"
HELP = "translate sentences with a trained seq2seq run"


def configure(parser: argparse.ArgumentParser) -> None:
    from ..recipes.translate import date_formats_summary

    parser.description = ("Translate sentences with a trained seq2seq or seq2seq-dates run. "
                          "Characters or words the model never saw in training are named in a "
                          "warning (the model reads them as <unk>). " + date_formats_summary()
                          + " An output of a date model that is not a real YYYY-MM-DD date is "
                          "flagged in a warning.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder of seq2seq or "
                        "seq2seq-dates")
    parser.add_argument("text", nargs="*", metavar="TEXT",
                        help="sentences to translate (default: one per line from stdin)")
    parser.add_argument("--beam", type=int, metavar="K", help="beam size (default: the run's; "
                        "1 is greedy decoding)")
    parser.add_argument("--attention", metavar="FILE.png",
                        help="also draw the attention heat-map of the first sentence")
    parser.add_argument("--device", default="cpu", metavar="cpu|cuda", help="where to run")


def _warn(text: str) -> None:
    print(f"nnscratch translate: warning: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from ..recipes.translate import is_iso_date, load_translator, plot_translation

    if args.beam is not None and args.beam < 1:
        raise UsageError(f"nnscratch translate: --beam must be >= 1, got {args.beam}")
    texts = args.text or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        raise UsageError("nnscratch translate: give sentences to translate (or pipe them in)")
    blank = [number for number, text in enumerate(texts, start=1) if not text.strip()]
    if blank:
        which = f"text {blank[0]}" if len(texts) > 1 else "the text"
        raise UsageError(f"nnscratch translate: {which} is empty or only spaces: nothing to "
                         f"translate")
    try:
        translator = load_translator(args.run_dir, args.device)
        unseen = translator.unseen(texts)
        if unseen:
            kind = "characters" if translator.source_tokenizer.level == "char" else "words"
            _warn(f"the model never saw the {kind} {', '.join(map(repr, unseen))} in training; "
                  f"it reads them as <unk>")
        results = translator.translate(texts, args.beam)
        if args.attention:
            plot_translation(translator, texts[0], args.attention, args.beam)
    except ValueError as error:  # a file of the run folder that is not what it should be, named
        raise UsageError(f"nnscratch translate: {error}") from None
    if translator.writes_dates:
        invalid = [(number, translation) for number, (translation, _, _)
                   in enumerate(results, start=1) if not is_iso_date(translation)]
        if invalid:
            shown = ", ".join(f"{translation!r} (text {number})" for number, translation in invalid)
            _warn(f"{shown} {'is not a valid date' if len(invalid) == 1 else 'are not valid dates'}"
                  f": the input is probably not a date in a format the model was trained on")
    for translation, _, _ in results:
        print(translation)
    return 0
