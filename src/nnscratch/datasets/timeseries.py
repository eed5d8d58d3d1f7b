"""TimeSeries: one numeric series (prices, sensor readings …) read from a CSV file or generated,
split in time and cut into ``(past, future)`` windows for forecasting.

Generators:

    seasonal        x_t = level + trend·t + Σ_k A_k sin(2π t / P_k + φ_k) + σ ε_t
    autoregressive  x_t = c + Σ_{i=1..p} a_i x_{t−i} + σ ε_t       (AR(p); ε_t ~ N(0, 1))

Splits are chronological (training first, then validation, then test) and normalisation
``z = (x − μ) / s`` uses the mean μ and standard deviation s of the *training* part only, so
nothing about the validation or test values leaks into training. A window of the test split
has its whole future inside the test part; its past may reach back into the parts before it
(those values are known when the forecast is made).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy

from .files import read_text

# header names taken for the date column when none is named
DATE_COLUMN_NAMES = ("date", "datetime", "time", "timestamp", "day", "month", "period")


class TimeSeries:
    """A series of float values ``values`` (T,) with optional ``dates`` (T datetimes).

    Build one from an array, :meth:`from_csv`, :meth:`seasonal` or :meth:`autoregressive`.
    """

    def __init__(self, values: Sequence[float] | numpy.ndarray, dates: Sequence[datetime] | None = None,
                 name: str = "series") -> None:
        values = numpy.asarray(values, dtype=numpy.float64)
        if values.ndim != 1:
            raise ValueError(f"TimeSeries: values must be one-dimensional, got shape {values.shape}")
        if not numpy.isfinite(values).all():
            bad = int(numpy.flatnonzero(~numpy.isfinite(values))[0])
            raise ValueError(f"TimeSeries: value {bad} is {values[bad]} (values must be finite)")
        if dates is not None and len(dates) != len(values):
            raise ValueError(f"TimeSeries: {len(dates)} dates for {len(values)} values")
        self.values = values
        self.dates = list(dates) if dates is not None else None
        self.name = name

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        span = f", {self.dates[0]:%Y-%m-%d} … {self.dates[-1]:%Y-%m-%d}" if self.dates else ""
        return f"TimeSeries({self.name!r}, length={len(self)}{span})"

    @classmethod
    def from_csv(cls, path: str | Path, column: str, date_column: str | None = None,
                 date_format: str | None = None, delimiter: str = ",") -> TimeSeries:
        """Read ``column`` of a CSV file with a header line.

        ``date_column``: the column of dates (default: the first header named like
        :data:`DATE_COLUMN_NAMES`, if any); dates are read with ``date_format`` (strptime) or
        else as ISO 8601 (``2021-09-03``, ``2021-09-03 14:00``, ``2021-09-03T14:00:00``) and
        must increase. Every fault raises ValueError naming the file, the line and the column.
        """
        path = Path(path)
        rows = _read_csv_rows(path, delimiter)
        if not rows or not any(cell.strip() for cell in rows[0]):
            raise ValueError(f"{path}: empty file (expected a header line naming the columns)")
        header = [cell.strip() for cell in rows[0]]
        if column not in header:
            hint = (" (the first line holds numbers: the file needs a header line naming the "
                    "columns)" if all(_is_number(cell) for cell in header) else "")
            raise ValueError(f"{path}: no column {column!r}; the columns are {header}{hint}")
        value_index = header.index(column)
        date_index = _date_column(path, header, date_column)
        values, dates = [], []
        for line_number, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue  # blank line
            if len(row) != len(header):
                raise ValueError(f"{path} line {line_number}: {len(row)} fields, the header has "
                                 f"{len(header)}")
            text = row[value_index].strip()
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"{path} line {line_number}, column {column!r}: {text!r} is not "
                                 f"a number") from None
            if not math.isfinite(value):
                raise ValueError(f"{path} line {line_number}, column {column!r}: {text!r} is not "
                                 f"a finite number")
            values.append(value)
            if date_index is not None:
                when = _parse_date(row[date_index].strip(), date_format)
                if when is None:
                    expected = date_format or "an ISO 8601 date such as 2021-09-03"
                    raise ValueError(f"{path} line {line_number}, column {header[date_index]!r}: "
                                     f"{row[date_index].strip()!r} is not a date ({expected})")
                if dates and when <= dates[-1][0]:
                    raise ValueError(f"{path} line {line_number}, column {header[date_index]!r}: "
                                     f"{when} does not come after {dates[-1][0]} (line "
                                     f"{dates[-1][1]}); dates must increase")
                dates.append((when, line_number))
        if not values:
            raise ValueError(f"{path}: no data lines after the header")
        return cls(values, [when for when, _ in dates] if date_index is not None else None,
                   name=column)

    @classmethod
    def seasonal(cls, length: int, periods: Sequence[float] = (24.0, 168.0),
                 amplitudes: Sequence[float] = (1.0, 0.5), trend: float = 0.0, level: float = 0.0,
                 noise: float = 0.1, seed: int = 0) -> TimeSeries:
        """``level + trend·t + Σ_k A_k sin(2π t / P_k + φ_k) + noise·ε_t`` for t = 0 … length−1,
        with random phases φ_k and ε_t ~ N(0, 1) drawn from ``numpy.random.default_rng(seed)``."""
        if length < 1:
            raise ValueError(f"TimeSeries.seasonal: length must be >= 1, got {length}")
        if len(periods) != len(amplitudes) or any(p <= 0 for p in periods):
            raise ValueError(f"TimeSeries.seasonal: need one positive period per amplitude, got "
                             f"periods {tuple(periods)} and amplitudes {tuple(amplitudes)}")
        rng = numpy.random.default_rng(seed)
        t = numpy.arange(length, dtype=numpy.float64)
        phases = rng.uniform(0.0, 2.0 * math.pi, size=len(periods))
        values = level + trend * t
        for period, amplitude, phase in zip(periods, amplitudes, phases):
            values = values + amplitude * numpy.sin(2.0 * math.pi * t / period + phase)
        values = values + noise * rng.standard_normal(length)
        return cls(values, name="seasonal")

    @classmethod
    def autoregressive(cls, length: int, coefficients: Sequence[float], noise: float = 1.0,
                       constant: float = 0.0, seed: int = 0, burn_in: int = 200) -> TimeSeries:
        """An AR(p) process ``x_t = c + Σ_i a_i x_{t−i} + noise·ε_t`` (``coefficients`` =
        a_1 … a_p), started at zero and run ``burn_in`` steps before the values kept."""
        coefficients = numpy.asarray(coefficients, dtype=numpy.float64)
        if coefficients.ndim != 1 or len(coefficients) < 1:
            raise ValueError(f"TimeSeries.autoregressive: coefficients must be a non-empty list, "
                             f"got {coefficients!r}")
        if length < 1:
            raise ValueError(f"TimeSeries.autoregressive: length must be >= 1, got {length}")
        # stationary only if every root of 1 − Σ a_i z^i lies outside the unit circle
        roots = numpy.roots(numpy.concatenate([-coefficients[::-1], [1.0]]))
        if len(roots) and numpy.abs(roots).min() <= 1.0:
            raise ValueError(f"TimeSeries.autoregressive: coefficients {coefficients.tolist()} "
                             f"give a non-stationary process (a root of 1 − Σ a_i z^i has "
                             f"|z| = {numpy.abs(roots).min():.3f} <= 1)")
        rng = numpy.random.default_rng(seed)
        order, total = len(coefficients), length + burn_in
        shocks = noise * rng.standard_normal(total)
        values = numpy.zeros(total + order)
        reversed_coefficients = coefficients[::-1]  # a_p … a_1 against x_{t−p} … x_{t−1}
        for t in range(order, total + order):
            values[t] = constant + reversed_coefficients @ values[t - order:t] + shocks[t - order]
        return cls(values[order + burn_in:], name=f"AR({order})")

    def split_points(self, val_fraction: float, test_fraction: float) -> tuple[int, int]:
        """Indices ``(val_start, test_start)`` of a chronological split."""
        if not (0 <= val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
            raise ValueError(f"TimeSeries: need 0 <= val_fraction, 0 < test_fraction and their sum "
                             f"< 1, got {val_fraction} and {test_fraction}")
        length = len(self)
        test_start = length - int(round(test_fraction * length))
        val_start = test_start - int(round(val_fraction * length))
        return val_start, test_start

    def windows(self, past: int, horizon: int, val_fraction: float = 0.15,
                test_fraction: float = 0.15) -> ForecastWindows:
        """Normalise with the training part's statistics and cut each split into windows."""
        if past < 1 or horizon < 1:
            raise ValueError(f"TimeSeries.windows: past and horizon must be >= 1, got {past} and "
                             f"{horizon}")
        val_start, test_start = self.split_points(val_fraction, test_fraction)
        if val_start < past + horizon:
            raise ValueError(f"TimeSeries.windows: the training part ({val_start} values of "
                             f"{len(self)}) is shorter than one window ({past} + {horizon})")
        normalizer = Normalizer.fit(self.values[:val_start])
        with numpy.errstate(over="ignore", invalid="ignore"):
            z64 = normalizer.transform(self.values)
            z = z64.astype(numpy.float32)
        if not (math.isfinite(normalizer.mean) and math.isfinite(normalizer.std)
                and numpy.isfinite(z).all()):
            largest = float(numpy.abs(self.values).max())
            raise ValueError(f"TimeSeries {self.name!r}: values as large as {largest:.3g} overflow "
                             f"when normalised (training mean {normalizer.mean:.3g}, standard "
                             f"deviation {normalizer.std:.3g}, z must be finite in float32); "
                             f"rescale the column {self.name!r}")
        bounds = {"train": (0, val_start), "val": (val_start, test_start),
                  "test": (test_start, len(self))}
        splits = {}
        for name, (start, end) in bounds.items():
            # windows whose future lies in [start, end): future starts at s + past
            first = max(start - past, 0) if name != "train" else 0
            starts = numpy.arange(first, max(end - past - horizon + 1, first))
            splits[name] = _cut(z, starts, past, horizon)
        return ForecastWindows(z, normalizer, past, horizon, val_start, test_start, **splits)


