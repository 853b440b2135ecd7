"""Rules of qa.reader checked on hand-made score rows (the reading tests run the whole pipeline;
here one rule's logic alone, where a sentence pair that triggers it is hard to write)."""
from __future__ import annotations

from types import SimpleNamespace

from qa.question import Question
from qa.reader import _answer_elsewhere, _quoted_already
from qa.scoring import ReadSettings
from qa.spans import Span
from qa.writing import Statement


def word(text: str) -> SimpleNamespace:
    return SimpleNamespace(text=text, lemma=text.lower())


def row(score: float, predicate: float, words: list[str] | None = None, span_at: int | None = None):
    article = SimpleNamespace(words=[word(w) for w in (words or [])])
    span = None if span_at is None else Span(0, 1, words[span_at], 0.9, span_at, span_at)
    return SimpleNamespace(score=score, predicate=predicate, span=span, article=article)


QUESTION = Question(text="Which company is buying the network?", kind="organisation", head="company", unit=None,
                    report_verb=None, asks_denial=False, terms=(), predicates=("buy",), head_words=("company",))
TYPED = ["services", "for", "Commonwealth", "and", "the", "network"]


def test_a_weaker_typed_sentence_without_the_asked_relation_is_a_near_miss():
    best = row(0.84, 1.0)
    assert _answer_elsewhere(QUESTION, row(0.65, 0.0, TYPED, 2), best, ReadSettings())


def test_the_typed_sentence_is_kept_when_it_has_the_relation_is_close_or_is_the_best():
    best = row(0.84, 1.0)
    assert not _answer_elsewhere(QUESTION, row(0.65, 1.0, TYPED, 2), best, ReadSettings())
    # within elsewhere_ratio of the best (the default, 1.0 on tune, keeps only the best itself)
    assert not _answer_elsewhere(QUESTION, row(0.80, 0.0, TYPED, 2), best, ReadSettings(elsewhere_ratio=0.9))
    assert _answer_elsewhere(QUESTION, row(0.80, 0.0, TYPED, 2), best, ReadSettings())
    typed = row(0.84, 0.0, TYPED, 2)
    assert not _answer_elsewhere(QUESTION, typed, typed, ReadSettings())


def test_a_span_named_by_the_questions_own_noun_is_kept():
    best = row(0.84, 1.0)
    named = row(0.65, 0.0, ["the", "company", "Brookfield", "said"], 2)
    assert not _answer_elsewhere(QUESTION, named, best, ReadSettings())


def sentence_row(doc_id: str, start: int, end: int):
    return SimpleNamespace(sentence=SimpleNamespace(doc_id=doc_id, start=start, end=end), article=None)


def test_a_sentence_inside_an_earlier_quote_is_not_quoted_again():
    # "Butler told ABC he believes the claims. 'I have read many,' he said.": the second
    # sentence's quote starts at the first, where its speaker is named
    chosen = [Statement(sentence_row("a", 60, 120), speaker_from=0)]
    assert _quoted_already(sentence_row("a", 0, 59), chosen)
    assert not _quoted_already(sentence_row("a", 121, 180), chosen)  # after the quote
    assert not _quoted_already(sentence_row("b", 0, 59), chosen)  # the same offsets in another article
    assert not _quoted_already(sentence_row("a", 0, 59), [Statement(sentence_row("a", 60, 120))])
