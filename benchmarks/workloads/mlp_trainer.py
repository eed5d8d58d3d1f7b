"""``mlp_trainer``: the ``mlp`` step driven by nnscratch's ``Trainer`` vs a bare nnscratch loop.

Both sides are nnscratch, same model, weights and batch; the reference is the loop a user
would write by hand (zero_grad, forward, loss, backward, step). The Trainer runs its own loop,
so both sides run ``n`` steps in one go over a list holding the same ``(x, y)`` batch ``n``
times and stamp ``time.perf_counter()`` at the end of every step (the Trainer through an
``on_step_end`` callback); a step's time is the gap between consecutive stamps. The ratio is
the engine's overhead (the target: under 3%).
"""

from __future__ import annotations

import time
from typing import Any

from . import mlp
from .base import Step, Workload, load_nnscratch, nnscratch_step_parts

REQUIRES = (*mlp.REQUIRES, "train.Trainer", "train.Callback")


def _prepare(config: dict, device: str) -> tuple:
    ns, synchronize = nnscratch_step_parts(device)
    model = mlp.make_model(ns, config)
    load_nnscratch(model, mlp.weights(config))
    model.to(device)
    data = mlp.batch(config)
    x, y = ns.tensor(data["x"], device=device), ns.tensor(data["y"], device=device)
    criterion = ns.nn.CrossEntropyLoss()
    first_loss: list = []

    def loss_fn(output: Any, target: Any) -> Any:
        loss = criterion(output, target)
        if not first_loss:
            first_loss.append(float(loss.item()))
        return loss

    optimizer = ns.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return ns, synchronize, model, (x, y), loss_fn, optimizer, first_loss


def durations(stamps: list) -> list:
    """Gaps between consecutive stamps; stamps[0] is taken before the first step."""
    return [later - earlier for earlier, later in zip(stamps, stamps[1:])]


def step_clock(synchronize: Any = lambda: None) -> Any:
    """A Trainer callback stamping ``time.perf_counter()`` at the start of ``fit`` and at the end
    of every step (after ``synchronize()``); ``durations(clock.stamps)`` are the step times."""
    from nnscratch.train import Callback

    class StepClock(Callback):
        def __init__(self) -> None:
            self.stamps: list = []

        def on_fit_start(self, trainer: Any) -> None:
            self.stamps.append(time.perf_counter())

        def on_step_end(self, trainer: Any, step: int) -> None:
            synchronize()
            self.stamps.append(time.perf_counter())

    return StepClock()


def build_trainer(config: dict, device: str) -> Step:
    ns, synchronize, model, batch, loss_fn, optimizer, first_loss = _prepare(config, device)
    from nnscratch.train import Trainer

    def run_many(steps: int) -> list:
        clock = step_clock(synchronize)
        trainer = Trainer(model, loss_fn, optimizer, [batch] * steps, epochs=1, callbacks=[clock],
                          device=device, progress="plain", plots=False)
        trainer.fit()
        return durations(clock.stamps)

    return Step(None, lambda _: first_loss[0], synchronize, model, {"x": batch[0], "y": batch[1]},
                run_many=run_many)


def build_bare_loop(config: dict, device: str) -> Step:
    ns, synchronize, model, batch, loss_fn, optimizer, first_loss = _prepare(config, device)

    def run_many(steps: int) -> list:
        stamps = [time.perf_counter()]
        for x, y in [batch] * steps:
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            synchronize()
            stamps.append(time.perf_counter())
        return durations(stamps)

    return Step(None, lambda _: first_loss[0], synchronize, model, {"x": batch[0], "y": batch[1]},
                run_many=run_many)


WORKLOAD = Workload(
    name="mlp_trainer",
    description="the mlp through nnscratch.train.Trainer vs a bare nnscratch loop (engine overhead)",
    sizes=mlp.SIZES,
    flops=mlp.flops,
    build_nnscratch=build_trainer,
    build_reference=build_bare_loop,
    requires=REQUIRES,
    reference="nnscratch loop",
)
