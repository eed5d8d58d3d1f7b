"""Character- and word-level tokenisation (datasets/tokenize.py)."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnscratch.datasets.tokenize import CharTokenizer, WordTokenizer, get_tokenizer

KOREAN = "안녕하세요, 세계!\n나는 학생입니다.\n"


def test_char_keeps_every_code_point_korean_and_newlines():
    tokens = CharTokenizer().tokenize(KOREAN)
    assert tokens[:5] == ["안", "녕", "하", "세", "요"]
    assert tokens.count("\n") == 2
    assert len(tokens) == len(KOREAN)
    assert CharTokenizer().detokenize(tokens) == KOREAN


def test_char_keeps_carriage_returns_tabs_and_emoji():
    text = "a\r\n\tb 🙂\u00a0c"
    assert CharTokenizer().tokenize(text) == ["a", "\r", "\n", "\t", "b", " ", "🙂", "\u00a0", "c"]


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_char_round_trip_any_text(text):
    tokenizer = CharTokenizer()
    assert tokenizer.detokenize(tokenizer.tokenize(text)) == text


def test_word_splits_punctuation_and_ends_lines():
    tokens = WordTokenizer().tokenize(KOREAN)
    assert tokens == ["안녕하세요", ",", "세계", "!", "<eos>", "나는", "학생입니다", ".", "<eos>"]


def test_word_keeps_code_identifiers_and_splits_operators():
    tokens = WordTokenizer(eos_token=None).tokenize("self.x_1 = f(a, b) + 2.5")
    assert tokens == ["self", ".", "x_1", "=", "f", "(", "a", ",", "b", ")", "+", "2", ".", "5"]


def test_word_keeps_combining_marks_inside_the_word():
    decomposed = unicodedata.normalize("NFD", "café naïve")
    assert WordTokenizer(eos_token=None).tokenize(decomposed) == decomposed.split()


def test_word_lowercase_and_detokenize_restores_lines():
    tokenizer = WordTokenizer(lowercase=True)
    tokens = tokenizer.tokenize("Hello World\nBye\n")
    assert tokens == ["hello", "world", "<eos>", "bye", "<eos>"]
    assert tokenizer.detokenize(tokens) == "hello world\nbye\n"


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_word_tokens_cover_every_non_space_character_in_order(text):
    tokens = WordTokenizer(eos_token=None).tokenize(text)
    assert all(token and not any(ch.isspace() for ch in token) for token in tokens)
    assert "".join(tokens) == "".join(ch for ch in text if not ch.isspace())


def test_get_tokenizer_levels_and_errors():
    assert isinstance(get_tokenizer("char"), CharTokenizer)
    assert get_tokenizer("word", lowercase=True).lowercase
    with pytest.raises(ValueError, match="level"):
        get_tokenizer("byte")
    with pytest.raises(TypeError, match="str"):
        CharTokenizer().tokenize(b"bytes")
