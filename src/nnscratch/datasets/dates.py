"""DateTranslation: human-written dates, in English and Korean, to ISO 8601 — character by character.

    "September 3, 2021", "3 sep 21", "Sep 3rd, 2021", "Friday, 03/09/2021", "03.09.2021",
    "the 3rd of september, 2021", "2021년 9월 3일", "2021년 9월 3일 금요일", "21. 9. 3." …
                                                                     →  "2021-09-03"

The classic first exercise for attention (the date-normalisation task of Andrew Ng's
sequence-models course and of many tutorials): the network must learn where in the source the
day, the month and the year are — and the attention heat-map shows that it does.

Conventions, so that every string names exactly one date:
- numeric day/month orders are day first (``03/09/2021`` is 3 September), as in most of
  the world; year-first forms (``2021/09/03``, Korean) are unambiguous;
- two-digit years follow POSIX ``strptime``: 69–99 → 1969–1999, 00–68 → 2000–2068; all dates
  lie in 1969-01-01 … 2068-12-31, so a two-digit year is never ambiguous;
- weekdays, when written, are the true weekday of the date.

Splits: the days of the range are divided once, by ``split_seed``, into training days and
held-out days (``test_fraction`` of them); the ``"train"`` set draws its examples from
training days only, ``"test"`` (and ``"val"``, a disjoint part of the held-out days) from
held-out days only, so a test date is never seen in training in any format. Everything is
a function of the seeds.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import numpy

from .parallel import TranslationPairs
from .tokenize import CharTokenizer
from .vocab import DEFAULT_SPECIALS, Vocab

FIRST_DAY, LAST_DAY = datetime.date(1969, 1, 1), datetime.date(2068, 12, 31)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
KOREAN_WEEKDAYS = ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일")


def ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st, 22nd, 23rd … 31st."""
    if 11 <= day % 100 <= 13:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


def _month(d: datetime.date) -> str:
    return MONTHS[d.month - 1]


def _mon(d: datetime.date) -> str:
    return MONTHS[d.month - 1][:3]


def _weekday(d: datetime.date) -> str:
    return WEEKDAYS[d.weekday()]


def _yy(d: datetime.date) -> str:
    return f"{d.year % 100:02d}"


# format name -> how it writes a date; the examples are 2021-09-03 (a Friday)
FORMATS: dict[str, Callable[[datetime.date], str]] = {
    "month d, yyyy": lambda d: f"{_month(d)} {d.day}, {d.year}",  # September 3, 2021
    "mon d, yyyy": lambda d: f"{_mon(d)} {d.day}, {d.year}",  # Sep 3, 2021
    "mon dth, yyyy": lambda d: f"{_mon(d)} {ordinal(d.day)}, {d.year}",  # Sep 3rd, 2021
    "month dth, yyyy": lambda d: f"{_month(d)} {ordinal(d.day)}, {d.year}",  # September 3rd, 2021
    "d mon yy": lambda d: f"{d.day} {_mon(d)} {_yy(d)}",  # 3 Sep 21
    "d month yyyy": lambda d: f"{d.day} {_month(d)} {d.year}",  # 3 September 2021
    "dth of month yyyy": lambda d: f"{ordinal(d.day)} of {_month(d)} {d.year}",  # 3rd of September 2021
    "the dth of month, yyyy": lambda d: f"the {ordinal(d.day)} of {_month(d)}, {d.year}",
    "weekday, dd/mm/yyyy": lambda d: f"{_weekday(d)}, {d:%d/%m/%Y}",  # Friday, 03/09/2021
    "weekday, month d, yyyy": lambda d: f"{_weekday(d)}, {_month(d)} {d.day}, {d.year}",
    "wkd, d mon yyyy": lambda d: f"{_weekday(d)[:3]}, {d.day} {_mon(d)} {d.year}",  # Fri, 3 Sep 2021
    "dd.mm.yyyy": lambda d: f"{d:%d.%m.%Y}",  # 03.09.2021
    "dd/mm/yyyy": lambda d: f"{d:%d/%m/%Y}",  # 03/09/2021
    "d/m/yy": lambda d: f"{d.day}/{d.month}/{_yy(d)}",  # 3/9/21
    "dd-mm-yyyy": lambda d: f"{d:%d-%m-%Y}",  # 03-09-2021
    "yyyy/mm/dd": lambda d: f"{d:%Y/%m/%d}",  # 2021/09/03
    "yyyymmdd": lambda d: f"{d:%Y%m%d}",  # 20210903
    "yyyy-mm-dd": lambda d: d.isoformat(),  # 2021-09-03
    "korean": lambda d: f"{d.year}년 {d.month}월 {d.day}일",  # 2021년 9월 3일
    "korean, padded": lambda d: f"{d.year}년 {d:%m}월 {d:%d}일",  # 2021년 09월 03일
    "korean with weekday": lambda d: f"{d.year}년 {d.month}월 {d.day}일 {KOREAN_WEEKDAYS[d.weekday()]}",
    "korean, two-digit year": lambda d: f"{_yy(d)}년 {d.month}월 {d.day}일",  # 21년 9월 3일
    "korean dots": lambda d: f"{d.year}. {d.month}. {d.day}.",  # 2021. 9. 3.
    "korean dots, two-digit year": lambda d: f"{_yy(d)}. {d.month}. {d.day}.",  # 21. 9. 3.
    "yyyy.mm.dd (weekday)": lambda d: f"{d:%Y.%m.%d} ({KOREAN_WEEKDAYS[d.weekday()][0]})",
}
# letter case, drawn per example: as written, lower case, upper case
CASES = (("as written", 0.6, str), ("lower", 0.25, str.lower), ("upper", 0.15, str.upper))


