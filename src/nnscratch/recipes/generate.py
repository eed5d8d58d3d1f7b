"""``nnscratch generate RUN_DIR``: sample text from a trained char-lm or word-lm run.

The run folder holds everything needed: ``language_model.json`` (the model's shape and the
tokenisation level), ``vocab.json`` and the weights (``model.safetensors``, or the newest valid
checkpoint of a run that has not finished). The prompt is tokenised like the training text and
fed through the model; then ``--length`` tokens are drawn one at a time (characters for char-lm,
words for word-lm) and the prompt and its continuation are printed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .. import backend
from ..cli import UsageError, command, non_negative_float, non_negative_int
from ..datasets.tokenize import get_tokenizer
from ..models.language_model import LanguageModel
from .language import MODEL_FILE, read_language_model_files
from .run_files import check_shapes, language_model_shapes, load_weights, run_weights


def load_language_model(run_dir: str | Path, device: str = "cpu") -> tuple[LanguageModel, Any, Any]:
    """The model (weights loaded, eval mode), its vocabulary and tokenizer from a run folder.

    Everything read is checked before the model is built (run_files.py): the description's
    fields, the vocabulary against ``vocab_size``, and the weights' shapes against the
    description, so a folder that does not hold a consistent model is one ValueError naming
    the file and the field."""
    from ..train.run import RunFolder

    config, vocab = read_language_model_files(run_dir)
    weights, source = run_weights(RunFolder(run_dir), backend.CPU)
    check_shapes(weights, language_model_shapes(config), weights_source=source,
                 description=Path(run_dir) / MODEL_FILE)
    model = LanguageModel(config["vocab_size"], config["embedding_dim"], config["hidden_size"],
                          config["num_layers"], cell=config["cell"], dropout=config["dropout"],
                          tie_weights=config["tie_weights"])
    load_weights(model, weights, source)
    model.to(device).eval()
    options = {"lowercase": config["lowercase"]} if config["level"] == "word" else {}
    return model, vocab, get_tokenizer(config["level"], **options)


def generate_text(run_dir: str | Path, prompt: str = "", length: int = 200, temperature: float = 0.8,
                  top_k: int | None = None, seed: int | None = None, device: str = "cpu") -> str:
    """The prompt followed by ``length`` sampled tokens, as text."""
    model, vocab, tokenizer = load_language_model(run_dir, device)
    if seed is not None:
        backend.manual_seed(seed)
    tokens = tokenizer.tokenize(prompt)
    if tokenizer.level == "word" and tokens and not prompt.endswith("\n"):
        tokens = tokens[:-1]  # the prompt's last line is not finished: no <eos> yet
    ids = vocab.encode(tokens)
    shown = prompt
    if not ids:  # start as if after a line break, which is not printed
        start = vocab.index_of("\n") if tokenizer.level == "char" else vocab.eos_index
        ids = [start if start is not None else min(len(vocab.specials), len(vocab) - 1)]
    # special tokens are not characters or words of the text: never draw them, except <eos>
    # (a line break) in word-level text
    allowed = {vocab.eos_index} if tokenizer.level == "word" else set()
    never = [vocab.index_of(s) for s in vocab.specials if vocab.index_of(s) not in allowed]
    generated = model.generate(ids, length, temperature=temperature, top_k=top_k, exclude_ids=never)
    text = tokenizer.detokenize(vocab.decode(generated))
    if tokenizer.level == "word" and shown and not shown[-1].isspace() and text and text[0] != "\n":
        shown += " "
    return shown + text


def _configure(parser: argparse.ArgumentParser) -> None:
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


@command("generate", "print text sampled from a trained char-lm or word-lm run", _configure)
def generate_command(args: argparse.Namespace) -> int:
    if args.top_k == 0:
        raise UsageError("nnscratch generate: --top-k must be >= 1")
    seed = args.seed
    if seed is None:
        import numpy

        seed = int(numpy.random.SeedSequence().entropy % (2**63))
    try:
        text = generate_text(args.run_dir, args.prompt, args.length, args.temperature, args.top_k,
                             seed, args.device)
    except (ValueError, FileNotFoundError) as error:  # a missing or corrupt file, named
        raise UsageError(f"nnscratch generate: {error}") from None
    print(text)
    return 0
