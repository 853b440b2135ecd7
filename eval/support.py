"""`python -m eval.support`: the sentence check of generated answers on hand-labelled sentences.

Owns: reading `eval/support_labels.jsonl` (each line a sentence, the passages it may cite, and
whether they support it: true sentences, paraphrases, and forgeries with a wrong number, a
wrong name, a flipped negation, a wrong source, an echoed instruction), and the check's
precision and recall at each content-word coverage threshold, with the threshold chosen
(the best F0.5: a shown unsupported sentence costs more than a removed true one).
Does not: change the threshold in code (qa.support.MIN_COVERAGE is set from this by hand).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qa.prompt import PromptPassage
from qa.support import MIN_COVERAGE, SupportSettings, check_sentence

LABELS = Path(__file__).resolve().parent / "support_labels.jsonl"
THRESHOLDS = tuple(round(0.3 + 0.05 * i, 2) for i in range(14))


def load_labels(path: Path = LABELS) -> list[dict]:
    """The labelled sentences, one dict per line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def passages_of(row: dict) -> tuple[dict[int, PromptPassage], dict[str, str]]:
    """A labelled row's passages as prompt passages, each its own one-passage article."""
    passages, bodies = {}, {}
    for p in row["passages"]:
        doc_id = f"{row['id']}-{p['n']}"
        passages[p["n"]] = PromptPassage(p["n"], doc_id, 0, len(p["text"]), p["text"], p.get("title"),
                                         p.get("source"), p.get("published"))
        bodies[doc_id] = p["text"]
    return passages, bodies


def score(rows: list[dict], threshold: float) -> dict:
    """Precision and recall of the sentences the check keeps, and what it got wrong, at one threshold."""
    settings = SupportSettings(min_coverage=threshold)
    kept_true = kept_false = dropped_true = 0
    wrong = []
    for row in rows:
        passages, bodies = passages_of(row)
        kept = check_sentence(row["sentence"], passages, bodies, settings=settings).supported
        kept_true += kept and row["supported"]
        kept_false += kept and not row["supported"]
        dropped_true += (not kept) and row["supported"]
        if kept != row["supported"]:
            wrong.append(row["id"])
    precision = kept_true / (kept_true + kept_false) if kept_true + kept_false else 1.0
    recall = kept_true / (kept_true + dropped_true) if kept_true + dropped_true else 1.0
    beta2 = 0.25
    f05 = (1 + beta2) * precision * recall / (beta2 * precision + recall) if precision + recall else 0.0
    return {"threshold": threshold, "precision": precision, "recall": recall, "f0.5": f05, "wrong": wrong}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.support", description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS, help=f"labelled JSONL (default {LABELS.name})")
    args = parser.parse_args(argv)
    rows = load_labels(args.labels)
    results = [score(rows, t) for t in THRESHOLDS]
    best = max(results, key=lambda r: (round(r["f0.5"], 6), r["threshold"]))  # a tie: the stricter
    kinds = sorted({r["kind"] for r in rows})
    print(f"{len(rows)} labelled sentences: {sum(r['supported'] for r in rows)} supported, "
          f"{sum(not r['supported'] for r in rows)} not; kinds: {', '.join(kinds)}")
    print(f"{'threshold':>9} {'precision':>9} {'recall':>6} {'F0.5':>6}  misjudged")
    for r in results:
        mark = " <- best" if r is best else (" <- in code" if r["threshold"] == MIN_COVERAGE else "")
        print(f"{r['threshold']:>9.2f} {r['precision']:>9.3f} {r['recall']:>6.3f} {r['f0.5']:>6.3f}  "
              f"{' '.join(r['wrong'])}{mark}")
    current = score(rows, MIN_COVERAGE)
    forged = [r for r in rows if not r["supported"]]
    by_kind = {}
    for row in forged:
        passages, bodies = passages_of(row)
        removed = not check_sentence(row["sentence"], passages, bodies,
                                     settings=SupportSettings(MIN_COVERAGE)).supported
        got = by_kind.setdefault(row["kind"], [0, 0])
        got[0] += removed
        got[1] += 1
    print(f"in code: min_coverage {MIN_COVERAGE}: precision {current['precision']:.3f}, recall "
          f"{current['recall']:.3f}; forgeries removed: " + ", ".join(f"{k} {a}/{n}" for k, (a, n) in by_kind.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
