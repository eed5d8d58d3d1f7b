"""The sidecar files of a run folder: how they are written (atomically, once) and their schemas.

A run folder of char-lm/word-lm, seq2seq(-dates) or caption-shapes holds, besides the weights,
JSON files that say how to rebuild the model (``language_model.json``, ``seq2seq.json``,
``captioner.json``) and its vocabularies (``vocab.json``, ``source_vocab.json``,
``target_vocab.json``). A run folder may come from anyone, so everything read from it is
checked before anything is built:

- each file is read through :mod:`nnscratch.untrusted` (a regular file of bounded size, strict
  JSON, no nesting bombs);
- each field has a declared type and range (:data:`MAX_VOCAB`, :data:`MAX_WIDTH`, … bound the
  sizes, so an absurd ``hidden_size`` never reaches numpy);
- the sizes agree with each other and with the weights: a vocabulary has exactly as many tokens
  as the model's embedding has rows, and the main weight matrices have the shapes the
  description gives them (checked on the loaded weights, before the model is allocated).

Every fault is one :class:`~nnscratch.untrusted.UntrustedFileError` (a ``ValueError``) whose
message names the file and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..untrusted import UntrustedFileError, field, read_bytes, read_json_object

#: the largest model description read (they are a few hundred bytes)
CONFIG_LIMIT = 1 << 20
#: bounds of the sizes a description may give (far above any model nnscratch trains on a CPU)
MAX_VOCAB = 1 << 21
MAX_WIDTH = 1 << 13
MAX_LAYERS = 16
MAX_BEAM = 64
MAX_DECODE_LENGTH = 4096
MAX_IMAGE_SIZE = 1024
MAX_CNN_BLOCKS = 8
#: gate blocks stacked in a recurrent layer's weight matrices
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
LEVELS = ("char", "word")


def write_once(path: str | Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless the file already holds exactly ``data``
    (a resumed run leaves its sidecars untouched, so a kill cannot truncate them).
    Returns whether the file was written."""
    from ..train.atomic import atomic_write_bytes

    path = Path(path)
    try:
        if read_bytes(path, max_bytes=len(data)) == data:
            return False
    except (FileNotFoundError, ValueError):  # missing, special, larger or different: replace
        pass
    atomic_write_bytes(path, data)
    return True


def json_bytes(value: Any) -> bytes:
    """``value`` as the indented UTF-8 JSON every sidecar is written as."""
    return (json.dumps(value, indent=2, allow_nan=False) + "\n").encode("utf-8")


def read_description(path: str | Path, what: str) -> dict:
    """The JSON object of a model description (``what``: e.g. "language-model description")."""
    return read_json_object(path, max_bytes=CONFIG_LIMIT, what=what)


def read_vocab(path: str | Path, *, size: int, source: str | Path, size_field: str) -> Any:
    """The vocabulary at ``path``, which must hold exactly ``size`` tokens (the number that
    ``source``'s ``size_field`` gives the model)."""
    from ..datasets.vocab import Vocab

    vocab = Vocab.load(path)
    if len(vocab) != size:
        raise UntrustedFileError(f"{path} has {len(vocab)} tokens but {source} field "
                                 f"{size_field!r} gives the model {size}")
    return vocab


def _object(record: Mapping, key: str, source: str | Path) -> dict:
    return field(record, key, dict, source=source)


def _size(record: Mapping, key: str, source: str | Path, high: int, low: int = 1) -> int:
    return field(record, key, int, source=source, low=low, high=high)


def _choice(record: Mapping, key: str, choices: tuple, source: str | Path, **default: Any) -> str:
    value = field(record, key, str, source=source, **default)
    if value not in choices:
        raise UntrustedFileError(f"{source}: field {key!r} must be one of {', '.join(choices)}, "
                                 f"got {value!r}")
    return value


def _fraction(record: Mapping, key: str, source: str | Path, **default: Any) -> float:
    value = field(record, key, float, source=source, low=0.0, high=1.0, **default)
    if value >= 1.0 and key == "dropout":
        raise UntrustedFileError(f"{source}: field {key!r} must be in [0, 1), got {value!r}")
    return value


def _index(record: Mapping, key: str, vocab_size: int, source: str | Path) -> int:
    return field(record, key, int, source=source, low=0, high=vocab_size - 1)


def _same_index(record: Mapping, key: str, vocab: Any, token_index: int | None, source: str | Path,
                vocab_path: Path) -> None:
    if record[key] != token_index:
        raise UntrustedFileError(f"{source}: field {key!r} is {record[key]} but {vocab_path} puts "
                                 f"that token at {token_index}")


