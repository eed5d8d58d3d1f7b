"""TimeSeries (datasets/timeseries.py): CSV parsing and its errors, generators, chronological
splits normalised on the training part only, windows, and the least-squares AR(p) fit."""

from datetime import datetime

import numpy as np
import pytest

from nnscratch.datasets.timeseries import TimeSeries, autoregressive_forecast, fit_autoregression


def _write(tmp_path, text, name="series.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- CSV
def test_csv_column_by_name_and_iso_dates(tmp_path):
    path = _write(tmp_path, "Date,open,close\n2021-09-01,1.5,2\n2021-09-02,2.5,3.25\n\n"
                            "2021-09-03,3,-1e2\n")
    series = TimeSeries.from_csv(path, "close")
    np.testing.assert_array_equal(series.values, [2.0, 3.25, -100.0])
    assert series.dates == [datetime(2021, 9, 1), datetime(2021, 9, 2), datetime(2021, 9, 3)]
    assert series.name == "close"
    assert TimeSeries.from_csv(path, "open").values.tolist() == [1.5, 2.5, 3.0]


def test_csv_date_format_and_no_dates(tmp_path):
    path = _write(tmp_path, "when;reading\n03/09/2021 14:00;1\n03/09/2021 15:00;2\n")
    series = TimeSeries.from_csv(path, "reading", date_column="when",
                                 date_format="%d/%m/%Y %H:%M", delimiter=";")
    assert series.dates == [datetime(2021, 9, 3, 14), datetime(2021, 9, 3, 15)]
    plain = TimeSeries.from_csv(_write(tmp_path, "a,b\n1,2\n3,4\n", "plain.csv"), "b")
    assert plain.dates is None and plain.values.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("text, column, words", [
    ("date,x\n2021-01-01,1\n", "y", ["no column 'y'", "['date', 'x']"]),
    ("date,x\n2021-01-01,1\n2021-01-02,abc\n", "x", ["line 3", "column 'x'", "'abc'", "not a number"]),
    ("date,x\n2021-01-01,1\n2021-01-02,\n", "x", ["line 3", "column 'x'", "not a number"]),
    ("date,x\n2021-01-01,1\n2021-01-02,nan\n", "x", ["line 3", "not a finite number"]),
    ("date,x\n2021-01-01,1\nyesterday,2\n", "x", ["line 3", "column 'date'", "'yesterday'", "not a date"]),
    ("date,x\n2021-01-02,1\n2021-01-01,2\n", "x", ["line 3", "does not come after", "line 2"]),
    ("date,x\n2021-01-01,1,7\n", "x", ["line 2", "3 fields", "header has 2"]),
    ("", "x", ["empty file"]),
    ("date,x\n", "x", ["no data lines"]),
])
def test_csv_errors_name_file_line_and_column(tmp_path, text, column, words):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError) as error:
        TimeSeries.from_csv(path, column)
    message = str(error.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_csv_missing_file():
    with pytest.raises(FileNotFoundError):
        TimeSeries.from_csv("/nonexistent/series.csv", "x")


# ---------------------------------------------------------------------------- generators
def test_seasonal_generator_follows_its_equation():
    periodic = TimeSeries.seasonal(200, periods=(20.0,), amplitudes=(2.0,), noise=0.0, seed=3)
    np.testing.assert_allclose(periodic.values[20:], periodic.values[:-20], atol=1e-9)
    assert abs(np.ptp(periodic.values) - 4.0) < 0.05  # amplitude 2 around zero
    line = TimeSeries.seasonal(50, periods=(7.0,), amplitudes=(0.0,), trend=0.5, level=3.0, noise=0.0)
    np.testing.assert_allclose(line.values, 3.0 + 0.5 * np.arange(50))
    noisy = TimeSeries.seasonal(20000, periods=(7.0,), amplitudes=(0.0,), noise=0.3, seed=1)
    assert abs(noisy.values.std() - 0.3) < 0.01
    np.testing.assert_array_equal(TimeSeries.seasonal(30, seed=5).values,
                                  TimeSeries.seasonal(30, seed=5).values)


def test_ar_generator_least_squares_fit_recovers_coefficients():
    truth = (0.5, -0.3, 0.15)
    series = TimeSeries.autoregressive(40000, truth, noise=1.0, constant=0.2, seed=7)
    constant, coefficients = fit_autoregression(series.values, 3)
    np.testing.assert_allclose(coefficients, truth, atol=0.02)
    # stationary mean c / (1 − Σ a) and the constant itself
    assert abs(series.values.mean() - 0.2 / (1 - sum(truth))) < 0.05
    assert abs(constant - 0.2) < 0.03


def test_ar_generator_refuses_explosive_coefficients():
    with pytest.raises(ValueError, match="non-stationary"):
        TimeSeries.autoregressive(100, (1.1,))


def test_autoregressive_forecast_iterates_the_recursion():
    rng = np.random.default_rng(0)
    constant, coefficients = 0.1, np.array([0.6, -0.2])
    past = rng.standard_normal((3, 5))
    expected = np.empty((3, 4))
    for row in range(3):
        history = list(past[row])
        for step in range(4):
            value = constant + coefficients[0] * history[-1] + coefficients[1] * history[-2]
            expected[row, step] = value
            history.append(value)
    np.testing.assert_allclose(autoregressive_forecast(constant, coefficients, past, 4), expected)


# ---------------------------------------------------------------------------- splits, windows
def test_normalisation_uses_the_training_part_only():
    values = np.arange(100, dtype=float)
    windows = TimeSeries(values).windows(past=5, horizon=3, val_fraction=0.2, test_fraction=0.2)
    assert (windows.val_start, windows.test_start) == (60, 80)
    train = values[:60]
    assert windows.normalizer.mean == pytest.approx(train.mean())
    assert windows.normalizer.std == pytest.approx(train.std())
    changed = values.copy()
    changed[60:] *= 1000.0  # validation and test values must not move the statistics
    again = TimeSeries(changed).windows(past=5, horizon=3, val_fraction=0.2, test_fraction=0.2)
    assert again.normalizer == windows.normalizer
    np.testing.assert_allclose(windows.z, (values - train.mean()) / train.std(), rtol=1e-6)


def test_windows_lie_in_their_split():
    values = np.arange(100, dtype=float)
    windows = TimeSeries(values).windows(past=5, horizon=3, val_fraction=0.2, test_fraction=0.2)
    undo = windows.normalizer.inverse
    for name, (start, end) in {"train": (0, 60), "val": (60, 80), "test": (80, 100)}.items():
        split = getattr(windows, name)
        past, future = np.round(undo(split.past)), np.round(undo(split.future))
        np.testing.assert_array_equal(future[:, 0], past[:, -1] + 1)  # consecutive values
        assert future.min() >= start and future.max() < end  # the future inside the split
        assert len(split) == (end - start - 3 + 1 if name != "train" else 60 - 8 + 1)
        np.testing.assert_array_equal(past[:, 0], split.starts)
    assert windows.train.past.dtype == np.float32


def test_windows_errors():
    series = TimeSeries(np.arange(20.0))
    with pytest.raises(ValueError, match="shorter than one window"):
        series.windows(past=10, horizon=5)
    with pytest.raises(ValueError, match="test_fraction"):
        series.windows(past=2, horizon=1, val_fraction=0.5, test_fraction=0.6)
    with pytest.raises(ValueError, match="one-dimensional"):
        TimeSeries(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="finite"):
        TimeSeries([1.0, float("inf")])
