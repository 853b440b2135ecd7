"""Run gold sets through the assistant (the same `Assistant.ask` the chat uses) and summarise.

Owns: the per-question result rows, opening one assistant per corpus (the model loaded once and
shared), and the summary figures per (set, split) and per type. Does not: score (see
eval.metrics), know where the sets live (see eval.sets), or format (see eval.report).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from eval.gold import SPLITS, UNSPLIT, GoldQuestion
from eval.lee import LeeUnavailable
from eval.metrics import (abstentions_of_kind, answer_correct, citations_intact, first_line_correct,
                          first_relevant_rank, hit_at, mean, percentile, reciprocal_rank)
from eval.sets import Corpus, GoldSet, corpus_index_dir, load_set, missing_note
from index import Embedder
from qa import Answer, Assistant, LLMSettings, Turn

SPLIT_CHOICES = (*SPLITS, UNSPLIT)
NEARMISS, OFFTOPIC = "unanswerable_nearmiss", "unanswerable_offtopic"


@dataclass(frozen=True)
class QuestionResult:
    """One gold question as asked and scored, with the set, split and type it came from."""

    id: str
    question: str
    answerable: bool
    abstained: bool
    correct: bool
    rank: int | None
    citations_ok: bool
    latency_ms: float
    answer: str
    first_line_ok: bool  # every expected item in the answer's first line (unanswerable: abstained)
    set: str
    split: str
    type: str | None
    generated: GeneratedResult | None = None  # with --llm: the answer shown in generated mode


@dataclass(frozen=True)
class GeneratedResult:
    """A question answered in generated mode (`--llm`), scored as the extractive answer is."""

    mode: str  # "generated", or "extractive" where the check removed everything or the server failed
    correct: bool
    first_line_ok: bool
    abstained: bool
    citations_ok: bool
    sentences: int  # sentences the model wrote
    removed: int    # of them, removed by the check
    first_token_ms: float
    checked_ms: float
    note: str | None = None


@dataclass(frozen=True)
class SuiteRun:
    """What a run of several sets produced: the rows, the sets run, and why others were skipped."""

    results: tuple[QuestionResult, ...]
    sets: tuple[str, ...]                                               # every set asked for, in order
    skipped: dict[str, str] = field(default_factory=dict)               # set name -> why
    splits_of: dict[str, dict[str, int]] = field(default_factory=dict)  # set name -> {split: questions in its file}


def run_gold(assistant: Assistant, questions: Sequence[GoldQuestion], *, k: int = 8,
             set_name: str = "", llm: LLMSettings | None = None) -> list[QuestionResult]:
    """Ask every gold question once (a follow-up after its earlier questions, in one conversation) and score it.

    With `llm`, the last question is answered in generated mode too: the extractive answer it
    starts from is scored as without, and the generated one beside it.
    """
    bodies = {doc_id: a.body for doc_id, a in assistant.index.articles.items()}
    results = []
    for q in questions:
        turns: list[Turn] = []
        for earlier in q.history:
            previous = assistant.ask(earlier, k=k, history=turns)
            turns.append(Turn(previous.understood_as or previous.question, previous))
        shown = assistant.ask(q.question, k=k, history=turns, llm=llm)
        answer = shown.extractive or shown
        ranked = [p.chunk.doc_id for p in answer.retrieved]
        results.append(QuestionResult(
            id=q.id, question=q.question, answerable=q.answerable, abstained=answer.abstained,
            correct=answer_correct(answer.text, answer.abstained, q.answers, q.answerable),
            rank=first_relevant_rank(ranked, q.gold_docs) if q.answerable else None,
            citations_ok=citations_intact(answer.text, answer.to_json()["citations"], bodies),
            latency_ms=answer.timings_ms["total"], answer=answer.text,
            first_line_ok=first_line_correct(answer.text, answer.abstained, q.answers, q.answerable),
            set=set_name, split=q.split, type=q.type,
            generated=score_generated(shown, q, bodies) if llm is not None else None))
    return results


def score_generated(shown: Answer, q: GoldQuestion, bodies: dict[str, str]) -> GeneratedResult:
    """The generated-mode answer of a gold question, scored; its sentence counts and times."""
    timings = shown.timings_ms
    return GeneratedResult(
        mode=shown.mode, correct=answer_correct(shown.text, shown.abstained, q.answers, q.answerable),
        first_line_ok=first_line_correct(shown.text, shown.abstained, q.answers, q.answerable),
        abstained=shown.abstained, citations_ok=citations_intact(shown.text, shown.to_json()["citations"], bodies),
        sentences=len(shown.supported or []), removed=shown.removed or 0,
        first_token_ms=timings.get("first_token", float("nan")), checked_ms=timings.get("total", float("nan")),
        note=shown.note)


@dataclass(frozen=True)
class SetPlan:
    """A set whose file was read, and the questions of it to ask."""

    gold_set: GoldSet
    questions: tuple[GoldQuestion, ...]  # those of the chosen split, in file order
    splits: dict[str, int]               # questions per split in the whole file


def plan_sets(gold_sets: Sequence[GoldSet], *, split: str | None = None) -> tuple[list[SetPlan], dict[str, str]]:
    """Read each set and keep `split`'s questions (all when None); returns the plans and {skipped set: why}.

    Raises:
        QAError: a required set's file is missing, or a line of any set is invalid.
    """
    plans, skipped = [], {}
    for gold_set in gold_sets:
        questions = load_set(gold_set)
        if questions is None:
            skipped[gold_set.name] = missing_note(gold_set)
            continue
        chosen = tuple(q for q in questions if split is None or q.split == split)
        plans.append(SetPlan(gold_set, chosen, count_splits(questions)))
    return plans, skipped


def run_sets(gold_sets: Sequence[GoldSet], *, index_dir: Path | None = None, k: int = 8, split: str | None = None,
             embedder: Embedder | None = None, progress: bool = True, llm: LLMSettings | None = None) -> SuiteRun:
    """Run the sets' questions (only `split`'s when given), one warmed-up assistant per corpus.

    A corpus none of whose chosen questions remain is not opened. The model is loaded once (or
    `embedder` is used) and shared by every corpus's assistant.

    Raises:
        QAError: a required set's file is missing or invalid, or an index cannot be loaded.
    """
    plans, skipped = plan_sets(gold_sets, split=split)
    by_corpus: dict[Corpus, list[SetPlan]] = {}
    for plan in plans:
        if plan.questions:
            by_corpus.setdefault(plan.gold_set.corpus, []).append(plan)
    results: list[QuestionResult] = []
    for corpus, work in by_corpus.items():
        try:
            assistant = Assistant(corpus_index_dir(corpus, index_dir=index_dir, embedder=embedder, progress=progress),
                                  embedder=embedder)
        except LeeUnavailable as e:
            skipped.update({plan.gold_set.name: f"skipped: {e}" for plan in work})
            continue
        embedder = assistant.embedder
        assistant.ask("warm-up question", k=k)  # first call pays one-off costs; keep it out of the latencies
        for plan in work:
            results += run_gold(assistant, plan.questions, k=k, set_name=plan.gold_set.name, llm=llm)
    return SuiteRun(tuple(results), tuple(s.name for s in gold_sets), skipped,
                    {plan.gold_set.name: plan.splits for plan in plans})


def count_splits(questions: Iterable[GoldQuestion]) -> dict[str, int]:
    """Questions per split, in SPLIT_CHOICES order."""
    splits = [q.split for q in questions]
    return {s: splits.count(s) for s in SPLIT_CHOICES if s in splits}


def summarise(results: Sequence[QuestionResult]) -> dict[str, float | int]:
    """The headline figures of a group of results (one set and split, or several sets together).

    The near-miss and off-topic abstention shares are pooled set by set, so a set without types
    counts all its unanswerable questions in both.
    """
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
        "first_line_accuracy": mean([float(r.first_line_ok) for r in answerable]),
        "abstention_accuracy": mean([float(r.abstained == (not r.answerable)) for r in results]),
        "correct_abstentions": mean([float(r.abstained) for r in unanswerable]),
        "nearmiss_abstention": mean([float(a) for a in pooled_abstentions(results, NEARMISS)]),
        "offtopic_abstention": mean([float(a) for a in pooled_abstentions(results, OFFTOPIC)]),
        "false_abstentions": mean([float(r.abstained) for r in answerable]),
        "overall_accuracy": mean([float(r.correct) for r in results]),
        "citation_integrity": mean([float(r.citations_ok) for r in results]),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def pooled_abstentions(results: Sequence[QuestionResult], kind: str) -> list[bool]:
    """`abstentions_of_kind` of each set's results, joined."""
    by_set: dict[str, list[QuestionResult]] = {}
    for r in results:
        by_set.setdefault(r.set, []).append(r)
    return [a for rows in by_set.values() for a in abstentions_of_kind([(r.answerable, r.type, r.abstained)
                                                                        for r in rows], kind)]


