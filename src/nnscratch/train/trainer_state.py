"""Checking a trainer state read from a checkpoint before it is applied, and undoing an
application that fails half-way.

A checkpoint's hash proves its tensors whole, not its JSON state sensible: a crafted or foreign
record may hold ``{}``, ``null``, strings for counters, a scheduler of another kind. Every
non-array field is compared with the trainer's own :meth:`~.trainer.Trainer.state_dict` (same
keys, same list lengths, same kinds of value) and the counters are range-checked, before
anything changes. What only applying can reveal (a data position out of range, an RNG state of
another generator) is undone from a :func:`snapshot`, so the trainer can try an older
checkpoint from exactly where it was.
"""

from __future__ import annotations

from typing import Any

from .. import untrusted
from .checkpoint import CheckpointError
from .state_tree import flatten, unflatten


def check_state(trainer: Any, state: Any, source: Any) -> None:
    """CheckpointError naming ``source`` and the field unless ``state`` could have come from
    ``trainer.state_dict()`` of this run."""
    if not isinstance(state, dict):
        raise CheckpointError(f"{source}: the trainer state is a {type(state).__name__}, "
                              f"not a mapping")
    for name in ("model", "optimizer", "counters", "rng", "epoch_loss"):
        if not isinstance(state.get(name), dict):
            raise CheckpointError(f"{source}: the trainer state lacks {name!r} (or it is "
                                  f"not a mapping)")
    own = trainer.state_dict()
    try:
        counters = state["counters"]
        for name in ("epoch", "step_in_epoch", "global_step"):
            untrusted.field(counters, name, int, source=source, low=0, high=1 << 62)
        untrusted.field(counters, "seconds", float, source=source, low=0.0, high=1e12)
        if counters["step_in_epoch"] > counters["global_step"]:
            raise CheckpointError(f"{source}: step_in_epoch {counters['step_in_epoch']} "
                                  f"exceeds global_step {counters['global_step']}")
        untrusted.field(state["epoch_loss"], "count", int, source=source, low=0)
        untrusted.field(state["epoch_loss"], "total", float, source=source)
        last_validation = state.get("last_validation") or {}
        if not isinstance(last_validation, dict):
            raise CheckpointError(f"{source}: last_validation is not a mapping")
        for name, value in last_validation.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise CheckpointError(f"{source}: last_validation[{name!r}] is not a number")
    except untrusted.UntrustedFileError as error:
        raise CheckpointError(f"{error} (trainer counters)") from None
    check_base_lrs(state.get("base_lrs"), len(own["base_lrs"]), source)
    for name in ("counters", "rng", "epoch_loss"):
        check_like(state[name], own[name], f"{source}: {name}")
    saved_callbacks = state.get("callbacks", [])
    if not isinstance(saved_callbacks, list):
        raise CheckpointError(f"{source}: callbacks must be a list")
    # a resume may add or drop a callback (a time budget): those present must match
    for index, (saved, mine) in enumerate(zip(saved_callbacks, own["callbacks"])):
        check_like(saved, mine, f"{source}: callbacks[{index}]")
    if trainer.scheduler is not None and state.get("scheduler") is not None:
        check_like(state["scheduler"], own["scheduler"], f"{source}: scheduler")
    groups = state["optimizer"].get("param_groups")
    check_like(groups, own["optimizer"]["param_groups"], f"{source}: optimizer param_groups")
    if not isinstance(state["optimizer"].get("state"), dict):
        raise CheckpointError(f"{source}: the optimizer state is not a mapping")
    if state.get("data") is not None and not hasattr(trainer.train_data, "load_state_dict"):
        raise CheckpointError(f"{source}: the state has a data position but the training "
                              f"data cannot take one")


def check_base_lrs(saved: Any, groups: int, source: Any) -> None:
    """CheckpointError unless ``saved`` (a state's ``base_lrs``; absent in older
    checkpoints: None) is None or ``groups`` finite positive numbers, the bases a resume
    rescales from (a ratio of them must exist)."""
    if saved is None:
        return
    if not isinstance(saved, list) or len(saved) != groups:
        raise CheckpointError(f"{source}: base_lrs must be a list of {groups} learning rates, "
                              f"got {untrusted._short(saved)}")
    for index, value in enumerate(saved):
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not 0 < value < float("inf")):
            raise CheckpointError(f"{source}: base_lrs[{index}] must be a positive finite "
                                  f"number, got {untrusted._short(value)}")


def check_like(saved: Any, own: Any, where: str) -> None:
    """CheckpointError unless ``saved`` has the structure of ``own``: the same keys, list
    lengths and kinds of value (numbers for numbers, strings for strings …). Arrays and the
    values ``own`` leaves open (None) are not compared here."""
    if own is None or hasattr(own, "shape"):
        return
    if isinstance(own, (bool, str)):
        if type(saved) is not type(own):
            raise CheckpointError(f"{where} must be {type(own).__name__}, got "
                                  f"{untrusted._short(saved)}")
    elif isinstance(own, (int, float)):
        if isinstance(saved, bool) or not isinstance(saved, (int, float)):
            raise CheckpointError(f"{where} must be a number, got {untrusted._short(saved)}")
    elif isinstance(own, dict):
        if not isinstance(saved, dict) or set(saved) != set(own):
            keys = sorted(map(str, saved)) if isinstance(saved, dict) else saved
            raise CheckpointError(f"{where} must have the keys {sorted(map(str, own))}, got "
                                  f"{untrusted._short(keys)}")
        for key, value in own.items():
            check_like(saved[key], value, f"{where}.{key}")
    elif isinstance(own, (list, tuple)):
        if not isinstance(saved, (list, tuple)) or len(saved) != len(own):
            raise CheckpointError(f"{where} must be a list of {len(own)}, got "
                                  f"{untrusted._short(saved)}")
        for index, (mine, theirs) in enumerate(zip(own, saved)):
            check_like(theirs, mine, f"{where}[{index}]")


def snapshot(trainer: Any) -> tuple[Any, dict, Any]:
    """A copy of everything ``load_state_dict`` changes (arrays copied, not shared), and
    the data position, which a state at an epoch boundary does not hold."""
    data = trainer.train_data.state_dict() if hasattr(trainer.train_data, "state_dict") else None
    skeleton, arrays = flatten(trainer.state_dict())
    return skeleton, {key: array.copy() for key, array in arrays.items()}, data


def restore(trainer: Any, saved: tuple[Any, dict, Any]) -> None:
    """Put ``trainer`` back as :func:`snapshot` found it."""
    skeleton, arrays, data = saved
    state = unflatten(skeleton, arrays, trainer.device)
    if not state["optimizer"]["state"]:
        trainer.optimizer.state.clear()  # a fresh optimiser had no moments yet
    trainer.load_state_dict(state, source="the trainer's own state")
    if data is not None:
        trainer.train_data.load_state_dict(data)
