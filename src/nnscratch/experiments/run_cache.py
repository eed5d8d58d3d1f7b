"""Independent, resumable training runs inside one experiment.

A full experiment trains many networks (every architecture at every length) and can take hours.
Each of its runs is seeded on its own — ``derived_seed(seed, task, length, architecture)`` — so a
run's numbers do not depend on which runs came before it, and its result is kept as JSON in
``OUT/runs/``: running the command again (after an interruption, or from a second process on
another core) reuses every finished run whose settings match and trains only the rest.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..train.atomic import atomic_write_json
from .report import json_ready


def derived_seed(*parts: Any) -> int:
    """A seed fixed by ``parts`` (the experiment's seed and the run's name)."""
    return zlib.crc32("/".join(str(part) for part in parts).encode("utf-8"))


def cached_run(directory: str | Path | None, name: str, key: dict, train: Callable[[], dict]) -> dict:
    """``train()``'s result, or the one stored under ``directory/runs/name.json`` for the same
    ``key`` (the settings that determine the run). ``directory=None`` disables the cache."""
    if directory is None:
        return train()
    path = Path(directory) / "runs" / f"{name}.json"
    key = json_ready(key)
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = None
        if isinstance(stored, dict) and stored.get("key") == key and "result" in stored:
            return stored["result"]
    result = json_ready(train())
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, {"key": key, "result": result})
    return result
