"""The benchmark runner end to end at the small size: separate processes, JSON, the peak row."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY))

from benchmarks.report import markdown  # noqa: E402
from benchmarks.workloads.base import UnavailableError, check_available  # noqa: E402


def _run(*arguments):
    return subprocess.run([sys.executable, "-m", "benchmarks", *arguments], cwd=REPOSITORY,
                          capture_output=True, text=True, timeout=300)


def test_runner_times_both_sides_in_child_processes_and_reports_json():
    finished = _run("--workloads", "mlp", "--size", "small", "--rounds", "1", "--steps", "2",
                    "--warmup", "1", "--threads", "1", "--json")
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["meta"]["threads"] == 1 and report["meta"]["rounds"] == 1
    rows = {row["workload"]: row for row in report["rows"]}
    assert list(rows) == ["gemm", "mlp"]

    gemm = rows["gemm"]
    assert gemm["status"] == "ok"
    for side in ("nnscratch", "reference"):
        assert gemm[side]["median_ms"] > 0 and len(gemm[side]["round_medians_ms"]) == 1
        assert gemm[side]["blas_threads"] == 1
    assert gemm["reference"]["torch_threads"] == 1
    # the PyTorch process pays for importing torch; the numpy one does not
    assert gemm["nnscratch"]["peak_rss_mb"] < gemm["reference"]["peak_rss_mb"]
    assert report["peak"]["machine_gflops"] == pytest.approx(
        max(report["peak"]["numpy_gflops"], report["peak"]["torch_gflops"]))

    mlp = rows["mlp"]
    assert mlp["status"] in ("ok", "unavailable"), mlp.get("reason")
    if mlp["status"] == "ok":  # the nnscratch process would be an error if it imported torch
        assert mlp["loss_agree"], mlp
        assert mlp["ratio"] == pytest.approx(mlp["nnscratch"]["median_ms"] / mlp["reference"]["median_ms"])

    table = markdown(report)
    assert "| workload | nnscratch ms | PyTorch ms | ratio |" in table
    assert "| gemm |" in table and "| mlp |" in table


def test_unknown_workload_is_refused():
    refused = _run("--workloads", "nope")
    assert refused.returncode == 2 and "unknown workload(s) nope" in refused.stderr


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed here")
def test_cuda_without_cupy_says_so():
    finished = _run("--device", "cuda")
    assert finished.returncode == 2 and "needs CuPy" in finished.stderr


def test_missing_layers_are_named():
    with pytest.raises(UnavailableError, match="nn.NoSuchLayer, optim.NoSuchOptimiser"):
        check_available(("nn.Module", "nn.NoSuchLayer", "optim.NoSuchOptimiser"))


def test_return_freed_memory_reaches_the_nnscratch_processes():
    from nnscratch import memory

    def sides(*flags):
        finished = _run("--workloads", "mlp", "--size", "small", "--rounds", "1", "--steps", "1",
                        "--warmup", "1", "--threads", "1", "--no-peak", "--json", *flags)
        assert finished.returncode == 0, finished.stderr
        (row,) = json.loads(finished.stdout)["rows"]
        return row

    default = sides()
    assert default["nnscratch"]["keep_freed_memory"] is (memory._glibc() is not None)
    assert "keep_freed_memory" not in default["reference"]  # torch's process never imports nnscratch
    assert sides("--return-freed-memory")["nnscratch"]["keep_freed_memory"] is False
