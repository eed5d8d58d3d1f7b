"""Module registration, state dicts, modes and moves, with hand-made modules."""

from collections import OrderedDict

import numpy as np
import pytest

import nnscratch as ns
from nnscratch.nn import Module, Parameter


class Affine(Module):
    def __init__(self, n):
        super().__init__()
        self.weight = Parameter(ns.randn(n, n))
        self.bias = Parameter(ns.zeros(n))
        self.register_buffer("count", ns.zeros(1))
        self.register_buffer("scratch", ns.zeros(1), persistent=False)

    def forward(self, x):
        return x @ self.weight + self.bias


class Net(Module):
    def __init__(self):
        super().__init__()
        self.first = Affine(3)
        self.scale = Parameter(ns.ones(1))
        self.second = Affine(3)

    def forward(self, x):
        return self.second(self.first(x) * self.scale)


def test_named_parameters_follow_torch_order():
    # PyTorch lists a module's own parameters first, then its children's.
    names = [name for name, _ in Net().named_parameters()]
    assert names == ["scale", "first.weight", "first.bias", "second.weight", "second.bias"]


def test_state_dict_keys_values_and_buffers():
    net = Net()
    state = net.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == ["scale", "first.weight", "first.bias", "first.count",
                           "second.weight", "second.bias", "second.count"]
    assert state["first.weight"].array is net.first.weight.array  # shares storage
    assert not state["first.weight"].requires_grad


def test_load_state_dict_round_trip_and_numpy_values():
    source, target = Net(), Net()
    target.load_state_dict({k: v.numpy().copy() for k, v in source.state_dict().items()})
    x = ns.randn(2, 3)
    np.testing.assert_array_equal(source(x).numpy(), target(x).numpy())


def test_strict_load_lists_every_problem_and_changes_nothing():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    bad = {k: v.numpy() for k, v in Net().state_dict().items()}
    del bad["first.bias"]
    bad["extra.weight"] = np.zeros(2)
    bad["second.weight"] = np.zeros((4, 4))
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad)
    message = str(info.value)
    assert "first.bias" in message and "extra.weight" in message
    assert "second.weight" in message and "(4, 4)" in message and "(3, 3)" in message
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    missing, unexpected = Net().load_state_dict(
        {k: v for k, v in bad.items() if k != "second.weight"}, strict=False)
    assert "first.bias" in missing and unexpected == ["extra.weight"]


def test_train_eval_zero_grad_to_apply():
    net = Net()
    assert net.training and net.first.training
    net.eval()
    assert not net.training and not net.second.training
    net.train()
    assert net.second.training
    net(ns.randn(2, 3)).sum().backward()
    assert net.first.weight.grad is not None
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.to(ns.float64) is net
    assert net.first.weight.dtype == ns.float64 and net.first.count.dtype == ns.float64
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Affine", "Affine", "Net"]


def test_children_modules_and_repr():
    net = Net()
    assert [type(m).__name__ for m in net.children()] == ["Affine", "Affine"]
    assert len(list(net.modules())) == 3
    assert repr(net).startswith("Net(\n  (first): Affine()")


def test_assigning_a_wrong_type_to_a_parameter_fails():
    net = Affine(2)
    with pytest.raises(TypeError, match="weight"):
        net.weight = ns.zeros(2, 2)


def test_reassigning_keeps_the_registration_position_as_torch():
    import torch

    net, ref = Net(), torch.nn.Module()
    ref.first = torch.nn.Linear(3, 3)
    ref.scale = torch.nn.Parameter(torch.ones(1))
    ref.second = torch.nn.Linear(3, 3)
    net.first = Affine(3)
    ref.first = torch.nn.Linear(3, 3)
    net.scale = Parameter(ns.ones(1))
    ref.scale = torch.nn.Parameter(torch.ones(1))
    assert [n for n, _ in net.named_children()] == [n for n, _ in ref.named_children()]
    assert [n.split(".")[0] for n, _ in net.named_parameters()][0] == "scale"
