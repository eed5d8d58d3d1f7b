"""The files of a seq2seq run, its attention heat-maps, and the translator it makes.

A ``seq2seq`` or ``seq2seq-dates`` run folder holds, besides what every run has:

    seq2seq.json           the model's constructor arguments, how each side is tokenised, and
                           the decoding settings (beam size, length penalty, maximum length)
    source_vocab.json      the vocabularies (see datasets/vocab.py), human-readable
    target_vocab.json
    attention/*.png        heat-maps of the attention weights for a few test sentences

so that :func:`load_translator` (and ``nnscratch translate RUN_DIR TEXT``, in
nnscratch/cli/translate.py) rebuilds the model with nothing but the run folder.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..train.callbacks import Callback
from ..untrusted import UntrustedFileError
from ..viz.attention_map import plot_attention
from .run_files import (
    check_shapes,
    json_bytes,
    load_weights,
    read_description,
    read_vocab,
    run_weights,
    seq2seq_description,
    seq2seq_shapes,
    write_once,
)

CONFIG_FILE, SOURCE_VOCAB_FILE, TARGET_VOCAB_FILE = "seq2seq.json", "source_vocab.json", "target_vocab.json"
ATTENTION_FOLDER = "attention"
#: the characters a seq2seq-dates model writes (after the special tokens)
DATE_OUTPUT_ALPHABET = frozenset("0123456789-")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def date_formats_summary() -> str:
    """What a seq2seq-dates model was trained on: every format (as 3 September 2021 is written
    in it) and the range of dates, from datasets/dates.py."""
    from ..datasets.dates import CASES, FIRST_DAY, FORMATS, LAST_DAY

    example = datetime.date(2021, 9, 3)
    written = "; ".join(dict.fromkeys(write(example) for write in FORMATS.values()))
    cases = ", ".join(name for name, _, _ in CASES)
    return (f"seq2seq-dates models read dates from {FIRST_DAY.isoformat()} to "
            f"{LAST_DAY.isoformat()} (years {FIRST_DAY.year}-{LAST_DAY.year}; two-digit years "
            f"69-99 are 19xx, 00-68 are 20xx; numeric dates are day first), in English and "
            f"Korean, in {len(FORMATS)} formats, written like: {written} (each {cases}). "
            f"Anything else gives an unreliable answer.")


def save_translation_files(directory: str | Path, config: dict[str, Any], source_vocab: Any,
                           target_vocab: Any) -> None:
    """Write seq2seq.json and the two vocabularies into ``directory``, atomically, each only
    when it differs from the file there (a resumed run leaves them as they are)."""
    directory = Path(directory)
    write_once(directory / CONFIG_FILE, json_bytes(config))
    write_once(directory / SOURCE_VOCAB_FILE, source_vocab.dumps().encode("utf-8"))
    write_once(directory / TARGET_VOCAB_FILE, target_vocab.dumps().encode("utf-8"))


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

        from .._tensor import Tensor
        from ..datasets.parallel import decode_tokens

        beam_size = self.beam_size if beam_size is None else beam_size
        tokens = [self.source_tokenizer.tokenize(text) for text in texts]
        empty = [i + 1 for i, (text, t) in enumerate(zip(texts, tokens)) if not t or not text.strip()]
        if empty:
            raise ValueError(f"Translator.translate: text {empty[0]} of {len(texts)} is empty "
                             f"or only spaces; there is nothing to translate")
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

    def unseen(self, texts: Sequence[str]) -> list[str]:
        """The tokens (characters or words) of ``texts`` that are not in the source
        vocabulary, each once, in order of appearance: the model reads them all as <unk>."""
        found = (token for text in texts for token in self.source_tokenizer.tokenize(text)
                 if token not in self.source_vocab)
        return list(dict.fromkeys(found))

    @property
    def writes_dates(self) -> bool:
        """True for a seq2seq-dates model: its outputs are ISO dates."""
        vocab = self.target_vocab
        return set(vocab.itos[len(vocab.specials):]) == DATE_OUTPUT_ALPHABET


def is_iso_date(text: str) -> bool:
    """True when ``text`` is a real calendar date written YYYY-MM-DD ("2020-22-12" is not)."""
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def load_translator(run_dir: str | Path, device: str = "cpu") -> Translator:
    """The model of a seq2seq run folder (final weights, or its newest valid checkpoint).

    ``seq2seq.json``, both vocabularies and the weights are checked against each other before
    the model is built (run_files.py); any fault is one ValueError naming the file and field."""
    from .. import backend
    from ..datasets.parallel import make_tokenizer
    from ..models.seq2seq import Seq2Seq
    from ..train.run import RunFolder

    run = RunFolder(run_dir)
    if not run.path.is_dir():
        raise FileNotFoundError(f"run folder {run.path} does not exist" if not run.path.exists()
                                else f"{run.path} is not a folder")
    config_path = run.path / CONFIG_FILE
    if not config_path.exists() and not config_path.is_symlink():
        raise FileNotFoundError(f"{run.path} is not a seq2seq run folder (no {CONFIG_FILE})")
    config = seq2seq_description(read_description(config_path, "seq2seq description"), config_path)
    arguments = config["model"]
    source_vocab = read_vocab(run.path / SOURCE_VOCAB_FILE, size=arguments["source_vocab_size"],
                              source=config_path, size_field="model.source_vocab_size")
    target_vocab = read_vocab(run.path / TARGET_VOCAB_FILE, size=arguments["target_vocab_size"],
                              source=config_path, size_field="model.target_vocab_size")
    for key, vocab_file, index in (("pad_index", SOURCE_VOCAB_FILE, source_vocab.pad_index),
                                   ("pad_index", TARGET_VOCAB_FILE, target_vocab.pad_index),
                                   ("bos_index", TARGET_VOCAB_FILE, target_vocab.bos_index),
                                   ("eos_index", TARGET_VOCAB_FILE, target_vocab.eos_index)):
        if arguments[key] != index:
            raise UntrustedFileError(f"{config_path}: field 'model.{key}' is {arguments[key]} but "
                                     f"{run.path / vocab_file} has that token at {index}")
    weights, source = run_weights(run, backend.CPU)
    check_shapes(weights, seq2seq_shapes(arguments), description=config_path,
                 weights_source=source)
    try:
        model = Seq2Seq(**arguments)
    except ValueError as error:  # an attention kind it does not know, …
        raise UntrustedFileError(f"{config_path}: {error}") from None
    load_weights(model, weights, source)
    model.to(device).eval()
    tokenizers = [make_tokenizer(config[side]["level"], config[side]["lowercase"])
                  for side in ("source_tokenizer", "target_tokenizer")]
    return Translator(model, source_vocab, target_vocab, *tokenizers, **config["decoding"])


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
