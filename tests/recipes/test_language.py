"""Recipes char-lm / word-lm and `nnscratch generate`, end to end through the CLI."""

import json
import math
import os
import subprocess
import sys

import pytest

from cli_checks import assert_usage_error
from nnscratch.datasets.vocab import Vocab

# short mode: a 30 kB slice of the default corpus, a tiny LSTM, a few steps
SMALL = {"plots": False, "corpus_bytes": 30000, "embedding_dim": 8, "hidden": 16, "bptt": 16,
         "batch_size": 8, "steps": 6, "log_every": 3}
KOREAN = "안녕하세요. 나는 학생입니다.\n오늘은 날씨가 좋습니다! 우리는 공부를 합니다.\n" * 30


def toml(**changes):
    """The SMALL settings with ``changes``, as a TOML file's text."""
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in {**SMALL, **changes}.items())


def cli(*args, cwd, timeout=180):
    return subprocess.run([sys.executable, "-m", "nnscratch", *map(str, args)], cwd=cwd,
                          env={**os.environ}, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def char_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("char")
    (cwd / "small.toml").write_text(toml())
    result = cli("train", "char-lm", "--config", "small.toml", "--out", "run", "--quiet", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return cwd / "run"


def test_char_lm_summary_has_validation_perplexity_and_bpc(char_run):
    summary = json.loads((char_run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["steps"] == 6
    final = summary["final"]
    assert math.isclose(final["perplexity"], math.exp(final["loss"]), rel_tol=1e-9)
    assert math.isclose(final["bpc"], final["loss"] / math.log(2), rel_tol=1e-9)
    vocab = Vocab.load(char_run / "vocab.json")
    # barely trained: the loss is still close to a uniform guess over the vocabulary
    assert 0.5 * math.log(len(vocab)) < final["loss"] < 1.5 * math.log(len(vocab))
    assert {"def", "self"} <= set(vocab.itos) or {"d", "e", "f", "s", "l"} <= set(vocab.itos)


def test_generate_prints_prompt_and_requested_length(char_run, tmp_path):
    first = cli("generate", char_run, "--prompt", "def ", "--length", 40, "--seed", 3, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    text = first.stdout.removesuffix("\n")
    assert text.startswith("def ") and len(text) == len("def ") + 40
    again = cli("generate", char_run, "--prompt", "def ", "--length", 40, "--seed", 3, cwd=tmp_path)
    assert again.stdout == first.stdout  # the seed fixes the draws
    greedy = cli("generate", char_run, "--length", 25, "--temperature", 0, "--top-k", 5, cwd=tmp_path)
    assert greedy.returncode == 0 and len(greedy.stdout.removesuffix("\n")) == 25


def test_minutes_bound_the_training_time_and_say_so(tmp_path):
    (tmp_path / "t.toml").write_text(toml(steps=100000, minutes=0.002))  # 0.12 s
    result = cli("train", "char-lm", "--config", "t.toml", "--out", "run", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "completed" and 1 <= summary["steps"] < 100000
    assert summary["seconds"] < 60 and "bpc" in summary["final"]
    said = [line for line in result.stderr.splitlines() if "time budget" in line]
    assert said == [f"time budget of 0.002 minutes ended the run at step {summary['steps']}"]


def test_a_default_char_lm_run_has_no_time_budget():
    from nnscratch.recipes.language import build_language_task  # noqa: F401 - registers
    from nnscratch.recipes.registry import get_recipe

    defaults = get_recipe("char-lm").defaults
    assert defaults["minutes"] == 0  # the same seed gives the same run on any machine
    assert isinstance(defaults["epochs"], int) and defaults["epochs"] >= 1


def test_a_run_that_reaches_its_steps_says_nothing_of_a_budget(tmp_path):
    (tmp_path / "t.toml").write_text(toml(steps=2, minutes=60.0))
    result = cli("train", "char-lm", "--config", "t.toml", "--out", "run", "--quiet", cwd=tmp_path)
    assert result.returncode == 0 and "time budget" not in result.stderr


def test_resume_leaves_the_sidecars_as_they_are(tmp_path):
    (tmp_path / "small.toml").write_text(toml(steps=2))
    assert cli("train", "char-lm", "--config", "small.toml", "--out", "run", "--quiet",
               cwd=tmp_path).returncode == 0
    files = [tmp_path / "run" / name for name in ("vocab.json", "language_model.json")]
    before = [(os.stat(f).st_ino, os.stat(f).st_mtime_ns, f.read_bytes()) for f in files]
    result = cli("train", "--resume", "run", "--steps", "4", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["steps"] == 4
    # not rewritten, so a kill during the resume cannot leave them truncated
    assert [(os.stat(f).st_ino, os.stat(f).st_mtime_ns, f.read_bytes()) for f in files] == before


def test_generate_on_a_missing_folder_says_it_does_not_exist(tmp_path):
    result = cli("generate", tmp_path / "nowhere", cwd=tmp_path)
    assert_usage_error(result, "nowhere", "does not exist")
    assert "language-model run folder" not in result.stderr


def test_char_lm_on_a_korean_file_with_gru(tmp_path):
    (tmp_path / "ko.txt").write_text(KOREAN, encoding="utf-8")
    (tmp_path / "ko.toml").write_text(toml(steps=2))
    result = cli("train", "char-lm", "--config", "ko.toml", "--set", "text=ko.txt", "--set", "cell=gru",
                 "--out", "run", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "run" / "language_model.json").read_text())["cell"] == "gru"
    assert "학" in Vocab.load(tmp_path / "run" / "vocab.json")
    sample = cli("generate", "run", "--prompt", "나는", "--length", 10, "--seed", 0, cwd=tmp_path)
    assert sample.returncode == 0 and sample.stdout.startswith("나는")


def test_word_lm_trains_and_generates_words(tmp_path):
    (tmp_path / "ko.txt").write_text(KOREAN, encoding="utf-8")
    (tmp_path / "w.toml").write_text(toml(text="ko.txt", embedding_dim=16, steps=2, batch_size=4, bptt=5))
    result = cli("train", "word-lm", "--config", "w.toml", "--out", "run", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    final = json.loads((tmp_path / "run" / "summary.json").read_text())["final"]
    assert {"loss", "perplexity"} <= set(final)
    sample = cli("generate", "run", "--prompt", "나는", "--length", 6, "--seed", 0, cwd=tmp_path)
    words = sample.stdout.split()
    assert sample.returncode == 0 and words[0] == "나는"
    vocab = Vocab.load(tmp_path / "run" / "vocab.json")
    assert len(words) <= 7 and all(word in vocab for word in words)  # <eos> printed as a line break


def test_bad_text_files_are_usage_errors(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1") * 100)
    (tmp_path / "empty.txt").write_bytes(b"")
    for name, words in (("latin1.txt", ["latin1.txt", "UTF-8", "offset 3"]),
                        ("empty.txt", ["empty.txt", "empty"]),
                        ("missing.txt", ["missing.txt"])):
        (tmp_path / "c.toml").write_text(toml(text=name))
        result = cli("train", "char-lm", "--config", "c.toml", "--out", f"run-{name}", cwd=tmp_path)
        assert_usage_error(result, *words)
    (tmp_path / "w.toml").write_text(toml())
    assert_usage_error(cli("train", "word-lm", "--config", "w.toml", cwd=tmp_path), "word-lm", "text")
    (tmp_path / "cell.toml").write_text(toml(cell="transformer"))
    assert_usage_error(cli("train", "char-lm", "--config", "cell.toml", cwd=tmp_path), "cell", "lstm")
    assert_usage_error(cli("generate", tmp_path, cwd=tmp_path), "language_model.json")
