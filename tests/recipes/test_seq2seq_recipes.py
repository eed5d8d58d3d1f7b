"""Recipes seq2seq-dates and seq2seq (short modes) through the CLI, and `nnscratch translate`."""

import json
import math
import os
import re
import subprocess
import sys

import pytest

from nnscratch.datasets.vocab import Vocab

SMALL = {"plots": False, "embedding_dim": 16, "hidden": 32, "batch_size": 32, "lr": 0.01,
         "log_every": 20, "heatmaps": 2}


def toml(**settings):
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in {**SMALL, **settings}.items())


def cli(*args, cwd, timeout=180):
    return subprocess.run([sys.executable, "-m", "nnscratch", *map(str, args)], cwd=cwd,
                          env={**os.environ}, capture_output=True, text=True, timeout=timeout)


def translate(*args, capsys):
    """`nnscratch translate …` in this process."""
    from nnscratch.cli import main

    code = main(["translate", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def dates_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("dates")
    (cwd / "small.toml").write_text(toml(train_size=2000, val_size=50, test_size=100, steps=100))
    result = cli("train", "seq2seq-dates", "--config", "small.toml", "--out", "run", "--quiet",
                 cwd=cwd)
    assert result.returncode == 0, result.stderr
    return cwd / "run"


def test_dates_run_folder(dates_run):
    summary = json.loads((dates_run / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["steps"] == 100
    final = summary["final"]
    assert set(final) == {"loss", "exact_match", "bleu_char"}  # a character-level task
    assert 0.0 <= final["exact_match"] <= 1.0 and 0.0 <= final["bleu_char"] <= 100.0
    assert math.isfinite(final["loss"]) and final["loss"] < 2.7  # below log(15): it learned
    heatmaps = sorted((dates_run / "attention").glob("*.png"))
    assert [p.name for p in heatmaps] == ["attention-1.png", "attention-2.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in heatmaps)
    assert Vocab.load(dates_run / "target_vocab.json").itos[4:] == list("0123456789-")
    assert "년" in Vocab.load(dates_run / "source_vocab.json")
    config = json.loads((dates_run / "seq2seq.json").read_text())
    assert config["model"]["attention"] == "general" and config["source_tokenizer"]["level"] == "char"
    records = [json.loads(line) for line in (dates_run / "metrics.jsonl").read_text().splitlines()]
    assert {"exact_match", "bleu_char"} <= set(next(r for r in records if r["split"] == "test"))


def test_translate_prints_iso_dates(dates_run, capsys, tmp_path):
    code, out, err = translate(dates_run, "September 3, 2021", "2021년 9월 3일",
                               "--attention", tmp_path / "map.png", capsys=capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2 and all(re.fullmatch(r"\d{4}-\d\d-\d\d", line) for line in lines), out
    assert (tmp_path / "map.png").read_bytes().startswith(b"\x89PNG")
    code, beam_out, _ = translate(dates_run, "September 3, 2021", "--beam", "3", capsys=capsys)
    assert code == 0 and re.fullmatch(r"[0-9-]+\n", beam_out)


def test_translate_usage_errors(tmp_path, capsys):
    code, _, err = translate(tmp_path, "September 3, 2021", capsys=capsys)
    assert code == 2 and "not a seq2seq run folder" in err and "Traceback" not in err
    code, _, err = translate(tmp_path / "missing", "September 3, 2021", capsys=capsys)
    assert code == 2 and "does not exist" in err and "not a seq2seq" not in err


@pytest.mark.parametrize("texts", [["   "], [""], ["September 3, 2021", " \t "]])
def test_translate_refuses_blank_input_in_one_clean_line(dates_run, capsys, texts):
    code, out, err = translate(dates_run, *texts, capsys=capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "empty or only spaces" in err and err.count("translate:") == 1, err


def test_translate_names_characters_it_never_saw(dates_run, capsys):
    code, out, err = translate(dates_run, "September 3, 2021 ☃", "☃ Ω 3 sep 21", capsys=capsys)
    assert code == 0 and len(out.splitlines()) == 2
    warnings = [line for line in err.splitlines() if "never saw" in line]
    assert len(warnings) == 1 and "'☃', 'Ω'" in warnings[0], err
    code, _, err = translate(dates_run, "3 sep 21", capsys=capsys)
    assert code == 0 and "never saw" not in err


def test_a_date_model_flags_outputs_that_are_no_date(dates_run, capsys, monkeypatch):
    from nnscratch.recipes import translate as module

    outputs = iter(["2020-22-12", "2021-09-03"])
    original = module.Translator.translate

    def translate_to(self, texts, beam_size=None):  # what a poorly trained model may write
        return [(next(outputs), h, t) for _, h, t in original(self, texts, beam_size)]

    monkeypatch.setattr(module.Translator, "translate", translate_to)
    code, out, err = translate(dates_run, "12/25/2020", "3 sep 21", capsys=capsys)
    assert code == 0 and out.splitlines() == ["2020-22-12", "2021-09-03"]
    flagged = [line for line in err.splitlines() if "not a valid date" in line]
    assert len(flagged) == 1 and "'2020-22-12' (text 1)" in flagged[0] and "2021-09-03" not in err


def test_iso_dates_are_checked_against_the_calendar():
    import datetime

    from hypothesis import given
    from hypothesis import strategies as st

    from nnscratch.recipes.translate import is_iso_date

    @given(st.dates(), st.text(max_size=12))
    def check(day, text):
        assert is_iso_date(day.isoformat()) == (1 <= day.year <= 9999)
        try:
            real = datetime.date.fromisoformat(text).isoformat() == text
        except ValueError:
            real = False
        assert is_iso_date(text) == real

    check()
    assert not is_iso_date("2020-22-12") and not is_iso_date("2021-02-29")
    assert is_iso_date("2020-02-29")


def test_translate_help_says_which_formats_and_years(capsys):
    from nnscratch.cli import main
    from nnscratch.datasets.dates import FIRST_DAY, LAST_DAY

    with pytest.raises(SystemExit):
        main(["translate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"{FIRST_DAY.year}-{LAST_DAY.year}" in text
    for written in ("September 3, 2021", "2021년 9월 3일", "03/09/2021", "21. 9. 3."):
        assert written in text


PAIRS = [("I see the red cat.", "Je vois le chat rouge."), ("You like the big dog.",
         "Tu aimes le grand chien."), ("We have the old car.", "Nous avons la vieille voiture."),
         ("She wants the new book.", "Elle veut le nouveau livre.")]


def test_parallel_corpus_recipe_reports_bleu_and_malformed_lines(tmp_path, capsys):
    lines = [f"{s}\t{t}\tCC-BY 2.0 (France) Attribution: tatoeba.org #{i}"
             for i, (s, t) in enumerate(PAIRS * 10)]
    lines.insert(3, "a line without any tab")
    (tmp_path / "pairs.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "small.toml").write_text(toml(steps=30, beam_size=2, test_fraction=0.2))
    result = cli("train", "seq2seq", "--data", "pairs.tsv", "--config", "small.toml", "--out",
                 "run", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "line 4: no tab" in result.stderr
    final = json.loads((tmp_path / "run" / "summary.json").read_text())["final"]
    assert set(final) == {"loss", "bleu", "exact_match"} and 0 <= final["bleu"] <= 100
    assert len(list((tmp_path / "run" / "attention").glob("*.png"))) == 2
    code, out, err = translate(tmp_path / "run", "I see the red cat.", capsys=capsys)
    assert code == 0 and len(out.splitlines()) == 1, err
    code, out, err = translate(tmp_path / "run", "I see the zebra.", capsys=capsys)
    assert code == 0 and "never saw the words 'zebra'" in err


def test_character_level_corpus_reports_character_bleu(tmp_path):
    lines = [f"{a}+{b}\t{a + b}" for a in range(12) for b in range(12)]
    (tmp_path / "sums.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "small.toml").write_text(toml(steps=4, level="char", beam_size=1, heatmaps=0))
    result = cli("train", "seq2seq", "--data", "sums.tsv", "--config", "small.toml", "--out",
                 "run", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    final = json.loads((tmp_path / "run" / "summary.json").read_text())["final"]
    assert set(final) == {"loss", "bleu_char", "exact_match"} and 0 <= final["bleu_char"] <= 100


def test_parallel_corpus_recipe_needs_its_file(tmp_path):
    result = cli("train", "seq2seq", "--out", "run", cwd=tmp_path)
    assert result.returncode == 2 and "--data FILE.tsv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_resume_leaves_the_sidecars_as_they_are(dates_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(dates_run, run)
    files = [run / name for name in ("seq2seq.json", "source_vocab.json", "target_vocab.json")]
    before = [(os.stat(f).st_ino, os.stat(f).st_mtime_ns, f.read_bytes()) for f in files]
    result = cli("train", "--resume", "run", "--steps", "102", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((run / "summary.json").read_text())["steps"] == 102
    # not rewritten, so a kill during the resume cannot leave them truncated
    assert [(os.stat(f).st_ino, os.stat(f).st_mtime_ns, f.read_bytes()) for f in files] == before
