"""Periods named in a question ("in January 2021", "since March 2021", "last week"), as publication dates.

Owns: finding one clear English date expression in a question, the date range it stands for, and
the question without it. Relative expressions ("yesterday", "last month") count back from a given
day, the newest article's publication date, never from today's clock: an archive of 2021 asked
"last week" means its own last week. Read conservatively: a month or a year alone ("in May", "the
2020 election", "by 2010", "before 1986"), a possessive ("last year's budget") and anything not
introduced by "in", "during", "since", "between ... and", "from ... to" or "on" (for one day) is
not a period. Does not: decide whether a period applies (the assistant does, only for an index
with dated articles and no date filter given), or filter anything.

    >>> import datetime as dt
    >>> p = read_period("What did Berg say in January 2021?", newest=dt.date(2023, 8, 19))
    >>> p.since, p.until, p.phrase
    (datetime.date(2021, 1, 1), datetime.date(2021, 1, 31), 'in January 2021')
    >>> without_period("What did Berg say in January 2021?", p)
    'What did Berg say?'
    >>> read_period("Who won the 2020 election?", newest=dt.date(2023, 8, 19)) is None
    True
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name and name != "May"}
MONTHS["sept"] = 9
_MONTH = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?:19|20)\d\d(?![\d-])"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
# A period's words: one day, a month of a year, or a year. Named groups tell which.
_DATE = (rf"(?:(?P<iso{{n}}>(?:19|20)\d\d-\d{{{{2}}}}-\d{{{{2}}}})"
         rf"|(?P<dmy{{n}}>{_DAY}\s+{_MONTH},?\s+{_YEAR})"
         rf"|(?P<mdy{{n}}>{_MONTH}\s+{_DAY},?\s+{_YEAR})"
         rf"|(?P<my{{n}}>{_MONTH}\s+(?:of\s+)?{_YEAR})"
         rf"|(?P<y{{n}}>{_YEAR}))")
# A year alone must end the clause: "in 2020?" is a period, "in 2020 elections" is not.
_CLAUSE_END = r"(?=\s*(?:[?!.,;:)]|$|(?:and|or|but|about|on|regarding|concerning)\b))"
_ABSOLUTE = [
    ("between", re.compile(rf"\b(?:published\s+)?between\s+{_DATE.format(n=1)}\s+and\s+{_DATE.format(n=2)}"
                           rf"{_CLAUSE_END}", re.I)),
    ("between", re.compile(rf"\b(?:published\s+)?from\s+{_DATE.format(n=1)}\s+(?:to|until|till)\s+"
                           rf"{_DATE.format(n=2)}{_CLAUSE_END}", re.I)),
    ("since", re.compile(rf"\b(?:published\s+)?since\s+{_DATE.format(n=1)}{_CLAUSE_END}", re.I)),
    ("in", re.compile(rf"\b(?:published\s+)?(?:in|during|throughout)\s+(?:the\s+month\s+of\s+)?"
                      rf"{_DATE.format(n=1)}{_CLAUSE_END}", re.I)),
    ("in", re.compile(rf"\b(?:published\s+)?on\s+(?:(?P<iso1>(?:19|20)\d\d-\d{{2}}-\d{{2}})|(?P<dmy1>{_DAY}\s+{_MONTH},?\s+"
                      rf"{_YEAR})|(?P<mdy1>{_MONTH}\s+{_DAY},?\s+{_YEAR})){_CLAUSE_END}", re.I)),
]
_NOT_POSSESSIVE = r"(?!['’]s\b)(?!\s+of\b)"
_RELATIVE = re.compile(
    rf"(?P<lead>\b(?:in|over|during)\s+the\s+(?:past|last)\s+(?:(?P<count>\d{{1,3}}|two|three|four|five|six|seven|"
    rf"eight|nine|ten|twelve)\s+)?(?P<unit>days?|weeks?|months?|years?)\b{_NOT_POSSESSIVE})"
    rf"|(?<!\bthe\s)(?<!\ba\s)\b(?P<which>last|this|past)\s+(?P<span>week|month|year)\b{_NOT_POSSESSIVE}"
    rf"|\b(?P<day>yesterday|today)\b{_NOT_POSSESSIVE}", re.I)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
            "twelve": 12}


@dataclass(frozen=True)
class Period:
    """Publication dates read from a question: `question[start:end] == phrase`; until None is open."""

    since: dt.date | None
    until: dt.date | None
    phrase: str
    start: int
    end: int


def read_period(question: str, *, newest: dt.date | None) -> Period | None:
    """The first clear period the question names, or None.

    Args:
        question: the question as typed.
        newest: the day relative expressions count back from (the newest article's date); None
            reads absolute dates only.

    >>> import datetime as dt
    >>> newest = dt.date(2023, 8, 19)  # a Saturday
    >>> [(str(p.since), str(p.until)) for p in [read_period(q, newest=newest) for q in (
    ...     "Who spoke last week?", "What happened yesterday?", "Since March 2021, who resigned?",
    ...     "What was reported in 2020?", "Who was quoted between May 2022 and June 2022?")]]
    [('2023-08-07', '2023-08-13'), ('2023-08-18', '2023-08-18'), ('2021-03-01', 'None'), ('2020-01-01', '2020-12-31'), ('2022-05-01', '2022-06-30')]
    """
    found = []
    for how, pattern in _ABSOLUTE:
        for match in pattern.finditer(question):
            period = _absolute(match, how)
            if period is not None:
                found.append(period)
                break
    if newest is not None:
        match = _RELATIVE.search(question)
        if match is not None:
            found.append(_relative(match, newest))
    return min(found, key=lambda p: (p.start, -p.end)) if found else None


def without_period(question: str, period: Period) -> str:
    """The question with the period's words taken out, tidied.

    >>> import datetime as dt
    >>> q = "In 2020, who led the talks?"
    >>> without_period(q, read_period(q, newest=None))
    'Who led the talks?'
    """
    text = f"{question[:period.start]} {question[period.end:]}"
    text = re.sub(r"\s+([?!.,;:])", r"\1", " ".join(text.split())).lstrip(",;: ")
    text = re.sub(r",([?!.])", r"\1", text)
    return text[:1].upper() + text[1:] if period.start == 0 else text


def _absolute(match: re.Match, how: str) -> Period | None:
    first = _date_range(match, 1)
    if first is None:
        return None
    since, until = first
    if how == "between":
        second = _date_range(match, 2)
        if second is None or second[1] < since:
            return None
        until = second[1]
    elif how == "since":
        until = None
    return Period(since, until, match.group(0), match.start(), match.end())


def _date_range(match: re.Match, n: int) -> tuple[dt.date, dt.date] | None:
    """The first and last day the n-th date of a match stands for; None for an impossible date."""
    groups = {key[:-1]: value for key, value in match.groupdict().items() if value and key.endswith(str(n))}
    try:
        if "iso" in groups:
            day = dt.date.fromisoformat(groups["iso"])
            return day, day
        if "dmy" in groups or "mdy" in groups:
            words = re.findall(r"[A-Za-z]+|\d+", groups.get("dmy") or groups["mdy"])
            month = next(MONTHS[w.lower()] for w in words if w.lower() in MONTHS)
            day_text, year_text = [w for w in words if w.isdigit()]
            day = dt.date(int(year_text), month, int(day_text))
            return day, day
        if "my" in groups:
            month_word, year_text = re.findall(r"[A-Za-z]+|\d+", groups["my"])[0], groups["my"][-4:]
            year, month = int(year_text), MONTHS[month_word.lower()]
            return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
        year = int(groups["y"])
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    except (ValueError, KeyError, StopIteration):
        return None


def _relative(match: re.Match, newest: dt.date) -> Period:
    phrase, start, end = match.group(0), match.start(), match.end()
    if match.group("day"):
        day = newest if match.group("day").lower() == "today" else newest - dt.timedelta(days=1)
        return Period(day, day, phrase, start, end)
    if match.group("lead"):
        count_text = (match.group("count") or "1").lower()
        count = int(count_text) if count_text.isdigit() else _NUMBERS[count_text]
        unit = match.group("unit").lower().rstrip("s")
        return Period(_back(newest, unit, count), newest, phrase, start, end)
    which, span = match.group("which").lower(), match.group("span").lower()
    first = _start_of(newest, span)
    if which == "this":
        return Period(first, newest, phrase, start, end)
    if which == "past":
        return Period(_back(newest, span, 1), newest, phrase, start, end)
    previous_end = first - dt.timedelta(days=1)
    return Period(_start_of(previous_end, span), previous_end, phrase, start, end)


def _start_of(day: dt.date, span: str) -> dt.date:
    """The first day of the calendar week (Monday), month or year holding `day`."""
    if span == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1) if span == "month" else day.replace(month=1, day=1)


def _back(day: dt.date, unit: str, count: int) -> dt.date:
    """The first day of the `count` days, weeks, months or years that end on `day`."""
    if unit in ("day", "week"):
        return day - dt.timedelta(days=count * (7 if unit == "week" else 1) - 1)
    months = count * (12 if unit == "year" else 1)
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1])) + dt.timedelta(days=1)
