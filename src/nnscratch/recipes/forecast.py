"""Recipe ``forecast``: an LSTM/GRU forecaster of a time series against two baselines.

The series is generated (``series = "seasonal"``: two seasonal sines with a trend and noise;
``"ar"``: an AR(3) process) or read from a CSV file (``--data FILE.csv --column NAME``, dates
parsed from a ``date``-like column or ``date_column``, with ``date_format`` if not ISO 8601).
It is split in time (training, validation, test), normalised with the training part's mean
and standard deviation, and cut into windows of ``past`` values followed by ``horizon`` values
(see datasets/timeseries.py).

Training is one step ahead at every position of a training window (teacher forcing); the
``loss`` is that mean squared error in normalised units, on the training windows and, measured
the same way, on the validation and test windows, so the curves of ``plots/loss.png`` compare
like with like. Evaluation also forecasts the ``horizon`` values after each window's past
autoregressively; the best checkpoint follows the validation ``forecast_mse``.
``summary.json``'s ``final`` holds the test ``loss`` and, in the series' own units (squared):

    forecast_mse     the model's multi-step (``horizon`` values) forecasts
    last_value_mse   the last known value repeated over the horizon
    ar_mse           an AR(ar_order) model fitted by least squares (numpy lstsq) on the
                     training part, iterated over the horizon

and the run folder gets ``forecast.png`` (forecasts against the truth over the test part) and
``forecaster.json`` (the model's shape and the normalisation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy

from .._tensor import Tensor
from ..creation import from_numpy
from ..data import DataLoader, TensorDataset
from ..datasets.timeseries import ForecastWindows, TimeSeries, autoregressive_forecast, fit_autoregression
from ..models.forecaster import CELLS, Forecaster
from ..nn import functional as F
from ..optim import Adam
from ..optim.lr_scheduler import CosineAnnealingLR
from ..train.atomic import atomic_write_json
from ..train.callbacks import Callback
from ..viz.forecasts import draw_forecasts
from .measured import Measured, register_figures, unwrapped
from .registry import Range, Settings, SettingsError, Task, recipe

EVAL_BATCH = 512
FIGURE_FILE, CONFIG_FILE = "forecast.png", "forecaster.json"
register_figures(["forecast_mse", "last_value_mse", "ar_mse"], higher_is_better=False)


def load_series(settings: Settings) -> TimeSeries:
    """The series a run forecasts: the CSV file of ``data``, else the generated one."""
    if settings.data:
        if not settings.column:
            raise SettingsError("recipe 'forecast' with --data FILE.csv needs the column to "
                                "forecast: --column NAME")
        path = Path(settings.data)
        if not path.is_file():
            raise SettingsError(f"recipe 'forecast': {path} is not a file")
        try:
            return TimeSeries.from_csv(path, settings.column, settings.date_column or None,
                                       settings.date_format or None)
        except (ValueError, UnicodeDecodeError) as error:
            raise SettingsError(str(error)) from None
    if settings.series == "seasonal":
        # an hourly-looking series: daily and weekly-ish cycles on a slow trend
        return TimeSeries.seasonal(settings.length, periods=(24.0, 100.0), amplitudes=(1.0, 0.6),
                                   trend=2.0 / settings.length, noise=settings.noise,
                                   seed=settings.seed)
    if settings.series == "ar":
        return TimeSeries.autoregressive(settings.length, (0.6, -0.3, 0.2),
                                         noise=settings.noise, seed=settings.seed)
    raise SettingsError(f"forecast: series must be 'seasonal' or 'ar' (or give --data FILE.csv), "
                        f"got {settings.series!r}")


def eval_batches(windows: Any, ar_fit: tuple[float, numpy.ndarray], horizon: int) -> list[dict]:
    """Evaluation batches: the windows with the baselines' forecasts (normalised units)."""
    constant, coefficients = ar_fit
    batches = []
    for start in range(0, len(windows), EVAL_BATCH):
        past = windows.past[start:start + EVAL_BATCH]
        future = windows.future[start:start + EVAL_BATCH]
        batches.append({
            "past": from_numpy(past), "future": from_numpy(future),
            "whole": from_numpy(numpy.ascontiguousarray(numpy.concatenate([past, future], axis=1))),
            "last_value": numpy.repeat(past[:, -1:], horizon, axis=1),
            "ar": autoregressive_forecast(constant, coefficients, past, horizon),
        })
    return batches


def make_forward(horizon: int, scale: float) -> Any:
    """The trainer's ``forward``: one-step predictions (against the next values) always; when
    evaluating, also the multi-step forecasts' and the baselines' errors (``scale`` = std²,
    back to the series' units)."""

    def forward(model: Forecaster, batch: Any, state: Any) -> tuple[Any, Tensor, None]:
        if model.training:
            inputs, targets = batch
            predictions, _ = model(inputs)
            return predictions, targets, None
        future = batch["future"]
        whole = batch["whole"]  # past then future: one-step targets as in training
        predictions, _ = model(whole[:, :-1])
        forecast = model.forecast(batch["past"], horizon)
        truth = future.numpy().astype(numpy.float64)
        count = truth.size

        def mse(prediction: numpy.ndarray) -> tuple[float, int]:
            return float(((prediction - truth) ** 2).mean()) * scale, count

        figures = {"forecast_mse": mse(forecast.numpy()), "last_value_mse": mse(batch["last_value"]),
                   "ar_mse": mse(batch["ar"])}
        return Measured(predictions, figures), whole[:, 1:], None

    return forward


