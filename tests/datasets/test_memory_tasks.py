"""The long-memory task generators against their definitions and closed-form baselines."""

import math

import numpy as np
import pytest

import nnscratch as ns
from nnscratch import datasets
from nnscratch.datasets.memory_tasks import (
    ADDING_BASELINE_MSE,
    IGNORE_INDEX,
    copy_memory_baseline,
    lag_recall_vocabulary,
    make_adding_problem,
    make_copy_memory,
    make_lag_recall,
)


# ---------------------------------------------------------------------------- adding problem
def test_adding_problem_layout_and_target():
    inputs, targets = make_adding_problem(500, 31)
    assert inputs.shape == (500, 31, 2) and inputs.dtype == np.float32
    assert targets.shape == (500, 1) and targets.dtype == np.float32
    values, markers = inputs[..., 0], inputs[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(np.unique(markers)) == {0.0, 1.0}
    half = 31 // 2
    assert (markers[:, :half].sum(1) == 1).all() and (markers[:, half:].sum(1) == 1).all()
    np.testing.assert_allclose(targets[:, 0], (values * markers).sum(1), rtol=1e-6)


def test_adding_problem_markers_cover_each_half_uniformly():
    _, _ = make_adding_problem(1, 2)  # the shortest length: one step per half
    inputs, _ = make_adding_problem(20000, 10)
    positions = inputs[..., 1].sum(0)  # how often each step is marked
    assert (positions > 0).all()
    expected = 20000 / 5  # each half has 5 steps, one marker per half
    np.testing.assert_allclose(positions, expected, rtol=0.08)


def test_adding_baseline_is_the_variance_of_the_target():
    # Var(U + U') = 2/12: answering the mean 1 scores exactly that MSE in expectation
    assert ADDING_BASELINE_MSE == pytest.approx(2 / 12)
    _, targets = make_adding_problem(200000, 20)
    assert np.mean((targets - 1.0) ** 2) == pytest.approx(1 / 6, abs=3e-3)
    assert np.mean(targets) == pytest.approx(1.0, abs=3e-3)
    # and 1 is the best constant: the MSE of any other constant is larger
    assert np.mean((targets - 1.1) ** 2) > np.mean((targets - 1.0) ** 2)


def test_adding_problem_draws_from_the_library_generator():
    ns.manual_seed(3)
    first = make_adding_problem(4, 12)
    ns.manual_seed(3)
    second = make_adding_problem(4, 12)
    third = make_adding_problem(4, 12)
    np.testing.assert_array_equal(first[0], second[0])
    assert not np.array_equal(second[0], third[0])


@pytest.mark.parametrize("args", [(0, 10), (5, 1), (5, 0), (-1, 10)])
def test_adding_problem_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match="make_adding_problem"):
        make_adding_problem(*args)


# ---------------------------------------------------------------------------- copy memory
@pytest.mark.parametrize("delay", [1, 5, 30])
def test_copy_memory_layout_follows_arjovsky(delay):
    inputs, targets = make_copy_memory(200, delay)
    steps = delay + 20
    assert inputs.shape == targets.shape == (200, steps)
    assert inputs.dtype == targets.dtype == np.int64
    symbols = inputs[:, :10]
    assert ((symbols >= 1) & (symbols <= 8)).all()
    assert (inputs[:, 10:10 + delay - 1] == 0).all()  # T − 1 blanks
    assert (inputs[:, 10 + delay - 1] == 9).all()  # the delimiter
    assert (inputs[:, -10:] == 0).all()  # 10 blanks while answering
    assert (targets[:, :delay + 10] == 0).all()
    np.testing.assert_array_equal(targets[:, -10:], symbols)


def test_copy_memory_symbols_are_uniform_over_one_to_eight():
    inputs, _ = make_copy_memory(4000, 3)
    counts = np.bincount(inputs[:, :10].ravel(), minlength=10)
    assert counts[0] == counts[9] == 0
    np.testing.assert_allclose(counts[1:9] / counts.sum(), 1 / 8, atol=0.01)


@pytest.mark.parametrize("delay", [10, 100])
def test_copy_memory_baseline_is_the_best_memoryless_cross_entropy(delay):
    # the best prediction that ignores the input is each step's class frequency; its
    # cross-entropy is the mean entropy of those frequencies, measured here on generated data
    _, targets = make_copy_memory(20000, delay)
    entropy = 0.0
    for step in range(targets.shape[1]):
        p = np.bincount(targets[:, step], minlength=9) / len(targets)
        p = p[p > 0]
        entropy -= (p * np.log(p)).sum()
    measured = entropy / targets.shape[1]
    assert copy_memory_baseline(delay) == pytest.approx(10 * math.log(8) / (delay + 20))
    assert measured == pytest.approx(copy_memory_baseline(delay), rel=2e-3)


# ---------------------------------------------------------------------------- lag recall
@pytest.mark.parametrize("lag,distractors", [(2, 1), (7, 2), (15, 4)])
def test_lag_recall_target_is_the_cue_lag_steps_back(lag, distractors):
    inputs, targets = make_lag_recall(16, 200, lag, distractors)
    query = lag_recall_vocabulary(distractors) - 1
    assert inputs.shape == targets.shape == (16, 200)
    assert inputs.min() >= 0 and inputs.max() <= query
    rows, steps = np.nonzero(targets != IGNORE_INDEX)
    assert (inputs[rows, steps] == query).all()  # targets only at queries
    assert set(np.unique(targets[rows, steps])) <= {0, 1}
    complete = steps >= lag
    rows, steps = rows[complete], steps[complete]
    np.testing.assert_array_equal(targets[rows, steps], inputs[rows, steps - lag])
    for offset in range(1, lag):  # only distractors in between
        between = inputs[rows, steps - offset]
        assert ((between >= 2) & (between < query)).all()
    # every query step has a target, and a query comes once every lag + 1 steps
    assert ((inputs == query) == (targets != IGNORE_INDEX)).all()
    np.testing.assert_allclose((inputs == query).mean(), 1 / (lag + 1), atol=0.01)


def test_lag_recall_streams_start_at_different_phases():
    inputs, _ = make_lag_recall(64, 30, 9)
    first_query = (inputs == lag_recall_vocabulary() - 1).argmax(1)
    assert len(np.unique(first_query)) > 5


def test_lag_recall_rejects_bad_arguments():
    with pytest.raises(ValueError, match="make_lag_recall"):
        make_lag_recall(4, 10, 1)
    with pytest.raises(ValueError, match="make_lag_recall"):
        make_lag_recall(0, 10, 5)


def test_generators_are_exported_from_datasets():
    assert datasets.make_adding_problem is make_adding_problem
    assert datasets.make_copy_memory is make_copy_memory
    assert datasets.make_lag_recall is make_lag_recall
