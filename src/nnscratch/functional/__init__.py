"""The Tensor-level functions: one home for each op's PyTorch-shaped function.

Each function checks and adapts its arguments (PyTorch's signature, dtype promotion, errors that
name the op and the shapes) and runs a Function of ``nnscratch.ops``, which works on arrays.
``nnscratch`` re-exports the names of ``torch.*`` (``ns.exp``, ``ns.cat``), ``nnscratch.nn.functional``
those of ``torch.nn.functional`` (``F.relu``, ``F.conv2d``), and the methods of
``nnscratch.Tensor`` delegate here (``x.exp()`` is :func:`elementwise.exp`).

One module per family: ``arithmetic``, ``elementwise``, ``activation``, ``reduction``,
``shape``, ``indexing``, ``regularization`` (dropout), ``normalization``, ``loss``, ``conv``, ``pooling``;
``promotion`` holds the dtype rules they share.
"""

# ruff: noqa: A004 - PyTorch's names (abs, all, any, max, min, pow, sum)

from .activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    nn_log_softmax,
    nn_softmax,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from .arithmetic import add, bmm, div, dot, einsum, linear, matmul, mm, mul, neg, outer, pow, sub
from .conv import conv1d, conv2d
from .elementwise import (
    abs,
    clamp,
    clip,
    cos,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    lt,
    masked_fill,
    maximum,
    minimum,
    ne,
    rsqrt,
    sin,
    sqrt,
    where,
)
from .indexing import embedding, gather, getitem, index_select, one_hot
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from .normalization import batch_norm, layer_norm
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .promotion import as_tensor
from .reduction import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    prod,
    std,
    sum,
    var,
)
from .regularization import dropout
from .shape import (
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    expand,
    expand_as,
    flatten,
    narrow,
    pad,
    permute,
    repeat,
    reshape,
    reshape_as,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
    view,
    view_as,
)

__all__ = [
    "abs", "adaptive_avg_pool2d", "add", "all", "amax", "amin", "any", "argmax", "argmin",
    "as_tensor", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "bmm", "broadcast_to", "cat", "chunk", "clamp", "clip",
    "concat", "concatenate", "conv1d", "conv2d", "cos", "cross_entropy", "div", "dot", "dropout",
    "einsum", "elu", "embedding", "eq", "exp", "expand", "expand_as", "flatten", "gather", "ge",
    "gelu", "getitem", "gt", "index_select", "l1_loss", "layer_norm", "le", "leaky_relu",
    "linear", "log", "log_softmax", "logsumexp", "lt", "masked_fill", "matmul", "max",
    "max_pool2d", "maximum", "mean", "min", "minimum", "mm", "mse_loss", "mul", "narrow", "ne",
    "neg", "nll_loss", "nn_log_softmax", "nn_softmax", "one_hot", "outer", "pad", "permute", "pow",
    "prod", "relu", "repeat", "reshape", "reshape_as", "rsqrt", "sigmoid", "sin", "softmax",
    "softplus", "split", "sqrt", "squeeze", "stack", "std", "sub", "sum", "swapaxes", "t", "tanh",
    "transpose", "unbind", "unflatten", "unsqueeze", "var", "view", "view_as", "where",
]
