"""Checkpointer: round trip, retention of the last K and the best, fallback past bad files."""

import errno
import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnscratch.train import atomic
from nnscratch.train.atomic import WriteError
from nnscratch.train.checkpoint import Checkpointer, CheckpointError, NonFiniteStateError, load_checkpoint


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


def crafted(directory, record_changes, step=5):
    """A checkpoint folder whose newest record (step ``step``) is rewritten by an attacker;
    an older valid checkpoint (step 1) stays behind it."""
    checkpointer = Checkpointer(directory)
    checkpointer.save(1, state(1))
    path = checkpointer.save(step, state(step))
    record = json.loads(path.read_text())
    record.update(record_changes)
    path.write_text(json.dumps(record))
    return checkpointer, path


@pytest.mark.parametrize("name", ["../../victim", "/tmp/victim-absolute", "..", ".", "",
                                  "sub/step-00000005-00000000.safetensors", "victim",
                                  "step-5.safetensors", ["x"], None, 7,
                                  "step-00000005-0000000g.safetensors"])
def test_a_record_naming_another_file_is_refused_and_never_deleted(tmp_path, name):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    checkpoints = tmp_path / "run" / "checkpoints"
    absolute = tmp_path / "victim-absolute"
    absolute.write_text("precious")
    if name == "/tmp/victim-absolute":
        name = str(absolute)
    checkpointer, path = crafted(checkpoints, {"tensors": name})
    with pytest.raises(CheckpointError, match="step-00000005.json"):
        load_checkpoint(path)
    warnings = []
    info, loaded = checkpointer.load_latest(warn=warnings.append)
    assert info.step == 1 and len(warnings) == 1  # the fallback skips it
    for step in range(6, 12):  # pruning runs over the crafted record several times
        checkpointer.save(step, state(step))
    assert victim.read_text() == "precious" and absolute.read_text() == "precious"


@given(name=st.text(min_size=1, max_size=40))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_name_but_the_writers_form_is_refused(tmp_path_factory, name):
    directory = tmp_path_factory.mktemp("names")
    checkpointer, path = crafted(directory, {"tensors": name})
    genuine = json.loads(checkpointer.save(5, state(5)).read_text())["tensors"]
    record = json.loads(path.read_text())
    record["tensors"] = name
    path.write_text(json.dumps(record))
    if name == genuine:
        assert load_checkpoint(path)["counters"]["step"] == 5
    else:
        with pytest.raises(CheckpointError):
            load_checkpoint(path)


def test_special_files_and_bombs_are_refused_quickly(tmp_path):
    checkpointer = Checkpointer(tmp_path)
    checkpointer.save(1, state(1))
    fifo = tmp_path / "step-00000002.json"
    os.mkfifo(fifo)  # a plain read would block forever
    (tmp_path / "step-00000003.json").symlink_to("/dev/zero")  # … or read forever
    (tmp_path / "step-00000004.json").write_text("[" * 100_000)  # RecursionError in json
    (tmp_path / "step-00000005.json").write_bytes(b" " * (17 * 1024 * 1024))  # too big
    warnings = []
    info, _ = checkpointer.load_latest(warn=warnings.append)
    assert info.step == 1
    assert [w.split()[2] for w in warnings] == [str(tmp_path / f"step-0000000{s}.json")
                                               for s in (5, 4, 3, 2)]
    checkpointer.save(6, state(6))  # pruning passes over all of them without hanging
    assert not (tmp_path / "step-00000003.json").is_symlink()  # the link went, not its target
    assert fifo.is_fifo() and os.path.exists("/dev/zero")  # a special file is never removed


@pytest.mark.parametrize("target", ["/dev/zero", "fifo", "folder"])
def test_a_tensors_file_that_is_not_a_regular_file_is_refused(tmp_path, target):
    checkpointer = Checkpointer(tmp_path / "checkpoints")
    path = checkpointer.save(3, state(3))
    tensors = tmp_path / "checkpoints" / json.loads(path.read_text())["tensors"]
    tensors.unlink()
    if target == "/dev/zero":
        tensors.symlink_to("/dev/zero")
    elif target == "fifo":
        os.mkfifo(tensors)
    else:
        tensors.mkdir()
    with pytest.raises(CheckpointError, match=tensors.name):
        load_checkpoint(path)
    checkpointer.save(4, state(4))  # pruning never follows the link or fails on the folder
    assert os.path.exists("/dev/zero")


@pytest.mark.parametrize("changes", [{"bytes": 10**30}, {"bytes": -1}, {"bytes": "12"},
                                     {"bytes": 12}, {"sha256": "0" * 63}, {"sha256": None},
                                     {"step": "5"}, {"format": "other"}])
def test_bad_record_fields_are_checkpoint_errors(tmp_path, changes):
    checkpointer, path = crafted(tmp_path, changes)
    with pytest.raises(CheckpointError, match="step-00000005"):
        load_checkpoint(path)
    assert checkpointer.load_latest(warn=lambda message: None)[0].step == 1


@pytest.mark.parametrize("skeleton", [
    {}, None, "x", [1, 2],
    {"model": {"w": {"__array__": "model/other", "kind": "array"}}},  # names a missing array
    {"model": {"w": {"__array__": ["model/w"], "kind": "array"}}},    # an unhashable name
    {"model": {"w": {"__tuple__": 3}}},
    {"model": {"w": {"__items__": [[1]]}}},
    {"model": {"w": {"__array__": "model/w", "kind": "pickle"}}},
])
def test_a_state_that_does_not_match_its_tensors_is_a_checkpoint_error(tmp_path, skeleton):
    checkpointer, path = crafted(tmp_path, {"state": skeleton})
    with pytest.raises(CheckpointError, match="step-00000005"):
        load_checkpoint(path)
    assert checkpointer.load_latest(warn=lambda message: None)[0].step == 1


def test_infinity_in_a_state_survives_the_round_trip(tmp_path):
    """EarlyStopping's first best is inf: the record holds JSON's Infinity and must load."""
    checkpointer = Checkpointer(tmp_path)
    checkpointer.save(2, {"callbacks": [{"best": float("inf")}], **state(2)})
    assert checkpointer.load_latest()[1]["callbacks"] == [{"best": float("inf")}]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_state_is_never_written(tmp_path, bad):
    checkpointer = Checkpointer(tmp_path)
    checkpointer.save(1, state(1))
    poisoned = state(2)
    poisoned["optimizer"] = {"exp_avg": np.array([0.0, bad], dtype=np.float32)}
    with pytest.raises(NonFiniteStateError, match="optimizer/exp_avg"):
        checkpointer.save(2, poisoned)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".json") == \
        ["step-00000001.json"]
    integers = {"ids": np.array([1, 2], dtype=np.int64), **state(3)}
    checkpointer.save(3, integers)  # integer arrays have no NaN to check
