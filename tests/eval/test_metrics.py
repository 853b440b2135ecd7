"""The gold-set metrics against values worked out by hand."""
from __future__ import annotations

import json

import pytest

from eval.gold import load_gold
from eval.metrics import (answer_correct, citations_intact, contains_answer, first_relevant_rank, hit_at, percentile,
                          reciprocal_rank)
from eval.run import QuestionResult, summarise
from index import QAError


@pytest.mark.parametrize("text, expected, want", [
    ("Asim Umar was killed", "Asim Umar|Umar", True),
    ("ASIM UMAR was killed", "asim umar", True),
    ("Umarov was killed", "Umar", False),           # whole words only
    ("in Musa Qala district", "Musa Qala", True),
    ("200 to 500 fighters", "200 to 500", True),
    ("the Taliban's denial", "Taliban", True),
    ("nothing here", "a|b|", False),
])
def test_contains_answer(text, expected, want):
    assert contains_answer(text, expected) is want


def test_answer_correct_needs_every_item_and_no_abstention():
    assert answer_correct("Asim Umar died in Musa Qala", False, ["Umar", "Musa Qala"], True)
    assert not answer_correct("Asim Umar died", False, ["Umar", "Musa Qala"], True)
    assert not answer_correct("Asim Umar died in Musa Qala", True, ["Umar"], True)
    assert answer_correct("The articles do not answer this.", True, [], False)
    assert not answer_correct("Something", False, [], False)


def test_ranks_hits_and_reciprocal_ranks():
    ranked = ["b", "c", "a", "a"]
    assert first_relevant_rank(ranked, ["a"]) == 3
    assert first_relevant_rank(ranked, ["z"]) is None
    assert hit_at(3, 5) == 1.0 and hit_at(6, 5) == 0.0 and hit_at(None, 5) == 0.0
    assert reciprocal_rank(4) == 0.25 and reciprocal_rank(None) == 0.0


def test_percentile_matches_linear_interpolation():
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 50) == 30.0
    assert percentile(values, 95) == pytest.approx(48.0)   # 40 + 0.8 * 10
    assert percentile([7.0], 95) == 7.0


def test_citations_intact_checks_markers_and_offsets():
    bodies = {"d": "Alpha beta. Gamma delta."}
    good = [{"n": 1, "doc_id": "d", "quote": "Gamma delta.", "start": 12, "end": 24}]
    assert citations_intact("Gamma delta. [1]", good, bodies)
    assert not citations_intact("Gamma delta. [2]", good, bodies)                       # unresolved marker
    shifted = [dict(good[0], start=11, end=23)]
    assert not citations_intact("x [1]", shifted, bodies)                               # wrong offsets
    assert not citations_intact("x [1]", [dict(good[0], doc_id="other")], bodies)       # unknown article


def test_summary_figures_by_hand():
    rows = [
        QuestionResult("a", "?", True, False, True, 1, True, 10.0, ""),
        QuestionResult("b", "?", True, False, False, 4, True, 20.0, ""),
        QuestionResult("c", "?", True, True, False, None, True, 30.0, ""),
        QuestionResult("d", "?", False, True, True, None, True, 40.0, ""),
    ]
    s = summarise(rows)
    assert s["hit@5"] == pytest.approx(2 / 3)
    assert s["mrr"] == pytest.approx((1 + 0.25 + 0) / 3)
    assert s["answer_accuracy"] == pytest.approx(1 / 3)
    assert s["abstention_accuracy"] == pytest.approx(3 / 4)   # c abstained wrongly
    assert s["correct_abstentions"] == 1.0 and s["false_abstentions"] == pytest.approx(1 / 3)
    assert s["latency_p50_ms"] == 25.0


def test_load_gold_reads_the_contract_format_and_names_bad_lines(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "q1", "question": "Who?", "answers": ["X|Y"], "gold_docs": ["d"],
                                "answerable": True}) + "\n\n" +
                    json.dumps({"id": "q2", "question": "Why?", "answerable": False}) + "\n")
    gold = load_gold(path)
    assert [q.id for q in gold] == ["q1", "q2"] and gold[1].answerable is False and gold[1].answers == ()
    path.write_text('{"id": "q1"}\n')
    with pytest.raises(QAError, match="gold.jsonl:1"):
        load_gold(path)
    with pytest.raises(QAError, match="not found"):
        load_gold(tmp_path / "missing.jsonl")


def test_the_shipped_dev_set_is_valid_and_large_enough():
    gold = load_gold()
    assert len(gold) >= 25
    assert sum(not q.answerable for q in gold) >= 3
    assert any(q.question.lower() == "who denied al-qaeda's presence?" for q in gold)
    assert all(q.gold_docs and q.answers for q in gold if q.answerable)
