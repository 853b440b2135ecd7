"""What `python -m eval chaos` checks on an index folder after an update was killed or let finish.

Owns: the meaning of "nothing lost, nothing duplicated" for a built index, as functions that
return a list of problems in words (empty when all is well):
    answer_problems      the index loads and answers, every citation a verbatim slice of its article
    chunk_problems       chunk ids unique; each article's chunks contiguous and exactly what chunking
                         the text it recorded gives; that text is a version the file really had
    state_problems       the index holds the corpus as it was before the update or after, never a mix
    difference_problems  two versions hold the same articles, chunks, terms and (nearly) vectors
    leftover_problems    nothing in the index folder that a fresh build would not leave there
Does not: start, kill or time updates, or change the corpus (see `eval.chaos`).
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from eval.metrics import citations_intact
from index import Article, Chunk, ChunkSettings, CorpusError, QAError, chunk_article, parse_article
from index.embedding import Embedder, count_llm_tokens
from index.store import IndexVersion, current_version_path
from qa import Assistant

MIN_VECTOR_COSINE = 0.999  # the same text embedded in another batch differs by rounding only
_SHOWN = 5  # ids named in one problem, at most


def answer_problems(index_dir: Path, question: str, *, embedder: Embedder) -> list[str]:
    """Load the index as the chat does, ask `question`, and check the answer's citations."""
    try:
        assistant = Assistant(index_dir, embedder=embedder)
        answer = assistant.ask(question)
    except QAError as e:
        return [f"the index does not load or answer: {e}"]
    bodies = {doc_id: article.body for doc_id, article in assistant.index.articles.items()}
    problems = []
    if not citations_intact(answer.text, [c.to_json() for c in answer.citations], bodies):
        problems.append(f"an answer to {question!r} cites a quote that is not its article's text at [start:end], "
                        f"or has a marker without a citation: {answer.text[:200]!r}")
    if assistant.index.chunks and not answer.retrieved:
        problems.append(f"{question!r} retrieved nothing from an index of {len(assistant.index.chunks)} chunks")
    return problems


def chunk_problems(articles: Mapping[str, Article], chunks: Sequence[Chunk], manifest: Mapping, *,
                   written: Mapping[str, bytes], token_spans: Callable[[str], list[tuple[int, int]]]) -> list[str]:
    """Every chunk once, in one run per article, exactly as chunking the article's recorded text gives.

    Args:
        articles: the index's articles (articles.jsonl).
        chunks: the index's chunk table, in row order.
        manifest: the version's manifest (its chunking settings and content hashes).
        written: every version any article file ever had, by content hash.
        token_spans: the model's token counter (`index.load_token_counter()`).
    """
    problems = []
    twice = sorted(chunk_id for chunk_id, n in Counter(c.chunk_id for c in chunks).items() if n > 1)
    if twice:
        problems.append(f"{len(twice)} chunk id(s) appear more than once: {twice[:_SHOWN]}")
    orphans = sorted({c.doc_id for c in chunks} - set(articles))
    if orphans:
        problems.append(f"chunks of articles the index does not hold: {orphans[:_SHOWN]}")
    hashes = {doc_id: article.content_hash for doc_id, article in articles.items()}
    if manifest.get("articles") != hashes:
        problems.append("the manifest's content hashes differ from the articles it holds")
    runs = [doc_id for i, doc_id in enumerate(c.doc_id for c in chunks) if i == 0 or chunks[i - 1].doc_id != doc_id]
    split = sorted(doc_id for doc_id, n in Counter(runs).items() if n > 1)
    if split:
        problems.append(f"chunks of one article lie in separate places of the table: {split[:_SHOWN]}")
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    settings = ChunkSettings(**manifest["chunking"])
    for doc_id in sorted(articles):
        problems += _article_problems(articles[doc_id], by_doc.get(doc_id, []), settings, written, token_spans)
    return problems


def _article_problems(article: Article, chunks: list[Chunk], settings: ChunkSettings, written: Mapping[str, bytes],
                      token_spans: Callable[[str], list[tuple[int, int]]]) -> list[str]:
    problems = []
    raw = written.get(article.content_hash)
    if raw is None:
        problems.append(f"'{article.doc_id}' records content hash {article.content_hash[:12]}…, which no version of "
                        f"its file had")
    else:
        try:
            recorded = parse_article(raw, doc_id=article.doc_id) == article
        except CorpusError:
            recorded = False
        if not recorded:
            problems.append(f"'{article.doc_id}' records text or metadata other than its file's version "
                            f"{article.content_hash[:12]}… gives")
    want = chunk_article(article, settings=settings, token_spans=token_spans, count_llm_tokens=count_llm_tokens)
    if chunks != want:
        problems.append(f"'{article.doc_id}': {describe_chunk_difference(chunks, want)}")
    return problems


