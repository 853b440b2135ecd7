"""`python -m qa`: answer one question, or a JSONL batch, or give a topic's timeline, from the built index."""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Iterator

from index import QAError, QuestionError
from index.backend import StoreConfig, add_store_options
from qa.assistant import DEFAULT_K, Assistant, clean_question
from qa.timeline import DEFAULT_TIMELINE_K, NO_ENTRIES_TEXT, Entry, Timeline, clean_topic
from qa.filters import SearchFilter
from qa.llm import LLMSettings, settings_help
from qa.types import Answer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m qa",
        description="Answer a question about the indexed articles, citing verbatim quotes. "
                    "Build the index first with `python -m index`.",
        epilog='examples:\n  python -m qa "who denied al-Qaeda\'s presence?"\n'
               "  python -m qa --batch questions.jsonl --json\n"
               "  python -m qa --batch questions.jsonl --json --retrieve-only -k 100\n"
               '  python -m qa --timeline "Taliban al-Qaeda ties" [--json]\n'
               '  python -m qa "what did the ferry operator say?" --since 2022-05 --until 2022-06-30 '
               '--source "Island Post" --source "Harbour Gazette"\n\n'
               "--timeline gives the statements about a topic across the archive, one per article, oldest\n"
               "first: each article's most relevant sentence, dated by a full date the sentence gives, else\n"
               "by the article's publication date; articles with neither are listed apart as undated.\n"
               "Near-copies in other outlets are folded into one entry (also reported by), and a denial\n"
               "is linked to the claim it answers. A topic no article is about gives an empty timeline.\n\n"
               "A question that names a period (\"in January 2021\", \"since March 2021\", \"last week\",\n"
               "counted back from the newest article's date) is filtered to it, unless --since or\n"
               "--until is given. Articles without a publication date are left out by a date filter.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("question", nargs="?", help="the question (omit with --batch)")
    parser.add_argument("--json", action="store_true", help="print the answer JSON (one object per line with --batch)")
    parser.add_argument("-k", type=int, default=None,
                        help=f"passages to retrieve (default {DEFAULT_K}; {DEFAULT_TIMELINE_K} with --timeline)")
    parser.add_argument("--index-dir", type=Path, default=None,
                        help="index folder (default: $QA_INDEX_DIR or .index/ in the repository root)")
    parser.add_argument("--batch", type=Path, help='JSONL file of {"id": ..., "question": ...}, answered in order')
    parser.add_argument("--retrieve-only", action="store_true", help="rank passages only; compose no answer")
    parser.add_argument("--timeline", metavar="TOPIC",
                        help="the topic's timeline instead of an answer: one cited sentence per article, in date order")
    parser.add_argument("--since", metavar="DATE", default=None,
                        help="only articles published on or after DATE (YYYY-MM-DD; YYYY-MM or YYYY: its first day)")
    parser.add_argument("--until", metavar="DATE", default=None,
                        help="only articles published on or before DATE (YYYY-MM-DD; YYYY-MM or YYYY: its last day)")
    parser.add_argument("--source", metavar="NAME", action="append", default=None,
                        help="only articles of this outlet (case-insensitive, the whole name); repeat it or "
                             "give a comma-separated list for several")
    parser.add_argument("--llm", metavar="URL", default=None,
                        help="write the answer with the model at this OpenAI-compatible URL (e.g. "
                             f"http://127.0.0.1:8080/v1, or 'env' for $QA_LLM_URL); {settings_help()}. "
                             "Every sentence is checked against "
                             "the passages it cites; unsupported ones are removed, and the extractive answer "
                             "is shown, with a note why, when none survives or the server fails")
    add_store_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return answer_command(args)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def answer_command(args: argparse.Namespace) -> int:
    """Everything `main` does once the arguments are parsed; returns the exit status."""
    try:
        if args.timeline is not None:
            return timeline_command(args)
        args.k = DEFAULT_K if args.k is None else args.k
        if args.batch is None:
            if args.question is None:
                raise QuestionError('give a question, e.g. python -m qa "who denied al-Qaeda\'s presence?", or --batch FILE')
            clean_question(args.question)
        elif args.question is not None:
            raise QuestionError("give either a question or --batch FILE, not both")
        if args.k < 1:
            raise QuestionError(f"-k must be at least 1, got {args.k}")
        args.filters = SearchFilter.parse(since=args.since, until=args.until, sources=args.source)
        args.llm = LLMSettings.from_env(None if args.llm == 'env' else args.llm) if args.llm is not None else None
        batch = list(read_batch(args.batch)) if args.batch else None
        assistant = Assistant(args.index_dir, store=store_config(args))
        if batch is None:
            answer = assistant.ask(args.question, k=args.k, retrieve_only=args.retrieve_only, filters=args.filters,
                                   llm=args.llm)
            print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else format_answer(answer))
            return 0
        for qid, question in batch:
            print(json.dumps(answer_or_error(assistant, qid, question, args), ensure_ascii=False), flush=True)
        return 0
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2 if isinstance(e, QuestionError) else 1
    except OSError as e:
        print(f"error: {e.strerror}: {e.filename}", file=sys.stderr)
        return 1