def _cut(z: numpy.ndarray, starts: numpy.ndarray, past: int, horizon: int) -> WindowSet:
    """Windows ``z[s : s + past]`` and ``z[s + past : s + past + horizon]`` for each start s."""
    offsets = numpy.arange(past + horizon)
    block = z[starts[:, None] + offsets] if len(starts) else numpy.zeros((0, past + horizon),
                                                                         numpy.float32)
    return WindowSet(block[:, :past].copy(), block[:, past:].copy(), starts)


@dataclass
class Normalizer:
    """``z = (x − mean) / std`` with statistics of the training values."""

    mean: float
    std: float

    @classmethod
    def fit(cls, values: numpy.ndarray) -> Normalizer:
        """Mean and standard deviation of ``values`` (either is inf when they overflow float64;
        the caller checks)."""
        with numpy.errstate(over="ignore", invalid="ignore"):
            std = float(numpy.std(values))
            if not math.isfinite(std):
                return cls(float(numpy.mean(values)), std)
        return cls(float(numpy.mean(values)), std if std > 0 else 1.0)

    def transform(self, values: numpy.ndarray) -> numpy.ndarray:
        return (numpy.asarray(values, dtype=numpy.float64) - self.mean) / self.std

    def inverse(self, z: numpy.ndarray) -> numpy.ndarray:
        return numpy.asarray(z, dtype=numpy.float64) * self.std + self.mean


