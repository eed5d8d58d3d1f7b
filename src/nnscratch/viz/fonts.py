"""A font with Hangul for every figure, on any machine.

The seed material of nnscratch is Korean (the seq2seq-dates task writes dates such as
"2021년 9월 3일"), but matplotlib's own font, DejaVu Sans, has no Hangul: on a machine without
a CJK font every syllable is drawn as an empty box. The font used here is NanumGothic, the
Korean sans-serif shipped inside the ``koreanize-matplotlib`` package (SIL Open Font License),
so it is there wherever nnscratch's plotting extra is installed. Its ``.ttf`` is registered
with matplotlib's font manager by path; the package is never imported (importing it changes
matplotlib's global settings as a side effect).

:func:`figure_fonts` gives the ``font.family`` list to draw with: DejaVu Sans first, then
NanumGothic, which matplotlib falls back to character by character for each glyph DejaVu Sans
lacks (every Hangul syllable). DejaVu Sans must come first: mathtext (the ``10^{-2}`` tick
labels of a log axis) draws with the first family only, and NanumGothic has no minus sign
(U+2212), so with it first every log-scale plot logged "Font 'default' does not have a glyph".
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

HANGUL_FONT = "NanumGothic"
FONT_PACKAGE = "koreanize_matplotlib"
#: installed system fonts with Hangul, used when the package is missing
SYSTEM_HANGUL_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic", "Apple SD Gothic Neo",
                       "UnDotum", "Baekmuk Gulim")


def packaged_font_file(name: str = "NanumGothic.ttf") -> Path | None:
    """The path of the font file ``name`` inside the koreanize-matplotlib package, or None."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "fonts" / name
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=1)
def hangul_font() -> str | None:
    """The family name of a registered font with Hangul glyphs (NanumGothic from the package,
    else an installed system font), or None when there is none."""
    from matplotlib import font_manager

    path = packaged_font_file()
    if path is not None:
        font_manager.fontManager.addfont(str(path))
        return font_manager.FontProperties(fname=str(path)).get_name()
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in SYSTEM_HANGUL_FONTS if name in installed), None)


def figure_fonts() -> list[str]:
    """The ``font.family`` list of figures that may show Korean text."""
    font = hangul_font()
    return ["DejaVu Sans"] + ([font] if font else [])


def hangul_rc() -> dict[str, list[str]]:
    """rc settings for ``matplotlib.rc_context`` that draw Hangul."""
    return {"font.family": figure_fonts()}
