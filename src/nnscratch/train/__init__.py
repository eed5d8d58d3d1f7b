"""The training engine (``nnscratch.train``): one loop for the CLI and for Python.

``Trainer``/``fit`` run a model over a DataLoader with validation, metrics, clipping,
schedulers, early stopping, callbacks and truncated-BPTT state; a ``RunFolder`` receives
metrics, crash-safe checkpoints, the summary, the final weights and learning-curve plots.
"""

from .callbacks import Callback, EarlyStopping
from .checkpoint import Checkpointer, CheckpointError, NonFiniteStateError, load_checkpoint
from .faults import NonFiniteLossError
from .folder_lock import RunFolderBusy
from .hooks import default_forward, detach_state, move_to
from .metrics import (
    Accuracy,
    Metric,
    RunningMean,
    accuracy,
    bits_per_character,
    perplexity,
    register_metric,
)
from .progress import Progress, progress_bar
from .run import RunFolder
from .trainer import FitResult, Trainer, fit

__all__ = [
    "Accuracy", "Callback", "CheckpointError", "Checkpointer", "EarlyStopping", "FitResult",
    "Metric", "NonFiniteLossError", "NonFiniteStateError", "Progress", "RunFolder",
    "RunFolderBusy", "RunningMean", "Trainer", "accuracy", "bits_per_character",
    "default_forward", "detach_state", "fit", "load_checkpoint", "move_to", "perplexity",
    "progress_bar", "register_metric",
]
