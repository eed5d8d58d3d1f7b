"""Synthetic long-memory tasks: the adding problem, copy-memory, and a lag-recall stream.

Each task can only be solved by carrying information across many time steps, and each has a
trivial baseline — the error of the best answer that remembers nothing — against which a
recurrent network's test error is read.

Adding problem (Hochreiter & Schmidhuber 1997; the two-channel form of Le et al. 2015 and
Arjovsky et al. 2016). Input ``(T, 2)``: channel 0 holds values ``v_t ~ U(0, 1)``, channel 1
is a marker that is 1 at exactly two steps, one drawn uniformly from the first half
``[0, ⌊T/2⌋)`` and one from the second half ``[⌊T/2⌋, T)``, and 0 elsewhere::

    y = v_a + v_b        (a, b the marked steps)

Answering the constant 1 (= E[y]) gives the baseline MSE ``Var(v_a + v_b) = 2 · 1/12 = 1/6``.

Copy memory (Arjovsky, Shah & Bengio 2016). Symbols 0 (blank), 1–8 (data), 9 (delimiter);
for a delay ``T`` the input has ``T + 20`` steps::

    input : s_1 … s_10   0 … 0 (T − 1)   9   0 … 0 (10)       s_i ~ U{1, …, 8}
    target: 0 … 0 (T + 10)                   s_1 … s_10

The network must reproduce the ten symbols after the delimiter. Outputting blanks for the
first ``T + 10`` steps and a uniform guess over the 8 data symbols for the last 10 gives the
baseline cross-entropy per step ``10 · log 8 / (T + 20)``.

Lag recall (for truncated BPTT). A stream of back-to-back episodes of ``lag + 1`` steps: a cue
``c ∈ {0, 1}``, then ``lag − 1`` distractors drawn from ``{2, …, 1 + num_distractors}``, then
the query symbol ``2 + num_distractors``. The target at the query step is the cue — a
dependency of exactly ``lag`` steps — and every other step has no target (``-100``, the
``ignore_index`` of ``cross_entropy``). Guessing gives accuracy 1/2 and cross-entropy log 2.

Every draw comes from the library generator (``ns.manual_seed`` fixes the data).
"""

from __future__ import annotations

import math

import numpy

from .. import backend

ADDING_BASELINE_MSE = 1.0 / 6.0  # Var(U(0,1) + U(0,1)): the MSE of always answering 1
COPY_SYMBOLS = 8  # data symbols 1..8
COPY_LENGTH = 10  # symbols to remember
COPY_BLANK, COPY_DELIMITER = 0, 9
COPY_CLASSES = 10  # 0 blank, 1..8 data, 9 delimiter
IGNORE_INDEX = -100


def _check_positive(caller: str, **values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, (int, numpy.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{caller}: {name} must be a positive integer, got {value!r}")


def make_adding_problem(num_examples: int, length: int,
                        generator: numpy.random.Generator | None = None
                        ) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Return ``(inputs, targets)``: inputs ``(num_examples, length, 2)`` float32 (values,
    marker), targets ``(num_examples, 1)`` float32, the sum of the two marked values.

    ``length`` must be at least 2 (one marker in each half).
    """
    _check_positive("make_adding_problem", num_examples=num_examples, length=length)
    if length < 2:
        raise ValueError(f"make_adding_problem: length must be >= 2 (a marker in each half), got {length}")
    generator = generator or backend.generator(backend.CPU)
    half = length // 2
    values = generator.random((num_examples, length))
    first = generator.integers(0, half, size=num_examples)  # in [0, T/2)
    second = generator.integers(half, length, size=num_examples)  # in [T/2, T)
    rows = numpy.arange(num_examples)
    markers = numpy.zeros((num_examples, length))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = numpy.stack([values, markers], axis=2).astype(numpy.float32)
    targets = (values[rows, first] + values[rows, second])[:, None].astype(numpy.float32)
    return inputs, targets


def copy_memory_baseline(delay: int) -> float:
    """Cross-entropy per step of the memoryless answer: ``10 · log 8 / (delay + 20)``."""
    _check_positive("copy_memory_baseline", delay=delay)
    return COPY_LENGTH * math.log(COPY_SYMBOLS) / (delay + 2 * COPY_LENGTH)


def make_copy_memory(num_examples: int, delay: int,
                     generator: numpy.random.Generator | None = None
                     ) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Return ``(inputs, targets)``, both ``(num_examples, delay + 20)`` int64 symbols in 0–9
    (inputs) and 0–8 (targets), laid out as in Arjovsky et al. (2016); see the module text."""
    _check_positive("make_copy_memory", num_examples=num_examples, delay=delay)
    generator = generator or backend.generator(backend.CPU)
    steps = delay + 2 * COPY_LENGTH
    symbols = generator.integers(1, COPY_SYMBOLS + 1, size=(num_examples, COPY_LENGTH))
    inputs = numpy.full((num_examples, steps), COPY_BLANK, dtype=numpy.int64)
    inputs[:, :COPY_LENGTH] = symbols
    inputs[:, COPY_LENGTH + delay - 1] = COPY_DELIMITER  # after T − 1 blanks
    targets = numpy.full((num_examples, steps), COPY_BLANK, dtype=numpy.int64)
    targets[:, -COPY_LENGTH:] = symbols
    return inputs, targets


def lag_recall_vocabulary(num_distractors: int = 2) -> int:
    """Number of input symbols of :func:`make_lag_recall`: 2 cues, the distractors, the query."""
    return 2 + num_distractors + 1


def make_lag_recall(num_streams: int, num_steps: int, lag: int, num_distractors: int = 2,
                    generator: numpy.random.Generator | None = None
                    ) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Return ``(inputs, targets)``, both ``(num_streams, num_steps)`` int64.

    Each stream is back-to-back episodes of ``lag + 1`` steps (cue, ``lag − 1`` distractors,
    query), starting at a random phase so that episodes do not line up across streams; the
    stream is cut at ``num_steps``. ``targets`` is the cue (0 or 1) at query steps and
    ``-100`` elsewhere.
    """
    _check_positive("make_lag_recall", num_streams=num_streams, num_steps=num_steps, lag=lag,
                    num_distractors=num_distractors)
    if lag < 2:
        raise ValueError(f"make_lag_recall: lag must be >= 2 (a cue, a distractor, a query), got {lag}")
    generator = generator or backend.generator(backend.CPU)
    period = lag + 1
    query = 2 + num_distractors
    episodes = -(-num_steps // period) + 1  # one more, so that a random phase still fills the stream
    cues = generator.integers(0, 2, size=(num_streams, episodes))
    body = generator.integers(2, query, size=(num_streams, episodes, period))
    body[:, :, 0] = cues
    body[:, :, -1] = query
    answers = numpy.full((num_streams, episodes, period), IGNORE_INDEX, dtype=numpy.int64)
    answers[:, :, -1] = cues
    phase = generator.integers(0, period, size=num_streams)
    columns = phase[:, None] + numpy.arange(num_steps)[None, :]
    rows = numpy.arange(num_streams)[:, None]
    inputs = body.reshape(num_streams, -1)[rows, columns].astype(numpy.int64)
    targets = answers.reshape(num_streams, -1)[rows, columns]
    return inputs, targets
