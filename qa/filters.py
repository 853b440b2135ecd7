"""Search filters: only articles published between two dates, or by certain outlets.

Owns: the `SearchFilter` value (parsing and checking what a user types on the command line or in
the chat), how it reads and prints, and which chunk rows of an index version it allows. The rows
come from two arrays made once per index version (each row's publication day and outlet), so a
filter over 100,000 chunks costs about a millisecond, and the rows of each filter are kept for
the next question with the same filter. Does not: search (qa.retrieve restricts the FAISS and
BM25 searches to these rows) or read periods from questions (qa.periods).

    >>> f = SearchFilter.parse(since="2021", until="2021-06", sources=["Coastal Herald, valley times"])
    >>> f.describe()
    'published 2021-01-01 to 2021-06-30, from outlet Coastal Herald, valley times'
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Iterable, Mapping, Sequence

import numpy as np

from index import Article, Chunk, QuestionError
from index.store import RowSubset
from qa.periods import Period

_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
SHOWN_OUTLETS = 12  # outlets named in a "no article's outlet is ..." message
CACHED_FILTERS = 64


class FilterError(QuestionError):
    """A filter that cannot be used: a date that is not one, or `since` after `until`."""


def parse_date(text: str | dt.date | None, *, name: str, end: bool = False) -> dt.date | None:
    """A filter date from `YYYY-MM-DD`, `YYYY-MM` or `YYYY`; a month or year stands for its first
    day, or with `end` its last. Empty text is no date.

    >>> parse_date("2021-02", name="--until", end=True)
    datetime.date(2021, 2, 28)
    >>> parse_date("2021-13-01", name="--since")
    Traceback (most recent call last):
    ...
    qa.filters.FilterError: --since '2021-13-01' is not a date; write YYYY-MM-DD (or YYYY-MM, YYYY), e.g. 2021-03-04
    """
    if text is None or isinstance(text, dt.date):
        return text
    if not isinstance(text, str):
        raise FilterError(f"{name} must be a date as text, got {type(text).__name__}")
    match = _PARTIAL_DATE.fullmatch(text.strip())
    try:
        if not text.strip():
            return None
        if match is None:
            raise ValueError(text)
        year, month, day = (int(g) if g else None for g in match.groups())
        if month is None:
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        if day is None:
            return dt.date(year, month, calendar.monthrange(year, month)[1] if end else 1)
        return dt.date(year, month, day)
    except ValueError as e:
        raise FilterError(f"{name} {text.strip()[:40]!r} is not a date; write YYYY-MM-DD (or YYYY-MM, YYYY), "
                          f"e.g. 2021-03-04") from e


def split_sources(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """Outlet values as given, spaces tidied, blanks and repeats (in any case) dropped. A value may
    be a comma-separated list; `RowFacts` splits it unless the whole value is an outlet's name.

    >>> split_sources(["Coastal Herald, Valley Times", "coastal herald, valley times", " "])
    ('Coastal Herald, Valley Times',)
    """
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    names: dict[str, str] = {}
    for value in values:
        if not isinstance(value, str):
            raise FilterError(f"an outlet must be a name, got {type(value).__name__}")
        name = " ".join(value.split())
        if name.strip(", "):
            names.setdefault(name.casefold(), name)
    return tuple(names.values())


def outlet_names(value: str, known: Mapping[str, int]) -> list[str]:
    """The outlet names one value stands for: itself when an outlet has that name (in any case), else
    its comma-separated parts.

    >>> outlet_names("Smith, Jones & Co", {"smith, jones & co": 0}), outlet_names("A, b", {})
    (['Smith, Jones & Co'], ['A', 'b'])
    """
    if value.casefold() in known:
        return [value]
    return [part.strip() for part in value.split(",") if part.strip()]


@dataclass(frozen=True)
class SearchFilter:
    """Which articles a question may be answered from; an empty field allows everything.

    Attributes:
        since, until: inclusive publication dates; an article without a date is left out when either is set.
        sources: outlet names as given, each matched case-insensitively and exactly against an article's
            `source`; a value that is no outlet's name is read as a comma-separated list.
        period: the question's words the dates were read from (qa.periods), or None when they were given.
    """

    since: dt.date | None = None
    until: dt.date | None = None
    sources: tuple[str, ...] = ()
    period: str | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise FilterError(f"the since date {self.since} is after the until date {self.until}; "
                              f"give since on or before until")

    @classmethod
    def parse(cls, *, since: str | dt.date | None = None, until: str | dt.date | None = None,
              sources: str | Iterable[str] | None = None, names: tuple[str, str] = ("--since", "--until"),
              ) -> SearchFilter | None:
        """The filter a user typed, or None when every field is empty.

        Raises:
            FilterError: a date that is not one, or since after until.
        """
        found = cls(parse_date(since, name=names[0]), parse_date(until, name=names[1], end=True),
                    split_sources(sources))
        return None if found.is_empty() else found

    def is_empty(self) -> bool:
        return not (self.since or self.until or self.sources)

    @property
    def dated(self) -> bool:
        return bool(self.since or self.until)

    def with_period(self, period: Period | None) -> SearchFilter | None:
        """This filter with a question's period as its dates, unless it has dates of its own (those win)."""
        if period is None or self.dated:
            return None if self.is_empty() else self
        return replace(self, since=period.since, until=period.until, period=period.phrase)

    def describe(self) -> str:
        """The filter in words, as the answer shows it."""
        parts = []
        if self.since and self.until:
            parts.append(f"published {self.since} to {self.until}")
        elif self.since:
            parts.append(f"published on or after {self.since}")
        elif self.until:
            parts.append(f"published on or before {self.until}")
        if self.sources:
            parts.append(f"from outlet{'s' if len(self.sources) > 1 else ''} {' or '.join(self.sources)}")
        return ", ".join(parts)

    def to_json(self) -> dict:
        """The answer JSON's `filters`: since, until, source (a name, or a list for several) and where
        each came from ("option" or "question"; a period read from the question adds its words)."""
        source: str | list[str] | None = list(self.sources) if len(self.sources) > 1 else \
            (self.sources[0] if self.sources else None)
        row: dict = {"since": self.since.isoformat() if self.since else None,
                     "until": self.until.isoformat() if self.until else None, "source": source}
        dates_from = "question" if self.period else "option"
        row["from"] = {key: (dates_from if key != "source" else "option") for key in ("since", "until", "source")
                       if row[key] is not None}
        if self.period:
            row["period"] = self.period
        return row

    def key(self) -> tuple:
        """What decides the allowed rows (a period's words do not)."""
        return self.since, self.until, tuple(sorted(s.casefold() for s in self.sources))


