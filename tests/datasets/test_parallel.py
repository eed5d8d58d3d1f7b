"""ParallelCorpus: Tatoeba-style tab-separated pairs, tokenisation, vocabularies, length filter,
and malformed lines reported with their line numbers (or refused with strict=True)."""

import numpy as np
import pytest

from nnscratch.datasets import ParallelCorpus

TATOEBA = (
    "Hi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM) & #509819 (Aiji)\n"
    "Run!\tCours !\tCC-BY 2.0 (France) Attribution: tatoeba.org #906328 (papabear)\n"
    "Who are you, Tom?\tQui es-tu, Tom ?\tCC-BY 2.0 (France) Attribution: tatoeba.org #1\n"
)


def _write(tmp_path, text, name="pairs.tsv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_reads_tatoeba_pairs_lowercased_with_punctuation_split(tmp_path):
    corpus = ParallelCorpus(_write(tmp_path, TATOEBA))
    assert len(corpus) == 3 and corpus.problems == []
    assert corpus.pairs[0] == (["hi", "."], ["salut", "!"])
    assert corpus.pairs[2] == (["who", "are", "you", ",", "tom", "?"],
                               ["qui", "es", "-", "tu", ",", "tom", "?"])
    assert corpus.line_numbers == [1, 2, 3]
    assert corpus.target_text(2) == "qui es - tu , tom ?"
    cased = ParallelCorpus(_write(tmp_path, TATOEBA), lowercase=False)
    assert cased.pairs[2][0][:2] == ["Who", "are"]


def test_vocabularies_and_encoded_examples(tmp_path):
    corpus = ParallelCorpus(_write(tmp_path, TATOEBA))
    assert corpus.source_vocab.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert "tom" in corpus.source_vocab and "tom" in corpus.target_vocab
    source, target = corpus[2]
    assert source.dtype == np.int64 and target.dtype == np.int64
    assert corpus.source_vocab.decode(source) == corpus.pairs[2][0]
    eos = corpus.target_vocab.eos_index
    assert corpus.decode_target(list(target) + [eos, 5, 6]) == corpus.target_text(2)
    assert corpus.encode_source("Who are YOU?") == corpus.source_vocab.encode(
        ["who", "are", "you", "?"])
    corpus.build_vocabs(indices=[0, 1])  # from a training part: held-out words are unknown
    assert "tom" not in corpus.source_vocab
    assert corpus[2][0].tolist() == [corpus.source_vocab.unk_index] * 6  # no word was seen
    assert corpus[0][0].tolist() == corpus.source_vocab.encode(["hi", "."])


def test_malformed_lines_are_skipped_and_reported_with_line_numbers(tmp_path):
    lines = [b"Hi.\tSalut.", b"no tab on this line", b"", b"Go.\t   ", b"\tVa !",
             b"bad \xff\xfe bytes\tmauvais", b"Wait!\tAttends !\r", b"   "]
    path = _write(tmp_path, b"\n".join(lines) + b"\n")
    with pytest.warns(UserWarning, match=r"skipped 4 malformed line\(s\): line 2: no tab") as caught:
        corpus = ParallelCorpus(path)
    message = str(caught[0].message)
    assert str(path) in message and "line 4" in message and "line 6" in message
    assert [number for number, _ in corpus.problems] == [2, 4, 5, 6]
    reasons = dict(corpus.problems)
    assert "no tab" in reasons[2] and "empty target" in reasons[4]
    assert "empty source" in reasons[5] and "UTF-8" in reasons[6]
    assert corpus.pairs == [(["hi", "."], ["salut", "."]), (["wait", "!"], ["attends", "!"])]
    assert corpus.line_numbers == [1, 7]


def test_strict_raises_at_the_first_malformed_line(tmp_path):
    path = _write(tmp_path, "Hi.\tSalut.\n\nRun!\n")
    with pytest.raises(ValueError, match=r"pairs.tsv, line 3: no tab"):
        ParallelCorpus(path, strict=True)


def test_length_filter_reverse_and_byte_order_mark(tmp_path):
    path = _write(tmp_path, "\ufeff" + TATOEBA)
    corpus = ParallelCorpus(path, max_length=3, reverse=True)
    assert corpus.filtered == 1  # "who are you , tom ?" has 6 tokens
    assert corpus.pairs[0] == (["salut", "!"], ["hi", "."])
    with pytest.raises(ValueError, match="max_length"):
        ParallelCorpus(path, max_length=0)


def test_a_file_without_pairs_is_refused(tmp_path):
    with pytest.warns(UserWarning):
        with pytest.raises(ValueError, match=r"holds no sentence pairs .*2 malformed"):
            ParallelCorpus(_write(tmp_path, "one\ntwo\n"))
    with pytest.raises(FileNotFoundError):
        ParallelCorpus(tmp_path / "missing.tsv")


def test_character_level(tmp_path):
    corpus = ParallelCorpus(_write(tmp_path, "Ab c\tXy\n"), level="char")
    assert corpus.pairs[0] == (["a", "b", " ", "c"], ["x", "y"])
    assert corpus.target_text(0) == "xy"
