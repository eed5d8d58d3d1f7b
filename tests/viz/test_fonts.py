"""Korean renders in every figure on a fresh machine: the NanumGothic font shipped with the
koreanize-matplotlib package is registered by path and used by the figures that show Hangul."""

import warnings

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

KOREAN = "2021년 9월 3일 금요일"


def _draw(figure):
    """Render ``figure``, turning matplotlib's "Glyph … missing from font(s)" into an error."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
        figure.canvas.draw()


def test_the_packaged_font_is_found_and_has_every_hangul_glyph_we_draw():
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from nnscratch.viz.fonts import hangul_font, packaged_font_file

    path = packaged_font_file()
    assert path is not None and path.name == "NanumGothic.ttf" and path.is_file()
    assert hangul_font() == "NanumGothic"
    found = font_manager.findfont(font_manager.FontProperties(family="NanumGothic"),
                                  fallback_to_default=False)
    assert found == str(path)
    charmap = FT2Font(str(path)).get_charmap()
    assert all(ord(c) in charmap for c in KOREAN if not c.isspace())


def test_hangul_text_renders_without_missing_glyphs():
    import matplotlib.pyplot as plt

    from nnscratch.viz.fonts import hangul_rc

    with matplotlib.rc_context(hangul_rc()):
        figure, axes = plt.subplots()
        axes.set_title(KOREAN)
        axes.set_xticks([0, 1], ["년", "␣"])  # "␣" comes from DejaVu Sans, by fallback
        _draw(figure)
    plt.close(figure)
    # the same text in matplotlib's own font misses the glyphs: the check above can fail
    figure, axes = plt.subplots()
    axes.set_title(KOREAN)
    with pytest.raises(UserWarning, match="missing from font"):
        _draw(figure)
    plt.close(figure)


def test_attention_heat_map_draws_korean_tokens(tmp_path, monkeypatch):
    import numpy as np

    from nnscratch.viz import attention_map

    drawn = []
    original = attention_map.atomic_save_figure

    def save(figure, path, **options):  # render first, with missing glyphs as errors
        _draw(figure)
        drawn.append([t.get_fontfamily() for t in figure.axes[0].get_xticklabels()])
        return original(figure, path, **options)

    monkeypatch.setattr(attention_map, "atomic_save_figure", save)
    source = list("2021년 9월 3일")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = attention_map.plot_attention(np.full((11, len(source)), 0.1), source,
                                        list("2021-09-03") + ["<eos>"], tmp_path / "map.png",
                                        title=f"{KOREAN}  →  2021-09-03")
    # Hangul drawn (no glyph missing above) by NanumGothic, the family's fallback
    assert path.read_bytes().startswith(b"\x89PNG") and "NanumGothic" in drawn[0][0]


def test_experiment_panels_draw_korean_titles(tmp_path):
    from nnscratch.viz.experiment_plots import Curve, Panel, save_panels

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
        save_panels(tmp_path / "p.png", [Panel("손실 (loss)", "단계", "값",
                                               [Curve("훈련", [1, 2], [3.0, 2.0])])])
    assert (tmp_path / "p.png").read_bytes().startswith(b"\x89PNG")


def test_log_scale_tick_labels_keep_their_minus_sign(caplog):
    """The loss plots use log axes, whose 10^{-2} labels are mathtext, drawn in the first
    family only: with NanumGothic (no U+2212) first, every plot logged "Font 'default' does
    not have a glyph for '\\u2212'" (seen on a fresh clone's first run)."""
    import logging

    import matplotlib.pyplot as plt

    from nnscratch.viz.fonts import hangul_rc

    with caplog.at_level(logging.WARNING, logger="matplotlib"), matplotlib.rc_context(hangul_rc()):
        figure, axes = plt.subplots()
        axes.set_yscale("log")
        axes.plot([-3, -1, 1], [1e-3, 1e-2, 1.5])
        axes.set_title(KOREAN)
        _draw(figure)
    plt.close(figure)
    assert not [r for r in caplog.records if "glyph" in r.getMessage()], caplog.text
