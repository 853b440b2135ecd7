"""`python -m eval`: run the gold question sets through the assistant and print their metrics.

Owns: the command line (which sets, which split, text or JSON) and the dispatch to the other
benchmarks (beir, load, chaos, bench). Does not: score, format or know where sets live.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.report import format_report, report_json
from eval.run import SPLIT_CHOICES, run_sets
from eval.sets import GOLD_SETS, SET_NAMES, display_path, gold_set_from_file, select_sets
from index import QAError
from index.backend import StoreConfig, add_store_options
from index.embedding import BACKENDS
from qa import DEFAULT_K, LLMSettings
from qa.llm import settings_help

CORPUS_NAMES = {"corpus": "corpus/", "lee": "the Lee corpus", "lee50": "the Lee corpus",
                "bbc-style": "its own articles in eval/gold/bbc-style/"}
SETS_HELP = "; ".join(f"{s.name}: {display_path(s.gold)} over {CORPUS_NAMES[s.corpus]}"
                      + (" (skipped while missing)" if s.optional else "") for s in GOLD_SETS)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (CONTRACT.md), exit status 2."""

    def error(self, message: str) -> None:
        self.exit(2, f"error: {message}; see python -m eval --help\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = OneLineParser(
        prog="python -m eval",
        epilog="Other benchmarks: `python -m eval beir DIR` (BEIR retrieval figures; see its --help). "
               "Crash safety of the index: `python -m eval chaos [--trials N]` (kills updates at random and "
               "checks nothing is lost; see its --help). Speed at archive scale, the naive path beside ours: "
               "`python -m eval bench [--corpus DIR] [--json]`.",
        description="Run the gold question sets (JSONL, see CONTRACT.md) through the assistant and print one row per "
                    "question, a table per (set, type, split), and last a summary per (set, split) with an `all` row "
                    "per split. Summary columns, each a share from 0 to 1: answer (answerable questions with every "
                    "expected item in the answer, not abstained), first-line (the same within the answer's first "
                    "line), near-miss and off-topic (unanswerable_nearmiss / unanswerable_offtopic questions that "
                    "abstained; every unanswerable question for a set without types), false-abst (answerable "
                    "questions that abstained), citations (answers whose [n] markers resolve and quotes are "
                    "verbatim), hit@5 (answerable questions with a gold article in the top 5). --json adds MRR, "
                    f"latency p50/p95 and more. Sets: {SETS_HELP}. The Lee corpus (300 ABC articles from the "
                    "installed gensim) is written to .cache/lee/ and indexed there on first use; build the corpus/ "
                    "index first with `python -m index`.",
    )
    parser.add_argument("--set", dest="sets", action="append", choices=SET_NAMES, default=[], metavar="NAME",
                        help=f"run only this set (repeatable; default: all of {', '.join(SET_NAMES)})")
    parser.add_argument("--split", choices=SPLIT_CHOICES, default=None,
                        help="only this split's questions (default: every split). A line without \"split\" is "
                             f"{SPLIT_CHOICES[-1]}; tune on tune, report test")
    parser.add_argument("--gold", type=Path, default=None, metavar="FILE",
                        help="run just this gold file over corpus/ and its index, instead of the sets")
    parser.add_argument("--json", action="store_true", help="print everything as JSON: summary per set and split, "
                                                            "per type, per question")
    parser.add_argument("--index-dir", type=Path, default=None, metavar="DIR",
                        help="index of corpus/ (default: $QA_INDEX_DIR or .index/); the Lee index is .cache/lee/index")
    parser.add_argument("-k", type=int, default=DEFAULT_K, help=f"passages retrieved per question (default {DEFAULT_K})")
    parser.add_argument("--llm", metavar="URL", default=None,
                        help="also answer every question in generated mode with the model at this OpenAI-compatible "
                             "URL ('env': $QA_LLM_URL), and print it beside the extractive figures: answer, first "
                             "line, abstention, citation integrity, share of generated sentences removed, time to "
                             "first token and to the checked answer; " + settings_help())
    args = parser.parse_args(argv)
    if args.gold is not None and args.sets:
        parser.error("--gold runs one file on its own; leave out --set, or leave out --gold")
    return args


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
    gold_sets = [gold_set_from_file(args.gold)] if args.gold else select_sets(args.sets)
    try:
        llm = LLMSettings.from_env(None if args.llm == "env" else args.llm) if args.llm is not None else None
        run = run_sets(gold_sets, index_dir=args.index_dir, k=args.k, split=args.split, llm=llm)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for name, note in run.skipped.items():
        print(f"eval: {name} {note}", file=sys.stderr)
    sys.stderr.flush()  # notes before the report, so the summary stays the last lines of a combined output
    print(json.dumps(report_json(run, split=args.split), indent=2, ensure_ascii=False) if args.json
          else format_report(run, split=args.split))
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
    add_store_options(parser)
    args = parser.parse_args(argv)
    from eval.beir import run_beir

    try:
        store = StoreConfig.from_options(store=args.store, milvus_uri=args.milvus_uri)
        print(run_beir(args.folder, split=args.split, as_json=args.json, progress=not args.quiet,
                       backend=args.backend, store=store))
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
