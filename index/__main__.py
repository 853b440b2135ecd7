"""`python -m index`: build or incrementally update the index from the corpus folder.

`python -m index import FILE...` and `python -m index remove DOC_ID...` add and take out articles
(see `index.importer`) and then update the index the same way.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from index.articles import MAX_ARTICLE_BYTES, MAX_BYTES_VARIABLE
from index.chunking import ChunkSettings
from index.embedding import BACKEND_VARIABLE, BACKENDS, DEFAULT_BACKEND
from index.backend import StoreConfig, add_store_options, open_store
from index.errors import QAError
from index.store import IndexSettings, resolve_index_dir
from index.update import MAX_SEGMENTS, MAX_SEGMENTS_VARIABLE, update_index

REPO_ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = ChunkSettings()
    parser = argparse.ArgumentParser(
        prog="python -m index",
        description="Build or update the search index from the article files in the corpus folder. "
                    "By default only new, changed and deleted articles are processed (found by content hash; a "
                    "file whose size and mtime are as the last update recorded is not read), into a new segment "
                    "beside the live ones; past --max-segments segments a compaction merges them; "
                    "a change of model, annotation pipeline (spaCy, its model, ANNOTATION_VERSION) or chunking "
                    "settings rebuilds everything. Every chunk is annotated with spaCy once (annotations.jsonl).",
        epilog="A broken article file (bad front matter, binary, empty, too large, a link out of the corpus folder, "
               "a second file with the same id) is skipped and named on stderr, one line each ('skipped PATH: "
               "problem'), and the others are indexed; if it was indexed before, its last good version is kept. "
               "A file that is not UTF-8 is read from its byte order mark or as Windows-1252 and noted ('note PATH: "
               "...'). Neither changes the exit status: 0 when the index is up to date, 1 when it could not be "
               "updated (another update running, corpus folder missing), 2 for bad options. "
               f"One article may have at most {MAX_ARTICLE_BYTES:,} bytes; ${MAX_BYTES_VARIABLE} changes that.",
    )
    parser.add_argument("--corpus", type=Path, default=REPO_ROOT / "corpus", help="folder of article files (default: corpus/)")
    parser.add_argument("--index-dir", type=Path, default=None,
                        help="where the index lives (default: $QA_INDEX_DIR or .index/ in the repository root)")
    parser.add_argument("--full", action="store_true", help="rebuild everything instead of updating")
    parser.add_argument("--max-tokens", type=int, default=defaults.max_tokens,
                        help=f"model tokens per chunk, at most (default {defaults.max_tokens})")
    parser.add_argument("--overlap-sentences", type=int, default=defaults.overlap_sentences,
                        help=f"sentences shared by consecutive chunks (default {defaults.overlap_sentences})")
    parser.add_argument("--overlap-max-tokens", type=int, default=None,
                        help=f"an overlap longer than this many tokens is dropped (default {defaults.overlap_max_tokens}, "
                             f"or half of --max-tokens when that is smaller)")
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help=f"embedding backend (default ${BACKEND_VARIABLE} or {DEFAULT_BACKEND}: MiniLM in int8 under "
                             "onnxruntime; torch-fp32 is the same model in sentence-transformers). A different "
                             "backend than the index was built with rebuilds it in full")
    add_store_options(parser)
    parser.add_argument("--max-segments", type=int, default=None, metavar="N",
                        help=f"segments an update may leave live before it merges all but the largest into one "
                             f"(default ${MAX_SEGMENTS_VARIABLE} or {MAX_SEGMENTS}; at least 2)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["import"], ["remove"]):
        from index.import_cli import main as change_main

        return change_main(argv)
    args = parse_args(argv)
    try:
        overlap_max = args.overlap_max_tokens
        if overlap_max is None:
            overlap_max = min(ChunkSettings().overlap_max_tokens, args.max_tokens // 2)
        chunking = ChunkSettings(max_tokens=args.max_tokens, overlap_sentences=args.overlap_sentences,
                                 overlap_max_tokens=overlap_max)
        settings = IndexSettings(chunking=chunking, **({"backend": args.backend} if args.backend else {}))
        store = StoreConfig.from_options(store=args.store, milvus_uri=args.milvus_uri)
        if args.max_segments is not None and args.max_segments < 2:
            raise ValueError(f"--max-segments must be at least 2, got {args.max_segments}")
    except (ValueError, QAError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        if store.kind == "faiss":
            summary = update_index(args.corpus, resolve_index_dir(args.index_dir), settings=settings,
                                   full=args.full, progress=not args.quiet, max_segments=args.max_segments)
        else:
            summary = open_store(store, resolve_index_dir(args.index_dir)).update(
                args.corpus, settings=settings, full=args.full, progress=not args.quiet)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for problem in summary.problems:
        print(f"skipped {problem}", file=sys.stderr)
    for note in summary.notes:
        print(f"note {note}", file=sys.stderr)
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
