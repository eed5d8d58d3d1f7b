"""Checkpointer: round trip, retention of the last K and the best, fallback past bad files."""

import errno
import json
import os

import numpy as np
import pytest

from nnscratch.train import atomic
from nnscratch.train.atomic import WriteError
from nnscratch.train.checkpoint import Checkpointer, CheckpointError, load_checkpoint


def state(value):
    return {"model": {"w": np.full((2, 3), value, dtype=np.float32)}, "counters": {"step": value}}


def test_round_trip_is_exact(tmp_path):
    checkpointer = Checkpointer(tmp_path)
    weights = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    path = checkpointer.save(7, {"model": {"w": weights}, "note": "x"})
    info, loaded = checkpointer.load_latest()
    assert info.step == 7 and info.path == path
    assert loaded["model"]["w"].tobytes() == weights.tobytes() and loaded["note"] == "x"


def test_keeps_the_last_k_and_the_best(tmp_path):
    checkpointer = Checkpointer(tmp_path, keep_last=2, mode="max")
    for step, metric in [(1, 0.5), (2, 0.9), (3, 0.7), (4, None), (5, 0.6)]:
        checkpointer.save(step, state(step), metric=metric)
    assert [c.step for c in checkpointer.list()] == [2, 4, 5]  # best (0.9) + the last two
    assert checkpointer.best().step == 2
    tensors = sorted(p.name.split("-")[1] for p in tmp_path.glob("*.safetensors"))
    assert tensors == ["00000002", "00000004", "00000005"]  # no orphans


def test_min_mode_keeps_the_lowest(tmp_path):
    checkpointer = Checkpointer(tmp_path, keep_last=1)
    for step, metric in [(1, 0.3), (2, 0.1), (3, 0.2)]:
        checkpointer.save(step, state(step), metric=metric)
    assert [c.step for c in checkpointer.list()] == [2, 3]


def test_corrupt_newest_falls_back_and_is_reported(tmp_path):
    checkpointer = Checkpointer(tmp_path)
    checkpointer.save(1, state(1))
    newest = checkpointer.save(2, state(2))
    tensors = tmp_path / json.loads(newest.read_text())["tensors"]
    blob = bytearray(tensors.read_bytes())
    blob[-3] ^= 1
    tensors.write_bytes(bytes(blob))
    warnings = []
    info, loaded = checkpointer.load_latest(warn=warnings.append)
    assert info.step == 1 and loaded["counters"]["step"] == 1
    assert len(warnings) == 1 and tensors.name in warnings[0] and "corrupt" in warnings[0]
    assert checkpointer.last_valid().name == "step-00000001.json"


@pytest.mark.parametrize("damage", ["truncate-tensors", "delete-tensors", "torn-json", "garbage-json"])
def test_every_kind_of_damage_is_detected(tmp_path, damage):
    checkpointer = Checkpointer(tmp_path)
    path = checkpointer.save(3, state(3))
    tensors = tmp_path / json.loads(path.read_text())["tensors"]
    if damage == "truncate-tensors":
        tensors.write_bytes(tensors.read_bytes()[:50])
    elif damage == "delete-tensors":
        tensors.unlink()
    elif damage == "torn-json":
        path.write_text(path.read_text()[:30])
    else:
        path.write_bytes(os.urandom(64))
    with pytest.raises(CheckpointError, match="step-00000003"):
        load_checkpoint(path)
    assert checkpointer.load_latest(warn=lambda message: None) is None


def test_rewriting_a_step_never_overwrites_the_tensors_a_valid_record_points_to(tmp_path):
    checkpointer = Checkpointer(tmp_path)
    first = json.loads(checkpointer.save(4, state(1.0)).read_text())["tensors"]
    second = json.loads(checkpointer.save(4, state(2.0)).read_text())["tensors"]
    assert first != second and not (tmp_path / first).exists()
    assert checkpointer.load_latest()[1]["counters"]["step"] == 2.0


def test_a_failed_save_leaves_the_previous_checkpoint_valid(tmp_path, monkeypatch):
    checkpointer = Checkpointer(tmp_path)
    checkpointer.save(1, state(1))
    before = sorted(p.name for p in tmp_path.iterdir())
    calls = {"n": 0}
    real_fsync = os.fsync

    def disk_full_on_second_file(descriptor):  # the tensors file lands, the JSON does not
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(descriptor)

    monkeypatch.setattr(atomic.os, "fsync", disk_full_on_second_file)
    with pytest.raises(WriteError, match="No space left"):
        checkpointer.save(2, state(2))
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    info, loaded = checkpointer.load_latest()
    assert info.step == 1 and loaded["counters"]["step"] == 1


def test_unwritable_directory_is_a_write_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(WriteError, match="file"):
        Checkpointer(tmp_path / "file" / "checkpoints").save(1, state(1))