def present_splits(results: Iterable[QuestionResult]) -> list[str]:
    """The splits that occur, in SPLIT_CHOICES order."""
    found = {r.split for r in results}
    return [s for s in SPLIT_CHOICES if s in found]


def summary_rows(run: SuiteRun, *, split: str | None = None) -> list[dict]:
    """One row per (set, split) and an `all` row per split, split by split.

    With `split` given, every set asked for has a row for it, even when skipped or empty there
    (`note` says why), so the table always names each set. Without, a set that gave no results
    has one row first, its split "-".
    """
    rows = []
    if split is None:
        rows += [{"set": name, "split": "-", "questions": 0, "note": empty_note(run, name, "-")}
                 for name in run.sets if not any(r.set == name for r in run.results)]
    for s in [split] if split else present_splits(run.results):
        for name in run.sets:
            group = [r for r in run.results if r.set == name and r.split == s]
            if group:
                rows.append({"set": name, "split": s, **summarise(group)})
            elif split:
                rows.append({"set": name, "split": s, "questions": 0, "note": empty_note(run, name, s)})
        group = [r for r in run.results if r.split == s]
        rows.append({"set": "all", "split": s, **summarise(group)} if group
                    else {"set": "all", "split": s, "questions": 0, "note": f"no {s} questions in any set"})
    return rows


