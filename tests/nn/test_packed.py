"""nn.utils.rnn (packed sequences) against torch.nn.utils.rnn, gradients included."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.utils.rnn as torch_rnn

import nnscratch as ns
import nnscratch.nn.utils.rnn as ns_rnn
from harness import check_op


def _same_packed(ours, theirs) -> None:
    np.testing.assert_allclose(ours.data.numpy(), theirs.data.detach().numpy(), rtol=1e-12)
    assert ours.batch_sizes.tolist() == theirs.batch_sizes.tolist()
    assert ours.batch_sizes.dtype == ns.int64
    for a, b in ((ours.sorted_indices, theirs.sorted_indices),
                 (ours.unsorted_indices, theirs.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.tolist() == b.tolist()


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [
    ([4, 3, 3, 1], True), ([2, 4, 1, 3], False), ([3, 1, 3, 2], False),
])
def test_pack_padded_sequence_matches_pytorch(batch_first, lengths, enforce_sorted, rng):
    x = rng.standard_normal((4, 4, 2))
    ours = ns_rnn.pack_padded_sequence(ns.tensor(x), lengths, batch_first, enforce_sorted)
    theirs = torch_rnn.pack_padded_sequence(torch.tensor(x), lengths, batch_first, enforce_sorted)
    assert isinstance(ours, ns_rnn.PackedSequence) and isinstance(ours, tuple)
    _same_packed(ours, theirs)
    check_op(  # the data's gradient flows back to the padded input
        lambda t: ns_rnn.pack_padded_sequence(t, lengths, batch_first, enforce_sorted).data,
        lambda t: torch_rnn.pack_padded_sequence(t, lengths, batch_first, enforce_sorted).data,
        [x],
    )


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length", [None, 6])
def test_pad_packed_sequence_matches_pytorch(batch_first, total_length, rng):
    x = rng.standard_normal((5, 3, 2))
    lengths = [3, 5, 2]

    def run(module, pack_fn, pad_fn):
        def fn(t):
            packed = pack_fn(t, lengths, enforce_sorted=False)
            padded, out_lengths = pad_fn(packed, batch_first=batch_first, padding_value=-2.0,
                                         total_length=total_length)
            assert out_lengths.tolist() == lengths
            return padded
        return fn

    check_op(run(ns, ns_rnn.pack_padded_sequence, ns_rnn.pad_packed_sequence),
             run(torch, torch_rnn.pack_padded_sequence, torch_rnn.pad_packed_sequence), [x])


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_pytorch(batch_first, padding_side, rng):
    sequences = [rng.standard_normal((n, 2)) for n in (3, 5, 1)]
    check_op(
        lambda *s: ns_rnn.pad_sequence(s, batch_first, 0.5, padding_side),
        lambda *s: torch_rnn.pad_sequence(s, batch_first, 0.5, padding_side),
        sequences,
    )


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack(enforce_sorted, rng):
    sizes = (4, 2, 1) if enforce_sorted else (2, 4, 1)
    sequences = [rng.standard_normal((n, 3)) for n in sizes]
    ours = ns_rnn.pack_sequence([ns.tensor(s) for s in sequences], enforce_sorted)
    theirs = torch_rnn.pack_sequence([torch.tensor(s) for s in sequences], enforce_sorted)
    _same_packed(ours, theirs)
    for original, back in zip(sequences, ns_rnn.unpack_sequence(ours)):
        np.testing.assert_array_equal(back.numpy(), original)


def test_unpad_sequence_matches_pytorch(rng):
    x = rng.standard_normal((3, 4, 2))
    lengths = [4, 1, 3]
    ours = ns_rnn.unpad_sequence(ns.tensor(x), lengths, batch_first=True)
    theirs = torch_rnn.unpad_sequence(torch.tensor(x), torch.tensor(lengths), batch_first=True)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_packed_sequence_fields_and_inverse():
    data = ns.zeros(3, 2)
    packed = ns_rnn.PackedSequence(data, [2, 1], ns.tensor([1, 0]))
    assert packed.unsorted_indices.tolist() == [1, 0]
    assert packed.batch_sizes.tolist() == [2, 1]
    data_, batch_sizes, sorted_indices, unsorted_indices = packed
    assert data_ is data and packed.data is data
    assert packed.double().data.dtype == ns.float64


def test_packing_errors():
    x = ns.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        ns_rnn.pack_padded_sequence(x, [2, 4, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        ns_rnn.pack_padded_sequence(x, [4, 0, 0])
    with pytest.raises(ValueError, match="Expected `len\\(lengths\\)` to be equal to batch_size, "
                                         "but got 2 \\(batch_size=3\\)"):
        ns_rnn.pack_padded_sequence(x, [4, 3])
    with pytest.raises(RuntimeError, match="exceeds the padded length 4"):
        ns_rnn.pack_padded_sequence(x, [5, 3, 1])
    packed = ns_rnn.pack_padded_sequence(x, [4, 3, 1])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 4"):
        ns_rnn.pad_packed_sequence(packed, total_length=2)


def test_exposed_as_nn_utils_rnn():
    import nnscratch.nn as nn

    assert nn.utils.rnn.pack_padded_sequence is ns_rnn.pack_padded_sequence
