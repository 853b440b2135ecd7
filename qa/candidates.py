"""Candidate sentences: every sentence of the articles retrieval ranked highest, with its annotations.

Owns: turning the index's per-chunk annotations (spaCy sentences, tokens, entities, reporting
verbs, stored at index time) into article-level sentences whose offsets point into the article
body, and the name mentions of each article (to resolve a surname or a pronoun to the fullest
name the article gives). Does not: score, choose or write anything.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Callable, Sequence

from index.terms import normalise
from qa.lexicon import HONORIFICS, PERSON_NOUNS, denies_by
from qa.types import Passage


@dataclass(frozen=True)
class Word:
    """One token of an article: `body[start:end]`, its lemma (lower case), coarse tag, dependency
    label, and its head as an index into the article's words (itself for a root)."""

    start: int
    end: int
    text: str
    lemma: str
    pos: str
    dep: str
    head: int


@dataclass(frozen=True)
class Mention:
    """A named entity of an article: `body[start:end]`, spaCy's label, and the words it spans."""

    start: int
    end: int
    text: str
    label: str
    first: int  # index of its first word in the article
    last: int  # index of its last word


@dataclass(frozen=True)
class Speech:
    """A reporting verb and who it attributes the words to (character spans into the body)."""

    verb: tuple[int, int]
    lemma: str
    speaker: tuple[int, int] | None
    content: tuple[int, int] | None


@dataclass
class Sentence:
    """One sentence of an article, a candidate for the answer."""

    doc_id: str
    position: int  # 0 for the article's first sentence
    start: int
    end: int
    text: str
    first: int  # index of its first word in the article's words
    last: int  # one past its last word
    mentions: list[Mention] = field(default_factory=list)
    speeches: list[Speech] = field(default_factory=list)
    retrieval: float = 0.0  # the best fused score of a retrieved passage holding it


@dataclass
class ArticleText:
    """The sentences, words and mentions of one article, as the index annotated them."""

    doc_id: str
    title: str | None
    body: str
    words: list[Word]
    sentences: list[Sentence]
    mentions: list[Mention]

    def __post_init__(self) -> None:
        self._index = {w.start: i for i, w in enumerate(self.words)}

    def sentence_words(self, sentence: Sentence) -> list[Word]:
        return self.words[sentence.first:sentence.last]

    def denies(self, first: int, last: int) -> bool:
        """Whether words first..last-1 deny or reject something (qa.lexicon.denies_by)."""
        words = self.words
        return any(denies_by(words[i].lemma, words[i].pos, *((words[i + 1].pos, words[i + 1].text) if i + 1 < len(words) else ()))
                   for i in range(first, last))

    def index_of(self, word: Word) -> int:
        """The index of one of this article's words."""
        return self._index[word.start]


Annotate = Callable[[Sequence[int]], list]
"""Given chunk rows, their annotations (index.annotate.ChunkAnnotation) in the same order."""


def gather_articles(passages: Sequence[Passage], *, rows_of: dict[str, list[int]], chunks: Sequence,
                    articles: dict, annotate: Annotate, max_articles: int) -> list[ArticleText]:
    """The annotated text of the best-ranked articles, best first.

    Args:
        passages: retrieved passages, best first.
        rows_of: chunk rows of each article, in body order.
        chunks: the index's chunk table (row -> Chunk).
        articles: doc id -> Article.
        annotate: reads the stored annotations of chunk rows.
        max_articles: how many distinct articles to read.
    """
    order: list[str] = []
    for p in passages:
        if p.chunk.doc_id not in order:
            order.append(p.chunk.doc_id)
    order = order[:max_articles]
    rows = [row for doc_id in order for row in rows_of.get(doc_id, [])]
    notes = dict(zip(rows, annotate(rows)))
    retrieved: dict[str, list[tuple[int, int, float]]] = {}  # each article's retrieved passages
    for p in passages:
        retrieved.setdefault(p.chunk.doc_id, []).append((p.chunk.start, p.chunk.end, p.score))
    found = []
    for doc_id in order:
        parts = [(chunks[row], notes[row]) for row in rows_of.get(doc_id, [])]
        text = _assemble(articles[doc_id], parts)
        for sentence in text.sentences:
            sentence.retrieval = max((score for start, end, score in retrieved[doc_id]
                                      if start <= sentence.start and sentence.end <= end), default=0.0)
        found.append(text)
    return found