class RowFacts:
    """Each chunk row's publication day and outlet, made once per index version, and the rows each
    filter allows (the last CACHED_FILTERS filters kept)."""

    def __init__(self, chunks: Sequence[Chunk], articles: Mapping[str, Article]) -> None:
        self.outlet_ids: dict[str, int] = {}
        spellings: dict[int, str] = {}
        day_of, outlet_of = {}, {}
        for doc_id, article in articles.items():
            day_of[doc_id] = _ordinal(article.published)
            name = " ".join((article.source or "").split())
            if name:
                outlet_of[doc_id] = self.outlet_ids.setdefault(name.casefold(), len(self.outlet_ids))
                spellings.setdefault(outlet_of[doc_id], name)
        self.days = np.fromiter((day_of.get(c.doc_id, 0) for c in chunks), dtype=np.int32, count=len(chunks))
        self.outlets = np.fromiter((outlet_of.get(c.doc_id, -1) for c in chunks), dtype=np.int32, count=len(chunks))
        self.outlet_names = sorted(spellings.values(), key=str.casefold)
        dated = [d for d in day_of.values() if d]
        self.newest = dt.date.fromordinal(max(dated)) if dated else None
        self._cache: OrderedDict[tuple, RowSubset] = OrderedDict()
        self._lock = threading.Lock()

    def allowed(self, search_filter: SearchFilter) -> RowSubset:
        """The rows of the articles the filter allows, with their FAISS selector (cached per filter)."""
        key = search_filter.key()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        mask = np.ones(len(self.days), dtype=bool)
        if search_filter.since:
            mask &= self.days >= search_filter.since.toordinal()
        if search_filter.until:
            mask &= (self.days <= search_filter.until.toordinal()) & (self.days > 0)
        if search_filter.sources:
            names = [n.casefold() for value in search_filter.sources for n in outlet_names(value, self.outlet_ids)]
            wanted = [self.outlet_ids[n] for n in names if n in self.outlet_ids]
            mask &= np.isin(self.outlets, np.asarray(wanted, dtype=np.int32))
        subset = RowSubset.from_mask(mask)
        with self._lock:
            self._cache[key] = subset
            while len(self._cache) > CACHED_FILTERS:
                self._cache.popitem(last=False)
        return subset

    def no_match_text(self, search_filter: SearchFilter) -> str:
        """The answer to a question whose filter allows no article: which filter, and what to change."""
        text = f"No article matches the filter ({search_filter.describe()}), so there is nothing to answer from."
        unknown = [n for value in search_filter.sources for n in outlet_names(value, self.outlet_ids)
                   if n.casefold() not in self.outlet_ids]
        if unknown:
            shown = ", ".join(self.outlet_names[:SHOWN_OUTLETS])
            more = f" and {len(self.outlet_names) - SHOWN_OUTLETS} more" if len(self.outlet_names) > SHOWN_OUTLETS else ""
            text += (f" No article's outlet is {' or '.join(repr(s) for s in unknown)}; the outlets are: "
                     f"{shown or 'none (no article names its outlet)'}{more}.")
        if search_filter.dated and self.newest is None:
            text += " No article in the index has a publication date."
        return text + " Widen or clear the filter."


