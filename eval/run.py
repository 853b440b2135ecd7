"""Run a gold set through the assistant (the same `Assistant.ask` the chat uses) and summarise.

Owns: the per-question result rows, the summary figures, and their table. Does not: score
(see eval.metrics) or load the index itself.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from eval.gold import GoldQuestion
from eval.metrics import (answer_correct, citations_intact, first_relevant_rank, hit_at, mean, percentile,
                          reciprocal_rank)
from qa import Assistant, Turn


@dataclass(frozen=True)
class QuestionResult:
    id: str
    question: str
    answerable: bool
    abstained: bool
    correct: bool
    rank: int | None
    citations_ok: bool
    latency_ms: float
    answer: str


def run_gold(assistant: Assistant, questions: list[GoldQuestion], *, k: int = 8) -> list[QuestionResult]:
    """Ask every gold question once and score it."""
    bodies = {doc_id: a.body for doc_id, a in assistant.index.articles.items()}
    results = []
    for q in questions:
        turns: list[Turn] = []
        for earlier in q.history:
            previous = assistant.ask(earlier, k=k, history=turns)
            turns.append(Turn(previous.understood_as or previous.question, previous))
        answer = assistant.ask(q.question, k=k, history=turns)
        row = answer.to_json()
        ranked = [p.chunk.doc_id for p in answer.retrieved]
        results.append(QuestionResult(
            id=q.id, question=q.question, answerable=q.answerable, abstained=answer.abstained,
            correct=answer_correct(answer.text, answer.abstained, q.answers, q.answerable),
            rank=first_relevant_rank(ranked, q.gold_docs) if q.answerable else None,
            citations_ok=citations_intact(answer.text, row["citations"], bodies),
            latency_ms=answer.timings_ms["total"], answer=answer.text))
    return results


def summarise(results: list[QuestionResult]) -> dict[str, float | int]:
    """The headline figures of a gold run."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    latencies = [r.latency_ms for r in results]
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "hit@5": mean([hit_at(r.rank, 5) for r in answerable]),
        "mrr": mean([reciprocal_rank(r.rank) for r in answerable]),
        "answer_accuracy": mean([float(r.correct) for r in answerable]),
        "abstention_accuracy": mean([float(r.abstained == (not r.answerable)) for r in results]),
        "correct_abstentions": mean([float(r.abstained) for r in unanswerable]),
        "false_abstentions": mean([float(r.abstained) for r in answerable]),
        "overall_accuracy": mean([float(r.correct) for r in results]),
        "citation_integrity": mean([float(r.citations_ok) for r in results]),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def format_table(results: list[QuestionResult], summary: dict) -> str:
    """Per-question rows, then the summary, as a plain-text table."""
    lines = [f"{'id':<6} {'ok':<3} {'abst':<5} {'rank':>4} {'cite':<4} {'ms':>7}  question", "-" * 78]
    for r in results:
        lines.append(f"{r.id:<6} {'yes' if r.correct else 'NO':<3} {'yes' if r.abstained else 'no':<5} "
                     f"{r.rank if r.rank else '-':>4} {'ok' if r.citations_ok else 'BAD':<4} {r.latency_ms:>7.1f}  "
                     f"{r.question[:48]}{'…' if len(r.question) > 48 else ''}")
    lines += ["-" * 78, "summary"]
    for key, value in summary.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        lines.append(f"  {key:<22} {shown}")
    return "\n".join(lines)


def results_json(results: list[QuestionResult], summary: dict) -> dict:
    return {"summary": summary, "questions": [asdict(r) for r in results]}
