"""Attention heat-maps: where a decoder looked in the source while writing each output token.

Drawn headless with a Hangul font (:func:`~nnscratch.viz.fonts.hangul_rc`): source texts may be
Korean ("2021년 9월 3일"). A space token is shown as "␣".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .figure_file import atomic_save_figure


def plot_attention(weights: Any, source_tokens: Sequence[str], output_tokens: Sequence[str],
                   path: str | Path, title: str | None = None) -> Path:
    """Write a heat-map of ``weights`` (len(output_tokens), len(source_tokens)) as a PNG:
    row t shows where the decoder looked while writing output token t."""
    import matplotlib

    matplotlib.use("Agg")  # headless
    import matplotlib.pyplot as plt

    from .fonts import hangul_rc

    def label(token: str) -> str:
        return "␣" if token == " " else token

    rows, columns = len(output_tokens), len(source_tokens)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(hangul_rc()):
        figure, axes = plt.subplots(figsize=(max(4.0, 0.32 * columns + 2.0),
                                             max(3.0, 0.32 * rows + 1.5)), dpi=100)
        image = axes.imshow(weights[:rows, :columns], cmap="viridis", vmin=0.0, vmax=1.0,
                            aspect="auto")
        axes.set_xticks(range(columns))
        long_tokens = any(len(t) > 2 for t in source_tokens)
        axes.set_xticklabels([label(t) for t in source_tokens], rotation=90 if long_tokens else 0)
        axes.set_yticks(range(rows))
        axes.set_yticklabels([label(t) for t in output_tokens])
        axes.set_xlabel("source")
        axes.set_ylabel("output")
        if title:
            axes.set_title(title, fontsize=9)
        figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
        figure.tight_layout()
        return atomic_save_figure(figure, path)
