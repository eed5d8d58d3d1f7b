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
    """`nnscratch translate …` in this process (the command registers when its module is
    imported, whether or not the CLI lists the module yet)."""
    import nnscratch.recipes.translate  # noqa: F401
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
    assert set(final) == {"loss", "exact_match", "bleu"}
    assert 0.0 <= final["exact_match"] <= 1.0 and 0.0 <= final["bleu"] <= 100.0
    assert math.isfinite(final["loss"]) and final["loss"] < 2.7  # below log(15): it learned
    heatmaps = sorted((dates_run / "attention").glob("*.png"))
    assert [p.name for p in heatmaps] == ["attention-1.png", "attention-2.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in heatmaps)
    assert Vocab.load(dates_run / "target_vocab.json").itos[4:] == list("0123456789-")
    assert "년" in Vocab.load(dates_run / "source_vocab.json")
    config = json.loads((dates_run / "seq2seq.json").read_text())
    assert config["model"]["attention"] == "general" and config["source_tokenizer"]["level"] == "char"
    records = [json.loads(line) for line in (dates_run / "metrics.jsonl").read_text().splitlines()]
    assert {"exact_match", "bleu"} <= set(next(r for r in records if r["split"] == "test"))


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


def test_parallel_corpus_recipe_needs_its_file(tmp_path):
    result = cli("train", "seq2seq", "--out", "run", cwd=tmp_path)
    assert result.returncode == 2 and "--data FILE.tsv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
