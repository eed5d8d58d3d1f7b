"""throughput: how many examples a batch holds, and what the trainer's count counts."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import nnscratch as ns
from nnscratch.train.throughput import examples_in, rate_unit


@given(batch=st.integers(1, 9), rest=st.lists(st.integers(1, 4), max_size=3),
       layout=st.sampled_from(["tuple", "dict", "tensor", "nested"]))
def test_examples_are_the_first_axis_of_the_first_array(batch, rest, layout):
    inputs = ns.zeros(batch, *rest)
    target = np.zeros(batch + 3)  # a later array never decides
    found = {"tuple": (inputs, target), "dict": {"source": inputs, "target": target},
             "tensor": inputs, "nested": [([inputs], target)]}[layout]
    assert examples_in(found) == batch


@given(steps=st.integers(1, 9), batch=st.integers(1, 9))
def test_time_major_batches_count_their_second_axis(steps, batch):
    ids = np.zeros((steps, batch), dtype=np.int64)
    assert examples_in((ids, ids), batch_first=False) == batch
    assert examples_in((np.zeros(3), ids), batch_first=False) == batch  # 1-D arrays skipped


def test_what_the_count_counts():
    def count(target):
        return int(np.asarray(target).size)

    labels, tokens = np.zeros(8, dtype=np.int64), np.zeros((8, 5), dtype=np.int64)
    pixels = np.zeros((8, 28, 28), dtype=np.float32)
    assert rate_unit("auto", (pixels, labels), labels, count, examples_in) is None  # classifier
    assert rate_unit("auto", (tokens, tokens), tokens, count, examples_in) == "tokens"
    assert rate_unit("auto", (pixels, pixels), pixels, count, examples_in) is None  # autoencoder
    assert rate_unit("pixels", (pixels, pixels), pixels, count, examples_in) == "pixels"
    assert examples_in(("no arrays", 3)) == 1
