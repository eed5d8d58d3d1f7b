"""What an experiment leaves behind: ``results.json`` (every number plotted) and ``report.md``.

``report.md`` reads top to bottom: the claim from the literature, the set-up (with the command
that reproduces it), the tables of numbers, the figures, and what the numbers show — including
whether each checked statement of the claim held in this run (a run can fail to show a claim;
the report says so rather than hiding it).
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy

from ..train.atomic import atomic_write_bytes, atomic_write_json


@dataclass
class Table:
    """A table of the report: a title, column names and rows of values."""

    title: str
    columns: list
    rows: list = field(default_factory=list)

    def markdown(self) -> str:
        lines = [f"**{self.title}**", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join("---" for _ in self.columns) + "|"]
        lines += ["| " + " | ".join(format_value(value) for value in row) + " |" for row in self.rows]
        return "\n".join(lines)


@dataclass
class Check:
    """One statement of the claim, tested on this run's numbers."""

    statement: str
    holds: bool
    evidence: str = ""


@dataclass
class Report:
    """Everything an experiment reports. ``results`` holds every plotted number."""

    name: str
    title: str
    claim: str
    settings: dict
    seed: int = 0
    quick: bool = False
    device: str = "cpu"
    setup: list = field(default_factory=list)  # sentences describing the set-up
    tables: list = field(default_factory=list)
    figures: list = field(default_factory=list)  # (file name, caption)
    findings: list = field(default_factory=list)  # sentences: what the numbers show
    checks: list = field(default_factory=list)
    results: dict = field(default_factory=dict)
    seconds: float = 0.0  # wall time
    cpu_seconds: float = 0.0  # CPU time of the process (user + system)

    def check(self, statement: str, holds: bool, evidence: str = "") -> bool:
        """Record whether a statement of the claim holds in this run; return it."""
        self.checks.append(Check(statement, bool(holds), evidence))
        return bool(holds)

    @property
    def command(self) -> str:
        words = ["nnscratch", "experiment", self.name] + (["--quick"] if self.quick else [])
        words += ["--seed", str(self.seed)] + (["--device", self.device] if self.device != "cpu" else [])
        return " ".join(shlex.quote(word) for word in words)

    def as_json(self) -> dict:
        return json_ready({
            "experiment": self.name, "title": self.title, "claim": self.claim,
            "command": self.command, "seed": self.seed, "quick": self.quick, "device": self.device,
            "seconds": round(self.seconds, 1), "cpu_seconds": round(self.cpu_seconds, 1),
            "settings": self.settings,
            "checks": [{"statement": c.statement, "holds": c.holds, "evidence": c.evidence}
                       for c in self.checks],
            "figures": [name for name, _ in self.figures],
            "results": self.results,
        })

    def markdown(self) -> str:
        mode = "quick" if self.quick else "full"
        parts = [f"# {self.title}", "", f"**Claim.** {self.claim}", "", "## Set-up", ""]
        parts += [f"- {sentence}" for sentence in self.setup]
        parts += [f"- Mode: {mode}; seed {self.seed}; device {self.device}; "
                  f"{self.seconds:.0f} s of wall time, {self.cpu_seconds:.0f} s of CPU time.",
                  f"- Reproduce with `{self.command}`.", "", "## Results", ""]
        for table in self.tables:
            parts += [table.markdown(), ""]
        for name, caption in self.figures:
            parts += [f"![{caption}]({name})", "", f"*{caption}*", ""]
        parts += ["## What the numbers show", ""]
        parts += [f"- {sentence}" for sentence in self.findings]
        if self.checks:
            held = sum(c.holds for c in self.checks)
            parts += ["", f"Checked statements ({held} of {len(self.checks)} hold in this run):", ""]
            for c in self.checks:
                mark = "holds" if c.holds else "DOES NOT HOLD"
                parts.append(f"- [{mark}] {c.statement}" + (f" ({c.evidence})" if c.evidence else ""))
        return "\n".join(parts).rstrip() + "\n"

    def write(self, directory: str | Path) -> Path:
        """Write ``results.json`` and ``report.md`` into ``directory``; return the report path."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        atomic_write_json(directory / "results.json", self.as_json())
        path = directory / "report.md"
        atomic_write_bytes(path, self.markdown().encode("utf-8"))
        return path


def json_ready(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays into Python numbers and lists; NaN/Inf → None
    (JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, numpy.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, numpy.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def format_value(value: Any) -> str:
    """Numbers as short readable text: 0.0123, 1.2e-07, 12345; None as '—'."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, numpy.integer)):
        return str(int(value))
    if isinstance(value, (float, numpy.floating)):
        value = float(value)
        if not math.isfinite(value):
            return "diverged" if math.isnan(value) else ("∞" if value > 0 else "-∞")
        if value == 0:
            return "0"
        if 1e-3 <= abs(value) < 1e4:
            return f"{value:.4g}"
        return f"{value:.2e}"
    return str(value)
