"""RunFolder: the files of a run parse strictly, and a resume cuts the metrics log back."""

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnscratch.train.run import RunFolder, default_run_path


def test_summary_has_exactly_the_documented_keys_and_strict_json(tmp_path):
    run = RunFolder(tmp_path / "r")
    run.create()
    run.write_summary("demo", "failed", 12, 3.14159, {"loss": float("nan"), "accuracy": 0.5})
    text = (tmp_path / "r" / "summary.json").read_text()
    summary = json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert summary == {"recipe": "demo", "status": "failed", "steps": 12, "seconds": 3.142,
                       "final": {"loss": None, "accuracy": 0.5}}
    with pytest.raises(ValueError, match="status"):
        run.write_summary("demo", "crashed", 1, 1.0, {})


def test_config_records_settings_seed_and_versions(tmp_path):
    import numpy

    import nnscratch

    run = RunFolder(tmp_path / "r")
    run.create()
    run.write_config("demo", {"seed": 7, "lr": 0.1, "steps": None})
    config = run.read_config()
    assert config["recipe"] == "demo" and config["seed"] == 7
    assert config["settings"] == {"seed": 7, "lr": 0.1, "steps": None}
    assert config["nnscratch_version"] == nnscratch.__version__
    assert config["numpy_version"] == numpy.__version__


def test_read_config_names_the_fault(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        RunFolder(tmp_path).read_config()
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="config.json"):
        RunFolder(tmp_path).read_config()


def test_resume_cuts_the_log_back_to_the_checkpoint_step(tmp_path):
    run = RunFolder(tmp_path)
    run.create()
    run.open_metrics()
    for step in (10, 20, 30):
        run.log({"step": step, "split": "train", "loss": 1.0 / step})
    run.log({"step": 30, "split": "val", "loss": float("inf")})
    run.close()
    with open(run.metrics_path, "a") as handle:
        handle.write('{"step": 40, "split": "tr')  # torn by a crash
    run.open_metrics(keep_until_step=20)
    run.log({"step": 30, "split": "train", "loss": 0.5})
    run.close()
    records = run.read_metrics()
    assert [(r["step"], r["loss"]) for r in records] == [(10, 0.1), (20, 0.05), (30, 0.5)]


def test_default_run_path_is_unique(tmp_path):
    first = default_run_path("demo", tmp_path)
    first.mkdir()
    second = default_run_path("demo", tmp_path)
    assert first.name.startswith("demo-") and second != first and not second.exists()


def valid_config(tmp_path):
    run = RunFolder(tmp_path)
    run.create()
    run.write_config("demo", {"seed": 7, "lr": 0.1, "steps": None, "name": "x", "plots": True})
    return run


@pytest.mark.parametrize("content, fault", [
    ('{"recipe": ["x"], "settings": {}}', "'recipe' must be a string"),
    ('{"recipe": "x", "settings": []}', "'settings' must be an object"),
    ('{"settings": {}}', "'recipe' is missing"),
    ('{"recipe": "x"}', "'settings' is missing"),
    ('{"recipe": "x", "settings": {"hidden": {"a": 1}}}', "setting 'hidden'"),
    ('{"recipe": "x", "settings": {"hidden": [[1]]}}', "setting 'hidden'"),
    ('[1, 2]', "not an object"),
    ('{"recipe": "x", "settings": {"lr": NaN}}', "not valid JSON"),
    ("[" * 100_000, "nests JSON too deeply"),
    ('{"recipe": "x", "settings": {"seed": 1' + "0" * 5000 + '}}', "not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
])
def test_a_crafted_config_is_one_value_error_naming_the_file(tmp_path, content, fault):
    run = valid_config(tmp_path)
    data = content if isinstance(content, bytes) else content.encode()
    run.config_path.write_bytes(data)
    with pytest.raises(ValueError, match=fault) as caught:
        run.read_config()
    assert "config.json" in str(caught.value)


@pytest.mark.parametrize("special", ["fifo", "dev-zero", "folder", "huge"])
def test_a_special_or_huge_config_is_refused_at_once(tmp_path, special):
    run = valid_config(tmp_path)
    run.config_path.unlink()
    if special == "fifo":
        os.mkfifo(run.config_path)
    elif special == "dev-zero":
        run.config_path.symlink_to("/dev/zero")
    elif special == "folder":
        run.config_path.mkdir()
    else:
        run.config_path.write_bytes(b" " * (2 * 1024 * 1024) + b"{}")
    with pytest.raises(ValueError, match="config.json"):
        run.read_config()


@given(settings_=st.dictionaries(st.text(max_size=8), st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8), st.lists(st.integers(), max_size=3)), max_size=5),
    recipe=st.text(max_size=10))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_config_the_writer_can_write_reads_back(tmp_path, settings_, recipe):
    run = RunFolder(tmp_path)
    run.create()
    run.write_config(recipe, settings_)
    config = run.read_config()
    assert config["recipe"] == recipe and config["settings"] == settings_


