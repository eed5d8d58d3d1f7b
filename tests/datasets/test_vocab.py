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
