"""The benchmark table: rows computed from the measured medians, as markdown or JSON.

Columns: median step time of each side, the ratio nnscratch / reference, achieved GFLOP/s
(the workload's FLOP count / median step time), that rate as a percentage of the machine's
float32 peak (the faster of numpy's and PyTorch's 2048³ GEMM in the same run), each process's
peak resident memory, each side's first-step loss, and a check column that warns when the
losses differ by more than 1e-5 relative or when nnscratch kept something that is not float32.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import statistics
import sys

from .workloads import PEAK, get

LOSS_TOLERANCE = 1e-5
NOISY = 0.25  # round medians further apart than this (relative) are flagged as noisy
MB = 1e6


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _side_row(summary: dict, flops: float, peak: float | None) -> dict:
    if summary["status"] != "ok":
        return {"status": summary["status"], "reason": summary["reason"]}
    seconds = summary["median_s"]
    gflops = flops / seconds / 1e9
    row = {
        "status": "ok",
        "median_ms": seconds * 1e3,
        "round_medians_ms": [s * 1e3 for s in summary["round_medians_s"]],
        "best_ms": summary["best_s"] * 1e3,
        # how far apart the rounds were: (slowest - fastest round median) / median
        "spread": (max(summary["round_medians_s"]) - min(summary["round_medians_s"])) / seconds,
        "gflops": gflops,
        "peak_percent": 100 * gflops / peak if peak else None,
        "peak_rss_mb": summary["peak_rss_bytes"] / MB,
        "first_loss": summary["first_loss"],
        "blas_threads": summary["blas_threads"],
    }
    if summary.get("torch_threads") is not None:
        row["torch_threads"] = summary["torch_threads"]
    if summary.get("keep_freed_memory") is not None:  # nnscratch's allocator setting
        row["keep_freed_memory"] = summary["keep_freed_memory"]
    if summary.get("first_loss_varies"):
        row["first_loss_varies"] = True
    if summary.get("float32_problems"):
        row["float32_problems"] = summary["float32_problems"]
    return row


def _compare(row: dict) -> None:
    """Fill ratio, the loss comparison and ``problem`` (a loss mismatch or a dtype leak)."""
    ours, theirs = row["nnscratch"], row["reference"]
    row["ratio"] = ours["median_ms"] / theirs["median_ms"]
    # The two sides of a round run back to back: the median of the per-round ratios cancels
    # slow drift in the machine's load better than the ratio of the medians.
    pairs = zip(ours["round_medians_ms"], theirs["round_medians_ms"])
    row["paired_ratio"] = statistics.median(a / b for a, b in pairs)
    problems = []
    a, b = ours["first_loss"], theirs["first_loss"]
    if a is not None and b is not None:
        difference = abs(a - b) / max(abs(b), 1e-30)
        row["loss_relative_difference"] = difference
        row["loss_agree"] = difference <= LOSS_TOLERANCE
        if not row["loss_agree"]:
            problems.append(f"first-step losses differ (rel {difference:.1e} > {LOSS_TOLERANCE:g})")
    if ours.get("first_loss_varies"):
        problems.append("nnscratch's first-step loss changes between runs")
    if ours.get("float32_problems"):
        problems.append("not float32: " + ", ".join(ours["float32_problems"][:3]))
    row["problem"] = "; ".join(problems) or None
    spread = max(ours["spread"], theirs["spread"])
    row["noisy"] = spread > NOISY
    if row["noisy"]:
        row["note"] = f"noisy: round medians {100 * spread:.0f}% apart"


def build(measured: dict, args: argparse.Namespace, seconds: float) -> dict:
    """The whole report as one JSON-ready dict: ``meta``, ``peak`` and ``rows``."""
    peak = {}
    if PEAK in measured:
        config = get(PEAK).config(args.size)
        flops = get(PEAK).flops(config)
        for side, label in (("nnscratch", "numpy"), ("reference", "torch")):
            summary = measured[PEAK][side]
            if summary["status"] == "ok":
                peak[f"{label}_gflops"] = flops / summary["median_s"] / 1e9
        peak["size"] = config["n"]
    machine_peak = max(peak.get("numpy_gflops", 0.0), peak.get("torch_gflops", 0.0)) or None
    peak["machine_gflops"] = machine_peak

    rows = []
    for name, sides in measured.items():
        workload = get(name)
        flops = workload.flops(workload.config(args.size))
        row = {
            "workload": name,
            "description": workload.description,
            "reference_name": workload.reference,
            "training": workload.training,
            "flops_per_step": flops,
            "nnscratch": _side_row(sides["nnscratch"], flops, machine_peak),
            "reference": _side_row(sides["reference"], flops, machine_peak),
        }
        failed = [row[s] for s in ("nnscratch", "reference") if row[s]["status"] != "ok"]
        if failed:
            row["status"] = "unavailable" if failed[0]["status"] == "unavailable" else "error"
            row["reason"] = failed[0]["reason"]
            row["problem"] = row["reason"] if row["status"] == "error" else None
        else:
            row["status"] = "ok"
            _compare(row)
        rows.append(row)
    meta = {
        "device": args.device,
        "size": args.size,
        "threads": args.threads,
        "return_freed_memory": getattr(args, "return_freed_memory", False),
        "rounds": args.rounds,
        "steps": args.steps,
        "warmup": args.warmup,
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "numpy": _version("numpy"),
        "torch": _version("torch"),
        "seconds": seconds,
    }
    return {"meta": meta, "peak": peak, "rows": rows}


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _ms(value: float) -> str:
    """Milliseconds with about three significant digits (a GEMM of 64³ and an LM step alike)."""
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}" if value < 1 else f"{value:.{3 - len(str(int(value)))}f}"


def _loss(value: float | None) -> str:
    return "—" if value is None else f"{value:.7g}"


def markdown(table: dict) -> str:
    """The report as a markdown table with a short header saying how it was measured."""
    meta, peak = table["meta"], table["peak"]
    lines = [
        f"nnscratch vs PyTorch on {meta['device']} ({meta['cpu']}, {meta['cpu_count']} cores): "
        f"{meta['threads']} thread(s) each; {meta['rounds']} rounds x {meta['steps']} steps after "
        f"{meta['warmup']} warm-up; size {meta['size']}; numpy {meta['numpy']}, torch {meta['torch']}"
        + ("; nnscratch with glibc's own allocator behaviour (--return-freed-memory)."
           if meta.get("return_freed_memory") else "."),
    ]
    if peak.get("machine_gflops"):
        lines.append(
            f"float32 GEMM {peak['size']}³ peak: numpy {_number(peak.get('numpy_gflops'))} GFLOP/s, "
            f"PyTorch {_number(peak.get('torch_gflops'))} GFLOP/s; % peak is against "
            f"{_number(peak['machine_gflops'])} GFLOP/s."
        )
    loads = [load for load in meta.get("load_average", []) if load is not None]
    if loads and max(loads) > (meta["cpu_count"] or 1):
        lines.append(
            f"⚠ the machine was busy (load average up to {max(loads):.1f} on {meta['cpu_count']} "
            f"cores): with more threads than idle cores, timings are noisy and PyTorch's OpenMP "
            f"threads stall at every barrier; prefer a quiet machine, or --threads 1."
        )
    lines += [
        "",
        "| workload | nnscratch ms | PyTorch ms | ratio | nnscratch GFLOP/s | PyTorch GFLOP/s "
        "| nnscratch % peak | PyTorch % peak | nnscratch MB | PyTorch MB | nnscratch loss "
        "| PyTorch loss | check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in table["rows"]:
        name = row["workload"]
        if row["reference_name"] != "torch":
            name += f" (vs {row['reference_name']})"
        if row["status"] != "ok":
            label = "not available" if row["status"] == "unavailable" else "ERROR"
            lines.append(f"| {name} | {label}: {row['reason']} |" + " — |" * 11)
            continue
        ours, theirs = row["nnscratch"], row["reference"]
        if row.get("problem"):
            check = "⚠ " + row["problem"]
        elif row.get("loss_agree"):
            check = f"ok (rel {row['loss_relative_difference']:.0e})"
        else:
            check = "—"  # nothing to compare (the gemm row)
        if row.get("note"):
            check += f"; {row['note']}"
        cells = [
            name,
            _ms(ours["median_ms"]), _ms(theirs["median_ms"]), f"{row['ratio']:.3g}",
            _number(ours["gflops"]), _number(theirs["gflops"]),
            _number(ours["peak_percent"]), _number(theirs["peak_percent"]),
            _number(ours["peak_rss_mb"], 0), _number(theirs["peak_rss_mb"], 0),
            _loss(ours["first_loss"]), _loss(theirs["first_loss"]), check,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"({meta['seconds']:.0f} s; MB = peak resident memory of each side's process; "
                 f"the gemm row is numpy vs PyTorch, the peak yardstick.)")
    return "\n".join(lines)
