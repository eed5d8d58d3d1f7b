"""Sample text from a trained char-lm or word-lm run (``nnscratch generate RUN_DIR``, in
nnscratch/cli/generate.py, prints it).

The run folder holds everything needed: ``language_model.json`` (the model's shape and the
tokenisation level), ``vocab.json`` and the weights (``model.safetensors``, or the newest valid
checkpoint of a run that has not finished). The prompt is tokenised like the training text and
fed through the model; then ``--length`` tokens are drawn one at a time (characters for char-lm,
words for word-lm) and the prompt and its continuation are printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import backend
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