def write_weights(run, tensors):
    from nnscratch.serialization import save

    save(tensors, run.model_path)
    run.write_summary("demo", "completed", 3, 1.0, {}, model=run.model_record())


def test_the_weights_digest_is_recorded_and_a_flipped_bit_refused(tmp_path):
    import hashlib

    run = RunFolder(tmp_path)
    run.create()
    weights = {"w": np.arange(64, dtype=np.float32)}
    write_weights(run, weights)
    data = run.model_path.read_bytes()
    recorded = json.loads(run.summary_path.read_text())["model"]
    assert recorded == {"file": "model.safetensors", "bytes": len(data),
                        "sha256": hashlib.sha256(data).hexdigest()}
    assert np.array_equal(run.final_weights()["w"].numpy(), weights["w"])
    for position in (len(data) - 1, len(data) - 100, len(data) // 2 + 40):
        flipped = bytearray(data)
        flipped[position] ^= 0x10  # one bit of the weights' data
        run.model_path.write_bytes(bytes(flipped))
        with pytest.raises(ValueError, match="model.safetensors does not match the digest "
                                             "recorded in .*summary.json"):
            run.final_weights()
    run.model_path.write_bytes(data + b"\0")
    with pytest.raises(ValueError, match="does not match the digest"):
        run.final_weights()


def test_a_run_folder_without_a_digest_still_loads(tmp_path):
    from nnscratch.serialization import save

    run = RunFolder(tmp_path)
    run.create()
    save({"w": np.ones(3, dtype=np.float32)}, run.model_path)
    run.write_summary("demo", "completed", 3, 1.0, {})  # as runs wrote before digests
    assert run.final_weights()["w"].numpy().tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("model", [[], {"file": "x.safetensors", "bytes": 1, "sha256": "0" * 64},
                                   {"file": "model.safetensors", "bytes": -1, "sha256": "0" * 64},
                                   {"file": "model.safetensors", "bytes": 1, "sha256": "zz"}])
def test_a_crafted_weights_record_is_a_value_error(tmp_path, model):
    from nnscratch.serialization import save

    run = RunFolder(tmp_path)
    run.create()
    save({"w": np.ones(3, dtype=np.float32)}, run.model_path)
    run.summary_path.write_text(json.dumps({"recipe": "demo", "model": model}))
    with pytest.raises(ValueError, match="summary.json"):
        run.final_weights()


def test_remove_orphans_takes_only_the_writers_temporaries(tmp_path):
    run = RunFolder(tmp_path / "run")
    run.create()
    victim = tmp_path / "victim"
    victim.write_text("precious")
    orphans = [run.path / ".config.json.tmp-123", run.checkpoints / ".step-00000005.json.tmp-9",
               run.plots / ".loss.png.tmp-77", run.path / ".model.safetensors.k3x_9a2b.tmp",
               run.checkpoints / ".step-00000010-deadbeef.safetensors.tmp-4242"]
    kept = [run.path / "config.json", run.path / ".config.json.tmp-", run.path / "notes.tmp-3",
            run.path / ".model.safetensors.short.tmp", run.checkpoints / "step-00000005.json",
            run.path / ".lock", run.path / ".lock.owner"]
    for path in orphans + kept:
        path.write_text("x")
    link = run.path / ".summary.json.tmp-1"
    link.symlink_to(victim)  # a link of a temporary's name: neither it nor its target goes
    folder = run.path / ".metrics.jsonl.tmp-5"
    folder.mkdir()
    removed = run.remove_orphans()
    assert sorted(removed) == sorted(orphans)
    assert not any(path.exists() for path in orphans)
    assert all(path.exists() for path in kept) and link.is_symlink() and folder.is_dir()
    assert victim.read_text() == "precious"


def test_the_metrics_log_is_read_from_regular_files_only(tmp_path):
    run = RunFolder(tmp_path)
    run.create()
    os.mkfifo(run.metrics_path)
    with pytest.raises(ValueError, match="metrics.jsonl"):
        run.read_metrics()
    run.metrics_path.unlink()
    run.metrics_path.write_text('{"step": 1, "loss": 0.5}\n[1]\n' + "x" * (2 << 20) + "\n"
                                + '{"step": 2, "loss": 0.25}\n')
    assert run.read_metrics() == [{"step": 1, "loss": 0.5}, {"step": 2, "loss": 0.25}]


def test_rewriting_the_weights_first_forgets_their_old_digest(tmp_path):
    from nnscratch.serialization import save

    run = RunFolder(tmp_path)
    run.create()
    write_weights(run, {"w": np.zeros(3, dtype=np.float32)})
    run.forget_model_record()  # a resumed run is about to write new weights …
    save({"w": np.ones(3, dtype=np.float32)}, run.model_path)  # … and is killed after them
    summary = json.loads(run.summary_path.read_text())
    assert "model" not in summary and summary["status"] == "completed"
    assert run.final_weights()["w"].numpy().tolist() == [1.0, 1.0, 1.0]
