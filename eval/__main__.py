"""`python -m eval`: run a gold question set through the assistant and print its metrics."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.gold import DEFAULT_GOLD, load_gold
from eval.run import format_table, results_json, run_gold, summarise
from index import QAError
from index.embedding import BACKENDS
from qa import DEFAULT_K, Assistant


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m eval",
        epilog="Other benchmarks: `python -m eval beir DIR` (BEIR retrieval figures; see its --help). "
               "Crash safety of the index: `python -m eval chaos [--trials N]` (kills updates at random and "
               "checks nothing is lost; see its --help). Speed at archive scale, the naive path beside ours: "
               "`python -m eval bench [--corpus DIR] [--json]`.",
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
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["beir"]:
        return main_beir(argv[1:])
    if argv[:1] == ["load"]:
        from eval.load import main_load

        return main_load(argv[1:])
    if argv[:1] == ["chaos"]:
        from eval.chaos import main as main_chaos

        return main_chaos(argv[1:])
    if argv[:1] == ["bench"]:
        from eval.bench import main as main_bench

        return main_bench(argv[1:])
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


def main_beir(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval beir",
        description="nDCG@10 and Recall@100 on a BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv) "
                    "for BM25 alone, dense alone and the full retrieval pipeline, in one run. The documents are "
                    "indexed with the project's own index code into .cache/beir/ (reused on later runs).",
    )
    parser.add_argument("folder", type=Path, help="the benchmark folder, e.g. ../shared/bench/scifact")
    parser.add_argument("--split", default="test", help="qrels split to score (tune on train, report test)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="embedding backend to index and query with (default: $QA_EMBED_BACKEND or onnx-int8)")
    args = parser.parse_args(argv)
    from eval.beir import run_beir

    try:
        print(run_beir(args.folder, split=args.split, as_json=args.json, progress=not args.quiet,
                       backend=args.backend))
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
