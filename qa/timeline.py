"""A story's timeline: the archive's statements about a topic, one per article, in date order.

Owns: retrieving widely for a topic, each article's most relevant sentence (its entry), the
relevance threshold that keeps unrelated articles out, each entry's date (a full date the
sentence itself gives, else the article's publication date; never guessed), a quote widened to
the sentence naming its speaker where it says only "he said" (the reader's rule), near-copies
folded into "also reported by" and a denial paired with the claim it answers (both by the reader's
rules), and the timeline JSON of CONTRACT.md. Does not: print, render, or read article files.
"""
from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np

from index import Article, QuestionError
from qa.candidates import ArticleText, Sentence
from qa.lexicon import DENIAL_WORDS
from qa.question import Question, stem_of
from qa.reader import DENIAL_SIMILARITY, same_report, speaker_sentence_start
from qa.scoring import Scored, stems_of
from qa.types import Passage, Report
from qa.writing import NEAR_SENTENCES

MAX_TOPIC_CHARS = 300
DEFAULT_TIMELINE_K = 150
NO_ENTRIES_TEXT = ("No article in the index is about this topic closely enough for a timeline. "
                   "Try other words, or a person, place or organisation the articles name.")


@dataclass(frozen=True)
class TimelineSettings:
    """Knobs of the timeline (the threshold was chosen on the Lee and seed gold sets; see README).

    Attributes:
        k: passages retrieved for the topic; every article among them is read.
        shortlist: sentences of each article compared in meaning with the topic (the best by
            topic words and by the score of the retrieved passage holding them).
        min_relevance: an article's best sentence must score at least this to give an entry.
        semantic_weight / coverage_weight: the relevance score: cosine similarity to the topic,
            plus the share of the topic's words (by idf weight) the sentence holds.
        names_only_share: the share of that word credit kept when a sentence holds only the
            topic's names ("New South Wales" of "bushfires in New South Wales") and none of its
            other words.
    """

    k: int = DEFAULT_TIMELINE_K
    shortlist: int = 4
    min_relevance: float = 0.5
    semantic_weight: float = 1.0
    coverage_weight: float = 0.3
    names_only_share: float = 1.0


@dataclass
class Entry:
    """One article's statement on the timeline: `body[start:end] == quote`.

    `date` is the date the entry is placed at: a full date its sentence gives (`date_from` is
    "sentence") or else the article's publication date ("published"); None for an undated entry.
    """

    doc_id: str
    quote: str
    start: int
    end: int
    relevance: float
    date: str | None
    date_from: str | None
    title: str | None = None
    source: str | None = None
    url: str | None = None
    article_published: str | None = None
    denial: bool = False
    also_reported_by: list[Report] = field(default_factory=list)
    answers: Report | None = None  # the claim this denial answers
    denied_by: list[Report] = field(default_factory=list)

    def report(self) -> Report:
        """This entry as a reference another entry can carry (a claim, a denial, a copy)."""
        return Report(doc_id=self.doc_id, quote=self.quote, start=self.start, end=self.end, title=self.title,
                      source=self.source, url=self.url, published=self.date)

    def to_json(self) -> dict:
        """CONTRACT.md's entry; `published` is the entry's date, `article_published` the article's own."""
        return {"published": self.date, "doc_id": self.doc_id, "title": self.title, "source": self.source,
                "quote": self.quote, "start": self.start, "end": self.end, "date_from": self.date_from,
                "url": self.url, "article_published": self.article_published, "relevance": round(self.relevance, 4),
                "denial": self.denial, "also_reported_by": [asdict(r) for r in self.also_reported_by],
                "answers": asdict(self.answers) if self.answers else None,
                "denied_by": [asdict(r) for r in self.denied_by]}


