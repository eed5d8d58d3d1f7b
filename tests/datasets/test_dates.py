"""DateTranslation: every format, English and Korean, in every letter case, parses back to its
ISO date by an independent parser; weekdays are true; held-out dates are never trained on."""

import calendar
import datetime
import re

import numpy as np
import pytest

from nnscratch.datasets import DateTranslation
from nnscratch.datasets.dates import CASES, FORMATS, format_date, split_days

# format -> strptime pattern, applied after ordinal suffixes are removed (case-insensitive)
STRPTIME = {
    "month d, yyyy": "%B %d, %Y", "mon d, yyyy": "%b %d, %Y", "mon dth, yyyy": "%b %d, %Y",
    "month dth, yyyy": "%B %d, %Y", "d mon yy": "%d %b %y", "d month yyyy": "%d %B %Y",
    "dth of month yyyy": "%d of %B %Y", "the dth of month, yyyy": "the %d of %B, %Y",
    "weekday, dd/mm/yyyy": "%A, %d/%m/%Y", "weekday, month d, yyyy": "%A, %B %d, %Y",
    "wkd, d mon yyyy": "%a, %d %b %Y", "dd.mm.yyyy": "%d.%m.%Y", "dd/mm/yyyy": "%d/%m/%Y",
    "d/m/yy": "%d/%m/%y", "dd-mm-yyyy": "%d-%m-%Y", "yyyy/mm/dd": "%Y/%m/%d",
    "yyyymmdd": "%Y%m%d", "yyyy-mm-dd": "%Y-%m-%d",
}
KOREAN_DAYS = ["월", "화", "수", "목", "금", "토", "일"]  # Monday … Sunday
KOREAN = {
    "korean": r"(\d{4})년 (\d{1,2})월 (\d{1,2})일()",
    "korean, padded": r"(\d{4})년 (\d\d)월 (\d\d)일()",
    "korean with weekday": r"(\d{4})년 (\d{1,2})월 (\d{1,2})일 (.)요일",
    "korean, two-digit year": r"(\d\d)년 (\d{1,2})월 (\d{1,2})일()",
    "korean dots": r"(\d{4})\. (\d{1,2})\. (\d{1,2})\.()",
    "korean dots, two-digit year": r"(\d\d)\. (\d{1,2})\. (\d{1,2})\.()",
    "yyyy.mm.dd (weekday)": r"(\d{4})\.(\d\d)\.(\d\d) \((.)\)",
}


def parse(text, name):
    """An independent reading of ``text`` written in format ``name``."""
    if name in KOREAN:
        year, month, day, weekday = re.fullmatch(KOREAN[name], text).groups()
        year = datetime.datetime.strptime(year, "%y").year if len(year) == 2 else int(year)
        parsed = datetime.date(year, int(month), int(day))
        if weekday:
            assert weekday == KOREAN_DAYS[parsed.weekday()], f"wrong weekday in {text!r}"
        return parsed
    plain = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text, flags=re.IGNORECASE)
    parsed = datetime.datetime.strptime(plain, STRPTIME[name]).date()
    if "%A" in STRPTIME[name] or "%a" in STRPTIME[name]:
        written = text.split(",")[0].lower()
        assert written in (calendar.day_name[parsed.weekday()].lower(),
                           calendar.day_abbr[parsed.weekday()].lower()), f"weekday of {text!r}"
    return parsed


def test_every_format_is_covered_by_the_test():
    assert set(FORMATS) == set(STRPTIME) | set(KOREAN)


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_and_case_parses_back_to_the_date(name):
    rng = np.random.default_rng(0)
    first, last = datetime.date(1969, 1, 1).toordinal(), datetime.date(2068, 12, 31).toordinal()
    days = [datetime.date.fromordinal(int(k)) for k in rng.integers(first, last + 1, 60)]
    days += [datetime.date(1969, 1, 1), datetime.date(2068, 12, 31), datetime.date(2000, 2, 29),
             datetime.date(2021, 9, 3), datetime.date(2011, 11, 11), datetime.date(2022, 12, 23)]
    for day in days:
        for case, _, _ in CASES:
            assert parse(format_date(day, name, case), name) == day


def test_the_examples_of_the_issue():
    day = datetime.date(2021, 9, 3)
    written = {format_date(day, name, case) for name in FORMATS for case, _, _ in CASES}
    for example in ("September 3, 2021", "3 sep 21", "2021년 9월 3일", "Friday, 03/09/2021",
                    "03.09.2021", "Sep 3rd, 2021"):
        assert example in written


def test_examples_are_pairs_of_characters_with_iso_targets():
    data = DateTranslation(300, seed=3)
    assert len(data) == 300
    for (source, target), day, name in zip(data.pairs, data.dates, data.format_names):
        assert "".join(target) == day.isoformat()
        assert parse("".join(source), name) == day
    unk = data.source_vocab.unk_index
    assert all(unk not in data[i][0] for i in range(len(data)))  # the alphabet is complete
    assert data.target_vocab.itos[4:] == list("0123456789-")
    assert set(data.format_names) == set(FORMATS)  # 300 draws reach all formats


def test_deterministic_from_the_seed():
    assert DateTranslation(50, seed=7).pairs == DateTranslation(50, seed=7).pairs
    assert DateTranslation(50, seed=7).pairs != DateTranslation(50, seed=8).pairs


def test_held_out_dates_are_never_trained_on():
    train = set(DateTranslation(20000, "train", seed=0).dates)
    val = set(DateTranslation(2000, "val", seed=1).dates)
    test = set(DateTranslation(2000, "test", seed=2).dates)
    assert not train & test and not train & val and not val & test
    days = [set(split_days(split).tolist()) for split in ("train", "val", "test")]
    total = (datetime.date(2068, 12, 31) - datetime.date(1969, 1, 1)).days + 1
    assert sum(len(d) for d in days) == total and len(set.union(*days)) == total
    assert len(days[1]) + len(days[2]) == round(0.1 * total)
    # another seed draws other dates, from the same split of the days
    assert {d.toordinal() for d in DateTranslation(500, "test", seed=9).dates} <= days[2]


def test_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        DateTranslation(5, split="dev")
    with pytest.raises(ValueError, match="unknown formats"):
        DateTranslation(5, formats=["mm/dd/yyyy"])
    with pytest.raises(ValueError, match="test_fraction"):
        DateTranslation(5, test_fraction=1.0)
    with pytest.raises(ValueError, match="case"):
        format_date(datetime.date(2021, 9, 3), "korean", "title")
