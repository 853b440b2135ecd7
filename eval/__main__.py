"""`python -m eval`: run a gold question set through the assistant and print its metrics."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.gold import DEFAULT_GOLD, load_gold
from eval.run import format_table, results_json, run_gold, summarise
from index import QAError
from qa import DEFAULT_K, Assistant


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m eval",
        description="Run a gold question set (JSONL, see CONTRACT.md) through the assistant and print per-question "
                    "results and the summary: retrieval hit@5 and MRR, answer accuracy, abstention accuracy, "
                    "citation integrity, p50/p95 latency. Build the index first with `python -m index`.",
    )
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help=f"gold set (default {DEFAULT_GOLD.name} in eval/gold/)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--index-dir", type=Path, default=None, help="index folder (default: $QA_INDEX_DIR or .index/)")
    parser.add_argument("-k", type=int, default=DEFAULT_K, help=f"passages retrieved per question (default {DEFAULT_K})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        questions = load_gold(args.gold)
        assistant = Assistant(args.index_dir)
        assistant.ask("warm-up question", k=args.k)  # first call pays one-off costs; keep it out of the latencies
        results = run_gold(assistant, questions, k=args.k)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    summary = summarise(results)
    print(json.dumps(results_json(results, summary), indent=2, ensure_ascii=False) if args.json
          else format_table(results, summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
