"""Shapes: a generated data set of coloured geometric shapes, with a label and a caption each.

Every image shows one or two shapes on a grey, noisy background. The class label is the shape
of the *main* object; the caption describes the scene in a fixed grammar::

    caption  := object [ relation object ]
    object   := "a" size colour shape
    size     := "small" | "large"
    colour   := "red" | "green" | "blue" | "yellow" | "purple" | "cyan"
    shape    := "circle" | "square" | "triangle" | "cross" | "ring"
    relation := "above" | "below" | "to the left of" | "to the right of"

e.g. ``"a large red circle above a small blue square"``. In a two-object image the main
object (mentioned first, and the one the label names) is always large and the other always
small and of another colour, so the label can be read from the pixels; the two lie in opposite
halves of the image, which makes the relation exact. A single object is small or large.

Geometry, for a shape of centre ``(cx, cy)`` and half-extent ``r`` (pixel centres at
``x + 0.5``; ``dx = x - cx``, ``dy = y - cy``; the fraction of the ``2r x 2r`` box it covers):

    circle    dx² + dy² <= r²                                   π/4 ≈ 0.785
    square    max(|dx|, |dy|) <= r                              1
    triangle  -r <= dy <= r  and  |dx| <= (dy + r) / 2  (apex up)   1/2
    cross     (|dx| <= t and |dy| <= r) or (|dy| <= t and |dx| <= r),  t = 0.3 r   2·0.3 - 0.3² = 0.51
    ring      (r/2)² <= dx² + dy² <= r²                          3π/16 ≈ 0.589

Rendering is vectorised over a chunk of images (masks from coordinate grids, no per-pixel
loop) and everything is drawn from ``numpy.random.default_rng(seed)``, so a seed fixes the
data set. Images are stored as uint8 and served as float32 in [0, 1].
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy

from .batching import image_batch

SHAPES = ("circle", "square", "triangle", "cross", "ring")
COLORS = {
    "red": (0.90, 0.10, 0.10),
    "green": (0.10, 0.80, 0.20),
    "blue": (0.15, 0.30, 1.00),
    "yellow": (0.95, 0.90, 0.10),
    "purple": (0.60, 0.20, 0.85),
    "cyan": (0.10, 0.85, 0.90),
}
SIZES = ("small", "large")
RELATIONS = ("above", "below", "to the left of", "to the right of")
# half-extent of a shape as a fraction of the image side, per size: (low, high)
RADIUS_RANGE = {"small": (0.14, 0.17), "large": (0.21, 0.245)}
CROSS_ARM = 0.3  # half-width of a cross's arms, as a fraction of r
RING_HOLE = 0.5  # inner radius of a ring, as a fraction of r
BACKGROUND_RANGE = (0.0, 0.3)  # grey level of the background, uniform per image
MIN_IMAGE_SIZE = 16

# Every word a caption can use, in a fixed order (a captioner's output vocabulary).
CAPTION_WORDS = tuple(dict.fromkeys(
    ["a", *SIZES, *COLORS, *SHAPES] + " ".join(RELATIONS).split()
))
MAX_CAPTION_WORDS = 4 + 4 + 4  # object, longest relation, object

_COLOR_NAMES = tuple(COLORS)
_COLOR_VALUES = numpy.array([COLORS[name] for name in _COLOR_NAMES], dtype=numpy.float32)
_OBJECT = rf"a ({'|'.join(SIZES)}) ({'|'.join(COLORS)}) ({'|'.join(SHAPES)})"
_CAPTION = re.compile(rf"^{_OBJECT}(?: ({'|'.join(RELATIONS)}) {_OBJECT})?$")
_CHUNK = 1024  # images rendered at once (bounds the temporary masks' memory)


@dataclass(frozen=True)
class ShapeObject:
    """One drawn shape: its words and its geometry in pixels (centre ``(x, y)``, half-extent)."""

    shape: str
    color: str
    size: str
    center: tuple[float, float]
    radius: float

    def words(self) -> str:
        return f"a {self.size} {self.color} {self.shape}"


def shape_mask(shape: str, dx: numpy.ndarray, dy: numpy.ndarray, r: numpy.ndarray) -> numpy.ndarray:
    """Boolean mask of ``shape`` from pixel offsets ``dx``, ``dy`` to the centre and half-extent
    ``r`` (all broadcastable, e.g. ``(N, 1, W)``, ``(N, H, 1)``, ``(N, 1, 1)``); see the module
    docstring for the equations."""
    if shape == "circle":
        return dx * dx + dy * dy <= r * r
    if shape == "square":
        return (numpy.abs(dx) <= r) & (numpy.abs(dy) <= r)
    if shape == "triangle":
        return (dy >= -r) & (dy <= r) & (2 * numpy.abs(dx) <= dy + r)
    if shape == "cross":
        arm = CROSS_ARM * r
        ax, ay = numpy.abs(dx), numpy.abs(dy)
        return ((ax <= arm) & (ay <= r)) | ((ay <= arm) & (ax <= r))
    if shape == "ring":
        d2 = dx * dx + dy * dy
        return (d2 <= r * r) & (d2 >= (RING_HOLE * r) ** 2)
    raise ValueError(f"shape_mask: unknown shape {shape!r} (known: {', '.join(SHAPES)})")


def parse_caption(caption: str) -> tuple[tuple[str, str, str], str | None, tuple[str, str, str] | None]:
    """Split a caption by the grammar into ``((size, colour, shape), relation, other)``;
    ``relation`` and ``other`` are None for one object. Raises ``ValueError`` if it does not parse."""
    match = _CAPTION.match(caption)
    if match is None:
        raise ValueError(f"parse_caption: {caption!r} does not follow the Shapes caption grammar")
    size, color, shape, relation, *other = match.groups()
    return (size, color, shape), relation, (tuple(other) if relation is not None else None)


class Shapes:
    """``n`` generated images of coloured shapes; items are ``(image, label)``.

    ``image`` is float32 ``(3, image_size, image_size)`` in [0, 1] (then passed through
    ``transform``), ``label`` the index in :data:`SHAPES` of the main object's shape. With
    ``return_caption=True`` items are ``(image, label, caption)``.

    Args:
        n: number of images.
        image_size: side in pixels (at least 16).
        seed: fixes every draw; equal seeds give equal data sets.
        two_shape_fraction: probability that an image holds a second object.
        noise: standard deviation of the Gaussian pixel noise added over the whole image.
    """

    classes = SHAPES
    vocabulary = CAPTION_WORDS

    def __init__(
        self,
        n: int,
        image_size: int = 32,
        seed: int = 0,
        transform: Callable[[Any], Any] | None = None,
        two_shape_fraction: float = 0.5,
        noise: float = 0.05,
        return_caption: bool = False,
    ) -> None:
        if int(n) != n or n < 0:
            raise ValueError(f"Shapes: n must be a non-negative integer, got {n!r}")
        if int(image_size) != image_size or image_size < MIN_IMAGE_SIZE:
            raise ValueError(f"Shapes: image_size must be an integer >= {MIN_IMAGE_SIZE}, got {image_size!r}")
        if not 0.0 <= two_shape_fraction <= 1.0:
            raise ValueError(f"Shapes: two_shape_fraction must be in [0, 1], got {two_shape_fraction}")
        if noise < 0:
            raise ValueError(f"Shapes: noise must be >= 0, got {noise}")
        self.n, self.image_size, self.seed = int(n), int(image_size), seed
        self.transform = transform
        self.return_caption = return_caption
        rng = numpy.random.default_rng(seed)
        self._layout = _draw_layout(rng, self.n, self.image_size, two_shape_fraction)
        self.data = _render(rng, self._layout, self.image_size, noise)
        self.targets = self._layout["main_shape"].astype(numpy.int64)
        self.captions = [self._caption(i) for i in range(self.n)]

    def objects(self, index: int) -> list[ShapeObject]:
        """The shapes drawn in image ``index``, main object first."""
        layout = self._layout
        found = []
        for role in ("main", "other"):
            if role == "other" and not layout["two"][index]:
                break
            found.append(ShapeObject(
                shape=SHAPES[layout[f"{role}_shape"][index]],
                color=_COLOR_NAMES[layout[f"{role}_color"][index]],
                size=SIZES[layout[f"{role}_size"][index]],
                center=(float(layout[f"{role}_x"][index]), float(layout[f"{role}_y"][index])),
                radius=float(layout[f"{role}_radius"][index]),
            ))
        return found

    def _caption(self, index: int) -> str:
        parts = [obj.words() for obj in self.objects(index)]
        if len(parts) == 1:
            return parts[0]
        return f"{parts[0]} {RELATIONS[self._layout['relation'][index]]} {parts[1]}"

    def arrays(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """All images float32 ``(n, 3, S, S)`` in [0, 1] and labels int64 ``(n,)`` (no transform)."""
        return self.data.astype(numpy.float32) / numpy.float32(255.0), self.targets

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> tuple:
        image = self.data[index].astype(numpy.float32) / numpy.float32(255.0)
        if self.transform is not None:
            image = self.transform(image)
        label = int(self.targets[index])
        if self.return_caption:
            return image, label, self.captions[index]
        return image, label

    def fetch_batch(self, indices: Sequence[int]) -> list:
        """``[images (B, 3, S, S), labels (B,)]`` as Tensors (plus the list of captions with
        ``return_caption``), at once (used by DataLoader)."""
        batch = image_batch(self.data, self.targets, indices, self.transform)
        if self.return_caption:
            batch.append([self.captions[int(i)] for i in indices])
        return batch

    def __repr__(self) -> str:
        return f"Shapes(n={self.n}, image_size={self.image_size}, seed={self.seed})"


def _draw_layout(rng: numpy.random.Generator, n: int, size: int, two_shape_fraction: float) -> dict:
    """Draw what each image shows and where: arrays of length ``n`` keyed by role and property."""
    two = rng.random(n) < two_shape_fraction
    main_size = numpy.where(two, 1, rng.integers(0, 2, n))
    other_size = numpy.zeros(n, dtype=numpy.int64)
    main_color = rng.integers(0, len(COLORS), n)
    layout = {
        "two": two,
        "main_shape": rng.integers(0, len(SHAPES), n),
        "main_color": main_color,
        "main_size": main_size,
        "main_radius": _radius(rng, main_size, size),
        "other_shape": rng.integers(0, len(SHAPES), n),
        "other_color": (main_color + rng.integers(1, len(COLORS), n)) % len(COLORS),
        "other_size": other_size,
        "other_radius": _radius(rng, other_size, size),
        "relation": rng.integers(0, len(RELATIONS), n),
    }
    r_main, r_other = layout["main_radius"], layout["other_radius"]
    u = rng.random((n, 4))
    # anywhere inside the image: centre in [r, S - r]
    main_x = r_main + u[:, 0] * (size - 2 * r_main)
    main_y = r_main + u[:, 1] * (size - 2 * r_main)
    other_x = r_other + u[:, 2] * (size - 2 * r_other)
    other_y = r_other + u[:, 3] * (size - 2 * r_other)
    # along the relation's axis each object keeps to its half: main in [r, S/2 - r] when it
    # comes first (above / left of), else in [S/2 + r, S - r]; the other object the opposite.
    half = size / 2
    relation = layout["relation"]
    main_first = (relation == 0) | (relation == 2)
    main_along = numpy.where(main_first, r_main + u[:, 1] * (half - 2 * r_main),
                             half + r_main + u[:, 1] * (half - 2 * r_main))
    other_along = numpy.where(main_first, half + r_other + u[:, 3] * (half - 2 * r_other),
                              r_other + u[:, 3] * (half - 2 * r_other))
    vertical = relation <= 1
    layout["main_y"] = numpy.where(two & vertical, main_along, main_y)
    layout["main_x"] = numpy.where(two & ~vertical, main_along, main_x)
    layout["other_y"] = numpy.where(vertical, other_along, other_y)
    layout["other_x"] = numpy.where(~vertical, other_along, other_x)
    return layout


def _radius(rng: numpy.random.Generator, size_index: numpy.ndarray, image_size: int) -> numpy.ndarray:
    low = numpy.array([RADIUS_RANGE[s][0] for s in SIZES])[size_index]
    high = numpy.array([RADIUS_RANGE[s][1] for s in SIZES])[size_index]
    return image_size * (low + rng.random(len(size_index)) * (high - low))


def _render(rng: numpy.random.Generator, layout: dict, size: int, noise: float) -> numpy.ndarray:
    """Paint every image of ``layout``: uint8 ``(n, 3, size, size)``."""
    n = len(layout["two"])
    images = numpy.empty((n, 3, size, size), dtype=numpy.uint8)
    coords = numpy.arange(size, dtype=numpy.float32) + numpy.float32(0.5)  # pixel centres
    xs, ys = coords[None, None, :], coords[None, :, None]
    for start in range(0, n, _CHUNK):
        rows = slice(start, min(start + _CHUNK, n))
        m = rows.stop - rows.start
        grey = rng.uniform(*BACKGROUND_RANGE, size=m).astype(numpy.float32)
        canvas = numpy.broadcast_to(grey[:, None, None, None], (m, 3, size, size)).copy()
        for role in ("other", "main"):
            present = layout["two"][rows] if role == "other" else numpy.ones(m, dtype=bool)
            mask = _masks(layout, role, rows, xs, ys) & present[:, None, None]
            color = _COLOR_VALUES[layout[f"{role}_color"][rows]]  # (m, 3)
            numpy.copyto(canvas, color[:, :, None, None], where=mask[:, None])
        if noise > 0:
            canvas += rng.standard_normal(canvas.shape, dtype=numpy.float32) * numpy.float32(noise)
        numpy.clip(canvas, 0.0, 1.0, out=canvas)
        images[rows] = numpy.rint(canvas * numpy.float32(255.0))
    return images


def _masks(layout: dict, role: str, rows: slice, xs: numpy.ndarray, ys: numpy.ndarray) -> numpy.ndarray:
    """``(m, S, S)`` masks of one role's objects over a chunk of images, one shape kind at a time."""
    shape_ids = layout[f"{role}_shape"][rows]
    dx = xs - layout[f"{role}_x"][rows, None, None].astype(numpy.float32)
    dy = ys - layout[f"{role}_y"][rows, None, None].astype(numpy.float32)
    r = layout[f"{role}_radius"][rows, None, None].astype(numpy.float32)
    mask = numpy.zeros((len(shape_ids), ys.shape[1], xs.shape[2]), dtype=bool)
    for kind, name in enumerate(SHAPES):
        chosen = numpy.flatnonzero(shape_ids == kind)
        if chosen.size:
            mask[chosen] = shape_mask(name, dx[chosen], dy[chosen], r[chosen])
    return mask