def _assemble(article, parts: list[tuple[object, object]]) -> ArticleText:
    """One article's words, sentences and mentions from its chunks' annotations (overlaps once)."""
    words: list[Word] = []
    sentences: list[Sentence] = []
    mentions: list[Mention] = []
    speeches: list[Speech] = []
    covered = 0  # body offset up to which sentences are taken
    for chunk, note in parts:
        base = chunk.start
        # sentences not yet taken from an earlier chunk: those ending past what is covered (two
        # chunks' parses may put a shared boundary a character apart), started no earlier than it
        fresh = [(max(base + s, covered), base + e) for s, e in note.sentences if base + e > covered + 1]
        if not fresh:
            continue
        keep_from = fresh[0][0]
        kept = [i for i, t in enumerate(note.tokens) if base + t.start >= keep_from]
        local_words = {i: len(words) + n for n, i in enumerate(kept)}  # chunk token -> article word
        for i in kept:
            t = note.tokens[i]
            words.append(Word(base + t.start, base + t.end, article.body[base + t.start:base + t.end], t.lemma,
                              t.pos, t.dep, local_words.get(t.head, local_words[i])))
        for s, e in fresh:
            for a, b in _lines(article.body, s, e):
                sentences.append(Sentence(article.doc_id, len(sentences), a, b, article.body[a:b], 0, 0))
        for m in note.entities:
            if base + m.start >= keep_from:
                mentions.append(Mention(base + m.start, base + m.end, article.body[base + m.start:base + m.end], m.label,
                                        0, 0))
        for r in note.reports:
            if base + r.verb_start >= keep_from:
                speeches.append(Speech((base + r.verb_start, base + r.verb_end), r.lemma,
                                       _shift(r.speaker, base), _shift(r.content, base)))
        covered = max(covered, fresh[-1][1])
    starts = [w.start for w in words]
    mentions = [_place_mention(m, words, starts) for m in mentions]
    taken = {i for m in mentions for i in range(m.first, m.last + 1)}
    mentions = [_whole_person(m, words, taken, article.body) for m in mentions]
    for sentence in sentences:
        sentence.first = _first_at(starts, sentence.start)
        sentence.last = _first_at(starts, sentence.end)
        sentence.mentions = [m for m in mentions if sentence.start <= m.start < sentence.end]
        sentence.speeches = [r for r in speeches if sentence.start <= r.verb[0] < sentence.end]
    return ArticleText(article.doc_id, article.title, article.body, words, sentences, mentions)


def _lines(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence's span cut at its line breaks, each piece trimmed: a line break always ends a
    sentence (a headline, a list item or a post without a full stop runs on in spaCy's parse)."""
    pieces, at = [], start
    for part in body[start:end].split("\n"):
        stripped = part.strip()
        if stripped:
            left = at + len(part) - len(part.lstrip())
            pieces.append((left, left + len(stripped)))
        at += len(part) + 1
    return pieces


def _shift(span: tuple[int, int] | None, base: int) -> tuple[int, int] | None:
    return None if span is None else (base + span[0], base + span[1])


def _first_at(starts: list[int], offset: int) -> int:
    return bisect.bisect_left(starts, offset)


def _whole_person(m: Mention, words: list[Word], taken: set[int], body: str) -> Mention:
    """A two-word person's name with the given name spaCy left out before it: "ambassador to
    Pakistan Abdul [Salam Zaeef]" is Abdul Salam Zaeef. Only capitalised proper nouns compounded to the
    name, in no other entity and neither a title ("Mullah", "Dr") nor a role ("Chief Executive",
    "Sergeant"), are taken in."""
    if m.label != "PERSON" or m.last - m.first != 1 or normalise(words[m.first].text) in PERSON_NOUNS:
        return m  # a name of three words or more, or one led by a role ("Sergeant Brian Cody Prosser"), is whole
    first = m.first
    while (first > 0 and first - 1 not in taken and words[first - 1].pos == "PROPN"
           and words[first - 1].dep == "compound" and m.first <= words[first - 1].head <= m.last
           and words[first - 1].text[:1].isupper() and words[first - 1].text.rstrip(".") not in HONORIFICS
           and normalise(words[first - 1].text) not in PERSON_NOUNS):
        first -= 1
    if first == m.first:
        return m
    start = words[first].start
    return Mention(start, m.end, body[start:m.end], m.label, first, m.last)


def _place_mention(m: Mention, words: list[Word], starts: list[int]) -> Mention:
    first = _first_at(starts, m.start)
    last = max(first, _first_at(starts, m.end) - 1)
    return Mention(m.start, m.end, m.text, m.label, first, last)
