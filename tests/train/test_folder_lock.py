"""folder_lock (RunFolder.lock): one process at a time per run folder, tried with real processes and kills.

The truth is the kernel's: of processes that race for one folder exactly one holds it, every
other one is refused at once naming the holder's pid, and a holder killed with SIGKILL frees
the folder (flock locks die with their process).
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from nnscratch.train.run import RunFolder, RunFolderBusy

# wait for the go time, try the lock once; a winner holds it until the release file appears
CONTENDER = """
import os, sys, time
from nnscratch.train.run import RunFolder, RunFolderBusy
folder, go, release = sys.argv[1], float(sys.argv[2]), sys.argv[3]
time.sleep(max(0.0, go - time.time()))
try:
    with RunFolder(folder).lock():
        print("won", os.getpid(), flush=True)
        while not os.path.exists(release):
            time.sleep(0.01)
except RunFolderBusy as error:
    print("busy", os.getpid(), str(error), flush=True)
"""


def contender(folder, go, release):
    return subprocess.Popen([sys.executable, "-c", CONTENDER, str(folder), str(go), str(release)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def first_line(process, timeout=60):
    """The first line a contender prints (it prints one line, then maybe waits)."""
    deadline = time.monotonic() + timeout
    line = process.stdout.readline()
    assert line or time.monotonic() < deadline, process.stderr.read()
    return line.split(" ", 2)


def test_of_processes_racing_for_folders_exactly_one_wins_each(tmp_path):
    rounds, per_folder = 4, 2  # 4 folders raced for at once, 2 processes each
    release = tmp_path / "release"
    go = time.time() + 2.0  # every process is started and waiting by then
    races = {tmp_path / f"run{index}": [contender(tmp_path / f"run{index}", go, release)
                                        for _ in range(per_folder)] for index in range(rounds)}
    try:
        for folder, processes in races.items():
            lines = [first_line(process) for process in processes]
            winners = [line for line in lines if line[0] == "won"]
            losers = [line for line in lines if line[0] == "busy"]
            assert len(winners) == 1 and len(losers) == per_folder - 1, lines
            holder = winners[0][1].strip()
            for loser in losers:
                message = loser[2].strip()
                assert f"pid {holder}" in message and str(folder) in message, message
                assert "\n" not in message
    finally:
        release.touch()
        for processes in races.values():
            for process in processes:
                process.communicate(timeout=60)
    assert all(p.returncode == 0 for ps in races.values() for p in ps)


def test_a_holder_killed_with_sigkill_frees_the_folder(tmp_path):
    folder, release = tmp_path / "run", tmp_path / "never"
    holder = contender(folder, 0.0, release)
    try:
        assert first_line(holder)[0] == "won"
        second = contender(folder, 0.0, release)
        kind, _, message = first_line(second)
        second.communicate(timeout=60)
        assert kind == "busy" and f"pid {holder.pid}" in message
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=60)
        assert (folder / ".lock.owner").exists()  # a stale note: the next holder replaces it
        third = contender(folder, 0.0, tmp_path / "release")
        assert first_line(third)[0] == "won"
        (tmp_path / "release").touch()
        third.communicate(timeout=60)
        assert not (folder / ".lock.owner").exists()  # a holder that ends removes its note
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


@pytest.mark.parametrize("note", ["fifo", "garbage", "deep"])
def test_an_unreadable_owner_note_still_gives_one_line_at_once(tmp_path, note):
    folder, release = tmp_path / "run", tmp_path / "release"
    holder = contender(folder, 0.0, release)
    try:
        assert first_line(holder)[0] == "won"
        owner = folder / ".lock.owner"
        owner.unlink()
        if note == "fifo":
            os.mkfifo(owner)  # would block a plain open() forever
        elif note == "garbage":
            owner.write_bytes(os.urandom(64))
        else:
            owner.write_text("[" * 100_000)
        started = time.monotonic()
        with pytest.raises(RunFolderBusy, match="pid is not recorded") as caught:
            with RunFolder(folder).lock():
                pass
        assert time.monotonic() - started < 5 and "\n" not in str(caught.value)
    finally:
        release.touch()
        holder.communicate(timeout=60)


def test_the_lock_is_reentrant_within_one_process(tmp_path):
    run = RunFolder(tmp_path / "run")
    with run.lock(), RunFolder(tmp_path / "run").lock():  # the CLI, then the trainer
        assert (tmp_path / "run" / ".lock.owner").exists()
    assert not (tmp_path / "run" / ".lock.owner").exists()
    with run.lock():  # released: it can be taken again
        pass


def test_a_second_trainer_on_a_running_folder_is_refused_before_writing(tmp_path):
    """Through the CLI: `train --resume` of a folder a live run holds exits 2, one line."""
    (tmp_path / "small.toml").write_text(
        "plots = false\ntrain_size = 400\nval_size = 100\ntest_size = 100\nepochs = 100000\n"
        "early_stopping_patience = 100000\n")
    command = [sys.executable, "-m", "nnscratch", "train"]
    first = subprocess.Popen([*command, "mlp-spirals", "--config", "small.toml",
                              "--checkpoint-every", "5", "--quiet", "--out", "long"],
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        checkpoints = tmp_path / "long" / "checkpoints"
        deadline = time.monotonic() + 60
        while not (checkpoints.exists() and any(checkpoints.glob("step-*.json"))):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        config = (tmp_path / "long" / "config.json").read_bytes()
        second = subprocess.run([*command, "--resume", "long", "--quiet"], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and f"pid {first.pid}" in lines[0] and "long" in lines[0]
        assert (tmp_path / "long" / "config.json").read_bytes() == config
        assert not (tmp_path / "long" / "summary.json").exists()
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert first.returncode == 128 + signal.SIGTERM
