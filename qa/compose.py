"""Compose an extractive, cited answer from retrieved passages, or abstain.

Owns: choosing the sentences that answer a question (meaning, shared rare words, and the kind of
answer asked for), leading with the name, figure or date asked for, pairing claims with their
denials, folding near-identical reports from several outlets into one line ("also reported
by"), naming the speaker of a "…, he said" quote, and a last verification that drops any line
whose lead or numbers are not in its cited quote. Every quote is a slice of its article body,
so it is verbatim by construction. Does not: retrieve, invent wording, or follow anything
written inside an article.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from index import Article, split_sentences
from qa.leads import answer_phrase, find_names, is_denial, is_full_name, satisfies, speaker_sentence_needed
from qa.text import asks_money, expected_answer, kind_is_strict, matches, question_focus, terms, words
from qa.types import Citation, Passage, Report


@dataclass(frozen=True)
class ComposeSettings:
    """Knobs of the answer composer (tuned on the development gold set, eval/gold/dev.jsonl).

    Attributes:
        passages: how many of the top fused passages to draw sentences from.
        embed_all_of: every sentence of this many top passages is scored; from the others only
            those sharing a rare word with the question, or denials.
        max_sentences: most statements (and citations) in one answer.
        semantic_weight: weight of embedding similarity against shared-rare-word overlap.
        min_score: a best sentence below this makes the assistant abstain.
        min_semantic: a best sentence less similar than this in meaning makes it abstain.
        keep_ratio: further sentences must score at least this share of the best one.
        duplicate_overlap: word overlap (Jaccard) above which two sentences count as the same report.
        duplicate_cosine: embedding similarity above which two sentences count as the same report.
        kind_bonus: added to a sentence holding the kind of answer a 'which …' question suggests.
        denial_similarity: a denial from another article is paired with the answer when their
            embeddings are at least this similar.
    """

    passages: int = 6
    embed_all_of: int = 2
    max_sentences: int = 3
    semantic_weight: float = 0.6
    min_score: float = 0.42
    min_semantic: float = 0.35
    keep_ratio: float = 0.85
    duplicate_overlap: float = 0.5
    duplicate_cosine: float = 0.92
    kind_bonus: float = 0.05
    denial_similarity: float = 0.45


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
    vector: np.ndarray = field(compare=False, repr=False, default=None)
    terms: frozenset[str] = field(compare=False, repr=False, default=frozenset())


@dataclass
class Statement:
    """One line of an answer: a sentence, its lead phrase, its role, and the same report elsewhere."""

    main: Candidate
    lead: str | None = None
    role: str = "answer"  # or "denial"
    duplicates: list[Candidate] = field(default_factory=list)


ABSTAIN_TEXT = ("The articles do not answer this. The closest passages found are listed below; "
                "none of them says it.")
_MIN_WORDS = 4
_MARKER = re.compile(r"\[(\d+)\]")
_DIGITS = re.compile(r"\d[\d,.]*\d|\d")


def candidate_sentences(passages: Sequence[Passage]) -> list[tuple[str, int, int, str]]:
    """(doc_id, start, end, text) of each distinct sentence in the passages, offsets into the body."""
    seen: set[tuple[str, int]] = set()
    found = []
    for passage in passages:
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
                     settings: ComposeSettings, *, always: int | None = None) -> list[Candidate]:
    """Score sentences by meaning (cosine) and by the share of the question's rare words they hold.

    Only sentences that can matter are embedded (embedding is most of an answer's time): the
    first `always` sentences (those of the best passages; default all), any sentence sharing a
    rare word with the question, and any denial (a claim's denial may share none).
    """
    if not sentences:
        return []
    q_terms = set(terms(question))
    q_weight = sum(idf(t) for t in q_terms) or 1.0
    rows = []
    for n, (doc_id, start, end, text) in enumerate(sentences):
        s_terms = frozenset(terms(text))
        lexical = sum(idf(t) for t in q_terms if matches(t, s_terms)) / q_weight
        if always is None or n < always or lexical > 0 or is_denial(text):
            rows.append((doc_id, start, end, text, s_terms, lexical))
    vectors = embed([row[3] for row in rows])
    semantic = vectors @ question_vector
    scored = []
    for (doc_id, start, end, text, s_terms, lexical), sem, vector in zip(rows, semantic, vectors):
        score = settings.semantic_weight * float(sem) + (1 - settings.semantic_weight) * lexical
        scored.append(Candidate(doc_id, start, end, text, float(sem), lexical, score, vector, s_terms))
    return sorted(scored, key=lambda c: c.score, reverse=True)


def plan_answer(question: str, candidates: list[Candidate], settings: ComposeSettings, *,
                asked: str | None = None) -> list[Statement]:
    """The statements to answer with, best first; empty means abstain.

    Args:
        question: the question as understood (a follow-up carries its context).
        candidates: scored sentences, best first.
        settings: the composer's knobs.
        asked: the question as typed, which decides the kind of answer (default: `question`).
    """
    asked = asked or question
    kind = expected_answer(asked)
    if kind == "number" and asks_money(asked) and any(satisfies("money", c.text, question) for c in candidates):
        kind = "money"  # "how much did it cost": a sum of money, not the first figure ("eight months")
    if kind_is_strict(asked):
        fitting = [c for c in candidates if satisfies(kind, c.text, question)]
    else:  # the kind asked for is likely but not certain ("which official" may be a role): prefer it,
        # and prefer sentences that hold the question's focus noun ("which city *engineer*"); one
        # holding both gets a third bonus, as the likeliest answer
        focus = question_focus(asked)

        def bonus(c: Candidate) -> float:
            fits, named = satisfies(kind, c.text, question), focus in c.terms
            return settings.kind_bonus * (fits + named + (fits and named))

        fitting = sorted(candidates, key=lambda c: c.score + bonus(c), reverse=True)
    if not fitting or fitting[0].score < settings.min_score or fitting[0].semantic < settings.min_semantic:
        return []
    asks_denial = is_denial(asked)
    if asks_denial:
        denials = [c for c in fitting if is_denial(c.text) and c.score >= settings.keep_ratio * fitting[0].score]
        fitting = denials or fitting
    statements: list[Statement] = []
    for candidate in fitting:
        if len(statements) == settings.max_sentences or candidate.score < settings.keep_ratio * fitting[0].score:
            break
        if not _fold_duplicate(candidate, statements, settings):
            lead = _speaker(candidate.text, question) if asks_denial else answer_phrase(kind, candidate.text, question)
            statements.append(Statement(candidate, lead=lead, role="denial" if asks_denial else "answer"))
    if not asks_denial:
        _add_denial(candidates, statements, settings)
    for candidate in candidates:  # the same report in other articles, even when it scored lower
        _fold_duplicate(candidate, statements, settings)
    return statements


def _fold_duplicate(candidate: Candidate, statements: list[Statement], settings: ComposeSettings) -> bool:
    """Attach `candidate` to the statement that says the same; True when it was one."""
    for statement in statements:
        others = [statement.main, *statement.duplicates]
        if any(_same_report(candidate, other, settings) for other in others):
            if candidate.doc_id not in {o.doc_id for o in others}:
                statement.duplicates.append(candidate)
            return True
    return False


def _same_report(a: Candidate, b: Candidate, settings: ComposeSettings) -> bool:
    if (a.doc_id, a.start) == (b.doc_id, b.start):
        return True
    if set(_DIGITS.findall(a.text)) != set(_DIGITS.findall(b.text)):
        return False  # different figures are different reports, however alike the wording
    wa, wb = a.terms, b.terms
    if wa and wb and len(wa & wb) / len(wa | wb) >= settings.duplicate_overlap:
        return True
    return a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= settings.duplicate_cosine


def _add_denial(candidates: list[Candidate], statements: list[Statement], settings: ComposeSettings) -> None:
    """Pair the answer with a denial of it: a denying sentence of the same article that shares the
    question's words, or one from any article that says nearly the same as the answer."""
    if not statements:
        return
    best = statements[0].main
    answer_docs = {s.main.doc_id for s in statements}
    for candidate in candidates:
        if not is_denial(candidate.text) or _fold_duplicate(candidate, statements, settings):
            continue
        close = candidate.vector is not None and float(candidate.vector @ best.vector) >= settings.denial_similarity
        beside = candidate.doc_id in answer_docs and candidate.lexical > 0
        if (close and candidate.semantic >= settings.min_semantic) or beside:
            statements.append(Statement(candidate, lead=_speaker(candidate.text, ""), role="denial"))
            return


def _speaker(sentence: str, question: str) -> str | None:
    names = find_names(sentence, question)
    people = [n for n in names if is_full_name(n)]
    return (people or names or [None])[0]


def write_answer(question: str, statements: list[Statement], articles: dict[str, Article]) -> tuple[str, list[Citation]]:
    """The answer text (a lead line, then one cited line per statement) and its citations.

    `question` is the question as typed: it decides how leads are introduced.
    """
    citations: list[Citation] = []
    lines: list[str] = []
    asks_denial = is_denial(question)
    for n, statement in enumerate(statements, start=1):
        article = articles[statement.main.doc_id]
        start = _speaker_start(article.body, statement.main)
        citations.append(_citation(n, article, start, statement.main.end, statement.main.score,
                                   [articles[d.doc_id] for d in statement.duplicates], statement.duplicates))
        label = _attribution(article)
        if statement.role == "denial" and not asks_denial:
            label = f"Disputed by {label}"
        lines.append(f"{label}: {citations[-1].quote} [{n}]")
    leads = [(s.lead, n) for n, s in enumerate(statements, start=1)
             if s.lead and (s.role == "answer" or asks_denial)]
    if leads:
        head = "; ".join(f"{lead} [{n}]" for lead, n in leads)
        sources = {statements[n - 1].main.doc_id for _, n in leads}
        if expected_answer(question) == "number" and len({lead.lower() for lead, _ in leads}) > 1 and len(sources) > 1:
            head = f"{FIGURES_DIFFER}{head}"
        lines.insert(0, head)
    return "\n".join(lines), citations


FIGURES_DIFFER = "The sources give different figures: "


def _speaker_start(body: str, candidate: Candidate) -> int:
    """Where a quote must start to include the sentence naming its speaker ("…,” he said)."""
    if not speaker_sentence_needed(candidate.text):
        return candidate.start
    window_start = max(0, candidate.start - 600)
    before = [(window_start + s, window_start + e) for s, e in split_sentences(body[window_start:candidate.start])]
    for s, e in reversed(before[-2:]):
        if any(is_full_name(n) for n in find_names(body[s:e])):
            return s
    return candidate.start


def _citation(n: int, article: Article, start: int, end: int, score: float, dup_articles: list[Article],
              duplicates: list[Candidate]) -> Citation:
    reports = tuple(Report(doc_id=a.doc_id, title=a.title, source=a.source, url=a.url, published=a.published,
                           quote=a.body[d.start:d.end], start=d.start, end=d.end)
                    for a, d in zip(dup_articles, duplicates))
    return Citation(n=n, doc_id=article.doc_id, quote=article.body[start:end], start=start, end=end, score=score,
                    title=article.title, source=article.source, url=article.url, published=article.published,
                    also_reported_by=reports)


def _attribution(article: Article) -> str:
    name = article.source or (f"“{article.title}”" if article.title else article.doc_id)
    return f"{name} ({article.published})" if article.published else name


def verify_answer(text: str, citations: list[Citation], articles: dict[str, Article]) -> tuple[str, list[Citation]]:
    """Drop every line that says more than the sources it cites, then renumber the citations.

    A citation counts only when its quote is its article body at [start:end]. A line is kept
    when it is either a quote line ("label: QUOTE [n]") or a lead line ("LEAD [n]; LEAD [m]"
    with each lead inside quote n), and every number in it occurs in its cited quotes or in the
    cited articles' metadata shown beside them.
    """
    by_n = {c.n: c for c in citations if c.doc_id in articles and c.quote
            and articles[c.doc_id].body[c.start:c.end] == c.quote}
    kept_lines = [line for line in text.splitlines() if _line_supported(line, by_n, articles)]
    used = list(dict.fromkeys(int(m) for line in kept_lines for m in _MARKER.findall(line)))
    renumber = {old: new for new, old in enumerate(sorted(used), start=1)}
    text = "\n".join(_MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", line) for line in kept_lines)
    return text, [dataclasses.replace(by_n[old], n=new) for old, new in renumber.items()]


def _line_supported(line: str, by_n: dict[int, Citation], articles: dict[str, Article]) -> bool:
    refs = [int(m) for m in _MARKER.findall(line)]
    if not refs or any(r not in by_n for r in refs):
        return False
    sources = " ".join(by_n[r].quote + " " + _attribution(articles[by_n[r].doc_id]) for r in refs)
    if not all(number in sources for number in _DIGITS.findall(_MARKER.sub(" ", line))):
        return False
    if len(refs) == 1 and line.endswith(f"{by_n[refs[0]].quote} [{refs[0]}]"):
        return True
    head = line.removeprefix(FIGURES_DIFFER)
    pieces = [re.fullmatch(r"(.+) \[(\d+)\]", p.strip()) for p in head.split("; ")]
    return all(m and int(m.group(2)) in by_n and m.group(1) in by_n[int(m.group(2))].quote for m in pieces)


def inverse_document_frequency(df: dict[str, int], n: int) -> Callable[[str], float]:
    """idf(term) from chunk document frequencies; an unseen term gets the highest weight."""

    def idf(term: str) -> float:
        return math.log(1 + (n + 1) / (df.get(term, 0) + 0.5))

    return idf
