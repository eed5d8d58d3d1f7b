"""The sidecars of a run folder (recipes/run_files.py): written once and atomically, read
against a declared schema, and checked against the weights' shapes before a model is built."""

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnscratch.models.captioner import Captioner
from nnscratch.models.language_model import LanguageModel
from nnscratch.models.seq2seq import Seq2Seq
from nnscratch.recipes import run_files
from nnscratch.untrusted import UntrustedFileError

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=5),
    max_leaves=16)


def _language_config(**changes):
    return {"level": "char", "vocab_size": 30, "embedding_dim": 8, "hidden_size": 16,
            "num_layers": 2, "cell": "lstm", "dropout": 0.0, "tie_weights": False,
            "lowercase": False, **changes}


def test_write_once_writes_a_missing_or_different_file_and_skips_an_identical_one(tmp_path):
    path = tmp_path / "vocab.json"
    assert run_files.write_once(path, b"one") and path.read_bytes() == b"one"
    inode, mtime = os.stat(path).st_ino, os.stat(path).st_mtime_ns
    assert not run_files.write_once(path, b"one")
    assert (os.stat(path).st_ino, os.stat(path).st_mtime_ns) == (inode, mtime)
    assert run_files.write_once(path, b"two") and path.read_bytes() == b"two"
    assert run_files.write_once(path, b"tw") and path.read_bytes() == b"tw"  # a prefix differs
    path.unlink()
    os.mkfifo(path)  # replaced, never opened for a blocking read
    assert run_files.write_once(path, b"three") and path.read_bytes() == b"three"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab.json"]


@settings(max_examples=25, deadline=None)
@given(vocab=st.integers(4, 40), embedding=st.integers(1, 12), hidden=st.integers(1, 12),
       layers=st.integers(1, 3), cell=st.sampled_from(["lstm", "gru", "rnn"]))
def test_language_model_shapes_are_the_models_own(vocab, embedding, hidden, layers, cell):
    config = run_files.language_model_description(
        _language_config(vocab_size=vocab, embedding_dim=embedding, hidden_size=hidden,
                         num_layers=layers, cell=cell), "language_model.json")
    model = LanguageModel(vocab, embedding, hidden, layers, cell=cell)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    for key, (shape, _) in run_files.language_model_shapes(config).items():
        assert shapes[key] == shape


@settings(max_examples=20, deadline=None)
@given(source=st.integers(4, 30), target=st.integers(4, 30), embedding=st.integers(1, 10),
       half=st.integers(1, 6), layers=st.integers(1, 2), encoder=st.sampled_from(["lstm", "gru"]),
       bidirectional=st.booleans())
def test_seq2seq_shapes_are_the_models_own(source, target, embedding, half, layers, encoder,
                                           bidirectional):
    model = Seq2Seq(source, target, embedding_dim=embedding, hidden_size=2 * half,
                    num_layers=layers, encoder=encoder, bidirectional=bidirectional)
    config = run_files.seq2seq_description(
        {"model": dict(model.config), "source_tokenizer": {"level": "char", "lowercase": False},
         "target_tokenizer": {"level": "char", "lowercase": False},
         "decoding": {"beam_size": 1, "length_penalty": 1.0, "max_length": 12}}, "seq2seq.json")
    assert config["model"] == model.config
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    for key, (shape, _) in run_files.seq2seq_shapes(config["model"]).items():
        assert shapes[key] == shape


@settings(max_examples=10, deadline=None)
@given(vocab=st.integers(4, 30), embedding=st.integers(1, 8), hidden=st.integers(1, 8),
       layers=st.integers(1, 2), blocks=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       image=st.sampled_from([8, 16, 20]))
def test_captioner_shapes_are_the_models_own(vocab, embedding, hidden, layers, blocks, image):
    model = Captioner(vocab, embedding, hidden, layers, image_size=image, channels=blocks)
    config = run_files.captioner_description(
        {"model": dict(model.config), "decoding": {"beam_size": 2, "length_penalty": 0.0}},
        "captioner.json")
    assert config["model"] == model.config
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    for key, (shape, _) in run_files.captioner_shapes(config["model"]).items():
        assert shapes[key] == shape