@dataclass
class WindowSet:
    """``past`` (N, P) and ``future`` (N, H) normalised float32 windows; ``starts`` (N,) the
    index in the series of each window's first past value."""

    past: numpy.ndarray
    future: numpy.ndarray
    starts: numpy.ndarray

    def __len__(self) -> int:
        return len(self.past)


@dataclass
class ForecastWindows:
    """The normalised series ``z``, its ``normalizer`` and the windows of each split."""

    z: numpy.ndarray
    normalizer: Normalizer
    past: int
    horizon: int
    val_start: int
    test_start: int
    train: WindowSet
    val: WindowSet
    test: WindowSet


def _read_csv_rows(path: Path, delimiter: str) -> list[list[str]]:
    """Every row of the CSV file ``path`` (UTF-8), each fault a ValueError naming the file and
    the line: not a regular file, not UTF-8 (with the byte offset), a field longer than the
    csv module's limit, malformed quoting or a NUL byte."""
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
        raise ValueError(f"{path}: the CSV delimiter must be one character other than a quote or "
                         f"line end, got {delimiter!r}")
    text = read_text(path, what="CSV file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as error:
        line = reader.line_num
        if "field limit" in str(error):
            raise ValueError(f"{path} line {line}: a field longer than {csv.field_size_limit():,} "
                             f"characters (the csv module's limit); is this a CSV file with the "
                             f"delimiter {delimiter!r}?") from None
        raise ValueError(f"{path} line {line}: not valid CSV ({error})") from None
    return rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _date_column(path: Path, header: list[str], date_column: str | None) -> int | None:
    if date_column is not None:
        if date_column not in header:
            raise ValueError(f"{path}: no date column {date_column!r}; the columns are {header}")
        return header.index(date_column)
    for index, name in enumerate(header):
        if name.lower() in DATE_COLUMN_NAMES:
            return index
    return None


def _parse_date(text: str, date_format: str | None) -> datetime | None:
    try:
        if date_format is not None:
            return datetime.strptime(text, date_format)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:  # a bare year-month, "2021-09"
            return datetime.strptime(text, "%Y-%m")
        except ValueError:
            return None
    return parsed.replace(tzinfo=None)  # compared with each other: all naive


def fit_autoregression(values: numpy.ndarray, order: int) -> tuple[float, numpy.ndarray]:
    """Least-squares AR(p) fit ``x_t ≈ c + Σ_{i=1..p} a_i x_{t−i}``: returns ``(c, a)`` with
    ``a = (a_1 … a_p)``, from the design matrix rows ``[1, x_{t−1} … x_{t−p}]`` (numpy lstsq)."""
    values = numpy.asarray(values, dtype=numpy.float64)
    if order < 1 or len(values) <= 2 * order:
        raise ValueError(f"fit_autoregression: need order >= 1 and more than {2 * order} values, "
                         f"got order {order} and {len(values)} values")
    rows = len(values) - order
    lags = numpy.stack([values[order - i:order - i + rows] for i in range(1, order + 1)], axis=1)
    design = numpy.concatenate([numpy.ones((rows, 1)), lags], axis=1)
    solution, *_ = numpy.linalg.lstsq(design, values[order:], rcond=None)
    return float(solution[0]), solution[1:]


def autoregressive_forecast(constant: float, coefficients: numpy.ndarray, past: numpy.ndarray,
                            horizon: int) -> numpy.ndarray:
    """Iterate a fitted AR(p) ``horizon`` steps after each row of ``past`` (N, P >= p):
    each forecast becomes the newest lag of the next one. Returns (N, horizon)."""
    coefficients = numpy.asarray(coefficients, dtype=numpy.float64)
    order = len(coefficients)
    past = numpy.asarray(past, dtype=numpy.float64)
    if past.ndim != 2 or past.shape[1] < order:
        raise ValueError(f"autoregressive_forecast: need past (N, P >= {order}), got {past.shape}")
    history = past[:, -order:].copy()  # x_{t−p} … x_{t−1}
    reversed_coefficients = coefficients[::-1]
    forecasts = numpy.empty((len(past), horizon))
    for step in range(horizon):
        forecasts[:, step] = constant + history @ reversed_coefficients
        history = numpy.concatenate([history[:, 1:], forecasts[:, step:step + 1]], axis=1)
    return forecasts