class MilvusRowFacts(RowFacts):
    """RowFacts for the Milvus store: each allowed subset also carries the Milvus filter expression
    that selects the same chunks (fields `day` and `outlet` of index.milvus_store), so the search
    is filtered inside Milvus."""

    def allowed(self, search_filter: SearchFilter) -> RowSubset:
        from index.milvus_store import MilvusRows, quoted

        subset = super().allowed(search_filter)
        if isinstance(subset, MilvusRows):
            return subset
        return MilvusRows(rows=subset.rows, bitmap=subset.bitmap, selector=subset.selector,
                          expression=milvus_expression(search_filter, self.outlet_ids, quote=quoted))


def milvus_expression(search_filter: SearchFilter, outlet_ids: Mapping[str, int], *, quote) -> str:
    """The Milvus filter expression of a filter, over the chunk fields `day` (0: undated) and `outlet`.

    >>> milvus_expression(SearchFilter.parse(since="2021", sources="A, b"), {}, quote=repr)
    "day >= 737791 and outlet in ['a', 'b']"
    """
    parts = []
    if search_filter.since:
        parts.append(f"day >= {search_filter.since.toordinal()}")
    if search_filter.until:
        parts.append(f"day <= {search_filter.until.toordinal()} and day > 0")
    if search_filter.sources:
        names = dict.fromkeys(" ".join(n.split()).casefold() for value in search_filter.sources
                              for n in outlet_names(value, outlet_ids))
        parts.append(f"outlet in [{', '.join(quote(n) for n in names)}]")
    return " and ".join(parts)


def _ordinal(published: str | None) -> int:
    """The day number of an ISO date (0 for none or one that does not read)."""
    try:
        return dt.date.fromisoformat(published[:10]).toordinal() if published else 0
    except (TypeError, ValueError):
        return 0
