"""`python -m eval.timeline`: how the timeline's relevance threshold separates articles about a topic
from the rest, on the gold sets' questions read as topics.

Owns: for each question of a split, the best-sentence relevance of every article retrieved for it
(no threshold), and for each candidate threshold: the share of gold articles kept (recall), the
share of kept articles that are gold (precision; a lower bound, as other articles may be about the
topic too), and the share of off-topic questions whose timeline is empty. Does not: change the
threshold (TimelineSettings.min_relevance), which is chosen from this on the tune split.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys

from eval.sets import corpus_index_dir, load_set, select_sets
from qa import Assistant, TimelineSettings

THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def relevances(assistant: Assistant, topic: str, settings: TimelineSettings) -> dict[str, float]:
    """doc id -> its best sentence's relevance to the topic, for every article read (no threshold)."""
    timeline = assistant.timeline(topic, settings=dataclasses.replace(settings, min_relevance=-10.0))
    found = {e.doc_id: e.relevance for e in timeline.entries + timeline.undated}
    for e in timeline.entries + timeline.undated:  # a folded near-copy scored like the entry it joined
        found.update({r.doc_id: e.relevance for r in e.also_reported_by})
    return found


def as_topic(assistant: Assistant, question: str, words: int) -> str:
    """The question cut to its `words` rarest content words, in their order (a topic as typed:
    "earthquake wheatbelt epicentre"); the whole question when words is 0."""
    if not words:
        return question
    from qa.question import analyse_question

    terms = analyse_question(question, assistant._nlp(question), assistant.snapshot().idf).terms
    keep = {t.text for t in sorted(terms, key=lambda t: -t.weight)[:words]}
    return " ".join(dict.fromkeys(t.text for t in terms if t.text in keep)) or question


def measure(split: str, words: int = 0, settings: TimelineSettings = TimelineSettings()) -> list[dict]:
    """One row per threshold over every gold set's questions of `split` (cut to `words` words)."""
    gold_rows, offtopic = [], []
    for gold_set in select_sets():
        questions = load_set(gold_set)
        if questions is None:
            continue
        index_dir = corpus_index_dir(gold_set.corpus, index_dir=None, progress=False)
        assistant = Assistant(index_dir)
        for q in questions:
            if q.split != split:
                continue
            scores = relevances(assistant, as_topic(assistant, q.question, words), settings)
            if q.answerable:
                gold_rows.append((scores, set(q.gold_docs)))
            elif q.type in (None, "unanswerable_offtopic"):
                offtopic.append(scores)
    rows = []
    for t in THRESHOLDS:
        kept = [(sum(s >= t for d, s in scores.items() if d in gold), sum(s >= t for s in scores.values()), len(gold))
                for scores, gold in gold_rows]
        rows.append({"threshold": t, "recall": sum(k[0] for k in kept) / max(1, sum(k[2] for k in kept)),
                     "precision": sum(k[0] for k in kept) / max(1, sum(k[1] for k in kept)),
                     "offtopic_empty": sum(all(s < t for s in sc.values()) for sc in offtopic) / max(1, len(offtopic)),
                     "questions": len(gold_rows), "offtopic": len(offtopic)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.timeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("tune", "test"), default="tune")
    parser.add_argument("--words", type=int, default=3,
                        help="read each question as a topic of its N rarest content words (0: the whole question)")
    parser.add_argument("--coverage-weight", type=float, default=TimelineSettings.coverage_weight,
                        help=f"weight of the topic words' share in the score "
                             f"(default {TimelineSettings.coverage_weight})")
    parser.add_argument("--names-only-share", type=float, default=TimelineSettings.names_only_share,
                        help=f"word credit kept for a sentence holding only the topic's names "
                             f"(default {TimelineSettings.names_only_share})")
    args = parser.parse_args(argv)
    settings = TimelineSettings(coverage_weight=args.coverage_weight, names_only_share=args.names_only_share)
    print(f"{'threshold':>9} {'recall':>7} {'precision':>9} {'off-topic empty':>15}  (split {args.split}, topics of "
          f"{args.words or 'all'} words, coverage weight {args.coverage_weight}, names only {args.names_only_share})")
    for row in measure(args.split, args.words, settings):
        print(f"{row['threshold']:>9.2f} {row['recall']:>7.3f} {row['precision']:>9.3f} {row['offtopic_empty']:>15.3f}"
              f"  ({row['questions']} questions, {row['offtopic']} off-topic)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
