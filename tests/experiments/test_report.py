"""Report files: strict JSON with every number, and a readable markdown report."""

import json
import math

import numpy as np

from nnscratch.experiments.report import Report, Table, format_value, json_ready
from nnscratch.experiments.run_cache import cached_run, derived_seed


def _report():
    report = Report("demo", "A demo", "Things fall.", settings={"steps": 3}, seed=4, quick=True)
    report.setup.append("Three steps of nothing.")
    report.tables.append(Table("Numbers", ["name", "value"], [["a", 0.5], ["b", float("nan")]]))
    report.figures.append(("demo.png", "A figure."))
    report.findings.append("a is half.")
    report.check("a is below 1", True, "0.5")
    report.check("b is finite", False, "nan")
    report.results = {"values": np.array([1.0, np.inf]), "count": np.int64(3)}
    return report


def test_json_ready_maps_numpy_and_non_finite_values():
    value = json_ready({"a": np.float32(0.5), "b": [np.nan, np.inf, 1], "c": np.arange(2), 3: (1, 2)})
    assert value == {"a": 0.5, "b": [None, None, 1], "c": [0, 1], "3": [1, 2]}
    json.dumps(value, allow_nan=False)


def test_format_value():
    assert format_value(None) == "—"
    assert format_value(True) == "yes"
    assert format_value(np.int64(12)) == "12"
    assert format_value(0.01234) == "0.01234"
    assert format_value(1.5e-7) == "1.50e-07"
    assert format_value(float("nan")) == "diverged"
    assert format_value(0.0) == "0"


def test_write_produces_strict_json_and_markdown(tmp_path):
    path = _report().write(tmp_path)
    data = json.loads((tmp_path / "results.json").read_text(), parse_constant=_refuse)
    assert data["experiment"] == "demo" and data["seed"] == 4 and data["quick"] is True
    assert data["results"] == {"values": [1.0, None], "count": 3}
    assert data["checks"][1] == {"statement": "b is finite", "holds": False, "evidence": "nan"}
    assert data["command"] == "nnscratch experiment demo --quick --seed 4"
    text = path.read_text()
    for needle in ("# A demo", "**Claim.** Things fall.", "| a | 0.5 |", "![A figure.](demo.png)",
                   "1 of 2 hold", "[DOES NOT HOLD] b is finite", "`nnscratch experiment demo --quick --seed 4`"):
        assert needle in text


def _refuse(name):
    raise ValueError(f"non-standard JSON constant {name}")


def test_cached_run_reuses_a_run_with_the_same_key(tmp_path):
    calls = []

    def train():
        calls.append(1)
        return {"score": np.float64(0.25), "bad": math.nan}

    first = cached_run(tmp_path, "run", {"lr": 0.1}, train)
    second = cached_run(tmp_path, "run", {"lr": 0.1}, train)
    assert first == second == {"score": 0.25, "bad": None}
    assert len(calls) == 1
    cached_run(tmp_path, "run", {"lr": 0.2}, train)  # other settings: trained again
    assert len(calls) == 2
    (tmp_path / "runs" / "run.json").write_text("{not json")  # a damaged file is retrained
    cached_run(tmp_path, "run", {"lr": 0.2}, train)
    assert len(calls) == 3
    cached_run(None, "run", {"lr": 0.2}, train)  # no folder: no cache
    assert len(calls) == 4


def test_derived_seed_is_stable_and_distinguishes_runs():
    assert derived_seed(0, "adding", 100, "lstm") == derived_seed(0, "adding", 100, "lstm")
    assert derived_seed(0, "adding", 100, "lstm") != derived_seed(1, "adding", 100, "lstm")
    assert derived_seed(0, "adding", 100, "lstm") != derived_seed(0, "adding", 100, "gru")

