"""Datasets and batching (``import nnscratch.data as data``)."""

from .collate import default_collate
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset
from .split import random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "DataLoader",
           "default_collate", "random_split"]
