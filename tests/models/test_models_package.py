"""``nnscratch.models`` exports by plain imports: every listed name is a network its module defines."""

import importlib
import inspect

import nnscratch.models as models
from nnscratch import nn


def test_star_import_gives_every_listed_name():
    namespace: dict = {}
    exec("from nnscratch.models import *", namespace)
    assert set(models.__all__) <= set(namespace)
    assert len(set(models.__all__)) == len(models.__all__)


def test_each_name_is_a_module_class_defined_in_the_package():
    for name in models.__all__:
        value = getattr(models, name)
        assert inspect.isclass(value) and issubclass(value, nn.Module), name
        assert getattr(importlib.import_module(value.__module__), name) is value
        assert value.__module__.startswith("nnscratch.models.")

