"""Dataset, TensorDataset, Subset, ConcatDataset and random_split."""

import numpy as np
import pytest

import nnscratch as ns
import nnscratch.data as data


def test_tensor_dataset_items_and_length():
    x, y = ns.randn(5, 3), ns.arange(5)
    dataset = data.TensorDataset(x, y)
    assert len(dataset) == 5
    xi, yi = dataset[2]
    np.testing.assert_array_equal(xi.numpy(), x.numpy()[2])
    assert yi.item() == 2


def test_tensor_dataset_size_check_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(4,\)"):
        data.TensorDataset(ns.randn(5, 3), ns.arange(4))
    with pytest.raises(TypeError, match="TensorDataset"):
        data.TensorDataset([1, 2, 3])


def test_subset_and_concat():
    base = data.TensorDataset(ns.arange(10))
    subset = data.Subset(base, [7, 2, 5])
    assert len(subset) == 3 and [subset[i][0].item() for i in range(3)] == [7, 2, 5]
    joined = data.ConcatDataset([subset, data.TensorDataset(ns.arange(100, 102))])
    assert len(joined) == 5
    assert [joined[i][0].item() for i in range(5)] == [7, 2, 5, 100, 101]
    assert joined[-1][0].item() == 101
    with pytest.raises(IndexError):
        joined[5]
    assert len(subset + subset) == 6


def test_dataset_base_requires_getitem():
    with pytest.raises(NotImplementedError):
        data.Dataset()[0]


@pytest.mark.parametrize("lengths", [[3, 5, 2], [0.5, 0.3, 0.2], [0.34, 0.33, 0.33]])
def test_random_split_is_disjoint_complete_and_reproducible(lengths):
    dataset = data.TensorDataset(ns.arange(10))
    ns.manual_seed(5)
    parts = data.random_split(dataset, lengths)
    seen = [part[i][0].item() for part in parts for i in range(len(part))]
    assert sorted(seen) == list(range(10))
    assert sum(len(part) for part in parts) == 10
    if isinstance(lengths[0], int):
        assert [len(part) for part in parts] == lengths
    ns.manual_seed(5)
    again = data.random_split(dataset, lengths)
    assert [list(p.indices) for p in parts] == [list(p.indices) for p in again]
    ns.manual_seed(6)
    other = data.random_split(dataset, lengths)
    assert [list(p.indices) for p in parts] != [list(p.indices) for p in other]


def test_random_split_fractions_follow_pytorch():
    import torch

    dataset = data.TensorDataset(ns.arange(11))
    ours = data.random_split(dataset, [0.3, 0.3, 0.4])
    theirs = torch.utils.data.random_split(range(11), [0.3, 0.3, 0.4])
    assert [len(p) for p in ours] == [len(p) for p in theirs]


def test_random_split_bad_lengths():
    with pytest.raises(ValueError, match=r"\(9\).*\(10\)"):
        data.random_split(data.TensorDataset(ns.arange(10)), [4, 5])
