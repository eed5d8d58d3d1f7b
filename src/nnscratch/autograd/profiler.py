"""Where the time goes: per-op forward and backward times, in the spirit of
``torch.autograd.profiler.profile``.

    with ns.autograd.profiler.profile() as prof:
        loss = criterion(model(x), y)
        loss.backward()
    print(prof.table(row_limit=10))

While the block runs, every op's ``forward`` and ``backward`` (every :class:`Function`, the
fused layers included) is timed with ``time.perf_counter``. An op that calls other ops (a
user's ``ns.autograd.Function`` does) gets its *self* time — its total less the ops it called —
so the self times add up to the time spent inside ops; what is left of a step (module glue,
the optimiser, the data) is outside them. Outside the block nothing is wrapped: profiling
costs nothing when it is off. On CuPy arrays the device is synchronised around each op so
that times are the kernels', not the launches' (``synchronize=False`` to skip that).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .function import Function, TensorFunction

_PATCHED = (Function, TensorFunction)  # the classes that define _forward/_backward


@dataclass
class OpStats:
    """Accumulated times of one op (class name) in one direction."""

    name: str
    phase: str  # "forward" or "backward"
    count: int = 0
    total_s: float = 0.0  # wall time of the calls, the ops they called included
    self_s: float = 0.0  # total less the time of ops called from inside


class profile:  # noqa: N801 - PyTorch's name
    """Context manager recording per-op forward/backward times (see the module docstring)."""

    _active: profile | None = None

    def __init__(self, synchronize: bool = True) -> None:
        self.synchronize = synchronize
        self.stats: dict[tuple[str, str], OpStats] = {}
        self.seconds = 0.0  # wall time of the whole block
        self._child_time: list[float] = []  # per open call: time spent in ops it called
        self._originals: dict = {}

    def __enter__(self) -> profile:
        if profile._active is not None:
            raise RuntimeError("autograd.profiler.profile: profiles cannot be nested")
        profile._active = self
        for cls in _PATCHED:
            for phase in ("_forward", "_backward"):
                original = cls.__dict__[phase]
                self._originals[cls, phase] = original
                setattr(cls, phase, classmethod(self._timed(original.__func__, phase[1:])))
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds += time.perf_counter() - self._started
        for (cls, phase), original in self._originals.items():
            setattr(cls, phase, original)
        self._originals.clear()
        profile._active = None

    def _timed(self, run: Any, phase: str) -> Any:
        child_time, stats, synchronize = self._child_time, self.stats, self._synchronize

        def timed(cls: type, ctx: Any, values: Any, *rest: Any) -> Any:
            synchronize(ctx)
            child_time.append(0.0)
            start = time.perf_counter()
            try:
                return run(cls, ctx, values, *rest)
            finally:
                synchronize(ctx)
                elapsed = time.perf_counter() - start
                inner = child_time.pop()
                if child_time:
                    child_time[-1] += elapsed  # the caller's time in ops it called
                entry = stats.get((cls.__name__, phase))
                if entry is None:
                    entry = stats[cls.__name__, phase] = OpStats(cls.__name__, phase)
                entry.count += 1
                entry.total_s += elapsed
                entry.self_s += elapsed - inner

        return timed

    def _synchronize(self, ctx: Any) -> None:
        if self.synchronize and ctx.xp.__name__ == "cupy":
            ctx.xp.cuda.get_current_stream().synchronize()

    def key_averages(self) -> list[OpStats]:
        """Every (op, phase) seen, most self time first."""
        return sorted(self.stats.values(), key=lambda s: s.self_s, reverse=True)

    @property
    def op_seconds(self) -> float:
        """Time spent inside ops (the sum of self times)."""
        return sum(s.self_s for s in self.stats.values())

    def table(self, row_limit: int = 20) -> str:
        """A markdown table: op, phase, calls, self ms, share of the block, mean µs per call."""
        block = max(self.seconds, 1e-12)
        lines = ["| op | phase | calls | self ms | % of block | µs / call |",
                 "|---|---|---:|---:|---:|---:|"]
        for s in self.key_averages()[:row_limit]:
            lines.append(f"| {s.name} | {s.phase} | {s.count} | {s.self_s * 1e3:.2f} | "
                         f"{100 * s.self_s / block:.1f} | {1e6 * s.self_s / s.count:.1f} |")
        outside = self.seconds - self.op_seconds
        lines.append(f"| (outside ops: modules, optimiser, engine, data) | | | {outside * 1e3:.2f} | "
                     f"{100 * outside / block:.1f} | |")
        return "\n".join(lines)
