"""Recipe registry and settings: defaults < config file < flags, each value checked."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnscratch.recipes.registry import (
    COMMON_DEFAULTS,
    Range,
    SettingsError,
    Task,
    all_recipes,
    check_setting,
    get_recipe,
    read_config_file,
    recipe,
    resolve_settings,
)


@pytest.fixture
def demo():
    @recipe("test-demo", "a recipe for tests", epochs=4, lr=0.5, width=8, label="x")
    def build(settings):
        return Task(model=None, loss=None, train_data=[], make_optimizer=lambda p: None)

    yield get_recipe("test-demo")
    from nnscratch.recipes.registry import RECIPES

    RECIPES.pop("test-demo")


def test_defaults_then_config_then_flags(demo):
    settings = resolve_settings(demo, {"epochs": 2, "width": 16}, {"epochs": 3})
    assert settings.epochs == 3 and settings["width"] == 16 and settings.lr == 0.5
    assert settings.batch_size == COMMON_DEFAULTS["batch_size"]


def test_steps_alone_bound_the_run(demo):
    assert resolve_settings(demo, {"steps": 100}).epochs is None
    assert resolve_settings(demo, {"steps": 100, "epochs": 2}).epochs == 2


@pytest.mark.parametrize("values, words", [
    ({"widht": 3}, ["widht", "width"]),
    ({"epochs": "3"}, ["epochs", "integer"]),
    ({"epochs": True}, ["epochs"]),
    ({"epochs": 0}, ["epochs", "[1, "]),
    ({"lr": -1.0}, ["lr"]),
    ({"width": 2.5}, ["width"]),
    ({"device": "gpu"}, ["device"]),
    ({"seed": -1}, ["seed"]),
    ({"plots": 1}, ["plots"]),
])
def test_bad_values_name_the_setting(demo, values, words):
    with pytest.raises(SettingsError) as caught:
        resolve_settings(demo, values)
    for word in words:
        assert word in str(caught.value)


@given(source=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
       values=st.sampled_from([{"hidden": -5}, {"hiden": 3}, {"lr": float("nan")},
                               {"epochs": None, "steps": None}]))
@settings(max_examples=30, deadline=None)
def test_a_bad_value_read_from_a_file_names_the_file(source, values):
    found = get_recipe("mlp-spirals")
    with pytest.raises(SettingsError) as bare:
        resolve_settings(found, values)
    with pytest.raises(SettingsError) as caught:
        resolve_settings(found, values, source=source)
    assert str(caught.value) == f"{source}: {bare.value}"  # the same fault, after the file


def test_an_integer_is_accepted_where_a_number_is_expected(demo):
    assert resolve_settings(demo, {"lr": 1}).lr == 1.0


def test_config_files(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('batch-size = 8\nlr = 0.1\ndevice = "cpu"\n')
    assert read_config_file(path) == {"batch_size": 8, "lr": 0.1, "device": "cpu"}
    with pytest.raises(SettingsError, match="does not exist"):
        read_config_file(tmp_path / "missing.toml")
    path.write_text("lr = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        read_config_file(path)


def test_registry_lists_the_first_recipe_and_refuses_unknown_names():
    recipes = all_recipes()
    assert "mlp-spirals" in recipes and recipes["mlp-spirals"].description
    with pytest.raises(SettingsError, match="mlp-spirals"):
        get_recipe("no-such-recipe")
    with pytest.raises(ValueError, match="lower-case"):
        recipe("Bad Name", "x")


# ranges: every numeric setting of every recipe has one, and a value outside it is refused
def numeric_settings():
    cases = []
    for found in all_recipes().values():
        for name, default in found.defaults.items():
            kind = found.setting_type(name)
            if kind in (int, float) and not isinstance(default, bool):
                cases.append((found.name, name))
    return cases


@pytest.mark.parametrize("recipe_name, name", numeric_settings())
def test_every_numeric_setting_declares_a_range_that_is_enforced(recipe_name, name):
    found = get_recipe(recipe_name)
    allowed = found.ranges.get(name)
    assert isinstance(allowed, Range), f"{recipe_name}: setting {name!r} declares no range"
    kind = found.setting_type(name)

    if kind is int:
        below = st.integers(max_value=math.ceil(allowed.low) - (0 if allowed.low_open and
                                                                float(allowed.low).is_integer() else 1))
        above = st.integers(min_value=math.floor(allowed.high) + (0 if allowed.high_open and
                                                                  float(allowed.high).is_integer() else 1))
    else:
        below = st.floats(max_value=allowed.low, exclude_max=not allowed.low_open, allow_nan=False)
        above = st.floats(min_value=allowed.high, exclude_min=not allowed.high_open, allow_nan=False)
    outside = below | above | (st.sampled_from([math.nan, math.inf, -math.inf]) if kind is float
                               else st.nothing())

    @settings(max_examples=25, deadline=None)
    @given(outside)
    def refused(value):
        with pytest.raises(SettingsError) as caught:
            check_setting(found, name, value)
        assert repr(name) in str(caught.value) and str(allowed) in str(caught.value)

    refused()
    # and the edges that are inside are accepted (the range is what it says)
    for edge, is_open in ((allowed.low, allowed.low_open), (allowed.high, allowed.high_open)):
        if not is_open and (kind is float or float(edge).is_integer()):
            assert check_setting(found, name, kind(edge)) == kind(edge)


def test_a_range_must_hold_the_default_and_fit_the_type():
    with pytest.raises(ValueError, match="outside its range"):
        recipe("test-bad-range", "x", ranges={"width": (10, 20)}, width=8)
    with pytest.raises(ValueError, match="cannot have the range"):
        recipe("test-bad-range", "x", ranges={"label": (1, 2)}, label="x")
    with pytest.raises(ValueError, match="does not have"):
        recipe("test-bad-range", "x", ranges={"nothing": (1, 2)})
    assert "test-bad-range" not in all_recipes()


def test_none_turns_off_an_optional_setting(demo):
    settings = resolve_settings(demo, {"clip_grad_norm": "none", "checkpoint_every": "None",
                                       "steps": 5, "epochs": "none"})
    assert settings.clip_grad_norm is None and settings.checkpoint_every is None
    assert settings.epochs is None and settings.steps == 5
    with pytest.raises(SettingsError, match="'width' must be an integer"):
        resolve_settings(demo, {"width": "none"})  # a setting that is never off
    with pytest.raises(SettingsError, match="both be none"):
        resolve_settings(demo, {"epochs": "none"})  # nothing would end the run


@pytest.mark.parametrize("text", ["widht", "model", "x"])
def test_a_choice_is_enforced(text):
    found = get_recipe("autoencoder")
    assert check_setting(found, "model", "conv") == "conv"
    with pytest.raises(SettingsError, match="'model' must be one of dense|conv"):
        check_setting(found, "model", text)


@pytest.mark.parametrize("declared, text", [
    (Range(1, 8192), "[1, 8192]"), (Range(0, 1, high_open=True), "[0, 1)"),
    (Range(0, 100, low_open=True), "(0, 100]"), (Range(1, 10**9), "[1, 1e9]"),
    (Range(0, 2**32 - 1), "[0, 4294967295]"), (Range(0, 1e6, low_open=True), "(0, 1e6]"),
    (Range(0.5, 2.5), "[0.5, 2.5]"),
])
def test_a_range_is_shown_as_written(declared, text):
    assert str(declared) == text


def test_every_setting_shown_as_none_accepts_none():
    for found in all_recipes().values():
        for name, default in found.defaults.items():
            if default is None:
                assert check_setting(found, name, "none") is None, (found.name, name)
