"""The files of a seq2seq run, its attention heat-maps, and ``nnscratch translate RUN_DIR TEXT``.

A ``seq2seq`` or ``seq2seq-dates`` run folder holds, besides what every run has:

    seq2seq.json           the model's constructor arguments, how each side is tokenised, and
                           the decoding settings (beam size, length penalty, maximum length)
    source_vocab.json      the vocabularies (see datasets/vocab.py), human-readable
    target_vocab.json
    attention/*.png        heat-maps of the attention weights for a few test sentences

so that ``nnscratch translate`` rebuilds the model with nothing but the run folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..cli import UsageError, command
from ..train.atomic import atomic_save_figure
from ..train.callbacks import Callback

CONFIG_FILE, SOURCE_VOCAB_FILE, TARGET_VOCAB_FILE = "seq2seq.json", "source_vocab.json", "target_vocab.json"
ATTENTION_FOLDER = "attention"
# fonts with Hangul glyphs, tried before matplotlib's default when installed
_CJK_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "NanumGothic", "Malgun Gothic",
              "Apple SD Gothic Neo", "UnDotum", "Baekmuk Gulim")


def save_translation_files(directory: str | Path, config: dict[str, Any], source_vocab: Any,
                           target_vocab: Any) -> None:
    """Write seq2seq.json and the two vocabularies into ``directory``."""
    from ..train.atomic import atomic_write_json

    directory = Path(directory)
    atomic_write_json(directory / CONFIG_FILE, config)
    source_vocab.save(directory / SOURCE_VOCAB_FILE)
    target_vocab.save(directory / TARGET_VOCAB_FILE)


class Translator:
    """A trained model with its vocabularies and tokenizers, ready to translate text."""

    def __init__(self, model: Any, source_vocab: Any, target_vocab: Any, source_tokenizer: Any,
                 target_tokenizer: Any, beam_size: int = 1, length_penalty: float = 1.0,
                 max_length: int = 50) -> None:
        self.model, self.source_vocab, self.target_vocab = model, source_vocab, target_vocab
        self.source_tokenizer, self.target_tokenizer = source_tokenizer, target_tokenizer
        self.beam_size, self.length_penalty, self.max_length = beam_size, length_penalty, max_length

    def translate(self, texts: Sequence[str], beam_size: int | None = None) -> list[Any]:
        """``(translation text, hypothesis, source tokens)`` for each text."""
        import numpy

        from ..datasets.parallel import decode_tokens
        from ..tensor import Tensor

        beam_size = self.beam_size if beam_size is None else beam_size
        tokens = [self.source_tokenizer.tokenize(text) for text in texts]
        empty = [i + 1 for i, t in enumerate(tokens) if not t]
        if empty:
            raise ValueError(f"translate: text {empty[0]} is empty")
        longest = max(len(t) for t in tokens)
        ids = numpy.full((len(tokens), longest), self.source_vocab.pad_index, dtype=numpy.int64)
        for row, sentence in enumerate(tokens):
            ids[row, :len(sentence)] = self.source_vocab.encode(sentence)
        device = next(iter(self.model.parameters())).device
        source = Tensor(ids).to(device)
        lengths = numpy.array([len(t) for t in tokens])
        if beam_size > 1:
            hypotheses = self.model.beam_search(source, lengths, beam_size, self.max_length,
                                                self.length_penalty)
        else:
            hypotheses = self.model.greedy_decode(source, lengths, self.max_length)
        return [(decode_tokens(h.tokens, self.target_vocab, self.target_tokenizer), h, t)
                for h, t in zip(hypotheses, tokens)]


def load_translator(run_dir: str | Path, device: str = "cpu") -> Translator:
    """The model of a seq2seq run folder (final weights, or its newest valid checkpoint)."""
    from .. import backend
    from ..datasets.parallel import make_tokenizer
    from ..datasets.vocab import Vocab
    from ..models.seq2seq import Seq2Seq
    from ..train.run import RunFolder

    run = RunFolder(run_dir)
    config_path = run.path / CONFIG_FILE
    if not config_path.exists():
        raise FileNotFoundError(f"{run.path} is not a seq2seq run folder (no {CONFIG_FILE})")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
        model = Seq2Seq(**config["model"])
        tokenizers = [make_tokenizer(config[side]["level"], config[side]["lowercase"])
                      for side in ("source_tokenizer", "target_tokenizer")]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{config_path} is not a valid seq2seq description ({error})") from None
    source_vocab = Vocab.load(run.path / SOURCE_VOCAB_FILE)
    target_vocab = Vocab.load(run.path / TARGET_VOCAB_FILE)
    weights = run.final_weights(backend.CPU)
    model.load_state_dict(weights)
    model.to(device).eval()
    decoding = config.get("decoding", {})
    return Translator(model, source_vocab, target_vocab, *tokenizers,
                      beam_size=decoding.get("beam_size", 1),
                      length_penalty=decoding.get("length_penalty", 1.0),
                      max_length=decoding.get("max_length", 50))


# ---------------------------------------------------------------------------- heat-maps
def plot_attention(weights: Any, source_tokens: Sequence[str], output_tokens: Sequence[str],
                   path: str | Path, title: str | None = None) -> Path:
    """Write a heat-map of ``weights`` (len(output_tokens), len(source_tokens)) as a PNG:
    row t shows where the decoder looked while writing output token t."""
    import matplotlib

    matplotlib.use("Agg")  # headless
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    families = [name for name in _CJK_FONTS if name in installed] + ["DejaVu Sans"]

    def label(token: str) -> str:
        return "␣" if token == " " else token

    rows, columns = len(output_tokens), len(source_tokens)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), matplotlib.rc_context({"font.family": families}):
        warnings.simplefilter("ignore")  # a glyph missing from every installed font
        figure, axes = plt.subplots(figsize=(max(4.0, 0.32 * columns + 2.0),
                                             max(3.0, 0.32 * rows + 1.5)), dpi=100)
        image = axes.imshow(weights[:rows, :columns], cmap="viridis", vmin=0.0, vmax=1.0,
                            aspect="auto")
        axes.set_xticks(range(columns))
        long_tokens = any(len(t) > 2 for t in source_tokens)
        axes.set_xticklabels([label(t) for t in source_tokens], rotation=90 if long_tokens else 0)
        axes.set_yticks(range(rows))
        axes.set_yticklabels([label(t) for t in output_tokens])
        axes.set_xlabel("source")
        axes.set_ylabel("output")
        if title:
            axes.set_title(title, fontsize=9)
        figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
        figure.tight_layout()
        return atomic_save_figure(figure, path)


def plot_translation(translator: Translator, text: str, path: str | Path,
                     beam_size: int | None = None) -> Path:
    """Translate ``text`` and draw its attention heat-map into ``path``."""
    translation, hypothesis, source_tokens = translator.translate([text], beam_size)[0]
    output_tokens = translator.target_vocab.decode(hypothesis.tokens)
    if hypothesis.finished:
        output_tokens.append("<eos>")
    return plot_attention(hypothesis.attention, source_tokens, output_tokens, path,
                          title=f"{text}  →  {translation}")


class TranslationFiles(Callback):
    """Writes seq2seq.json and the vocabularies when a run starts, and attention heat-maps
    for ``examples`` (source texts) into ``attention/`` when it completes."""

    def __init__(self, config: dict[str, Any], source_vocab: Any, target_vocab: Any,
                 examples: Sequence[str] = ()) -> None:
        self.config, self.source_vocab, self.target_vocab = config, source_vocab, target_vocab
        self.examples = list(examples)

    def on_fit_start(self, trainer: Any) -> None:
        if trainer.run is not None:
            self.config["model"] = dict(trainer.model.config)
            save_translation_files(trainer.run.path, self.config, self.source_vocab,
                                   self.target_vocab)

    def on_fit_end(self, trainer: Any, status: str) -> None:
        if trainer.run is None or status != "completed" or not self.examples:
            return
        from ..datasets.parallel import make_tokenizer

        config = self.config
        translator = Translator(
            trainer.model, self.source_vocab, self.target_vocab,
            make_tokenizer(config["source_tokenizer"]["level"], config["source_tokenizer"]["lowercase"]),
            make_tokenizer(config["target_tokenizer"]["level"], config["target_tokenizer"]["lowercase"]),
            **config["decoding"])
        try:
            for number, text in enumerate(self.examples, start=1):
                plot_translation(translator, text,
                                 trainer.run.path / ATTENTION_FOLDER / f"attention-{number}.png")
        except ImportError:
            trainer.progress.message("matplotlib is not installed: no attention heat-maps "
                                     "(pip install 'nnscratch[plot]')")


# ---------------------------------------------------------------------------- the command
def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder of seq2seq or "
                        "seq2seq-dates")
    parser.add_argument("text", nargs="*", metavar="TEXT",
                        help="sentences to translate (default: one per line from stdin)")
    parser.add_argument("--beam", type=int, metavar="K", help="beam size (default: the run's; "
                        "1 is greedy decoding)")
    parser.add_argument("--attention", metavar="FILE.png",
                        help="also draw the attention heat-map of the first sentence")
    parser.add_argument("--device", default="cpu", metavar="cpu|cuda", help="where to run")


@command("translate", "translate sentences with a trained seq2seq run", _configure)
def translate_command(args: argparse.Namespace) -> int:
    if args.beam is not None and args.beam < 1:
        raise UsageError(f"nnscratch translate: --beam must be >= 1, got {args.beam}")
    texts = args.text or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        raise UsageError("nnscratch translate: give sentences to translate (or pipe them in)")
    try:
        translator = load_translator(args.run_dir, args.device)
        results = translator.translate(texts, args.beam)
        if args.attention:
            plot_translation(translator, texts[0], args.attention, args.beam)
    except ValueError as error:
        raise UsageError(f"nnscratch translate: {error}") from None
    for translation, _, _ in results:
        print(translation)
    return 0
