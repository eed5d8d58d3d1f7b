"""Data sets (``import nnscratch.datasets``): real-format loaders and generated data.

Each data set lives in its own module; this package imports them all (~70 ms, paid only by a
program that imports ``nnscratch.datasets``, not by ``import nnscratch``).
"""

from . import transforms
from .cifar10 import CIFAR10, parse_cifar_batch
from .dates import DateTranslation
from .idx import parse_idx, read_idx
from .image_folder import ImageFolder
from .memory_tasks import (
    ADDING_BASELINE_MSE,
    copy_memory_baseline,
    make_adding_problem,
    make_copy_memory,
    make_lag_recall,
)
from .mnist import MNIST, FashionMNIST
from .parallel import ParallelCorpus, TranslationPairs
from .shapes import ShapeObject, Shapes, parse_caption
from .spirals import make_spirals
from .text import LanguageModelBatches, TextCorpus, default_corpus
from .timeseries import TimeSeries, autoregressive_forecast, fit_autoregression
from .tokenize import CharTokenizer, WordTokenizer
from .vocab import Vocab

__all__ = [
    "ADDING_BASELINE_MSE", "CIFAR10", "CharTokenizer", "DateTranslation", "FashionMNIST",
    "ImageFolder", "LanguageModelBatches", "MNIST", "ParallelCorpus", "ShapeObject", "Shapes",
    "TextCorpus", "TimeSeries", "TranslationPairs", "Vocab", "WordTokenizer",
    "autoregressive_forecast", "copy_memory_baseline", "default_corpus", "fit_autoregression",
    "make_adding_problem", "make_copy_memory", "make_lag_recall", "make_spirals", "parse_caption",
    "parse_cifar_batch", "parse_idx", "read_idx", "transforms",
]
