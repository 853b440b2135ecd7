"""eval --llm: the generated figures beside the extractive ones equal hand-computed values."""
from __future__ import annotations

from eval.report import format_generated
from eval.run import GeneratedResult, QuestionResult, generated_summary


def result(qid: str, *, answerable: bool, correct: bool, gen_correct: bool, mode: str, sentences: int, removed: int,
           ttft: float, checked: float) -> QuestionResult:
    generated = GeneratedResult(mode=mode, correct=gen_correct, first_line_ok=gen_correct, abstained=not answerable,
                                citations_ok=True, sentences=sentences, removed=removed, first_token_ms=ttft,
                                checked_ms=checked)
    return QuestionResult(id=qid, question="?", answerable=answerable, abstained=not answerable, correct=correct,
                          rank=1, citations_ok=True, latency_ms=50.0, answer="", first_line_ok=correct, set="seeds",
                          split="test", type=None, generated=generated)


def test_generated_summary_counts_removed_sentences_and_times():
    rows = [result("a", answerable=True, correct=True, gen_correct=False, mode="extractive", sentences=3, removed=3,
                   ttft=100, checked=1000),
            result("b", answerable=True, correct=False, gen_correct=True, mode="generated", sentences=2, removed=1,
                   ttft=300, checked=3000),
            result("c", answerable=False, correct=True, gen_correct=True, mode="extractive", sentences=0, removed=0,
                   ttft=200, checked=2000)]
    g = generated_summary(rows)
    assert (g["answer_extractive"], g["answer_generated"]) == (0.5, 0.5)
    assert g["removed_share"] == 4 / 5 and g["shown_generated"] == 1 / 3
    assert (g["abstained_extractive"], g["abstained_generated"]) == (1.0, 1.0)
    assert g["first_token_p50_ms"] == 200 and g["checked_p50_ms"] == 2000
    lines = format_generated(rows)
    assert lines[0].startswith("generated mode beside extractive") and lines[2].startswith("seeds    test")
    assert lines[3].startswith("all      test")
