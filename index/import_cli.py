"""`python -m index import FILE...` and `python -m index remove DOC_ID...`: the importer on the command line.

Owns: their options, help and output (one line per article on stdout or stderr, then the update's
summary line) and exit status. Does not: read, write or validate articles (that is `index.importer`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from index.articles import MAX_ARTICLE_BYTES, MAX_BYTES_VARIABLE
from index.errors import QAError
from index.importer import (IMPORT_SUFFIXES, MAX_ARTICLES_PER_FILE, MAX_IMPORT_FILES, MAX_INPUT_BYTES,
                            ImportReport, RemoveReport, import_files, remove_articles)
from index.store import resolve_index_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
EXIT_STATUS = "Exit status: 0 when every article was done and the index is up to date, 1 when one was refused " \
              "or the index could not be updated (the corpus and index are then as they were for it), 2 for bad options."


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m index", description="Add articles to or remove them from the "
                                     "corpus folder, then update the index incrementally.")
    commands = parser.add_subparsers(dest="command", required=True)
    adding = commands.add_parser(
        "import", help="import article files", prog="python -m index import",
        description=f"Import article files ({' '.join(IMPORT_SUFFIXES)}) into the corpus folder, one file per article "
                    "with YAML front matter, then update the index. HTML pages are read with trafilatura (body, "
                    "title, date, author, site name; navigation, footers and copyright lines left out). A .json file "
                    "holds one article object or a list of them, a .jsonl file one object a line, with the fields "
                    "title, source, url, published, author, language and body. Each article gets the id "
                    "SLUG-HASH (the title's slug and a hash of its text); the same article twice is refused.",
        epilog=f"Limits: {MAX_IMPORT_FILES} files at once, {MAX_INPUT_BYTES:,} bytes a file, {MAX_ARTICLES_PER_FILE:,} "
               f"articles a JSON file, {MAX_ARTICLE_BYTES:,} bytes an article (${MAX_BYTES_VARIABLE} changes the "
               f"last). Each article prints 'imported NAME as ID' on stdout or 'refused NAME: problem' on stderr. "
               + EXIT_STATUS)
    adding.add_argument("files", nargs="+", type=Path, metavar="FILE", help="article files to import")
    removing = commands.add_parser(
        "remove", help="remove articles by id", prog="python -m index remove",
        description="Delete the files of these articles from the corpus folder, then update the index.",
        epilog="An id is the file's path in the corpus folder without its extension, as the index and the chat's "
               "article list show it. " + EXIT_STATUS)
    removing.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="ids of the articles to remove")
    for sub in (adding, removing):
        sub.add_argument("--corpus", type=Path, default=REPO_ROOT / "corpus",
                         help="folder of article files (default: corpus/)")
        sub.add_argument("--index-dir", type=Path, default=None,
                         help="where the index lives (default: $QA_INDEX_DIR or .index/ in the repository root)")
        sub.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    index_dir = resolve_index_dir(args.index_dir)
    try:
        if args.command == "import":
            report = import_files(args.files, args.corpus, index_dir=index_dir, progress=not args.quiet)
        else:
            report = remove_articles(args.doc_ids, args.corpus, index_dir=index_dir, progress=not args.quiet)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return _print_report(report)


def _print_report(report: ImportReport | RemoveReport) -> int:
    for line in report.lines:
        print(line, file=sys.stdout if line.ok else sys.stderr)
    if report.index_error:
        print(f"error: {report.index_error}", file=sys.stderr)
        return 1
    if report.summary is not None:
        print(report.summary.line())
    return 0 if all(line.ok for line in report.lines) else 1
