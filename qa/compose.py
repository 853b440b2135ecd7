"""Compose an extractive, cited answer from retrieved passages, or abstain.

Owns: choosing the sentences that answer a question (meaning, shared rare words, and the kind of
answer asked for), dropping repeats, writing them with `[n]` markers, and the abstention rule.
Every quote is a slice of its article body, so it is verbatim by construction.
Does not: retrieve, generate new wording, or follow anything written inside an article.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from index import Article, split_sentences
from qa.text import expected_answer, matches, satisfies, terms, words
from qa.types import Citation, Passage


@dataclass(frozen=True)
class ComposeSettings:
    """Knobs of the answer composer (tuned on the development gold set, eval/gold/dev.jsonl).

    Attributes:
        passages: how many of the top passages to draw sentences from.
        max_sentences: most sentences (and citations) in one answer.
        semantic_weight: weight of embedding similarity against shared-rare-word overlap.
        min_score: a best sentence below this makes the assistant abstain.
        min_semantic: a best sentence less similar than this in meaning makes it abstain.
        keep_ratio: further sentences must score at least this share of the best one.
        duplicate_overlap: word overlap (Jaccard) above which two sentences count as the same.
    """

    passages: int = 6
    max_sentences: int = 3
    semantic_weight: float = 0.6
    min_score: float = 0.42
    min_semantic: float = 0.35
    keep_ratio: float = 0.85
    duplicate_overlap: float = 0.6


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    doc_id: str
    start: int
    end: int
    text: str
    semantic: float
    lexical: float
    score: float


ABSTAIN_TEXT = ("The articles do not answer this. The closest passages found are listed below; "
                "none of them says it.")
_MIN_WORDS = 4


def candidate_sentences(passages: Sequence[Passage], limit: int) -> list[tuple[str, int, int, str]]:
    """(doc_id, start, end, text) of each distinct sentence in the top passages, offsets into the body."""
    seen: set[tuple[str, int]] = set()
    found = []
    for passage in passages[:limit]:
        chunk = passage.chunk
        for s, e in split_sentences(chunk.text):
            key = (chunk.doc_id, chunk.start + s)
            text = chunk.text[s:e]
            if key in seen or len(words(text)) < _MIN_WORDS:
                continue
            seen.add(key)
            found.append((chunk.doc_id, chunk.start + s, chunk.start + e, text))
    return found


def score_candidates(question: str, question_vector: np.ndarray, sentences: list[tuple[str, int, int, str]],
                     embed: Callable[[list[str]], np.ndarray], idf: Callable[[str], float],
                     settings: ComposeSettings) -> list[Candidate]:
    """Score every sentence by meaning (cosine) and by the share of the question's rare words it holds."""
    if not sentences:
        return []
    vectors = embed([s[3] for s in sentences])
    semantic = vectors @ question_vector
    q_terms = set(terms(question))
    q_weight = sum(idf(t) for t in q_terms) or 1.0
    scored = []
    for (doc_id, start, end, text), sem in zip(sentences, semantic):
        s_terms = set(terms(text))
        lexical = sum(idf(t) for t in q_terms if matches(t, s_terms)) / q_weight
        score = settings.semantic_weight * float(sem) + (1 - settings.semantic_weight) * lexical
        scored.append(Candidate(doc_id, start, end, text, float(sem), lexical, score))
    return sorted(scored, key=lambda c: c.score, reverse=True)


def select_sentences(question: str, candidates: list[Candidate], settings: ComposeSettings) -> list[Candidate]:
    """The sentences to answer with, best first; empty means abstain."""
    kind = expected_answer(question)
    fitting = [c for c in candidates if satisfies(kind, c.text, question)]
    if not fitting or fitting[0].score < settings.min_score or fitting[0].semantic < settings.min_semantic:
        return []
    chosen = [fitting[0]]
    for candidate in fitting[1:]:
        if len(chosen) == settings.max_sentences or candidate.score < settings.keep_ratio * chosen[0].score:
            break
        if not any(_same_statement(candidate.text, c.text, settings.duplicate_overlap) for c in chosen):
            chosen.append(candidate)
    return chosen


def _same_statement(a: str, b: str, threshold: float) -> bool:
    wa, wb = set(terms(a)), set(terms(b))
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= threshold


def write_answer(chosen: list[Candidate], articles: dict[str, Article]) -> tuple[str, list[Citation]]:
    """The answer text, one quoted sentence per citation, and the citations it points to."""
    citations = []
    parts = []
    for n, candidate in enumerate(chosen, start=1):
        article = articles[candidate.doc_id]
        quote = article.body[candidate.start:candidate.end]
        citations.append(Citation(n=n, doc_id=candidate.doc_id, quote=quote, start=candidate.start, end=candidate.end,
                                  score=candidate.score, title=article.title, source=article.source,
                                  url=article.url, published=article.published))
        parts.append(f"{_attribution(article)}: {quote} [{n}]")
    return "\n".join(parts), citations


def _attribution(article: Article) -> str:
    name = article.source or (f"“{article.title}”" if article.title else article.doc_id)
    return f"{name} ({article.published})" if article.published else name


def inverse_document_frequency(chunk_texts: Sequence[str]) -> Callable[[str], float]:
    """idf(term) over the chunk texts; an unseen term gets the highest weight."""
    df: dict[str, int] = {}
    for text in chunk_texts:
        for term in set(terms(text)):
            df[term] = df.get(term, 0) + 1
    n = len(chunk_texts)

    def idf(term: str) -> float:
        return math.log(1 + (n + 1) / (df.get(term, 0) + 0.5))

    return idf
