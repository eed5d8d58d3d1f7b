"""DataLoader: batching, drop_last, len, collation, shuffling, resuming mid-epoch."""

from collections import namedtuple

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.data as data


def batches_as_lists(loader):
    return [[t.numpy().tolist() for t in batch] for batch in loader]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 10, 12])
def test_batches_and_len_match_pytorch(batch_size, drop_last):
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    ours = data.DataLoader(data.TensorDataset(ns.tensor(x), ns.tensor(y)), batch_size=batch_size,
                           drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=batch_size,
        drop_last=drop_last)
    assert len(ours) == len(theirs)
    got, expected = batches_as_lists(ours), batches_as_lists(theirs)
    assert got == expected and len(got) == len(ours)
    for features, labels in ours:
        assert features.dtype == ns.float32 and labels.dtype == ns.int64


class ListDataset(data.Dataset):
    def __init__(self, items):
        self.items = items

    def __getitem__(self, index):
        return self.items[index]

    def __len__(self):
        return len(self.items)


Point = namedtuple("Point", ["position", "label"])


def test_default_collate_structures_match_pytorch():
    rng = np.random.default_rng(0)
    examples = [
        {"image": rng.standard_normal((2, 3)).astype(np.float32), "label": i, "weight": 0.5 * i,
         "name": f"x{i}", "pair": (np.float64(i), ns.tensor([i, i + 1])), "flag": i % 2 == 0}
        for i in range(4)
    ]
    batch = next(iter(data.DataLoader(ListDataset(examples), batch_size=4)))
    reference = torch.utils.data.default_collate(
        [{**e, "pair": (e["pair"][0], torch.tensor(e["pair"][1].numpy()))} for e in examples])
    assert batch["image"].shape == (4, 2, 3) and batch["image"].dtype == ns.float32
    np.testing.assert_array_equal(batch["image"].numpy(), reference["image"].numpy())
    assert batch["label"].dtype == ns.int64 and batch["label"].tolist() == reference["label"].tolist()
    # Python floats become the default dtype (float32), not PyTorch's float64
    assert batch["weight"].dtype == ns.get_default_dtype()
    np.testing.assert_allclose(batch["weight"].numpy(), reference["weight"].numpy())
    assert batch["name"] == reference["name"]
    assert batch["flag"].dtype == ns.bool and batch["flag"].tolist() == reference["flag"].tolist()
    assert isinstance(batch["pair"], list)
    assert batch["pair"][0].dtype == ns.float64
    assert batch["pair"][1].tolist() == reference["pair"][1].tolist()


def test_default_collate_tuples_lists_and_namedtuples():
    pairs = [(ns.tensor([1.0, 2.0]), 3), (ns.tensor([4.0, 5.0]), 6)]
    features, labels = data.default_collate(pairs)
    assert features.tolist() == [[1, 2], [4, 5]] and labels.tolist() == [3, 6]
    points = data.default_collate([Point(1.0, 2), Point(3.0, 4)])
    assert isinstance(points, Point) and points.label.tolist() == [2, 4]
    with pytest.raises(RuntimeError, match="equal size"):
        data.default_collate([[1, 2], [1, 2, 3]])
    with pytest.raises(RuntimeError, match=r"\(2,\).*\(3,\)"):
        data.default_collate([ns.zeros(2), ns.zeros(3)])
    with pytest.raises(TypeError, match="object"):
        data.default_collate([object(), object()])


def test_batched_fetch_equals_item_by_item_collation():
    x, y = ns.randn(11, 3), ns.arange(11)
    fast = data.DataLoader(data.TensorDataset(x, y), batch_size=4, shuffle=True)
    slow = data.DataLoader(data.TensorDataset(x, y), batch_size=4, shuffle=True,
                           collate_fn=data.default_collate)
    ns.manual_seed(3)
    got = batches_as_lists(fast)
    ns.manual_seed(3)
    assert got == batches_as_lists(slow)
    subset = data.random_split(data.TensorDataset(x, y), [6, 5])[0]
    through_subset = batches_as_lists(data.DataLoader(subset, batch_size=4))
    by_hand = [[x.numpy()[subset.indices[:4]].tolist(), y.numpy()[subset.indices[:4]].tolist()],
               [x.numpy()[subset.indices[4:]].tolist(), y.numpy()[subset.indices[4:]].tolist()]]
    assert through_subset == by_hand


def test_shuffle_is_reproducible_a_permutation_and_new_each_epoch():
    dataset = data.TensorDataset(ns.arange(50))
    loader = data.DataLoader(dataset, batch_size=8, shuffle=True)
    ns.manual_seed(42)
    first_epoch = np.concatenate([b[0].numpy() for b in loader])
    second_epoch = np.concatenate([b[0].numpy() for b in loader])
    assert sorted(first_epoch.tolist()) == list(range(50))
    assert sorted(second_epoch.tolist()) == list(range(50))
    assert first_epoch.tolist() != second_epoch.tolist()
    assert first_epoch.tolist() != list(range(50))
    ns.manual_seed(42)
    again = data.DataLoader(dataset, batch_size=8, shuffle=True)
    assert np.concatenate([b[0].numpy() for b in again]).tolist() == first_epoch.tolist()
    assert np.concatenate([b[0].numpy() for b in again]).tolist() == second_epoch.tolist()


def test_resume_mid_epoch_gives_the_remaining_batches():
    dataset = data.TensorDataset(ns.arange(23))
    ns.manual_seed(7)
    loader = data.DataLoader(dataset, batch_size=4, shuffle=True)
    list(loader)  # one full epoch first
    iterator = iter(loader)
    seen = [next(iterator)[0].tolist() for _ in range(3)]
    saved = loader.state_dict()
    rng_state = ns.get_rng_state()
    remaining = [b[0].tolist() for b in iterator]
    next_epoch = [b[0].tolist() for b in loader]
    assert len(seen) + len(remaining) == len(loader) == 6

    ns.manual_seed(999)  # a new process: different seed until the checkpoint restores it
    resumed = data.DataLoader(dataset, batch_size=4, shuffle=True)
    resumed.load_state_dict(saved)
    ns.set_rng_state(rng_state)
    assert [b[0].tolist() for b in resumed] == remaining
    assert [b[0].tolist() for b in resumed] == next_epoch
    assert resumed.state_dict()["epochs_started"] == saved["epochs_started"] + 1


def test_state_after_a_finished_epoch_starts_a_new_one():
    loader = data.DataLoader(data.TensorDataset(ns.arange(6)), batch_size=2)
    iterator = iter(loader)
    for _ in range(3):
        next(iterator)
    saved = loader.state_dict()
    assert saved["batches_yielded"] == 3
    resumed = data.DataLoader(data.TensorDataset(ns.arange(6)), batch_size=2)
    resumed.load_state_dict(saved)
    assert len(list(resumed)) == 3
    with pytest.raises(ValueError, match="batches_yielded=9"):
        resumed.load_state_dict({**saved, "batches_yielded": 9})


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader(data.TensorDataset(ns.arange(3)), batch_size=0)