def store_config(args: argparse.Namespace) -> StoreConfig:
    """The store --store and --milvus-uri name (else $QA_STORE, $QA_MILVUS_URI)."""
    return StoreConfig.from_options(store=args.store, milvus_uri=args.milvus_uri)


def timeline_command(args: argparse.Namespace) -> int:
    """`--timeline TOPIC`: print the timeline (JSON or text); raises QAError on bad input."""
    if args.question is not None or args.batch is not None or args.retrieve_only:
        raise QuestionError("--timeline takes a topic alone; give no question, --batch or --retrieve-only with it")
    clean_topic(args.timeline)
    if args.k is not None and args.k < 1:
        raise QuestionError(f"-k must be at least 1, got {args.k}")
    timeline = Assistant(args.index_dir, store=store_config(args)).timeline(args.timeline, k=args.k)
    print(json.dumps(timeline.to_json(), ensure_ascii=False) if args.json else format_timeline(timeline))
    return 0


def format_timeline(timeline: Timeline) -> str:
    """The timeline as a person reads it in a terminal: a dated list, each entry with its citation."""
    lines = [f"Timeline: {timeline.topic}", ""]
    if timeline.empty:
        lines.append(NO_ENTRIES_TEXT)
    for entry in timeline.entries:
        lines += _entry_lines(entry)
    if timeline.undated:
        lines += ["Undated (no publication date known, and the sentence gives none):", ""]
        for entry in timeline.undated:
            lines += _entry_lines(entry)
    return terminal_safe("\n".join(lines).rstrip())


def _entry_lines(entry: Entry) -> list[str]:
    when = entry.date or ""  # the undated stand under their own heading
    if entry.date_from == "sentence":
        when += " (date given in the sentence" + (f"; published {entry.article_published})" if entry.article_published
                                                  else ")")
    lines = [f"{when + '  ' if when else ''}{entry.source or entry.title or entry.doc_id}",
             f"    \u201c{entry.quote}\u201d"]
    where = ", ".join(x for x in (f"\u201c{entry.title}\u201d" if entry.title else None, entry.url) if x)
    lines.append(f"    {where + '; ' if where else ''}{entry.doc_id} characters {entry.start}-{entry.end}")
    for r in entry.also_reported_by:
        lines.append(f"    also reported by {r.source or r.title or r.doc_id}"
                     f"{f' ({r.published})' if r.published else ''}: {r.doc_id} characters {r.start}-{r.end}")
    if entry.answers:
        claim = entry.answers
        lines.append(f"    answers the claim ({claim.source or claim.doc_id}): \u201c{claim.quote}\u201d")
    for r in entry.denied_by:
        when = f" ({r.published})" if r.published else ""
        lines.append(f"    denied by {r.source or r.doc_id}{when}: \u201c{r.quote}\u201d")
    return lines + [""]


def read_batch(path: Path) -> Iterator[tuple[object, object]]:
    """(id, question) of each line of a JSONL batch file.

    Raises:
        QuestionError: a line is not a JSON object with a "question".
    """
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise QuestionError(f"{path}:{number} is not JSON ({e.msg}); each line must be "
                                    '{"id": "...", "question": "..."}') from e
            if not isinstance(row, dict) or "question" not in row:
                raise QuestionError(f'{path}:{number} has no "question" field')
            yield row.get("id"), row["question"]


def answer_or_error(assistant: Assistant, qid: object, question: object, args: argparse.Namespace) -> dict:
    """One batch line's JSON: the answer, or an abstention carrying the error for a bad question."""
    try:
        return assistant.ask(question, k=args.k, retrieve_only=args.retrieve_only, qid=qid,
                             filters=args.filters, llm=args.llm).to_json()
    except QuestionError as e:
        return {"id": qid, "question": printable(str(question)), "answer": "", "abstained": True, "citations": [],
                "retrieved": [], "timings_ms": {}, "error": str(e)}


def printable(text: str) -> str:
    """Text that encodes as UTF-8: a lone surrogate (undecodable bytes of a command line) becomes '?'."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


# Article text is untrusted: escape sequences could rewrite the terminal, and bidirectional
# controls could reorder what the reader sees.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text with control characters other than newline and tab (an escape, a lone carriage return,
    a bidirectional override) shown as U+FFFD; Windows line ends become newlines."""
    return _TERMINAL_UNSAFE.sub("\ufffd", printable(text).replace("\r\n", "\n"))


def format_answer(answer: Answer) -> str:
    """The answer as a person reads it in a terminal; article text cannot send control characters."""
    lines = [answer.text, ""]
    if answer.note:
        lines += [f"({answer.note})", ""]
    if answer.filters is not None:
        lines += [f"(searched only articles {answer.filters.describe()})", ""]
    for c in answer.citations:
        where = ", ".join(x for x in (c.source, c.published) if x)
        lines.append(f"[{c.n}] {c.title or c.doc_id}{f' ({where})' if where else ''}")
        lines.append(f"    {c.url or 'no original URL known'}; {c.doc_id} characters {c.start}-{c.end}")
    if answer.abstained:
        lines.append("Closest passages:")
        for p in answer.retrieved[:3]:
            lines.append(f"- {p.chunk.doc_id} ({p.score:.2f}): {p.chunk.text[:200]}")
    return terminal_safe("\n".join(lines).rstrip())


if __name__ == "__main__":
    sys.exit(main())
