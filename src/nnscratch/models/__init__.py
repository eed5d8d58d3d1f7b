"""Ready-made networks (``import nnscratch.models``).

Each model lives in its own module; this package imports them all (~50 ms, paid only by a
program that imports ``nnscratch.models``, not by ``import nnscratch``).
"""

from .autoencoder import Autoencoder, ConvAutoencoder
from .captioner import Captioner
from .cnn import LeNet, SimpleCNN
from .forecaster import Forecaster
from .language_model import LanguageModel
from .rbm import RBM
from .recurrent_readout import SequenceModel
from .seq2seq import Seq2Seq

__all__ = ["Autoencoder", "Captioner", "ConvAutoencoder", "Forecaster", "LanguageModel", "LeNet",
           "RBM", "Seq2Seq", "SequenceModel", "SimpleCNN"]
