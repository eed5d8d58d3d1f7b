"""Shape ops against PyTorch."""

import numpy as np
import pytest
import torch

import nnscratch as ns
from harness import check_op, numeric_gradcheck


def test_reshape_view_flatten(rng):
    x = rng.standard_normal((2, 3, 4))
    check_op(lambda t: t.reshape(6, -1), lambda t: t.reshape(6, -1), [x])
    check_op(lambda t: t.view((4, 6)), lambda t: t.view((4, 6)), [x])
    check_op(lambda t: t.flatten(), lambda t: t.flatten(), [x])
    check_op(lambda t: t.flatten(1), lambda t: t.flatten(1), [x])
    check_op(lambda t: ns.flatten(t, 0, 1), lambda t: torch.flatten(t, 0, 1), [x])


def test_reshape_error_names_sizes():
    with pytest.raises(RuntimeError, match=r"\[5, 5\].*24"):
        ns.zeros(2, 3, 4).reshape(5, 5)


def test_transpose_permute_t(rng):
    x = rng.standard_normal((2, 3, 4))
    check_op(lambda t: t.transpose(0, 2), lambda t: t.transpose(0, 2), [x])
    check_op(lambda t: t.permute(1, 2, 0), lambda t: t.permute(1, 2, 0), [x])
    check_op(lambda t: t.permute((2, 0, 1)), lambda t: t.permute((2, 0, 1)), [x])
    m = rng.standard_normal((3, 5))
    check_op(lambda t: t.t(), lambda t: t.t(), [m])
    check_op(lambda t: t.T, lambda t: t.T, [m])


def test_squeeze_unsqueeze(rng):
    x = rng.standard_normal((1, 3, 1, 2))
    check_op(lambda t: t.squeeze(), lambda t: t.squeeze(), [x])
    check_op(lambda t: t.squeeze(2), lambda t: t.squeeze(2), [x])
    check_op(lambda t: t.squeeze(1), lambda t: t.squeeze(1), [x])  # size 3: unchanged
    check_op(lambda t: t.unsqueeze(-1), lambda t: t.unsqueeze(-1), [x])
    check_op(lambda t: t.unsqueeze(0), lambda t: t.unsqueeze(0), [x])


def test_expand_and_repeat(rng):
    x = rng.standard_normal((3, 1))
    check_op(lambda t: t.expand(2, 3, 4), lambda t: t.expand(2, 3, 4), [x])
    check_op(lambda t: t.expand(-1, 5), lambda t: t.expand(-1, 5), [x])
    check_op(lambda t: t.repeat(2, 3), lambda t: t.repeat(2, 3), [x])
    check_op(lambda t: t.repeat(2, 1, 2), lambda t: t.repeat(2, 1, 2), [x])
    with pytest.raises(RuntimeError, match="expand"):
        ns.zeros(3, 2).expand(3, 4)


def test_cat_stack_split_chunk(rng):
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    check_op(lambda x, y: ns.cat([x, y]), lambda x, y: torch.cat([x, y]), [a, b])
    check_op(lambda x, y: ns.cat([x, y], dim=1), lambda x, y: torch.cat([x, y], dim=1), [a, c])
    check_op(lambda x, y: ns.stack([x, y], 1), lambda x, y: torch.stack([x, y], 1), [a, c])
    x = rng.standard_normal((7, 4))
    check_op(lambda t: t.split(3), lambda t: t.split(3), [x])
    check_op(lambda t: t.split([2, 5]), lambda t: t.split([2, 5]), [x])
    check_op(lambda t: t.chunk(3), lambda t: t.chunk(3), [x])
    check_op(lambda t: t.chunk(2, dim=1), lambda t: t.chunk(2, dim=1), [x])
    check_op(lambda t: t.unbind(1), lambda t: t.unbind(1), [x])
    # only one piece used downstream: the others get no gradient but the shapes still add up
    check_op(lambda t: t.split(3)[1] * 2, lambda t: t.split(3)[1] * 2, [x])
    with pytest.raises(RuntimeError, match="cat"):
        ns.cat([ns.zeros(2, 3), ns.zeros(2, 4)])
    with pytest.raises(RuntimeError, match="split"):
        ns.zeros(7).split([2, 2])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate"])
def test_pad_modes(rng, mode):
    from nnscratch.ops.shape import Pad

    x = rng.standard_normal((2, 5, 6))
    widths = ((0, 0), (1, 2), (2, 1))
    check_op(lambda t: Pad.apply(t, widths=widths, mode=mode),
             lambda t: torch.nn.functional.pad(t, (2, 1, 1, 2), mode=mode), [x])


def test_shape_gradcheck(rng):
    x = rng.standard_normal((2, 3))
    numeric_gradcheck(lambda t: ns.cat([t, t * 2], 0).permute(1, 0).reshape(-1)[:5], x)
    numeric_gradcheck(lambda t: t.expand(4, 2, 3).repeat(1, 1, 2).sum(0), x)
    numeric_gradcheck(lambda t: ns.stack(t.split(1, dim=1), 0).squeeze(), x)


def test_narrow_gather_index_select(rng):
    x = rng.standard_normal((4, 5))
    idx = np.array([[0, 2, 2], [1, 1, 4], [3, 0, 0], [4, 4, 4]])
    check_op(lambda t: t.narrow(1, 1, 3), lambda t: t.narrow(1, 1, 3), [x])
    check_op(lambda t: t.gather(1, ns.tensor(idx)), lambda t: t.gather(1, torch.tensor(idx)), [x])
    check_op(lambda t: t.index_select(0, ns.tensor([3, 0, 3])),
             lambda t: t.index_select(0, torch.tensor([3, 0, 3])), [x])
