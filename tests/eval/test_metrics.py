"""The gold-set metrics against values worked out by hand."""
from __future__ import annotations

import json

import pytest

from eval.gold import load_gold
from eval.metrics import (abstentions_of_kind, answer_correct, citations_intact, contains_answer, first_line,
                          first_line_correct, first_relevant_rank, hit_at, percentile, reciprocal_rank)
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


def result(qid: str, answerable: bool, abstained: bool, correct: bool, rank: int | None, latency: float, *,
           first_line_ok: bool | None = None, set_name: str = "s", split: str = "test",
           kind: str | None = None) -> QuestionResult:
    """A scored question without running anything; first-line right whenever the whole answer is, unless told."""
    return QuestionResult(qid, "?", answerable, abstained, correct, rank, True, latency, "",
                          correct if first_line_ok is None else first_line_ok, set_name, split, kind)


def test_first_line_is_the_text_before_the_first_newline():
    assert first_line("One [1].\nTwo [2].") == "One [1]."
    assert first_line("No newline") == "No newline" and first_line("") == ""


def test_first_line_correct_looks_only_at_the_first_line():
    text = "The UN said so [1].\nAsim Umar died in Musa Qala [2]."
    assert answer_correct(text, False, ["Umar"], True)
    assert not first_line_correct(text, False, ["Umar"], True)
    assert first_line_correct(text, False, ["UN"], True)
    assert not first_line_correct("Umar", True, ["Umar"], True)                 # abstained
    assert first_line_correct("The articles don't say.", True, [], False)        # unanswerable: abstaining is right


def test_abstentions_of_kind_picks_the_type_or_falls_back_to_every_unanswerable():
    typed = [(False, "unanswerable_nearmiss", True), (False, "unanswerable_nearmiss", False),
             (False, "unanswerable_offtopic", True), (True, "factoid", True)]
    assert abstentions_of_kind(typed, "unanswerable_nearmiss") == [True, False]
    assert abstentions_of_kind(typed, "unanswerable_offtopic") == [True]
    untyped = [(False, None, True), (False, None, False), (True, None, True)]
    assert abstentions_of_kind(untyped, "unanswerable_nearmiss") == [True, False]   # no types: every unanswerable
    assert abstentions_of_kind(untyped, "unanswerable_offtopic") == [True, False]


def test_summary_figures_by_hand():
    rows = [
        result("a", True, False, True, 1, 10.0),
        result("b", True, False, False, 4, 20.0),
        result("c", True, True, False, None, 30.0),
        result("d", False, True, True, None, 40.0),
    ]
    s = summarise(rows)
    assert s["hit@5"] == pytest.approx(2 / 3)
    assert s["mrr"] == pytest.approx((1 + 0.25 + 0) / 3)
    assert s["answer_accuracy"] == pytest.approx(1 / 3)
    assert s["abstention_accuracy"] == pytest.approx(3 / 4)   # c abstained wrongly
    assert s["correct_abstentions"] == 1.0 and s["false_abstentions"] == pytest.approx(1 / 3)
    assert s["latency_p50_ms"] == 25.0
    assert s["first_line_accuracy"] == pytest.approx(1 / 3)
    assert s["nearmiss_abstention"] == 1.0 and s["offtopic_abstention"] == 1.0   # untyped set: d counts for both


def test_first_line_accuracy_and_abstention_kinds_pooled_across_sets_by_hand():
    rows = [
        result("a", True, False, True, 1, 1.0, first_line_ok=False, set_name="lee", kind="factoid"),
        result("b", True, False, True, 1, 1.0, set_name="lee", kind="factoid"),
        result("n1", False, True, True, None, 1.0, set_name="lee", kind="unanswerable_nearmiss"),
        result("n2", False, False, False, None, 1.0, set_name="lee", kind="unanswerable_nearmiss"),
        result("o1", False, False, False, None, 1.0, set_name="lee", kind="unanswerable_offtopic"),
        result("d1", False, True, True, None, 1.0, set_name="dev"),      # dev has no types
    ]
    s = summarise(rows)
    assert s["answer_accuracy"] == 1.0 and s["first_line_accuracy"] == 0.5
    assert s["nearmiss_abstention"] == pytest.approx(2 / 3)   # n1 yes, n2 no, d1 yes
    assert s["offtopic_abstention"] == pytest.approx(1 / 2)   # o1 no, d1 yes
    assert s["false_abstentions"] == 0.0


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


def test_load_gold_reads_split_and_type_and_names_a_bad_split(tmp_path):
    path = tmp_path / "gold.jsonl"
    lines = [{"id": "a", "question": "Who?", "answers": ["X"], "type": "factoid", "split": "tune"},
             {"id": "b", "question": "Why?", "answerable": False, "type": "unanswerable_offtopic", "split": "test"},
             {"id": "c", "question": "When?", "answers": ["Y"]}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    gold = load_gold(path)
    assert [(q.split, q.type) for q in gold] == [("tune", "factoid"), ("test", "unanswerable_offtopic"), ("unsplit", None)]
    path.write_text(json.dumps(lines[0]) + "\n" + json.dumps(dict(lines[1], split="dev")) + "\n")
    with pytest.raises(QAError, match=r"gold.jsonl:2 .*split 'dev' is not one of \['tune', 'test'\]"):
        load_gold(path)
    path.write_text(json.dumps(dict(lines[0], type="unanswerable_nearmiss")) + "\n")
    with pytest.raises(QAError, match="gold.jsonl:1 .*for unanswerable questions"):
        load_gold(path)


@pytest.mark.parametrize("module", ["eval.metrics", "eval.gold", "eval.report", "eval.lee"])
def test_docstring_examples_hold(module):
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(module))
    assert tried and not failures


def test_the_shipped_dev_set_is_valid_and_large_enough():
    gold = load_gold()
    assert len(gold) >= 25
    assert sum(not q.answerable for q in gold) >= 3
    assert any(q.question.lower() == "who denied al-qaeda's presence?" for q in gold)
    assert all(q.gold_docs and q.answers for q in gold if q.answerable)
