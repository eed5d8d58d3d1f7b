"""Sequential, ModuleList, ModuleDict, Identity, Flatten, Unflatten: behaviour and names as in
PyTorch (state_dict keys, indexing, slicing, renumbering, reprs)."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import nnscratch as ns
import nnscratch.nn as nn
from harness import check_module


def _pair(*layers):
    """The same Sequential built in both frameworks from (name, args) specs."""
    return (nn.Sequential(*[getattr(nn, n)(*a) for n, a in layers]),
            torch.nn.Sequential(*[getattr(torch.nn, n)(*a) for n, a in layers]))


def test_sequential_matches_torch(rng):
    ours, theirs = _pair(("Linear", (4, 5)), ("Tanh", ()), ("Linear", (5, 2)), ("LogSoftmax", (1,)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, [rng.standard_normal((3, 4))])


def test_sequential_from_ordered_dict_keeps_names():
    ours = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    theirs = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(2, 3)), ("act", torch.nn.ReLU())]))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["fc.weight", "fc.bias"]
    assert repr(ours) == repr(theirs)
    assert ours.fc is ours[0]
    sliced = ours[1:]
    assert isinstance(sliced, nn.Sequential) and list(sliced._modules) == ["act"]


def test_sequential_indexing_len_append_insert_pop_like_torch():
    ours, theirs = _pair(("Linear", (2, 2)), ("ReLU", ()), ("Linear", (2, 3)))
    assert len(ours) == 3 and ours[-1] is ours[2] and isinstance(ours[1], nn.ReLU)
    assert [type(m).__name__ for m in ours] == ["Linear", "ReLU", "Linear"]
    ours.append(nn.Tanh())
    theirs.append(torch.nn.Tanh())
    ours.insert(1, nn.Sigmoid())
    theirs.insert(1, torch.nn.Sigmoid())
    assert repr(ours) == repr(theirs)
    del ours[0]
    del theirs[0]
    assert list(ours.state_dict()) == list(theirs.state_dict())  # renumbered from "0"
    assert repr(ours) == repr(theirs)
    popped = ours.pop(0)
    theirs.pop(0)
    assert isinstance(popped, nn.Sigmoid) and repr(ours) == repr(theirs)
    ours[0] = nn.ELU()
    theirs[0] = torch.nn.ELU()
    assert repr(ours) == repr(theirs)
    ours.extend([nn.ReLU()])
    theirs.extend([torch.nn.ReLU()])
    assert repr(ours) == repr(theirs)
    assert repr(ours[1:3]) == repr(theirs[1:3])
    with pytest.raises(IndexError, match="out of range"):
        ours[10]


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), 3)
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential().append(lambda x: x)


def test_empty_sequential_is_the_identity():
    x = ns.randn(2)
    assert nn.Sequential()(x) is x


def test_module_list_registers_indexes_and_slices_like_torch():
    ours = nn.ModuleList([nn.Linear(2, 2), nn.ReLU(), nn.ReLU()])
    theirs = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.ReLU()])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    assert len(ours) == 3 and ours[-1] is ours[2]
    assert isinstance(ours[1:], nn.ModuleList) and len(ours[1:]) == 2
    ours.append(nn.Linear(2, 1))
    theirs.append(torch.nn.Linear(2, 1))
    ours.insert(0, nn.Tanh())
    theirs.insert(0, torch.nn.Tanh())
    del ours[1]
    del theirs[1]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    ours += [nn.Sigmoid()]
    theirs += [torch.nn.Sigmoid()]
    assert repr(ours) == repr(theirs)
    assert len(list(ours.parameters())) == 2
    with pytest.raises(TypeError, match="iterable"):
        nn.ModuleList().extend(nn.ReLU())


def test_module_dict_behaves_like_torch():
    ours = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    theirs = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 2), "b": torch.nn.ReLU()})
    assert repr(ours) == repr(theirs)
    assert list(ours.keys()) == ["a", "b"] and "a" in ours and len(ours) == 2
    ours["c"] = nn.Tanh()
    assert list(ours) == ["a", "b", "c"]
    assert isinstance(ours.pop("b"), nn.ReLU) and list(ours.keys()) == ["a", "c"]
    ours.update([("d", nn.Sigmoid())])
    assert [k for k, _ in ours.items()] == ["a", "c", "d"]
    assert list(ours.state_dict()) == ["a.weight", "a.bias"]
    del ours["a"]
    assert list(ours.state_dict()) == []
    ours.clear()
    assert len(ours) == 0
    with pytest.raises(TypeError, match="not a Module"):
        ours["x"] = 1


def test_identity_returns_its_input():
    x = ns.randn(3)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == repr(torch.nn.Identity())


@pytest.mark.parametrize("start, end, shape", [(1, -1, (2, 3, 4, 5)), (0, -1, (2, 3)), (1, 2, (2, 3, 4, 5)),
                                               (-2, -1, (2, 3, 4)), (1, -1, (2, 1))])
def test_flatten_matches_torch(rng, start, end, shape):
    layer = nn.Flatten(start, end)
    assert repr(layer) == repr(torch.nn.Flatten(start, end))
    check_module(layer, torch.nn.Flatten(start, end), [rng.standard_normal(shape)])


@pytest.mark.parametrize("dim, sizes, shape", [(1, (2, 5), (3, 10)), (-1, (2, -1), (2, 3, 6)), (0, (1, 2), (2,))])
def test_unflatten_matches_torch(rng, dim, sizes, shape):
    layer = nn.Unflatten(dim, sizes)
    assert repr(layer) == repr(torch.nn.Unflatten(dim, sizes))
    check_module(layer, torch.nn.Unflatten(dim, sizes), [rng.standard_normal(shape)])


def test_shape_layer_errors_name_layer_and_shapes():
    with pytest.raises(RuntimeError, match=r"Unflatten\(dim=1, unflattened_size=\(2, 4\)\).*\(3, 10\)"):
        nn.Unflatten(1, (2, 4))(ns.randn(3, 10))
    with pytest.raises(IndexError, match=r"Flatten.*\(2, 3\)"):
        nn.Flatten(3)(ns.randn(2, 3))


def test_train_and_eval_reach_every_child():
    model = nn.Sequential(nn.Dropout(0.5), nn.ModuleList([nn.BatchNorm1d(2)]))
    model.eval()
    assert not model[0].training and not model[1][0].training
    x = ns.randn(3, 2)
    np.testing.assert_array_equal(model[0](x).numpy(), x.numpy())


def test_replacing_an_entry_keeps_its_position():
    ours = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()})
    ours["a"] = nn.Sigmoid()
    assert list(ours) == ["a", "b"] and isinstance(ours["a"], nn.Sigmoid)
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    layers[0] = nn.ELU()
    assert [type(m).__name__ for m in layers] == ["ELU", "Tanh"]
