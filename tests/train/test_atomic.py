"""atomic: a failed write leaves the previous file intact and no temporary file behind."""

import errno
import os

import pytest

from nnscratch.train import atomic
from nnscratch.train.atomic import WriteError, atomic_write_bytes, atomic_write_json


def test_write_replaces_the_file(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"good checkpoint")

    def no_space(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    with pytest.raises(WriteError, match="No space left on device") as caught:
        atomic_write_bytes(target, b"half a checkp")
    assert "f.bin" in str(caught.value)
    assert target.read_bytes() == b"good checkpoint"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_missing_folder_is_a_write_error(tmp_path):
    with pytest.raises(WriteError, match="no-such-folder"):
        atomic_write_bytes(tmp_path / "no-such-folder" / "f", b"x")


def test_strict_json_refuses_nan(tmp_path):
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "s.json", {"loss": float("nan")})
    assert not (tmp_path / "s.json").exists()
