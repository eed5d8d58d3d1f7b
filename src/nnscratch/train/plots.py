"""The learning-curve plots of a run, drawn by a callback once the run folder is closed.

:class:`PlotsCallback` reads the run's metrics.jsonl and writes its plots into ``plots/``
(:func:`~nnscratch.viz.learning_curves.plot_learning_curves`). matplotlib is optional: without
it the run says so and completes; a plot that cannot be written (a full disk, a Ctrl-C) is
added to ``FitResult.message`` and never changes the run's status.
"""

from __future__ import annotations

from typing import Any

from .callbacks import Callback


class PlotsCallback(Callback):
    """Draws the learning curves of ``trainer.run`` after its summary is written.

    The trainer adds it when made with ``plots=True``; it is not in ``Trainer.callbacks`` and
    keeps no state, so checkpoints are the same with or without it.
    """

    def on_run_closed(self, trainer: Any, result: Any) -> None:
        # viz draws with matplotlib (optional): imported only by a run that plots
        from ..viz.learning_curves import plot_learning_curves

        run = trainer.run
        try:
            plot_learning_curves(run.read_metrics(), run.plots,
                                 title=f"{run.path.name} ({trainer.recipe})",
                                 loss_name=trainer.loss_name)
        except ImportError:
            trainer.progress.message("matplotlib is not installed: no plots "
                                     "(pip install 'nnscratch[plot]')")
        except (OSError, ValueError, KeyboardInterrupt) as error:
            reason = "interrupted" if isinstance(error, KeyboardInterrupt) else error
            result.message = f"{result.message + '; ' if result.message else ''}" \
                             f"plots not written ({reason})"
