"""Einstein summation: the equation parser and the ``Einsum`` Function.

``y[out] = sum over the labels not in out of  prod_k x_k[labels_k]``: every label names one
dimension; labels shared by operands are multiplied elementwise, labels left out of the output
are summed. The parser turns PyTorch's equation (spaces, ``...``, implicit output, size-1
broadcasting of a label) into a plain letters-only equation for ``xp.einsum``:

- each dimension covered by ``...`` gets its own spare letter, right-aligned across operands
  (an operand with fewer ``...`` dimensions broadcasts, as in elementwise ops);
- a dimension of size 1 whose label has a larger size elsewhere is squeezed away, and its label
  dropped from that operand: ``x[i, 0]`` then multiplies every ``j`` (broadcasting);
- without ``->`` the output is ``...`` followed by the labels that appear exactly once, sorted.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from ..autograd.function import Function, ShapeError

ELLIPSIS = "..."


@dataclass(frozen=True)
class EinsumPlan:
    """A parsed equation: letters-only subscripts once size-1 broadcast axes are squeezed.

    ``inputs[k]`` labels the axes of operand k left after squeezing ``squeezed[k]`` (axes of
    the original operand); ``output`` labels the result's axes.
    """

    inputs: tuple[str, ...]
    output: str
    squeezed: tuple[tuple[int, ...], ...]

    @property
    def equation(self) -> str:
        return ",".join(self.inputs) + "->" + self.output


def _fail(equation: str, shapes: list, reason: str) -> ShapeError:
    shown = ", ".join(str(tuple(s)) for s in shapes)
    return ShapeError(f"einsum(): {reason} (equation {equation!r}, operand shapes {shown})")


def _split_term(term: str, fail: Any) -> tuple[str, str, bool]:
    """(letters before ``...``, letters after, has ``...``) of one subscript term."""
    before, has_ellipsis, after = term.partition(ELLIPSIS)
    for label in before + after:
        if not (label.isascii() and label.isalpha()):
            raise fail(f"invalid subscript {label!r} in term {term!r}: only letters and '...'")
    return before, after, bool(has_ellipsis)


def parse_equation(equation: str, shapes: list[tuple[int, ...]]) -> EinsumPlan:
    """Check ``equation`` against the operands' shapes and return the letters-only plan."""
    def fail(reason: str) -> ShapeError:
        return _fail(equation, shapes, reason)

    if not isinstance(equation, str):
        raise TypeError(f"einsum(): the equation must be a string, got {type(equation).__name__}")
    compact = "".join(equation.split())
    if compact.count("->") > 1:
        raise fail("the equation has more than one '->'")
    lhs, arrow, rhs = compact.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise fail(f"the equation has {len(terms)} operand terms but {len(shapes)} operands were given")

    # Letters for the dimensions under '...': spare letters not used in the equation.
    parsed = [_split_term(term, fail) for term in terms]
    ellipsis_ndims = []
    for k, ((before, after, has_ellipsis), shape) in enumerate(zip(parsed, shapes)):
        explicit = len(before) + len(after)
        if explicit > len(shape) or (not has_ellipsis and explicit != len(shape)):
            raise fail(
                f"operand {k} has {len(shape)} dimensions but its subscripts {terms[k]!r} "
                f"name {explicit}" + ("" if has_ellipsis else " and there is no '...'")
            )
        ellipsis_ndims.append(len(shape) - explicit if has_ellipsis else 0)
    spare = [c for c in string.ascii_letters if c not in compact]
    n_ellipsis = max(ellipsis_ndims, default=0)
    if n_ellipsis > len(spare):
        raise fail("too many dimensions: einsum has only 52 letters for labels and '...'")
    ellipsis_labels = "".join(spare[:n_ellipsis])

    # Full labels per operand, and each label's size (size 1 broadcasts against any size).
    labels = []
    sizes: dict[str, int] = {}
    for k, ((before, after, _), shape) in enumerate(zip(parsed, shapes)):
        term_labels = before + ellipsis_labels[n_ellipsis - ellipsis_ndims[k]:] + after
        seen: dict[str, int] = {}
        for label, size in zip(term_labels, shape):
            if seen.setdefault(label, size) != size:
                raise fail(
                    f"subscript {label} is repeated for operand {k} with different sizes "
                    f"{seen[label]} and {size}"
                )
            known = sizes.get(label, 1)
            if size != 1 and known != 1 and size != known:
                raise fail(f"subscript {label} has size {size} for operand {k} but size {known} before")
            if size != 1:
                sizes[label] = size
        labels.append(term_labels)

    if arrow:
        before, after, has_ellipsis = _split_term(rhs, fail)
        output = before + (ellipsis_labels if has_ellipsis else "") + after
        for label in before + after:
            if (before + after).count(label) > 1:
                raise fail(f"output subscript {label} appears more than once in the output")
            if not any(label in term for term in labels):
                raise fail(f"output subscript {label} does not appear in any input operand")
    else:
        explicit = "".join(before + after for before, after, _ in parsed)
        output = ellipsis_labels + "".join(sorted(c for c in set(explicit) if explicit.count(c) == 1))

    # Squeeze the size-1 axes that broadcast against a larger size of the same label.
    inputs, squeezed = [], []
    for term_labels, shape in zip(labels, shapes):
        axes = tuple(a for a, (label, size) in enumerate(zip(term_labels, shape))
                     if size == 1 and sizes.get(label, 1) != 1)
        inputs.append("".join(label for a, label in enumerate(term_labels) if a not in axes))
        squeezed.append(axes)
    return EinsumPlan(tuple(inputs), output, tuple(squeezed))