def format_date(day: datetime.date, format_name: str, case: str = "as written") -> str:
    """``day`` written in the named format and letter case (see FORMATS and CASES)."""
    if format_name not in FORMATS:
        raise ValueError(f"format_date: unknown format {format_name!r}; known: {list(FORMATS)}")
    changes = {name: change for name, _, change in CASES}
    if case not in changes:
        raise ValueError(f"format_date: case must be one of {list(changes)}, got {case!r}")
    return changes[case](FORMATS[format_name](day))


def source_alphabet() -> list[str]:
    """Every character any format can write, in code-point order."""
    probes = [datetime.date(2000, month, 1) + datetime.timedelta(days=k)
              for month in range(1, 13) for k in range(7)]
    characters = set("0123456789")
    for day in probes:
        for name in FORMATS:
            for case, _, _ in CASES:
                characters.update(format_date(day, name, case))
    return sorted(characters)


def date_vocabularies() -> tuple[Vocab, Vocab]:
    """The fixed character vocabularies (source, target) shared by every split."""
    source = Vocab(list(DEFAULT_SPECIALS) + source_alphabet(), specials=DEFAULT_SPECIALS)
    target = Vocab(list(DEFAULT_SPECIALS) + list("0123456789-"), specials=DEFAULT_SPECIALS)
    return source, target


def split_days(split: str, test_fraction: float = 0.1, split_seed: int = 0) -> numpy.ndarray:
    """The days (as ``date.toordinal()``) a split draws from; train and test/val are disjoint,
    and val and test are the two halves of the held-out days."""
    if split not in ("train", "val", "test"):
        raise ValueError(f"DateTranslation: split must be 'train', 'val' or 'test', got {split!r}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"DateTranslation: test_fraction must be in (0, 1), got {test_fraction}")
    days = numpy.arange(FIRST_DAY.toordinal(), LAST_DAY.toordinal() + 1)
    order = numpy.random.default_rng(split_seed).permutation(days)
    held_out = int(round(test_fraction * len(days)))
    if split == "train":
        return numpy.sort(order[held_out:])
    half = held_out // 2
    return numpy.sort(order[:half] if split == "val" else order[half:held_out])


class DateTranslation(TranslationPairs):
    """``size`` pairs (human-written date, ISO date) as characters.

    Args:
        size: number of examples.
        split: ``"train"``, ``"val"`` or ``"test"`` (see the module docstring).
        seed: which dates, formats and cases are drawn.
        test_fraction: share of all days held out from training (half val, half test).
        split_seed: how the days are divided between the splits (keep it equal across splits).
        formats: names of FORMATS to draw from (default: all).

    Attributes: ``pairs`` (character lists), ``dates`` (``datetime.date`` of each example),
    ``format_names`` (the format of each), ``source_vocab``/``target_vocab`` (fixed).
    """

    def __init__(self, size: int, split: str = "train", seed: int = 0,
                 test_fraction: float = 0.1, split_seed: int = 0,
                 formats: list[str] | None = None) -> None:
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"DateTranslation: size must be a non-negative integer, got {size!r}")
        formats = list(FORMATS) if formats is None else list(formats)
        unknown = [name for name in formats if name not in FORMATS]
        if unknown or not formats:
            raise ValueError(f"DateTranslation: unknown formats {unknown}; known: {list(FORMATS)}")
        days = split_days(split, test_fraction, split_seed)
        rng = numpy.random.default_rng([seed, ("train", "val", "test").index(split)])
        chosen_days = rng.choice(days, size=size)
        chosen_formats = rng.integers(len(formats), size=size)
        weights = numpy.array([weight for _, weight, _ in CASES])
        chosen_cases = rng.choice(len(CASES), size=size, p=weights / weights.sum())
        self.split = split
        self.dates = [datetime.date.fromordinal(int(day)) for day in chosen_days]
        self.format_names = [formats[k] for k in chosen_formats]
        pairs = []
        for day, name, case in zip(self.dates, self.format_names, chosen_cases):
            source = format_date(day, name, CASES[case][0])
            pairs.append((list(source), list(day.isoformat())))
        source_vocab, target_vocab = date_vocabularies()
        tokenizer = CharTokenizer()
        super().__init__(pairs, tokenizer, tokenizer, source_vocab, target_vocab)
