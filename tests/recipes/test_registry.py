"""Recipe registry and settings: defaults < config file < flags, each value checked."""

import pytest

from nnscratch.recipes.registry import (
    COMMON_DEFAULTS,
    SettingsError,
    Task,
    all_recipes,
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
    ({"epochs": 0}, ["epochs", "positive"]),
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