class Einsum(Function):
    """``y = einsum(plan.equation, *operands)`` with the plan from :func:`parse_equation`.

    Shapes: operand k has one axis per label of its term; y has one axis per output label,
    each of that label's size.
    """

    @staticmethod
    def forward(ctx, *operands, plan):
        xp = ctx.xp
        reduced = tuple(
            xp.squeeze(x, axis=axes) if axes else x for x, axes in zip(operands, plan.squeezed)
        )
        ctx.plan = plan
        ctx.shapes = tuple(x.shape for x in operands)
        ctx.save_for_backward(*reduced)
        # numpy returns a 0-d result as a scalar: keep it an array
        return xp.asarray(xp.einsum(plan.equation, *reduced, optimize=True))

    @staticmethod
    def backward(ctx, grad_output):
        return tuple(
            _operand_grad(ctx.xp, ctx.plan, k, grad_output, ctx.saved, ctx.shapes[k]) if need else None
            for k, need in enumerate(ctx.needs_input_grad)
        )


def _operand_grad(xp: Any, plan: EinsumPlan, k: int, grad_output: Any, operands: tuple,
                  shape: tuple) -> Any:
    """dL/dx_k: the upstream gradient contracted with every other operand.

    y = sum prod_j x_j  is linear in x_k, so  dL/dx_k[labels_k] = sum of dL/dy[out] * prod_{j != k}
    x_j[labels_j]  over every label not in labels_k. A label only x_k has (summed away in the
    forward) does not reach that product: the gradient is the same along it (broadcast). A label
    repeated in x_k (a diagonal) receives the gradient on its diagonal only, zeros elsewhere.
    """
    subscripts = plan.inputs[k]
    other_terms = [plan.output] + [s for j, s in enumerate(plan.inputs) if j != k]
    other_arrays = [grad_output] + [x for j, x in enumerate(operands) if j != k]
    reachable = set("".join(other_terms))
    unique = "".join(dict.fromkeys(subscripts))  # labels in order of first appearance
    target = "".join(label for label in unique if label in reachable)
    if len(other_terms) == 1 and other_terms[0] == target:
        grad = grad_output  # nothing to contract or permute
    else:
        grad = xp.asarray(xp.einsum(",".join(other_terms) + "->" + target, *other_arrays, optimize=True))
    x = operands[k]
    unique_shape = tuple(x.shape[subscripts.index(label)] for label in unique)
    grad = grad.reshape(tuple(n if label in reachable else 1 for label, n in zip(unique, unique_shape)))
    if len(unique) == len(subscripts):
        grad = xp.broadcast_to(grad, x.shape)
    else:
        full = xp.zeros(x.shape, dtype=grad.dtype)
        _diagonal_view(xp, full, subscripts, unique)[...] = grad
        grad = full
    return grad.reshape(shape)  # put back the squeezed size-1 axes


def _diagonal_view(xp: Any, array: Any, subscripts: str, unique: str) -> Any:
    """Writable view of ``array`` with one axis per distinct label: ``'ii'`` gives its diagonal.

    Stepping one along a label steps one along every axis carrying it, so the label's stride
    is the sum of those axes' strides.
    """
    strides = [0] * len(unique)
    for axis, label in enumerate(subscripts):
        strides[unique.index(label)] += array.strides[axis]
    shape = tuple(array.shape[subscripts.index(label)] for label in unique)
    return xp.lib.stride_tricks.as_strided(array, shape=shape, strides=tuple(strides))
