"""einsum against torch.einsum: outputs and gradients, finite differences, and the errors."""

import numpy as np
import pytest
import torch

import nnscratch as ns
from harness import check_op, numeric_gradcheck

# (equation, operand shapes): each case is compared with PyTorch, forward and every gradient.
CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),  # matmul
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),  # batched matmul
    ("i,j->ij", [(3,), (4,)]),  # outer product
    ("i,i->", [(5,), (5,)]),  # dot product
    ("ii->", [(4, 4)]),  # trace
    ("ii->i", [(4, 4)]),  # diagonal
    ("iij->ji", [(3, 3, 2)]),  # diagonal along a batch of columns
    ("ii,ij->j", [(3, 3), (3, 2)]),  # a diagonal contracted with another operand
    ("ij->ji", [(3, 4)]),  # transpose
    ("ij->", [(3, 4)]),  # sum of everything
    ("ij->j", [(3, 4)]),  # column sums
    ("ij,jk", [(3, 4), (4, 5)]),  # implicit output: 'ik'
    ("ba,ca", [(2, 3), (4, 3)]),  # implicit output sorted: 'bc'
    ("Ab,ab", [(2, 3), (4, 3)]),  # implicit output, upper case sorts first: 'Aa'
    ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 2)]),  # ellipsis with broadcast batch dims
    ("...ij,...jk", [(2, 3, 4), (4, 5)]),  # implicit output keeps '...' first
    ("b...i->b...", [(2, 3, 4, 5)]),  # ellipsis in the middle
    ("i...->i", [(2, 3, 4)]),  # ellipsis summed when the output leaves it out
    ("bn,anm,bm->ba", [(3, 4), (2, 4, 5), (3, 5)]),  # bilinear (nn.Bilinear)
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),  # chain of three
    ("ij,ik,il->jkl", [(6, 2), (6, 3), (6, 4)]),  # three operands sharing one label
    ("ij,jk->ik", [(3, 1), (4, 5)]),  # label j of size 1 broadcasts against 4
    ("ij,ij->ij", [(1, 4), (3, 4)]),  # label i broadcast, kept in the output
    ("ii,ij->ij", [(1, 1), (3, 2)]),  # a size-1 diagonal broadcasts too
    ("ab,bc->abc", [(2, 3), (3, 4)]),  # nothing summed
    (" i j , j k -> i k ", [(2, 3), (3, 4)]),  # spaces
    ("ij,k->ik", [(3, 4), (5,)]),  # j summed away in its only operand: its gradient broadcasts
]


def _inputs(rng, shapes):
    return [rng.standard_normal(shape) for shape in shapes]


@pytest.mark.parametrize("equation,shapes", CASES, ids=[c[0].replace(" ", "_") for c in CASES])
def test_einsum_matches_torch(rng, equation, shapes):
    check_op(
        lambda *xs: ns.einsum(equation, *xs),
        lambda *xs: torch.einsum(equation, *xs),
        _inputs(rng, shapes),
    )


def test_list_form_matches_torch(rng):
    inputs = _inputs(rng, [(2, 3, 4), (2, 4, 5)])
    check_op(
        lambda a, b: ns.einsum("bij,bjk->bik", [a, b]),
        lambda a, b: torch.einsum("bij,bjk->bik", [a, b]),
        inputs,
    )


def test_gradient_only_for_operands_that_need_it(rng):
    a = ns.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = ns.tensor(rng.standard_normal((4, 5)))
    ns.einsum("ij,jk->ik", a, b).sum().backward()
    assert b.grad is None
    expected = np.broadcast_to(b.numpy().sum(axis=1), (3, 4))  # d(sum A B)/dA_ij = sum_k B_jk
    np.testing.assert_allclose(a.grad.numpy(), expected, rtol=1e-12)


def test_float32_stays_float32(rng):
    a = ns.tensor(rng.standard_normal((3, 3)).astype(np.float32), requires_grad=True)
    b = ns.tensor(rng.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    y = ns.einsum("ii,ij->ij", a, b)
    assert y.dtype == ns.float32
    y.sum().backward()
    assert a.grad.dtype == ns.float32 and b.grad.dtype == ns.float32


def test_scalar_result_is_a_tensor(rng):
    y = ns.einsum("ii", ns.tensor(rng.standard_normal((3, 3))))
    assert y.shape == () and isinstance(y.numpy(), np.ndarray)


@pytest.mark.parametrize("equation,shapes", [
    ("ii->i", [(3, 3)]),
    ("iij,jk->ik", [(2, 2, 3), (3, 2)]),
    ("bn,anm,bm->ba", [(2, 3), (2, 3, 2), (2, 2)]),
    ("...ij,jk->...ik", [(2, 1, 3), (3, 2)]),
])
def test_gradcheck(rng, equation, shapes):
    numeric_gradcheck(lambda *xs: ns.einsum(equation, *xs), *_inputs(rng, shapes))


@pytest.mark.parametrize("equation,shapes,reason", [
    ("ij,jk->ik", [(2, 3)], "1 operands"),
    ("ij->ij", [(2, 3), (3, 4)], "2 operands"),
    ("ij->ij", [(2, 3, 4)], "3 dimensions"),
    ("...ijk->i", [(2, 3)], "2 dimensions"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "subscript j has size 4"),
    ("ii->i", [(2, 3)], "repeated for operand 0"),
    ("ij->k", [(2, 3)], "output subscript k does not appear"),
    ("ij->ii", [(2, 3)], "output subscript i appears more than once"),
    ("i1->i", [(2, 3)], "invalid subscript"),
    ("i->i->i", [(2,)], "more than one '->'"),
])
def test_errors_name_einsum_equation_and_shapes(equation, shapes, reason):
    operands = [ns.zeros(*shape) for shape in shapes]
    with pytest.raises(ValueError) as error:
        ns.einsum(equation, *operands)
    message = str(error.value)
    assert "einsum" in message and repr(equation) in message and reason in message
    for shape in shapes:
        assert str(shape) in message
    with pytest.raises(RuntimeError):  # PyTorch rejects the same equations
        torch.einsum(equation, *[torch.zeros(shape) for shape in shapes])


def test_mixed_dtypes_are_rejected():
    with pytest.raises(RuntimeError, match="einsum.*dtype"):
        ns.einsum("i,i->", ns.zeros(2, dtype=ns.float32), ns.zeros(2, dtype=ns.float64))
    with pytest.raises(RuntimeError):  # as PyTorch
        torch.einsum("i,i->", torch.zeros(2, dtype=torch.float32), torch.zeros(2, dtype=torch.float64))