def describe_chunk_difference(got: Sequence[Chunk], want: Sequence[Chunk]) -> str:
    """Which chunks are missing, extra or different, in words.

    >>> a, b = Chunk("d#0", "d", "One.", 0, 4), Chunk("d#1", "d", "Two.", 5, 9)
    >>> describe_chunk_difference([a], [a, b])
    "1 of 2 chunks: missing ['d#1']"
    """
    got_ids, want_ids = [c.chunk_id for c in got], [c.chunk_id for c in want]
    missing = [i for i in want_ids if i not in got_ids]
    extra = [i for i in got_ids if i not in want_ids]
    if missing or extra:
        parts = [f"missing {missing[:_SHOWN]}" if missing else "", f"extra {extra[:_SHOWN]}" if extra else ""]
        return f"{len(got)} of {len(want)} chunks: " + ", ".join(p for p in parts if p)
    if got_ids != want_ids:
        return f"chunks out of order: {got_ids[:_SHOWN]}…, expected {want_ids[:_SHOWN]}…"
    first = next(g for g, w in zip(got, want) if g != w)
    expected = want[want_ids.index(first.chunk_id)]
    return (f"chunk {first.chunk_id} is [{first.start}:{first.end}] {text_hash(first.text)}, chunking gives "
            f"[{expected.start}:{expected.end}] {text_hash(expected.text)}")


def text_hash(text: str) -> str:
    """A short content hash of a chunk's text, for messages and comparisons."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def state_problems(articles: Mapping[str, Article], *, before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The index holds exactly the articles of `before` or of `after` ({doc id: content hash}).

    >>> state_problems({}, before={}, after={"a": "h"})
    []
    """
    held = {doc_id: article.content_hash for doc_id, article in articles.items()}
    if held in (dict(before), dict(after)):
        return []

    def differ(state: Mapping[str, str]) -> list[str]:
        return sorted(d for d in set(held) | set(state) if held.get(d) != state.get(d))

    return [f"the index is neither the corpus before the update nor after it: it differs from before in "
            f"{differ(before)[:_SHOWN]} and from after in {differ(after)[:_SHOWN]}"]


def difference_problems(got: IndexVersion, want: IndexVersion) -> list[str]:
    """How version `got` (an incremental update) differs from `want` (a full build); empty when it does not."""
    if got.articles != want.articles:
        differ = sorted(d for d in set(got.articles) | set(want.articles) if got.articles.get(d) != want.articles.get(d))
        return [f"{len(differ)} article(s) differ from a full build: {differ[:_SHOWN]}"]
    if got.chunks != want.chunks:
        return [f"the chunk table differs from a full build: {describe_chunk_difference(got.chunks, want.chunks)}"]
    problems = []
    if got.vectors.ntotal != want.vectors.ntotal:
        problems.append(f"{got.vectors.ntotal} vectors, a full build has {want.vectors.ntotal}")
    elif got.chunks:
        cosines = np.sum(got.all_vectors() * want.all_vectors(), axis=1)
        far = [(got.chunks[i].chunk_id, float(cosines[i])) for i in np.flatnonzero(cosines < MIN_VECTOR_COSINE)]
        if far:
            problems.append(f"{len(far)} vector(s) differ from a full build's (chunk, cosine): {far[:_SHOWN]}")
    got_terms, want_terms = got.chunk_terms(), want.chunk_terms()
    if got_terms != want_terms:
        row = next(i for i, (g, w) in enumerate(zip(got_terms, want_terms)) if g != w) if got_terms and want_terms else 0
        problems.append(f"keyword terms differ from a full build's, first at row {row}")
    for key in ("articles", "chunk_count", "article_count", "token_count", "llm_token_count", "settings_fingerprint"):
        if got.manifest.get(key) != want.manifest.get(key):
            problems.append(f"manifest field '{key}' differs from a full build's")
    return problems


def stray_entries(index_dir: Path) -> list[str]:
    """Names in an index folder other than CURRENT, LOCK, the live version and the segments it names."""
    live, segments = _live_names(index_dir)
    return sorted(p.name for p in index_dir.iterdir()
                  if p.name not in ("CURRENT", "LOCK") and p != live and p.name not in segments)


def _live_names(index_dir: Path) -> tuple[Path | None, set[str]]:
    """The live version folder and the names of the segments its manifest names (none where unreadable)."""
    try:
        live = current_version_path(index_dir)
        manifest = json.loads((live / "manifest.json").read_text(encoding="utf-8")) if live else {}
    except (QAError, OSError, ValueError):
        return None, set()
    return live, {s["name"] for s in manifest.get("segments", [])}


def leftover_problems(index_dir: Path, reference_dir: Path) -> list[str]:
    """Files and folders in `index_dir` that a fresh build (`reference_dir`) does not have.

    The live version folders of both are compared as `<live>`, and the segments they name as
    `<segment>`, so their names and number may differ.
    """
    extra = _layout(index_dir) - _layout(reference_dir)
    outermost = sorted(p for p in extra if not any(p.startswith(other + "/") for other in extra))
    return [f"left behind in the index folder (a fresh build has no such files): {outermost[:_SHOWN]}"] if extra else []


def _layout(index_dir: Path) -> set[str]:
    live, segments = _live_names(index_dir)
    names = set()
    for path in index_dir.rglob("*"):
        parts = path.relative_to(index_dir).parts
        if live and parts[0] == live.name:
            parts = ("<live>", *parts[1:])
        elif parts[0] in segments:
            parts = ("<segment>", *parts[1:])
        names.add("/".join(parts))
    return names
