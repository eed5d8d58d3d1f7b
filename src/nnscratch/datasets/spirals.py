"""Two spirals: a generated 2-D classification problem no straight line can separate.

Class ``c ∈ {0, 1}`` winds around the origin, half a turn behind the other::

    t ~ turns · 2π · √u,  u ~ U(0, 1)          (√ spreads points evenly along the arm)
    x = t · (cos(t + π c), sin(t + π c)) / scale + ε,   ε ~ N(0, noise²)

with ``scale = turns · 2π`` so that points lie in about [-1, 1]². Every draw comes from the
library generator (``ns.manual_seed`` fixes the data set), and classes alternate, so any
prefix of the data is balanced.
"""

from __future__ import annotations

import math

import numpy

from .. import backend


def make_spirals(n_samples: int = 2000, noise: float = 0.02, turns: float = 1.5,
                 generator: numpy.random.Generator | None = None) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Return ``(points, labels)``: points ``(n_samples, 2)`` float32, labels ``(n_samples,)``
    int64 in {0, 1}.

    ``noise`` is the standard deviation of the Gaussian jitter in units of the spiral's radius;
    ``turns`` how many full turns each arm makes. ``generator`` defaults to the library's.
    """
    if n_samples < 1:
        raise ValueError(f"make_spirals: n_samples must be >= 1, got {n_samples}")
    if noise < 0 or turns <= 0:
        raise ValueError(f"make_spirals: need noise >= 0 and turns > 0, got {noise}, {turns}")
    generator = generator or backend.generator(backend.CPU)
    scale = turns * 2.0 * math.pi
    labels = numpy.arange(n_samples, dtype=numpy.int64) % 2
    angle = scale * numpy.sqrt(generator.random(n_samples))
    phase = angle + math.pi * labels  # the second arm is the first rotated by π
    points = numpy.stack([angle * numpy.cos(phase), angle * numpy.sin(phase)], axis=1) / scale
    points += generator.normal(0.0, noise, size=points.shape)
    return points.astype(numpy.float32), labels
