"""nnscratch: a deep-learning framework from scratch on NumPy/CuPy, with PyTorch's API.

``import nnscratch as ns`` gives the tensor functions (``ns.exp``, ``ns.cat``, from
``nnscratch.functional``), the factories (``ns.tensor``, ``ns.zeros``), ``ns.Tensor``,
``ns.autograd``, ``ns.nn`` and ``ns.optim``, as ``import torch`` does. The other subpackages
(``nnscratch.data``, ``datasets``, ``models``, ``train``, ``recipes``, ``viz``,
``experiments``) are imported by name: ``import nnscratch.models``.
"""

from . import backend, cuda
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (
    bool_ as bool,  # noqa: A004 - PyTorch's name
    device,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    manual_seed,
    set_default_dtype,
    uint8,
)
from .backend import get_rng_state, set_rng_state
from .creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace,
    multinomial, normal, ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm,
    tensor, zeros, zeros_like,
)
from .functional import (
    abs, add, all, amax, amin, any, argmax, argmin, bmm, broadcast_to, cat, chunk, clamp, clip,
    concat, cos, div, dot, einsum, exp, expand, flatten, gather, index_select, log, log_softmax,
    logsumexp, masked_fill, matmul, max, maximum, mean, min, minimum, mm, mul, narrow, neg,
    outer, permute, pow, prod, relu, repeat, reshape, rsqrt, sigmoid, sin, softmax, split,
    sqrt, squeeze, stack, std, sub, sum, t, tanh, transpose, unbind, unsqueeze, var, where,
)
from ._tensor import Tensor
from . import autograd, functional
from .serialization import load, save
from .threads import get_num_threads, set_num_threads
from . import memory
from . import nn, optim

__version__ = "0.1.0"

half, double, long = float16, float64, int64
float = float32  # noqa: A001 - PyTorch's ns.float
int = int32  # noqa: A001 - PyTorch's ns.int