@pytest.mark.parametrize("changes, words", [
    ({"vocab_size": None}, "'vocab_size' must be an integer"),
    ({"vocab_size": 10_000_000_000}, "'vocab_size' must be in"),
    ({"hidden_size": 1_000_000_000}, "'hidden_size' must be in"),
    ({"hidden_size": True}, "'hidden_size' must be an integer"),
    ({"num_layers": 0}, "'num_layers' must be in"),
    ({"cell": "transformer"}, "'cell' must be one of lstm, gru, rnn"),
    ({"level": ["char"]}, "'level' must be a string"),
    ({"dropout": 1.0}, "'dropout' must be in [0, 1)"),
    ({"tie_weights": True}, "'tie_weights' needs embedding_dim == hidden_size"),
])
def test_language_model_description_names_the_field(changes, words):
    with pytest.raises(UntrustedFileError) as caught:
        run_files.language_model_description(_language_config(**changes), "RUN/language_model.json")
    assert "RUN/language_model.json" in str(caught.value) and words in str(caught.value)


def test_a_deleted_field_is_named():
    config = _language_config()
    del config["vocab_size"]
    with pytest.raises(UntrustedFileError, match="'vocab_size' is missing"):
        run_files.language_model_description(config, "language_model.json")


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_any_json_is_a_valid_description_or_one_error_naming_the_file(value):
    for describe in (run_files.language_model_description, run_files.seq2seq_description,
                     run_files.captioner_description):
        try:
            describe(value, "RUN/file.json")
        except UntrustedFileError as error:
            assert "RUN/file.json" in str(error) and "\n" not in str(error)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["vocab_size", "embedding_dim", "hidden_size", "num_layers", "cell"]),
       st.integers(1, 64) | st.sampled_from(["lstm", "gru", "rnn"]))
def test_a_description_that_does_not_fit_the_weights_is_one_error_naming_both(key, value):
    import numpy as np

    weights = LanguageModel(30, 8, 16, 2).state_dict()
    try:
        config = run_files.language_model_description(_language_config(**{key: value}), "lm.json")
    except UntrustedFileError:
        return
    model = LanguageModel(config["vocab_size"], config["embedding_dim"], config["hidden_size"],
                          config["num_layers"], cell=config["cell"])
    wanted = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    fits = wanted == {k: tuple(v.shape) for k, v in weights.items()}  # the truth, by building
    try:
        run_files.check_shapes(weights, run_files.language_model_shapes(config),
                               description="lm.json", weights_source="RUN/model.safetensors")
        run_files.load_weights(model, weights, "RUN/model.safetensors")
    except UntrustedFileError as error:
        assert not fits and "RUN/model.safetensors" in str(error) and "\n" not in str(error)
        return
    assert fits
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(tensor.numpy(), weights[name].numpy())


def test_load_weights_turns_a_misfit_into_one_line_naming_the_file_and_key():
    model = LanguageModel(30, 8, 16, 1)
    weights = dict(model.state_dict())
    missing = {k: v for k, v in weights.items() if k != "decoder.bias"}
    with pytest.raises(ValueError) as caught:
        run_files.load_weights(model, missing, "RUN/model.safetensors")
    message = str(caught.value)
    assert "RUN/model.safetensors" in message and '"decoder.bias"' in message
    assert "\n" not in message and not isinstance(caught.value, RuntimeError)
    other = LanguageModel(30, 8, 12, 1).state_dict()
    with pytest.raises(ValueError, match=r"rnn.weight_hh_l0.*\(48, 12\).*\(64, 16\)"):
        run_files.load_weights(model, other, "RUN/model.safetensors")


def test_read_vocab_checks_its_length_against_the_description(tmp_path):
    from nnscratch.datasets.vocab import Vocab

    Vocab.build(list("abc")).save(tmp_path / "vocab.json")  # 4 specials + 3 = 7 tokens
    assert len(run_files.read_vocab(tmp_path / "vocab.json", size=7, source="lm.json",
                                    size_field="vocab_size")) == 7
    with pytest.raises(ValueError, match="vocab.json has 7 tokens but lm.json field 'vocab_size' "
                                         "gives the model 9"):
        run_files.read_vocab(tmp_path / "vocab.json", size=9, source="lm.json",
                             size_field="vocab_size")


def test_json_bytes_is_what_is_written(tmp_path):
    assert json.loads(run_files.json_bytes({"a": [1, "가"]})) == {"a": [1, "가"]}
    with pytest.raises(ValueError):
        run_files.json_bytes({"a": float("nan")})
