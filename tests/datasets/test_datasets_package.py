"""``nnscratch.datasets`` exports by plain imports: every listed name exists and is importable."""

import importlib
import inspect
import pkgutil
import types

import nnscratch.datasets as datasets


def test_star_import_gives_every_listed_name():
    namespace: dict = {}
    exec("from nnscratch.datasets import *", namespace)  # raised AttributeError for TwoSpirals
    assert set(datasets.__all__) <= set(namespace)
    assert len(set(datasets.__all__)) == len(datasets.__all__)


def test_each_name_is_the_object_its_module_defines():
    for name in datasets.__all__:
        value = getattr(datasets, name)
        if isinstance(value, types.ModuleType):
            assert value is importlib.import_module(f"nnscratch.datasets.{name}")
            continue
        homes = [module.name for module in pkgutil.iter_modules(datasets.__path__)
                 if getattr(importlib.import_module(f"nnscratch.datasets.{module.name}"), name, None) is value]
        assert homes, f"{name} is defined in no module of nnscratch.datasets"


def test_the_public_classes_of_each_data_set_module_are_exported():
    # a data set class added to a module but not to the package is a name users cannot find
    helpers = {"batching", "files"}  # building blocks of the loaders, not data sets
    for module in pkgutil.iter_modules(datasets.__path__):
        if module.name in helpers or module.name == "transforms":
            continue
        loaded = importlib.import_module(f"nnscratch.datasets.{module.name}")
        for name, value in vars(loaded).items():
            if inspect.isclass(value) and value.__module__ == loaded.__name__ and not name.startswith("_"):
                assert name in datasets.__all__ or not _is_data_set(value), (module.name, name)


def _is_data_set(kind: type) -> bool:
    return hasattr(kind, "__getitem__") and hasattr(kind, "__len__")
