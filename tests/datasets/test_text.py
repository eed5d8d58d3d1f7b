"""Text corpora and the language-model batcher (datasets/text.py)."""

import numpy as np
import pytest

from nnscratch.datasets.text import (
    LanguageModelBatches,
    TextCorpus,
    default_corpus,
    default_corpus_text,
    read_text_file,
)

KOREAN = "안녕하세요. 나는 학생입니다.\n오늘은 날씨가 좋습니다!\n" * 20


def test_non_utf8_file_names_the_file_and_byte_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("héllo".encode("latin-1"))  # é is byte 0xe9 at offset 1
    with pytest.raises(ValueError, match=r"latin1\.txt.*0xe9.*offset 1"):
        TextCorpus.from_file(path)


def test_empty_corpus_is_an_error(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.txt.*empty"):
        TextCorpus.from_file(path)
    with pytest.raises(ValueError, match="empty"):
        TextCorpus(" \n\t ", level="word", name="blank")  # whitespace only: no word tokens


def test_utf8_file_with_bom_reads_korean(tmp_path):
    path = tmp_path / "ko.txt"
    path.write_bytes(b"\xef\xbb\xbf" + KOREAN.encode("utf-8"))
    assert read_text_file(path) == KOREAN


def test_split_is_in_order_and_vocab_comes_from_train_only():
    text = "a" * 80 + "b" * 10 + "c" * 10
    corpus = TextCorpus(text, split=(0.8, 0.1, 0.1))
    decode = corpus.vocab.decode
    assert "".join(decode(corpus.train)) == "a" * 80
    assert "b" not in corpus.vocab and "c" not in corpus.vocab
    assert list(corpus.valid) == [corpus.vocab.unk_index] * 10
    assert corpus.train.dtype == np.int64


def test_word_corpus_round_trip_korean():
    corpus = TextCorpus(KOREAN, level="word", split=(1.0, 0.0, 0.0))
    words = corpus.tokenizer.detokenize(corpus.vocab.decode(corpus.train))
    assert words.splitlines()[0] == "안녕하세요 . 나는 학생입니다 ."
    assert corpus.vocab["<eos>"] == corpus.vocab.eos_index
    assert len(corpus.valid) == 0 and len(corpus.test) == 0


def test_too_short_or_bad_split_is_an_error():
    with pytest.raises(ValueError, match="too few"):
        TextCorpus("abc")
    with pytest.raises(ValueError, match="summing to 1"):
        TextCorpus("abcdef" * 100, split=(0.5, 0.2, 0.2))


def test_default_corpus_is_python_and_deterministic():
    first = default_corpus_text(200_000)
    assert first == default_corpus_text(200_000)
    assert len(first.encode("utf-8")) <= 200_000
    assert "def " in first and "self." in first and "\n    " in first
    corpus = default_corpus(max_bytes=50_000)
    assert len(corpus.train) + len(corpus.valid) + len(corpus.test) == len(default_corpus_text(50_000))


def _ptb_batchify(ids, batch_size):
    """The reference: PyTorch word_language_model's batchify, (n, batch) time-major."""
    n = len(ids) // batch_size
    return np.asarray(ids[: n * batch_size]).reshape(batch_size, n).T


@pytest.mark.parametrize("batch_first", [False, True])
def test_windows_follow_the_classic_batchify(batch_first):
    ids = np.arange(103) * 7 % 31
    batches = LanguageModelBatches(ids, batch_size=4, bptt=6, batch_first=batch_first)
    source = _ptb_batchify(ids, 4)  # (25, 4)
    assert len(batches) == 4  # ceil(24 / 6)
    windows = list(batches)
    assert len(windows) == 4
    for k, (inputs, targets) in enumerate(windows):
        i = k * 6
        length = min(6, len(source) - 1 - i)
        expected_in, expected_out = source[i: i + length], source[i + 1: i + 1 + length]
        if batch_first:
            expected_in, expected_out = expected_in.T, expected_out.T
        np.testing.assert_array_equal(inputs.numpy(), expected_in)
        np.testing.assert_array_equal(targets.numpy(), expected_out)
        assert inputs.dtype == np.int64
    assert batches.num_tokens == 4 * 24


def test_position_state_resumes_mid_epoch():
    ids = np.arange(200)
    batches = LanguageModelBatches(ids, batch_size=2, bptt=10)
    everything = [x.numpy() for x, _ in batches]
    iterator = iter(batches)
    next(iterator), next(iterator), next(iterator)
    state = batches.state_dict()
    resumed = LanguageModelBatches(ids, batch_size=2, bptt=10)
    resumed.load_state_dict(state)
    rest = [x.numpy() for x, _ in resumed]
    assert len(rest) == len(everything) - 3
    for got, want in zip(rest, everything[3:]):
        np.testing.assert_array_equal(got, want)
    assert len(list(resumed)) == len(everything)  # the next epoch starts at 0
    with pytest.raises(ValueError, match="position"):
        resumed.load_state_dict({"position": 999})


def test_batcher_errors():
    with pytest.raises(ValueError, match="5 tokens.*batch_size"):
        LanguageModelBatches(np.arange(5), batch_size=4, bptt=3)
    with pytest.raises(ValueError, match="1-D integer"):
        LanguageModelBatches(np.zeros((3, 3), dtype=np.int64), batch_size=1, bptt=2)
    with pytest.raises(ValueError, match="bptt"):
        LanguageModelBatches(np.arange(10), batch_size=1, bptt=0)
