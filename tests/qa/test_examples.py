"""Example questions come from the index's own newest headlines, never from a fixed list."""
from __future__ import annotations

import pytest

from index import Article
from index.annotate import load_pipeline
from qa.examples import example_questions


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


def _article(doc_id: str, title: str | None, body: str, published: str | None = None) -> Article:
    return Article(doc_id=doc_id, body=body, title=title, published=published)


def test_examples_ask_about_the_newest_headlines_subjects(nlp):
    articles = [
        _article("old", "Ferry operator confirms job cuts", "The ferry operator said 120 jobs go.", "2020-01-01"),
        _article("new", "Mining company denies polluting river", "The mining company denied it.", "2023-08-19"),
        _article("untitled", None, "No headline here.", "2024-01-01"),
    ]
    questions = example_questions(articles, nlp, limit=2)
    assert len(questions) == 2
    assert "mining company" in questions[0]            # newest first, headline capital dropped
    assert "ferry operator" in questions[1]
    assert all(q.endswith("?") for q in questions)


def test_a_proper_noun_keeps_its_capital_and_duplicates_are_folded(nlp):
    articles = [_article("a", "Labor wins state election", "Labor won 50 seats.", "2021-01-02"),
                _article("b", "Labor wins state election", "Labor won 50 seats.", "2021-01-01")]
    assert example_questions(articles, nlp) == ["What happened with Labor?"]


def test_no_titled_articles_gives_no_examples(nlp):
    assert example_questions([_article("a", None, "Body.")], nlp) == []
