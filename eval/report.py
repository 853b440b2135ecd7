"""The text and JSON that `python -m eval` prints for a run of gold sets.

Owns: the per-question rows, the per-type table, and the summary table, which always comes last
and stays short (an automated check reads only the last 8 lines of `--split test`). Does not:
run or score anything.
"""
from __future__ import annotations

import math
from dataclasses import asdict

from eval.run import QuestionResult, SuiteRun, generated_summary, summarise, summary_rows, type_rows

SUMMARY_COLUMNS = (  # (header, summary key): every figure is a share from 0 to 1
    ("answer", "answer_accuracy"), ("first-line", "first_line_accuracy"), ("near-miss", "nearmiss_abstention"),
    ("off-topic", "offtopic_abstention"), ("false-abst", "false_abstentions"), ("citations", "citation_integrity"),
    ("hit@5", "hit@5"),
)


def share(value: float | int | None, width: int) -> str:
    """A figure right-aligned to `width`, `-` where there is none.

    >>> share(0.5, 6), share(float("nan"), 6)
    (' 0.500', '     -')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{'-':>{width}}"
    return f"{value:>{width}.3f}"


def column_width(header: str) -> int:
    return max(len(header), 6)


def yes_no(flag: bool) -> str:
    return "yes" if flag else "NO"


def format_questions(results: list[QuestionResult]) -> list[str]:
    """One line per question: set, split, type, id, right, first line right, abstained, rank, citations, ms."""
    lines = [f"{'set':<8} {'split':<7} {'type':<21} {'id':<6} {'ok':<3} {'1st':<3} {'abst':<4} {'rank':>4} "
             f"{'cite':<4} {'ms':>6}  question"]
    for r in results:
        question = r.question if len(r.question) <= 40 else r.question[:39] + "…"
        lines.append(f"{r.set:<8} {r.split:<7} {(r.type or '-'):<21} {r.id:<6} {yes_no(r.correct):<3} "
                     f"{yes_no(r.first_line_ok):<3} {'yes' if r.abstained else 'no':<4} {r.rank or '-':>4} "
                     f"{'ok' if r.citations_ok else 'BAD':<4} {r.latency_ms:>6.1f}  {question}")
    return lines


def format_types(results: list[QuestionResult]) -> list[str]:
    """Accuracy per (set, type, split): a right answer, or an abstention where the question is unanswerable."""
    lines = ["per type (accuracy: every expected item and no abstention; unanswerable types: abstained)",
             f"{'set':<8} {'type':<21} {'split':<7} {'n':>4} {'accuracy':>8}"]
    lines += [f"{t['set']:<8} {t['type']:<21} {t['split']:<7} {t['questions']:>4} {share(t['accuracy'], 8)}"
              for t in type_rows(results)]
    return lines


def format_summary(run: SuiteRun, *, split: str | None = None) -> list[str]:
    """The latency line, a legend, a header, then one row per (set, split) and the `all` rows."""
    latency = summarise(run.results)
    lines = [f"latency, warm: p50 {latency['latency_p50_ms']:.0f} ms, p95 {latency['latency_p95_ms']:.0f} ms "
             f"over {len(run.results)} questions; MRR and more per set: --json" if run.results
             else "no questions asked",
             "summary (shares; answer, first-line, false-abst, hit@5: of answerable; near-miss, off-topic: abstained)",
             f"{'set':<8} {'split':<7} {'n':>4} " + " ".join(f"{h:>{column_width(h)}}" for h, _ in SUMMARY_COLUMNS)]
    for row in summary_rows(run, split=split):
        start = f"{row['set']:<8} {row['split']:<7} {row['questions']:>4} "
        if "note" in row:
            lines.append(start + f" {row['note']}")
        else:
            lines.append(start + " ".join(share(row[key], column_width(h)) for h, key in SUMMARY_COLUMNS))
    return lines


def generated_groups(results: list[QuestionResult]) -> list[tuple[str, str, list[QuestionResult]]]:
    """(set, split, results) of every group run with --llm, then (all, split) per split."""
    groups: dict[tuple[str, str], list[QuestionResult]] = {}
    for r in results:
        if r.generated is not None:
            groups.setdefault((r.set, r.split), []).append(r)
            groups.setdefault(("all", r.split), []).append(r)
    return [(name, s, rows) for (name, s), rows in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0] == "all"))]


def format_generated(results: list[QuestionResult]) -> list[str]:
    """Extractive beside generated (--llm): each pair is extractive / generated."""
    if not any(r.generated is not None for r in results):
        return []
    lines = ["generated mode beside extractive (each pair: extractive / generated; shown: answers shown as generated; "
             "removed: share of the model's sentences the check removed; times in ms, p50 / p95)",
             f"{'set':<8} {'split':<7} {'n':>4} {'answer':>13} {'first-line':>13} {'abstained':>13} {'false-abst':>13} "
             f"{'citations':>13} {'shown':>6} {'removed':>7} {'first token':>13} {'checked':>13}"]
    for name, s, rows in generated_groups(results):
        g = generated_summary(rows)
        pair = lambda key: f"{share(g[key + '_extractive'], 6)}/{share(g[key + '_generated'], 6).strip():<6}"
        lines.append(f"{name:<8} {s:<7} {g['questions']:>4} {pair('answer'):>13} {pair('first_line'):>13} "
                     f"{pair('abstained'):>13} {pair('false_abst'):>13} {pair('citations'):>13} "
                     f"{share(g['shown_generated'], 6)} {share(g['removed_share'], 7)} "
                     f"{g['first_token_p50_ms']:>6.0f}/{g['first_token_p95_ms']:<6.0f} "
                     f"{g['checked_p50_ms']:>6.0f}/{g['checked_p95_ms']:<6.0f}")
    return lines + [""]


def format_report(run: SuiteRun, *, split: str | None = None) -> str:
    """Per-question rows, the per-type table, the generated table (--llm), then the summary table last."""
    return "\n".join([*format_questions(list(run.results)), "", *format_types(list(run.results)), "",
                      *format_generated(list(run.results)), *format_summary(run, split=split)])


def report_json(run: SuiteRun, *, split: str | None = None) -> dict:
    """Everything as JSON: the sets run or skipped, the summary per set and split, per type, per question."""
    report = {"split": split, "sets": [{"name": name, "skipped": run.skipped.get(name),
                                        "splits": run.splits_of.get(name)} for name in run.sets],
              "summary": summary_rows(run, split=split), "per_type": type_rows(list(run.results)),
              "questions": [asdict(r) for r in run.results]}
    if any(r.generated is not None for r in run.results):
        report["generated"] = [{"set": name, "split": s, **generated_summary(rows)}
                               for name, s, rows in generated_groups(list(run.results))]
    return without_nan(report)


def without_nan(value: object) -> object:
    """`value` with every NaN (a figure over no questions) as None, so the JSON is standard.

    >>> without_nan({"a": [float("nan"), 1.0]})
    {'a': [None, 1.0]}
    """
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: without_nan(v) for key, v in value.items()}
    if isinstance(value, list):
        return [without_nan(v) for v in value]
    return value
