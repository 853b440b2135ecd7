"""Writing: the chosen statements become the answer text and its numbered citations.

Owns: the lead line (the name, figure or date asked for, each with its [n]), one quote line per
statement ("Outlet (date): QUOTE [n]"), "Disputed by" for a denial paired with a claim, "also
reported by" for near-copies, "The sources give different figures", and where a quote must
start or end so that it holds its lead (a surname resolved to a full name given a sentence
earlier) or its speaker (a quote that names its speaker only as "he said"). Every quote is a
slice of its article body. Does not: choose statements or check them (qa.verify does).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from index import Article
from qa.candidates import ArticleText
from qa.scoring import Scored
from qa.types import Citation, Report

FIGURES_DIFFER = "The sources give different figures: "
NUMERIC_KINDS = frozenset({"count", "money", "percent", "quantity", "age", "duration"})
NEAR_SENTENCES = 3  # a lead mentioned this many sentences away or fewer is quoted with its sentence


@dataclass(frozen=True)
class Lead:
    """The words an answer line leads with: `body[start:end]` of the statement's article."""

    text: str
    start: int
    end: int
    sure: bool = True  # its type fits well: worth showing beside the best statement's lead


@dataclass
class Statement:
    """One line of an answer: a scored sentence, its lead, its role, and the same report elsewhere."""

    main: Scored
    lead: Lead | None = None
    role: str = "answer"  # or "denial"
    duplicates: list[Scored] = field(default_factory=list)
    speaker_from: int | None = None  # where the quote must start to hold its speaker's name


def write_answer(statements: list[Statement], articles: dict[str, Article], *, kind: str,
                 asks_denial: bool) -> tuple[str, list[Citation]]:
    """The answer text (a lead line, then one cited line per statement) and its citations."""
    citations: list[Citation] = []
    lines: list[str] = []
    for n, statement in enumerate(statements, start=1):
        sentence = statement.main.sentence
        article = articles[sentence.doc_id]
        start, end = quote_bounds(statement)
        citations.append(_citation(n, article, start, end, statement.main.score,
                                   [(articles[d.sentence.doc_id], d) for d in statement.duplicates]))
        label = attribution(article)
        if statement.role == "denial" and not asks_denial:
            label = f"Disputed by {label}"
        lines.append(f"{label}: {one_line(citations[-1].quote)} [{n}]")
    leads = [(s.lead.text, n) for n, s in enumerate(statements, start=1)
             if s.lead and (s.role == "answer" or asks_denial) and (n == 1 or s.lead.sure)]
    if leads:
        head = "; ".join(f"{lead} [{n}]" for lead, n in leads)
        sources = {statements[n - 1].main.sentence.doc_id for _, n in leads}
        if kind in NUMERIC_KINDS and len({lead.lower() for lead, _ in leads}) > 1 and len(sources) > 1:
            head = f"{FIGURES_DIFFER}{head}"
        lines.insert(0, head)
    return "\n".join(lines), citations


def one_line(quote: str) -> str:
    """A quote as its answer line shows it: a paragraph break inside (a quote widened to the
    paragraph before, where its speaker is named) becomes one space, so the line keeps its
    outlet and its first words; the citation keeps the quote as written.

    >>> one_line("troops.\\n\\n“We see that,” he said.")
    'troops. “We see that,” he said.'
    """
    return _BREAK.sub(" ", quote)


_BREAK = re.compile(r"[ \t]*(?:\r?\n)+[ \t\r\n]*")


def quote_bounds(statement: Statement) -> tuple[int, int]:
    """Body offsets of a statement's quote: its sentence, widened to hold its lead and speaker."""
    sentence = statement.main.sentence
    start, end = sentence.start, sentence.end
    if statement.speaker_from is not None:
        start = min(start, statement.speaker_from)
    if statement.lead is not None:
        article = statement.main.article
        around = _sentence_at(article, statement.lead.start)
        if around is not None:
            start, end = min(start, around[0]), max(end, around[1])
    return start, end


def _sentence_at(article: ArticleText, offset: int) -> tuple[int, int] | None:
    for s in article.sentences:
        if s.start <= offset < s.end:
            return s.start, s.end
    return None


def lead_is_near(article: ArticleText, position: int, offset: int) -> bool:
    """Whether a lead at body `offset` lies within NEAR_SENTENCES of sentence `position`."""
    for s in article.sentences:
        if s.start <= offset < s.end:
            return abs(s.position - position) <= NEAR_SENTENCES
    return False


def _citation(n: int, article: Article, start: int, end: int, score: float,
              duplicates: list[tuple[Article, Scored]]) -> Citation:
    reports = tuple(Report(doc_id=a.doc_id, title=a.title, source=a.source, url=a.url, published=a.published,
                           quote=a.body[d.sentence.start:d.sentence.end], start=d.sentence.start, end=d.sentence.end)
                    for a, d in duplicates)
    return Citation(n=n, doc_id=article.doc_id, quote=article.body[start:end], start=start, end=end, score=score,
                    title=article.title, source=article.source, url=article.url, published=article.published,
                    also_reported_by=reports)


def attribution(article: Article) -> str:
    """How a quote line names its source: the outlet (or the title, or the id) and the date."""
    name = article.source or (f"“{article.title}”" if article.title else article.doc_id)
    return f"{name} ({article.published})" if article.published else name
