"""``nnscratch.nn.functional`` (``F``): the stateless forms of the layers, with the names and
signatures of ``torch.nn.functional``.

Each is defined once, in its family's module of :mod:`nnscratch.functional`, beside the
``ns.*`` functions; this module only gathers PyTorch's ``nn.functional`` names. ``F.softmax``
and ``F.log_softmax`` keep PyTorch's deprecated implicit-dim choice when ``dim`` is left out
(``functional.activation.nn_softmax``); ``ns.softmax`` takes the last dim.
"""

from ..functional.activation import (
    elu,
    gelu,
    leaky_relu,
    relu,
    sigmoid,
    softplus,
    tanh,
)
from ..functional.activation import nn_log_softmax as log_softmax
from ..functional.activation import nn_softmax as softmax
from ..functional.arithmetic import linear
from ..functional.conv import conv1d, conv2d
from ..functional.indexing import embedding, one_hot
from ..functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from ..functional.normalization import batch_norm, layer_norm
from ..functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from ..functional.regularization import dropout
from ..functional.shape import pad

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "conv1d", "conv2d", "cross_entropy", "dropout", "elu",
    "embedding", "gelu", "l1_loss", "layer_norm", "leaky_relu", "linear", "log_softmax",
    "max_pool2d", "mse_loss", "nll_loss", "one_hot", "pad", "relu", "sigmoid", "softmax",
    "softplus", "tanh",
]