class ForecastFiles(Callback):
    """Writes forecaster.json at the start and forecast.png when the run completes."""

    def __init__(self, series: TimeSeries, windows: ForecastWindows, ar_fit: tuple, config: dict) -> None:
        self.series, self.windows, self.ar_fit, self.config = series, windows, ar_fit, config

    def on_fit_start(self, trainer: Any) -> None:
        if trainer.run is not None:
            atomic_write_json(Path(trainer.run.path) / CONFIG_FILE, self.config)

    def on_fit_end(self, trainer: Any, status: str) -> None:
        if trainer.run is None or status != "completed":
            return
        try:
            plot_forecasts(trainer.model, self.series, self.windows, self.ar_fit,
                           Path(trainer.run.path) / FIGURE_FILE)
        except ImportError:
            trainer.progress.message("matplotlib is not installed: no forecast plot "
                                     "(pip install 'nnscratch[plot]')")


def plot_forecasts(model: Forecaster, series: TimeSeries, windows: ForecastWindows, ar_fit: tuple,
                   path: Path) -> Path:
    """The test part of the series with forecasts made every ``horizon`` steps from the values
    before them: the model's (solid) and the AR baseline's (dashed), drawn by
    :func:`~nnscratch.viz.forecasts.draw_forecasts`."""
    past, horizon, test_start = windows.past, windows.horizon, windows.test_start
    normalizer, z = windows.normalizer, windows.z
    origins = numpy.arange(test_start, len(z) - horizon + 1, horizon)  # first forecast value
    pasts = numpy.stack([z[o - past:o] for o in origins]).astype(numpy.float32)
    was_training = model.training
    model.eval()
    device = next(iter(model.parameters())).device
    forecasts = model.forecast(from_numpy(pasts).to(device), horizon).numpy()
    model.train(was_training)
    ar = autoregressive_forecast(*ar_fit, pasts, horizon)
    shown = numpy.arange(max(test_start - past, 0), len(z))
    x_of = (lambda i: numpy.asarray(series.dates, dtype="datetime64[s]")[i]) if series.dates \
        else (lambda i: i)
    steps = [numpy.arange(origin, origin + horizon) for origin in origins]
    return draw_forecasts(
        path, x_of(shown), series.values[shown], [x_of(s) for s in steps],
        [normalizer.inverse(f) for f in forecasts], [normalizer.inverse(f) for f in ar],
        split_at=x_of(test_start), x_label="date" if series.dates else "step", y_label=series.name,
        title=f"{path.parent.name}: {series.name}: {horizon}-step forecasts over the test part "
              f"(from the {past} values before each)")


@recipe(
    "forecast",
    "LSTM/GRU time-series forecaster against last-value and least-squares AR baselines, on a "
    "generated series or --data FILE.csv --column NAME; plots forecasts against the truth",
    epochs=20, batch_size=64, lr=3e-3, log_every=20, clip_grad_norm=1.0, data="", column="",
    date_column="", date_format="", series="seasonal", length=3000, noise=0.1, past=48,
    horizon=24, stride=2, cell="lstm", hidden=48, layers=1, ar_order=12, val_fraction=0.15,
    test_fraction=0.15,
    ranges={"series": ("seasonal", "ar"), "length": (10, 10_000_000), "noise": (0, 1000),
            "past": (1, 10_000), "horizon": (1, 10_000), "stride": (1, 10_000), "cell": CELLS,
            "hidden": (1, 4096), "layers": (1, 16), "ar_order": (1, 1000),
            "val_fraction": Range(0, 1, high_open=True),
            "test_fraction": Range(0, 1, low_open=True, high_open=True)},
)
def forecast(settings: Settings) -> Task:
    if settings.ar_order > settings.past:
        raise SettingsError(f"forecast: need ar_order <= past, got ar_order={settings.ar_order}, "
                            f"past={settings.past}")
    series = load_series(settings)
    try:
        windows = series.windows(settings.past, settings.horizon, settings.val_fraction,
                                 settings.test_fraction)
        ar_fit = fit_autoregression(windows.z[:windows.val_start], settings.ar_order)
    except ValueError as error:
        raise SettingsError(f"forecast: {error}") from None
    if len(windows.test) == 0:
        raise SettingsError(f"forecast: the test part of {series!r} is shorter than the horizon "
                            f"({settings.horizon}); use a larger test_fraction or a longer series")
    train = windows.train
    whole = numpy.concatenate([train.past, train.future], axis=1)[::settings.stride]
    train_set = TensorDataset(from_numpy(numpy.ascontiguousarray(whole[:, :-1])),
                              from_numpy(numpy.ascontiguousarray(whole[:, 1:])))
    try:
        model = Forecaster(1, settings.hidden, settings.layers, cell=settings.cell)
    except ValueError as error:
        raise SettingsError(str(error)) from None
    scale = windows.normalizer.std ** 2
    config = {"model": model.config, "past": settings.past, "horizon": settings.horizon,
              "normalizer": {"mean": windows.normalizer.mean, "std": windows.normalizer.std},
              "series": series.name, "length": len(series)}
    return Task(
        model=model,
        loss=unwrapped(F.mse_loss),
        train_data=DataLoader(train_set, batch_size=settings.batch_size, shuffle=True),
        val_data=eval_batches(windows.val, ar_fit, settings.horizon) if len(windows.val) else None,
        test_data=eval_batches(windows.test, ar_fit, settings.horizon),
        metrics=["loss", "forecast_mse", "last_value_mse", "ar_mse"],
        monitor="forecast_mse",
        make_optimizer=lambda parameters: Adam(parameters, lr=settings.lr),
        make_scheduler=lambda optimizer, total_steps: CosineAnnealingLR(optimizer, T_max=total_steps),
        scheduler_interval="step",
        forward=make_forward(settings.horizon, scale),
        callbacks=[ForecastFiles(series, windows, ar_fit, config)],
    )