def language_model_description(config: Any, source: str | Path) -> dict[str, Any]:
    """``language_model.json`` checked: every field typed and bounded; returns the fields."""
    if not isinstance(config, dict):
        raise UntrustedFileError(f"{source} must hold a JSON object")
    checked = {
        "level": _choice(config, "level", LEVELS, source),
        "vocab_size": _size(config, "vocab_size", source, MAX_VOCAB),
        "embedding_dim": _size(config, "embedding_dim", source, MAX_WIDTH),
        "hidden_size": _size(config, "hidden_size", source, MAX_WIDTH),
        "num_layers": _size(config, "num_layers", source, MAX_LAYERS),
        "cell": _choice(config, "cell", tuple(GATES), source),
        "dropout": _fraction(config, "dropout", source, default=0.0),
        "tie_weights": field(config, "tie_weights", bool, source=source, default=False),
        "lowercase": field(config, "lowercase", bool, source=source, default=False),
    }
    if checked["tie_weights"] and checked["embedding_dim"] != checked["hidden_size"]:
        raise UntrustedFileError(f"{source}: field 'tie_weights' needs embedding_dim == hidden_size, "
                                 f"got {checked['embedding_dim']} and {checked['hidden_size']}")
    return checked


def language_model_shapes(config: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    """The weights whose shapes a language-model description fixes, with the fields that do."""
    hidden = config["hidden_size"]
    return {
        "embedding.weight": ((config["vocab_size"], config["embedding_dim"]),
                             "vocab_size, embedding_dim"),
        "rnn.weight_hh_l0": ((GATES[config["cell"]] * hidden, hidden), "cell, hidden_size"),
        f"rnn.weight_hh_l{config['num_layers'] - 1}": ((GATES[config["cell"]] * hidden, hidden),
                                                      "num_layers"),
    }


def tokenizer_description(record: Mapping, key: str, source: str | Path) -> dict[str, Any]:
    side = _object(record, key, source)
    where = f"{source} ({key})"
    return {"level": _choice(side, "level", LEVELS, where),
            "lowercase": field(side, "lowercase", bool, source=where, default=False)}


def decoding_description(record: Mapping, source: str | Path, *, max_length: bool) -> dict[str, Any]:
    """The ``decoding`` object: beam size, length penalty and (for seq2seq) maximum length."""
    decoding = _object(record, "decoding", source)
    where = f"{source} (decoding)"
    checked = {"beam_size": _size(decoding, "beam_size", where, MAX_BEAM),
               "length_penalty": field(decoding, "length_penalty", float, source=where,
                                       low=0.0, high=10.0)}
    if max_length:
        checked["max_length"] = _size(decoding, "max_length", where, MAX_DECODE_LENGTH)
    return checked


def seq2seq_description(config: Any, source: str | Path) -> dict[str, Any]:
    """``seq2seq.json`` checked: the model's arguments, both tokenizers and the decoding."""
    if not isinstance(config, dict):
        raise UntrustedFileError(f"{source} must hold a JSON object")
    model = _object(config, "model", source)
    where = f"{source} (model)"
    sizes = {key: _size(model, key, where, MAX_VOCAB)
             for key in ("source_vocab_size", "target_vocab_size")}
    checked: dict[str, Any] = {
        **sizes,
        "embedding_dim": _size(model, "embedding_dim", where, MAX_WIDTH),
        "hidden_size": _size(model, "hidden_size", where, MAX_WIDTH),
        "num_layers": _size(model, "num_layers", where, MAX_LAYERS),
        "encoder": _choice(model, "encoder", ("lstm", "gru"), where),
        "bidirectional": field(model, "bidirectional", bool, source=where),
        "encoder_hidden_size": field(model, "encoder_hidden_size", (int, type(None)), source=where,
                                     low=1, high=MAX_WIDTH, default=None),
        "attention": field(model, "attention", str, source=where),
        "attention_hidden_size": field(model, "attention_hidden_size", (int, type(None)),
                                       source=where, low=1, high=MAX_WIDTH, default=None),
        "input_feeding": field(model, "input_feeding", bool, source=where, default=False),
        "dropout": _fraction(model, "dropout", where, default=0.0),
        "teacher_forcing_ratio": _fraction(model, "teacher_forcing_ratio", where, default=1.0),
        "pad_index": _index(model, "pad_index", min(sizes.values()), where),
        "bos_index": _index(model, "bos_index", sizes["target_vocab_size"], where),
        "eos_index": _index(model, "eos_index", sizes["target_vocab_size"], where),
    }
    if checked["encoder_hidden_size"] is None:
        directions = 2 if checked["bidirectional"] else 1
        if checked["hidden_size"] % directions:
            raise UntrustedFileError(f"{where}: field 'hidden_size' must be even for a "
                                     f"bidirectional encoder, got {checked['hidden_size']}")
        checked["encoder_hidden_size"] = checked["hidden_size"] // directions
    return {"model": checked,
            "source_tokenizer": tokenizer_description(config, "source_tokenizer", source),
            "target_tokenizer": tokenizer_description(config, "target_tokenizer", source),
            "decoding": decoding_description(config, source, max_length=True)}


def seq2seq_shapes(model: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    encoder = model["encoder_hidden_size"]
    return {
        "source_embedding.weight": ((model["source_vocab_size"], model["embedding_dim"]),
                                    "source_vocab_size, embedding_dim"),
        "target_embedding.weight": ((model["target_vocab_size"], model["embedding_dim"]),
                                    "target_vocab_size, embedding_dim"),
        "encoder.weight_hh_l0": ((GATES[model["encoder"]] * encoder, encoder),
                                 "encoder, encoder_hidden_size"),
        "decoder.weight_hh_l0": ((4 * model["hidden_size"], model["hidden_size"]), "hidden_size"),
        f"decoder.weight_hh_l{model['num_layers'] - 1}": ((4 * model["hidden_size"],
                                                          model["hidden_size"]), "num_layers"),
        "output.weight": ((model["target_vocab_size"], model["hidden_size"]),
                          "target_vocab_size, hidden_size"),
    }


def captioner_description(config: Any, source: str | Path) -> dict[str, Any]:
    """``captioner.json`` checked: the Captioner's arguments and the decoding settings."""
    if not isinstance(config, dict):
        raise UntrustedFileError(f"{source} must hold a JSON object")
    model = _object(config, "model", source)
    where = f"{source} (model)"
    vocab_size = _size(model, "vocab_size", where, MAX_VOCAB)
    channels = field(model, "channels", list, source=where)
    if not 1 <= len(channels) <= MAX_CNN_BLOCKS:
        raise UntrustedFileError(f"{where}: field 'channels' must list 1 to {MAX_CNN_BLOCKS} "
                                 f"widths, got {len(channels)}")
    for number, width in enumerate(channels):
        _size({f"channels[{number}]": width}, f"channels[{number}]", where, MAX_WIDTH)
    checked = {
        "vocab_size": vocab_size,
        "embedding_dim": _size(model, "embedding_dim", where, MAX_WIDTH),
        "hidden_size": _size(model, "hidden_size", where, MAX_WIDTH),
        "num_layers": _size(model, "num_layers", where, MAX_LAYERS),
        "image_size": _size(model, "image_size", where, MAX_IMAGE_SIZE),
        "in_channels": _size(model, "in_channels", where, 4),
        "channels": list(channels),
        "dropout": _fraction(model, "dropout", where, default=0.0),
        "pad_index": _index(model, "pad_index", vocab_size, where),
        "bos_index": _index(model, "bos_index", vocab_size, where),
        "eos_index": _index(model, "eos_index", vocab_size, where),
    }
    if "forget_bias" in model:  # only the initialisation: the weights overwrite it
        checked["forget_bias"] = field(model, "forget_bias", float, source=where, low=-100.0,
                                       high=100.0)
    if checked["image_size"] >> len(channels) < 1:
        raise UntrustedFileError(f"{where}: field 'image_size' {checked['image_size']} is too small "
                                 f"for {len(channels)} CNN blocks that each halve it")
    return {"model": checked, "decoding": decoding_description(config, source, max_length=False)}


def captioner_shapes(model: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    side = model["image_size"] >> len(model["channels"])
    hidden = model["hidden_size"]
    return {
        "cnn.0.weight": ((model["channels"][0], model["in_channels"], 3, 3),
                         "channels, in_channels"),
        "image_projection.weight": ((model["embedding_dim"], model["channels"][-1] * side * side),
                                    "embedding_dim, channels, image_size"),
        "embedding.weight": ((model["vocab_size"], model["embedding_dim"]),
                             "vocab_size, embedding_dim"),
        "lstm.weight_hh_l0": ((4 * hidden, hidden), "hidden_size"),
        f"lstm.weight_hh_l{model['num_layers'] - 1}": ((4 * hidden, hidden), "num_layers"),
        "output.weight": ((model["vocab_size"], hidden), "vocab_size, hidden_size"),
    }


def check_shapes(weights: Mapping, expected: dict[str, tuple[tuple[int, ...], str]], *,
                 description: str | Path, weights_source: str | Path) -> None:
    """Every weight of ``expected`` is in ``weights`` with its shape, else one error naming
    the weights' file, the key, both shapes and the description's fields."""
    for key, (shape, fields) in expected.items():
        if key not in weights:
            raise UntrustedFileError(f"{weights_source} does not fit {description}: it has no "
                                     f"weight {key!r} (fields {fields})")
        found = tuple(getattr(weights[key], "shape", ()))
        if found != tuple(shape):
            raise UntrustedFileError(f"{weights_source} does not fit {description}: weight "
                                     f"{key!r} has shape {found}, the fields {fields} give "
                                     f"{tuple(shape)}")


def run_weights(run: Any, device: Any = "cpu") -> tuple[dict, Path]:
    """The run's final weights (``RunFolder.final_weights``) and the file they came from."""
    weights = run.final_weights(device)
    if not isinstance(weights, Mapping):
        raise UntrustedFileError(f"{run.path}: the weights are not a mapping of tensors")
    source = run.model_path if run.model_path.exists() else run.checkpoints
    return weights, source


def load_weights(model: Any, weights: Mapping, source: str | Path) -> None:
    """``model.load_state_dict(weights)``, a misfit (missing, unexpected or mis-shaped keys)
    as one ValueError naming ``source`` instead of load_state_dict's RuntimeError."""
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        problems = str(error).split("\n", 1)[-1].replace("\n\t", "; ").strip()
        raise UntrustedFileError(f"{source} does not fit the {type(model).__name__} its run "
                                 f"folder describes: {problems}") from None
