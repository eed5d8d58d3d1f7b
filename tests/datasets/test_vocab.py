"""Vocab (datasets/vocab.py): ordering, frequency cut-offs, unknown tokens, JSON save/load."""

import json
from collections import Counter

import pytest

from nnscratch.datasets.vocab import Vocab

TOKENS = list("abracadabra") + ["가", "가", "나"]


def test_specials_first_then_by_frequency_ties_in_code_point_order():
    vocab = Vocab.build(TOKENS)
    counts = Counter(TOKENS)
    expected = sorted(counts, key=lambda t: (-counts[t], t))
    assert vocab.itos == ["<pad>", "<unk>", "<bos>", "<eos>", *expected]
    assert (vocab.pad_index, vocab.unk_index, vocab.bos_index, vocab.eos_index) == (0, 1, 2, 3)
    assert len(vocab) == 4 + len(counts)
    assert all(vocab[t] == i for i, t in enumerate(vocab.itos))


def test_min_freq_and_max_size():
    counts = Counter(TOKENS)
    vocab = Vocab.build(TOKENS, min_freq=2)
    assert set(vocab.itos[4:]) == {t for t, n in counts.items() if n >= 2}
    small = Vocab.build(TOKENS, max_size=6)
    assert small.itos[4:] == ["a", "b"]  # a: 5, b: 2 ("r" and "가" also 2: code-point order)
    assert len(small) == 6
    with pytest.raises(ValueError, match="max_size 2"):
        Vocab.build(TOKENS, max_size=2)
    with pytest.raises(ValueError, match="min_freq"):
        Vocab.build(TOKENS, min_freq=0)


def test_unknown_tokens_map_to_unk_or_raise_without_one():
    vocab = Vocab.build("abc")
    assert vocab.encode(list("abz")) == [vocab["a"], vocab["b"], vocab.unk_index]
    assert vocab["zzz"] == vocab.unk_index and "zzz" not in vocab
    strict = Vocab.build("abc", specials=(), unk_token=None)
    with pytest.raises(KeyError, match="'z'"):
        strict.encode(list("abz"))
    with pytest.raises(KeyError, match="'z'"):
        strict["z"]


def test_encode_decode_round_trip_korean():
    text = list("한국어 텍스트 왕복")
    vocab = Vocab.build(text)
    assert vocab.decode(vocab.encode(text)) == text
    with pytest.raises(IndexError, match="out of range"):
        vocab.decode([len(vocab)])


def test_save_load_json_round_trip(tmp_path):
    vocab = Vocab.build(list("한국어 abc\n"), max_size=20)
    path = tmp_path / "vocab.json"
    vocab.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))  # plain JSON, readable by anything
    assert data["tokens"] == vocab.itos
    loaded = Vocab.load(path)
    assert loaded == vocab
    assert loaded.encode(list("국a?")) == vocab.encode(list("국a?"))


def test_load_rejects_files_that_are_not_vocabularies(tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x80\x81 not json")
    with pytest.raises(ValueError, match="junk.json"):
        Vocab.load(junk)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"tokens": ["a"]}))
    with pytest.raises(ValueError, match="other.json"):
        Vocab.load(other)


def test_constructor_errors():
    with pytest.raises(ValueError, match="distinct"):
        Vocab(["a", "a", "<unk>"])
    with pytest.raises(ValueError, match="unk_token"):
        Vocab(["a", "b"])
    with pytest.raises(TypeError, match="strings"):
        Vocab(["<unk>", 3])


def _vocab_file(path, **changes):
    data = {**Vocab.build(list("abc")).to_dict(), **changes}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("changes, words", [
    ({"tokens": []}, "'tokens' must list 1 to"),
    ({"tokens": "abc"}, "'tokens' must be a list"),
    ({"tokens": ["<unk>", 3]}, "'tokens' item 1 must be a non-empty string"),
    ({"tokens": ["<unk>", ""]}, "'tokens' item 1 must be a non-empty string"),
    ({"tokens": ["<unk>", "a", "a"]}, "distinct"),
    ({"specials": {"x": 1}}, "'specials' must be a list"),
    ({"specials": ["<pad>", None]}, "'specials' item 1"),
    ({"specials": ["<sep>"]}, "special tokens ['<sep>'] are not among the tokens"),
    ({"unk_token": "<oov>"}, "unk_token '<oov>'"),
    ({"unk_token": 1}, "'unk_token' must be a string or null"),
    ({"version": "1"}, "'version' must be an integer"),
    ({"version": 2}, "version 2"),
])
def test_load_checks_every_field_and_names_it(tmp_path, changes, words):
    path = _vocab_file(tmp_path / "vocab.json", **changes)
    with pytest.raises(ValueError) as caught:
        Vocab.load(path)
    assert str(path) in str(caught.value) and words in str(caught.value)


@pytest.mark.parametrize("content", [b"[" * 100_000 + b"]" * 100_000,
                                     b'{"format": "nnscratch-vocab", "version": ' + b"9" * 5000 + b"}",
                                     b'{"tokens": ["\xff"]}', b"{}", b"[]"])
def test_load_refuses_crafted_json_cleanly(tmp_path, content):
    path = tmp_path / "vocab.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="vocab.json"):
        Vocab.load(path)


def test_load_refuses_special_files_without_reading_them(tmp_path):
    import os

    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="fifo.json.*FIFO"):
        Vocab.load(fifo)  # would block forever if opened for a plain read
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="zero.json.*device"):
        Vocab.load(tmp_path / "zero.json")


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    import os

    path = tmp_path / "vocab.json"
    old = Vocab.build(list("abc"))
    old.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):  # the process dies between writing and renaming
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="vocab.json"):
        Vocab.build(list("abcdefgh")).save(path)
    assert path.read_bytes() == before  # the old vocabulary is intact, not truncated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vocab.json"]


def test_hypothesis_round_trip_of_any_tokens(tmp_path):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    path = tmp_path / "vocab.json"

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.text(min_size=1, max_size=5), unique=True, max_size=30))
    def round_trip(tokens):
        vocab = Vocab(["<unk>", *[t for t in tokens if t != "<unk>"]], specials=["<unk>"])
        vocab.save(path)
        assert Vocab.load(path) == vocab

    round_trip()


def test_hypothesis_loading_arbitrary_json_raises_only_value_errors(tmp_path):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    path = tmp_path / "vocab.json"
    values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                          lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=12)
    records = st.fixed_dictionaries({"format": st.just("nnscratch-vocab"), "version": st.just(1)},
                                    optional={"tokens": values, "specials": values,
                                              "unk_token": values})

    @settings(max_examples=150, deadline=None)
    @given(records | values)
    def load(record):
        path.write_text(json.dumps(record), encoding="utf-8")
        try:
            Vocab.load(path)
        except ValueError as error:
            assert str(path) in str(error)

    load()
