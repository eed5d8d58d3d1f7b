"""The backward pass: walk the recorded graph in reverse topological order.

Iterative (no recursion), so a graph unrolled over thousands of time steps is fine. Each node
runs once, after every node that feeds it a gradient; gradients reaching the same tensor from
several uses are summed. Saved arrays are freed as soon as a node has run, unless
``retain_graph`` is set.
"""

from __future__ import annotations

from typing import Any

import numpy

from .grad_mode import _State
from .hooks import run_hooks


def backward(root: Any, grad: Any, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) · ``grad`` into ``leaf.grad`` for every leaf that needs it."""
    if root._node is None:
        _accumulate(root, grad, set())
        return
    # Count, for every node reachable from the root, how many edges lead into it.
    pending = {root._node: 0}
    stack = [root._node]
    while stack:
        node = stack.pop()
        if node.edges is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Specify retain_graph=True if you "
                "need to backward through the graph a second time."
            )
        for edge in node.edges:
            if type(edge) is tuple:
                parent = edge[0]
                if parent in pending:
                    pending[parent] += 1
                else:
                    pending[parent] = 1
                    stack.append(parent)

    grads: dict = {root._node: [None] * root._node.n_outputs}
    grads[root._node][root._output_index] = grad
    ready = [root._node]
    assigned: set = set()
    previous, previous_retain = _State.enabled, _State.retain_graph
    _State.enabled, _State.retain_graph = False, retain_graph
    try:
        while ready:
            node = ready.pop()
            output_grads = grads.pop(node)
            output_hooks = node.__dict__.get("output_hooks")
            if output_hooks:
                for index, hooks in output_hooks.items():
                    if output_grads[index] is not None:
                        output_grads[index] = run_hooks(hooks, output_grads[index])
            input_grads = type(node)._backward(node, tuple(output_grads))
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            edges = node.edges
            if len(input_grads) < len(edges):
                raise RuntimeError(
                    f"{type(node).__name__}.backward returned {len(input_grads)} gradients, "
                    f"expected {len(edges)}"
                )
            if not retain_graph:
                node.saved = ()
                node.edges = None
            for edge, g in zip(edges, input_grads):
                if edge is None:
                    continue
                if type(edge) is not tuple:
                    if g is not None:
                        _accumulate(edge, g, assigned)
                    continue
                parent, index = edge
                if g is not None:
                    slots = grads.get(parent)
                    if slots is None:
                        slots = grads[parent] = [None] * parent.n_outputs
                    old = slots[index]
                    slots[index] = g if old is None else old + g
                pending[parent] -= 1
                if pending[parent] == 0:
                    if parent in grads:
                        ready.append(parent)
                    else:  # no gradient flowed into it: nothing to do below it
                        _skip(parent, pending, grads, ready, retain_graph)
    finally:
        _State.enabled, _State.retain_graph = previous, previous_retain


def _skip(node: Any, pending: dict, grads: dict, ready: list, retain_graph: bool) -> None:
    """A node that received no gradient still releases its parents' counts."""
    stack = [node]
    while stack:
        node = stack.pop()
        edges = node.edges
        if not retain_graph:
            node.saved = ()
            node.edges = None
        for edge in edges:
            if type(edge) is tuple:
                parent = edge[0]
                pending[parent] -= 1
                if pending[parent] == 0:
                    if parent in grads:
                        ready.append(parent)
                    else:
                        stack.append(parent)


def _accumulate(leaf: Any, g: Any, assigned: set) -> None:
    """leaf.grad += g, never sharing a buffer that another gradient or a view still uses."""
    if g.shape != leaf._array.shape:
        raise RuntimeError(
            f"gradient of shape {tuple(g.shape)} for a leaf of shape {tuple(leaf._array.shape)}"
        )
    if leaf._hooks:
        g = run_hooks(leaf._hooks, g)
    if isinstance(g, numpy.generic):
        g = numpy.asarray(g)
    if g.dtype != leaf._array.dtype:
        g = g.astype(leaf._array.dtype)
    if leaf.grad is None:
        owned = g.base is None and getattr(g.flags, "writeable", True) and id(g) not in assigned
        if not owned:
            g = g.copy()
        assigned.add(id(g))
        leaf.grad = leaf._make(g)
    else:
        leaf.grad._array = leaf.grad._array + g
