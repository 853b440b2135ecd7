"""Scoring functions for the gold question sets: pure, small, checked against hand-worked values.

Owns: what counts as a correct answer (whole or in its first line), a retrieval hit, a
reciprocal rank, an intact citation, which abstentions count for a kind of unanswerable question,
and a percentile. Does not: run the assistant, group results, or print.
"""
from __future__ import annotations

import math
import re
from typing import Iterable, Sequence


def contains_answer(text: str, expected: str) -> bool:
    """Whether `text` holds `expected` (case-insensitive, whole words); `a|b` accepts either.

    >>> contains_answer("Asim Umar was killed", "Umar|Omar"), contains_answer("Umarov", "Umar")
    (True, False)
    """
    return any(re.search(r"(?<!\w)" + re.escape(alt.strip()) + r"(?!\w)", text, re.I)
               for alt in expected.split("|") if alt.strip())


def answer_correct(text: str, abstained: bool, expected: Sequence[str], answerable: bool) -> bool:
    """Right when an answerable question gets every expected item and no abstention, or an
    unanswerable one gets an abstention."""
    if not answerable:
        return abstained
    return not abstained and all(contains_answer(text, item) for item in expected)


def first_line(text: str) -> str:
    r"""The answer's first line: its text up to the first newline.

    >>> first_line("Umar was killed [1].\nAlso reported by ...")
    'Umar was killed [1].'
    """
    return text.split("\n", 1)[0]


def first_line_correct(text: str, abstained: bool, expected: Sequence[str], answerable: bool) -> bool:
    r"""`answer_correct` judged on the first line alone, where a reader looks first.

    >>> first_line_correct("It was said.\nUmar was killed.", False, ["Umar"], True)
    False
    """
    return answer_correct(first_line(text), abstained, expected, answerable)


def abstentions_of_kind(questions: Sequence[tuple[bool, str | None, bool]], kind: str) -> list[bool]:
    """Whether each unanswerable question of type `kind` abstained, from one gold set's
    (answerable, type, abstained) triples; a set that types no question counts every unanswerable one.

    >>> rows = [(False, "unanswerable_nearmiss", True), (False, "unanswerable_offtopic", False), (True, None, True)]
    >>> abstentions_of_kind(rows, "unanswerable_nearmiss"), abstentions_of_kind([(False, None, False)], "x")
    ([True], [False])
    """
    typed = any(kind_ is not None for _, kind_, _ in questions)
    return [abstained for answerable, kind_, abstained in questions
            if not answerable and (kind_ == kind or not typed)]


def first_relevant_rank(ranked_doc_ids: Sequence[str], gold_docs: Iterable[str]) -> int | None:
    """1-based rank of the first passage from a gold document, or None."""
    gold = set(gold_docs)
    return next((i for i, doc_id in enumerate(ranked_doc_ids, start=1) if doc_id in gold), None)


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def citations_intact(answer_text: str, citations: Sequence[dict], bodies: dict[str, str]) -> bool:
    """Every `[n]` marker has a citation, and every quote is its article body at [start:end]."""
    numbers = {c["n"] for c in citations}
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer_text)}
    if not markers <= numbers:
        return False
    return all(c["doc_id"] in bodies and bodies[c["doc_id"]][c["start"]:c["end"]] == c["quote"] and c["quote"]
               for c in citations)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation, as numpy's default.

    >>> percentile([1, 2, 3, 4], 50), percentile([1, 2, 3, 4], 95)
    (2.5, 3.85)
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 10)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def ndcg_at(ranked_ids: Sequence[str], relevance: dict[str, int], k: int) -> float:
    """nDCG@k as BEIR computes it: gain = relevance grade, discount log2(rank + 1).

    >>> round(ndcg_at(["x", "a"], {"a": 1}, 10), 4)   # 1/log2(3) over the ideal 1/log2(2)
    0.6309
    """
    dcg = sum(relevance.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked_ids[:k]))
    ideal = sorted(relevance.values(), reverse=True)[:k]
    idcg = sum(grade / math.log2(rank + 2) for rank, grade in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked_ids: Sequence[str], relevance: dict[str, int], k: int) -> float:
    """Share of the relevant documents found in the top k."""
    relevant = {doc for doc, grade in relevance.items() if grade > 0}
    return len(relevant & set(ranked_ids[:k])) / len(relevant) if relevant else 0.0