@dataclass
class Timeline:
    """A topic's dated entries, oldest first, and the relevant articles with no known date."""

    topic: str
    entries: list[Entry] = field(default_factory=list)
    undated: list[Entry] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.entries and not self.undated

    def to_json(self) -> dict:
        row = {"topic": self.topic, "entries": [e.to_json() for e in self.entries],
               "undated": [e.to_json() for e in self.undated]}
        if self.empty:
            row["message"] = NO_ENTRIES_TEXT
        return row | {"timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()}}


def clean_topic(topic: object) -> str:
    """The topic as text, control characters removed, whitespace collapsed.

    >>> clean_topic("  ferry\\tjob cuts ")
    'ferry job cuts'

    Raises:
        QuestionError: not text, empty, or longer than MAX_TOPIC_CHARS.
    """
    if not isinstance(topic, str):
        raise QuestionError(f"the topic must be text, got {type(topic).__name__}")
    text = " ".join("".join(" " if ch.isspace() or not ch.isprintable() else ch for ch in topic).split())
    if not text:
        raise QuestionError('the topic is empty; give what the timeline is about, e.g. "Taliban al-Qaeda ties"')
    if len(text) > MAX_TOPIC_CHARS:
        raise QuestionError(f"the topic is {len(text):,} characters long; keep it under {MAX_TOPIC_CHARS} "
                            "(a few words naming the story)")
    return text


# --- dates a sentence gives ------------------------------------------------------------------------

_MONTHS = {name: n for n, names in enumerate(
    [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")], start=1) for name in names}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[89]|20)\d\d)"
_FULL_DATES = [re.compile(p, re.I) for p in (
    r"\b(?P<year>(?:1[89]|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b",
    rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b",
    rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b",
)]


def sentence_date(text: str) -> str | None:
    """The first full date (day, month and year) the text gives, as ISO; None when it gives none.

    >>> sentence_date("On 12 March 2021, the talks resumed."), sentence_date("By March 3rd, 2020 it was over.")
    ('2021-03-12', '2020-03-03')
    >>> sentence_date("In March 2021 the talks resumed."), sentence_date("It was 31 February 2021.")
    (None, None)
    """
    found = []
    for pattern in _FULL_DATES:
        for m in pattern.finditer(text):
            month = m.group("month")
            month = int(month) if month.isdigit() else _MONTHS[month.lower().rstrip(".")]
            try:
                found.append((m.start(), dt.date(int(m.group("year")), month, int(m.group("day"))).isoformat()))
            except ValueError:
                continue
    return min(found)[1] if found else None


# --- building the timeline -------------------------------------------------------------------------

Embed = Callable[[list[str]], np.ndarray]


def build_timeline(topic: str, question: Question, topic_vector: np.ndarray, passages: Sequence[Passage], *,
                   load_articles: Callable[[Sequence[Passage], int], list[ArticleText]],
                   articles: dict[str, Article], embed: Embed,
                   settings: TimelineSettings = TimelineSettings()) -> Timeline:
    """The timeline of a topic over the passages retrieved for it.

    Args:
        topic: the cleaned topic.
        question: the topic read as a question (its weighted content words).
        topic_vector: the topic's embedding.
        passages: passages retrieved for the topic, best first.
        load_articles: the annotated text of the articles of passages (Snapshot.load_articles).
        articles: doc id -> Article (metadata).
        embed: embeds sentences the way the topic was embedded.
        settings: see TimelineSettings.
    """
    started = time.perf_counter()
    texts = load_articles(passages, len({p.chunk.doc_id for p in passages}))
    rows = _shortlist(question, texts, settings)
    if rows:
        for row, vector in zip(rows, embed([r.sentence.text for r in rows])):
            row.vector, row.semantic = vector, float(vector @ topic_vector)
            row.score = settings.semantic_weight * row.semantic + settings.coverage_weight * row.coverage
    best = _best_per_article(rows, settings)
    entries = [_entry(row, articles[row.sentence.doc_id]) for row in best]
    dated = sorted((e for e in entries if e.date), key=lambda e: (e.date, -e.relevance, e.doc_id))
    undated = [e for e in entries if not e.date]
    timeline = Timeline(topic, _fold_copies(dated, best), _fold_copies(undated, best))
    _pair_denials(timeline.entries + timeline.undated, best, articles)
    timeline.timings_ms = {"read": (time.perf_counter() - started) * 1000}
    return timeline


def _shortlist(question: Question, texts: list[ArticleText], settings: TimelineSettings) -> list[Scored]:
    """Each article's sentences most likely about the topic: by topic words, then retrieval score."""
    total = question.total_weight
    others = [t for t in question.terms if not t.in_entity]  # the topic's words other than names
    shortlist: list[Scored] = []
    for article in texts:
        rows = []
        for sentence in article.sentences:
            if not re.search(r"\w", sentence.text):
                continue
            if _repeats_title(sentence.text, article.title):
                continue
            stems = frozenset(stems_of(article, sentence.first, sentence.last))
            coverage = sum(t.weight for t in question.terms if t.stem in stems) / total
            if others and not any(t.stem in stems for t in others):
                coverage *= settings.names_only_share
            rows.append(Scored(sentence, article, coverage, coverage, 1.0, 1.0, stems=stems))
        rows.sort(key=lambda r: (-(r.coverage + r.sentence.retrieval * 0.1), r.sentence.start))
        shortlist.extend(rows[:settings.shortlist])
    return shortlist


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.lower())


def _repeats_title(text: str, title: str | None) -> bool:
    """Whether a sentence is the headline again (a repeated title, a related-story link): no statement.

    >>> _repeats_title("UN: Al-Qaeda keeps ties 1", "UN: Al-Qaeda Keeps Ties"), _repeats_title("It rained.", None)
    (True, False)
    """
    return bool(title) and _words(text) == _words(title)


def denies(article: ArticleText, sentence: Sentence) -> bool:
    """Whether a sentence denies something: the reader's denial words, and where the denial is a
    reporting verb ("denied", "rejected"), someone it is attributed to ("to destroy al-Qaeda, deny
    resources" denies nothing)."""
    if not article.denies(sentence.first, sentence.last):
        return False
    verbs = [s for s in sentence.speeches if stem_of(s.lemma) in DENIAL_WORDS]
    return not verbs or any(s.speaker is not None for s in verbs)


def _best_per_article(rows: list[Scored], settings: TimelineSettings) -> list[Scored]:
    """The best sentence of each article that is relevant enough, best first."""
    best: dict[str, Scored] = {}
    for row in rows:
        doc_id = row.sentence.doc_id
        if row.score >= settings.min_relevance and (doc_id not in best or row.score > best[doc_id].score):
            best[doc_id] = row
    return sorted(best.values(), key=lambda r: -r.score)


def _entry(row: Scored, article: Article) -> Entry:
    sentence: Sentence = row.sentence
    said = sentence_date(sentence.text)
    date, date_from = (said, "sentence") if said else ((article.published, "published") if article.published
                                                        else (None, None))
    # a sentence naming its speaker only as "he said" is quoted from the sentence that names him
    speaker = speaker_sentence_start(row)
    start = sentence.start if speaker is None else min(sentence.start, speaker)
    return Entry(doc_id=article.doc_id, quote=article.body[start:sentence.end], start=start, end=sentence.end, relevance=row.score, date=date, date_from=date_from, title=article.title,
                 source=article.source, url=article.url, article_published=article.published,
                 denial=denies(row.article, sentence))


def _fold_copies(entries: list[Entry], rows: list[Scored]) -> list[Entry]:
    """Entries with each near-copy folded into the first (earliest) entry that says the same.

    A denial is never a copy of the claim it repeats the words of ("X denied that the route loses money").
    """
    row_of = {r.sentence.doc_id: r for r in rows}
    kept: list[Entry] = []
    for entry in entries:
        row = row_of[entry.doc_id]
        same = next((k for k in kept if k.denial == entry.denial and (
            same_report(row, row_of[k.doc_id]) or any(same_report(row, row_of[c.doc_id]) for c in k.also_reported_by))),
            None)
        if same is None:
            kept.append(entry)
        else:
            same.also_reported_by.append(entry.report())
    return kept


def _pair_denials(entries: list[Entry], best: list[Scored], articles: dict[str, Article]) -> None:
    """Link each denial to the claim it answers and each claim to its denials.

    Across articles, by the reader's rule: a denial entry answers the claim entry, dated no
    later than it, that says nearly the same (embedding similarity at least DENIAL_SIMILARITY). Within an article, a
    denying sentence up to NEAR_SENTENCES from the entry's sentence that names a thing it names
    (a shared noun: "the river") answers it, or is answered by it.
    """
    row_of = {r.sentence.doc_id: r for r in best}
    for entry in entries:
        row = row_of[entry.doc_id]
        if entry.denial:
            earlier = [e for e in entries if not e.denial and not (e.date and entry.date and e.date > entry.date)]
            claims = [(float(row.vector @ row_of[e.doc_id].vector), e) for e in earlier]
            claims = [c for c in claims if c[0] >= DENIAL_SIMILARITY]
            if claims:
                claim = max(claims, key=lambda c: c[0])[1]
                entry.answers = claim.report()
                claim.denied_by.append(entry.report())
                continue
            near = _near_sentences(row, articles, denial=False)
            entry.answers = near[0] if near else None
        else:
            entry.denied_by.extend(_near_sentences(row, articles, denial=True))


def _near_sentences(row: Scored, articles: dict[str, Article], *, denial: bool) -> list[Report]:
    """Sentences near `row` in its article that are (or are not) denials and share a noun with it."""
    article, position = row.article, row.sentence.position
    nouns = _nouns(article, row.sentence)
    found = []
    for s in article.sentences:
        if s is row.sentence or abs(s.position - position) > NEAR_SENTENCES:
            continue
        if denies(article, s) == denial and nouns & _nouns(article, s):
            found.append(_report(article, s, articles))
    return sorted(found, key=lambda r: abs(r.start - row.sentence.start))


def _nouns(article: ArticleText, sentence: Sentence) -> set[str]:
    return {w.lemma for w in article.sentence_words(sentence) if w.pos in ("NOUN", "PROPN")}


def _report(article: ArticleText, s: Sentence, articles: dict[str, Article]) -> Report:
    meta = articles[article.doc_id]
    return Report(doc_id=meta.doc_id, quote=meta.body[s.start:s.end], start=s.start, end=s.end, title=meta.title,
                  source=meta.source, url=meta.url, published=sentence_date(s.text) or meta.published)