def empty_note(run: SuiteRun, name: str, split: str) -> str:
    """Why a set has no results in a split: skipped, or what splits its file has instead."""
    if name in run.skipped:
        return run.skipped[name]
    has = ", ".join(f"{s} {n}" for s, n in run.splits_of.get(name, {}).items())
    return f"no {split} questions; the set has {has}" if has else "the set has no questions"


def type_rows(results: Sequence[QuestionResult]) -> list[dict]:
    """n and accuracy (right answer, or abstention where unanswerable) per (set, type, split)."""
    groups: dict[tuple[str, str, str], list[QuestionResult]] = {}
    for r in results:
        groups.setdefault((r.set, r.type or "-", r.split), []).append(r)
    set_order = {name: i for i, name in enumerate(dict.fromkeys(r.set for r in results))}
    split_order = {s: i for i, s in enumerate(SPLIT_CHOICES)}
    ordered = sorted(groups.items(), key=lambda g: (set_order[g[0][0]], split_order[g[0][2]]))  # types as first met
    return [{"set": name, "type": kind, "split": s, "questions": len(rows),
             "accuracy": mean([float(r.correct) for r in rows])} for (name, kind, s), rows in ordered]



def generated_summary(results: Sequence[QuestionResult]) -> dict[str, float | int]:
    """Extractive and generated figures side by side for results run with --llm."""
    rows = [r for r in results if r.generated is not None]
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    written = sum(r.generated.sentences for r in rows)
    return {
        "questions": len(rows),
        "answer_extractive": mean([float(r.correct) for r in answerable]),
        "answer_generated": mean([float(r.generated.correct) for r in answerable]),
        "first_line_extractive": mean([float(r.first_line_ok) for r in answerable]),
        "first_line_generated": mean([float(r.generated.first_line_ok) for r in answerable]),
        "abstained_extractive": mean([float(r.abstained) for r in unanswerable]),
        "abstained_generated": mean([float(r.generated.abstained) for r in unanswerable]),
        "false_abst_extractive": mean([float(r.abstained) for r in answerable]),
        "false_abst_generated": mean([float(r.generated.abstained) for r in answerable]),
        "citations_extractive": mean([float(r.citations_ok) for r in rows]),
        "citations_generated": mean([float(r.generated.citations_ok) for r in rows]),
        "shown_generated": mean([float(r.generated.mode == "generated") for r in rows]),
        "sentences_written": written,
        "removed_share": (sum(r.generated.removed for r in rows) / written) if written else float("nan"),
        "first_token_p50_ms": percentile([r.generated.first_token_ms for r in rows], 50),
        "first_token_p95_ms": percentile([r.generated.first_token_ms for r in rows], 95),
        "checked_p50_ms": percentile([r.generated.checked_ms for r in rows], 50),
        "checked_p95_ms": percentile([r.generated.checked_ms for r in rows], 95),
    }
