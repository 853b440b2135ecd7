"""Bring the built index in line with the corpus, embedding and annotating only what changed.

Owns: the diff between the corpus and the live index (by content hash; files whose size and
mtime the live listing records are not read), what goes into the new segment (the new and
changed articles) and into the deletion lists, when to compact segments and which (see
plan_compaction), when to rebuild fully (model, annotation pipeline or settings changed, or
asked), the one-update-at-a-time lock, and the summary line.
Does not: parse files (index.articles), cut text (index.chunking), annotate (index.annotate) or
write files (index.store, index.segments); it never loads the live version's chunks or vectors,
only its manifest, listing and, when articles changed or went, its segments' row tables.
"""
from __future__ import annotations

import fcntl
import json
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from index.annotate import annotate_chunk_lines, annotate_lines
from index.annotate_cache import AnnotationCache
from index.articles import Article, CorpusNote, doc_id_for, load_corpus, whole_number_setting
from index.chunking import Chunk, chunk_article
from index.embed_cache import EmbeddingCache, text_key
from index.embedding import Embedder, count_llm_tokens, load_token_counter
from index.errors import CorpusError, IndexBusyError, QAError
from index.keywords import TermRows
from index.segments import SegmentRows, read_lines_at, reuse_hash, write_segment
from index.titles import chunk_terms, embedding_text, reuse_key
from index.store import (FORMAT_VERSION, IndexSettings, build_manifest, current_version_path, read_listing,
                         read_manifest, read_segment_articles, remove_stale_versions, terms_line, write_version)


@dataclass
class UpdateSummary:
    """What an update did, for the one-line report."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept_broken: list[str] = field(default_factory=list)
    problems: list[CorpusError] = field(default_factory=list)
    notes: list[CorpusNote] = field(default_factory=list)  # files read in another encoding
    embedded_chunks: int = 0
    reused_by_text: int = 0
    from_cache: int = 0
    embedded_tokens: int = 0
    total_chunks: int = 0
    total_articles: int = 0
    full_rebuild_reason: str | None = None
    seconds: float = 0.0
    model_load_seconds: float = 0.0
    embed_seconds: float = 0.0
    annotated_chunks: int = 0
    annotated_chars: int = 0
    annotations_from_cache: int = 0
    annotate_seconds: float = 0.0
    compacted: int = 0  # segments merged into one by this update
    listing_refreshed: int = 0  # unchanged files read, whose sizes and mtimes a new listing records
    written: Path | None = None

    def line(self) -> str:
        """One line a person reads at the end of `python -m index`."""
        if self.written is None:
            refreshed = (f"; {self.listing_refreshed} unchanged files read, their sizes and mtimes recorded"
                         if self.listing_refreshed else "")
            return (f"index: up to date ({self.total_articles} articles, {self.total_chunks} chunks); "
                    f"nothing embedded in {self.seconds:.1f} s{refreshed}")
        how = f"full rebuild ({self.full_rebuild_reason})" if self.full_rebuild_reason else "updated"
        rate = (f" ({self.embedded_chunks / self.embed_seconds:.1f} chunks/s, "
                f"{self.embedded_tokens / self.embed_seconds:,.0f} tokens/s, model load {self.model_load_seconds:.1f} s)"
                if self.embed_seconds and self.embedded_chunks else "")
        saved = [f"{self.reused_by_text} reused by text" if self.reused_by_text else "",
                 f"{self.from_cache} from an interrupted build's cache" if self.from_cache else ""]
        rate += "".join(f", {x}" for x in saved if x)
        kept = f", {len(self.kept_broken)} kept from the last build (file now broken)" if self.kept_broken else ""
        noun = "chunk" if self.embedded_chunks == 1 else "chunks"
        compacted = f"; compacted {self.compacted} segments into one" if self.compacted else ""
        return (f"index: {how}: {len(self.added)} added, {len(self.changed)} changed, {len(self.deleted)} deleted, "
                f"{self.unchanged} unchanged{kept}; embedded {self.embedded_chunks} {noun}{rate}; "
                f"{self.annotation_part()}{compacted}; "
                f"{self.total_articles} articles, {self.total_chunks} chunks in {self.seconds:.1f} s")

    def annotation_part(self) -> str:
        """'annotated N chunks (R chars/s, S s)', and how many came from an interrupted build's cache."""
        noun = "chunk" if self.annotated_chunks == 1 else "chunks"
        rate = (f" ({self.annotated_chars / self.annotate_seconds:,.0f} chars/s, {self.annotate_seconds:.1f} s)"
                if self.annotate_seconds and self.annotated_chunks else "")
        cached = (f", {self.annotations_from_cache} from an interrupted build's cache"
                  if self.annotations_from_cache else "")
        return f"annotated {self.annotated_chunks} {noun}{rate}{cached}"


@contextmanager
def update_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's lock; a second update fails at once with IndexBusyError."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / "LOCK").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise IndexBusyError(index_dir) from e
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def update_index(corpus_dir: Path, index_dir: Path, *, settings: IndexSettings | None = None, full: bool = False,
                 embedder: Embedder | None = None, progress: bool = True,
                 max_segments: int | None = None) -> UpdateSummary:
    """Update (or build) the index in `index_dir` from the articles in `corpus_dir`.

    Only new and changed articles are read, chunked and embedded, into a new segment; the live
    segments stay as they are, with the replaced and deleted articles added to their deletion
    lists. Files whose size and mtime are as the last update recorded are not read. When more
    than `max_segments` segments would be live, a compaction merges them (see plan_compaction).
    A different model or chunking setting, or `full=True`, rebuilds everything into one segment.
    A file that is now broken keeps its last indexed version and is reported.

    Raises:
        IndexBusyError: another update is running.
        CorpusError: the corpus folder is missing.
    """
    started = time.perf_counter()
    settings = settings or IndexSettings(**({"backend": embedder.backend} if embedder else {}))
    if embedder is not None and embedder.backend != settings.backend:
        raise ValueError(f"the embedder runs {embedder.backend} but the settings ask for {settings.backend}")
    _check_fits_model(settings)
    max_segments = max_segments or max_segments_setting()
    with update_lock(index_dir):
        live = read_manifest(index_dir)  # the live version's manifest, or None
        remove_stale_versions(index_dir, live=live)
        previous, reason = _previous_state(index_dir, live, settings, full)
        corpus = _load_corpus(corpus_dir, previous)
        current = {**corpus.unread, **{a.doc_id: a.content_hash for a in corpus.articles}}
        if previous is not None and _up_to_date(index_dir, previous, current, corpus.problems, corpus_dir):
            return _nothing_to_do(index_dir, settings, corpus, previous, current, started)
        summary = UpdateSummary(problems=corpus.problems, notes=corpus.notes, full_rebuild_reason=reason)
        fresh = _diff(corpus, current, corpus_dir, previous, live if previous is None else None, index_dir, summary)
        cache = EmbeddingCache(index_dir / "embed-cache", settings.model())
        annotation_cache = AnnotationCache(index_dir / "annotate-cache", settings.annotator())
        entries = previous.entries_after(summary.changed + summary.deleted) if previous else []
        if fresh or not entries:
            chunks, vectors, term_lists, annotation_lines = _new_chunks(
                fresh, previous, settings, embedder or Embedder(settings.backend), progress, summary, cache,
                annotation_cache)
            entries.append(write_segment(
                index_dir, vectors=vectors, chunks=chunks, articles=fresh, term_rows=TermRows.from_terms(term_lists),
                term_lines=[terms_line(t) for t in term_lists], annotation_lines=annotation_lines,
                factory=settings.faiss_factory, dimension=settings.model().dimension))
        merge = plan_compaction(entries, max_segments)
        if merge:
            if progress:
                print(f"index: compacting {len(merge)} segments into one", file=sys.stderr, flush=True)
            merged = merge_segments(index_dir, [entries[i] for i in merge], settings)
            entries = [e for i, e in enumerate(entries) if i not in set(merge)]
            entries += [merged] if merged["chunk_count"] or not entries else []  # an empty one is removed below
            summary.compacted = len(merge)
        hashes = {doc_id: h for doc_id, h in (live or {}).get("articles", {}).items()
                  if previous is not None and doc_id not in set(summary.deleted)}
        hashes.update((a.doc_id, a.content_hash) for a in fresh)
        counts = _live_counts(entries)
        manifest = build_manifest(model=settings.model(), settings=settings, segments=entries,
                                  articles=dict(sorted(hashes.items())), counts=counts,
                                  stats={"embedded_chunks": summary.embedded_chunks,
                                         "reused_by_text": summary.reused_by_text, "from_cache": summary.from_cache,
                                         "annotated_chunks": summary.annotated_chunks,
                                         "annotations_from_cache": summary.annotations_from_cache,
                                         "annotated_chars": summary.annotated_chars,
                                         "annotate_seconds": round(summary.annotate_seconds, 2),
                                         "compacted_segments": summary.compacted})
        summary.written = write_version(index_dir, manifest=manifest, listing=corpus.listing)
        cache.clear()
        annotation_cache.clear()
        remove_stale_versions(index_dir)
    summary.total_chunks, summary.total_articles = counts["chunk_count"], len(hashes)
    summary.seconds = time.perf_counter() - started
    return summary


MAX_SEGMENTS = 8
MAX_SEGMENTS_VARIABLE = "QA_MAX_SEGMENTS"
MAX_DEAD_SHARE = 0.5


def max_segments_setting() -> int:
    """$QA_MAX_SEGMENTS, else MAX_SEGMENTS.

    Raises:
        QAError: the variable is set but is not a whole number of at least 2.
    """
    return whole_number_setting(MAX_SEGMENTS_VARIABLE, MAX_SEGMENTS, minimum=2, must="a whole number of at least 2")


def plan_compaction(entries: list[dict], max_segments: int) -> list[int]:
    """Which segments to merge into one (their places in `entries`), or none.

    The rule: when more than `max_segments` segments would be live, every segment but the largest
    (by live chunks) is merged, so the big first build is not rewritten for a small addition. A
    segment of which more than MAX_DEAD_SHARE of the chunks are deleted joins the merge, the
    largest too: its dead rows would otherwise cost memory and search time for ever.
    """
    if len(entries) < 2:
        return []
    live = [e["chunk_count"] - e.get("deleted_chunk_count", 0) for e in entries]
    largest = max(range(len(entries)), key=live.__getitem__)
    mostly_dead = [i for i, e in enumerate(entries) if e["chunk_count"] and
                   e.get("deleted_chunk_count", 0) > MAX_DEAD_SHARE * e["chunk_count"]]
    if len(entries) > max_segments:
        chosen = [i for i in range(len(entries)) if i != largest or i in mostly_dead]
    else:
        chosen = mostly_dead
    return chosen if len(chosen) >= 2 or (chosen and entries[chosen[0]].get("deleted_chunk_count")) else []


def merge_segments(index_dir: Path, entries: list[dict], settings: IndexSettings) -> dict:
    """Write one segment holding the live articles of `entries`, their vectors, terms and annotations
    copied (nothing is embedded or annotated again); returns its manifest entry."""
    parts = []
    for entry in entries:
        folder = index_dir / entry["name"]
        gone = set(entry.get("deleted", []))
        rows = SegmentRows.read(folder)
        chunk_lines = _lines(folder / "chunks.jsonl")
        term_lines = _lines(folder / "terms.jsonl")
        annotation_lines = _lines(folder / "annotations.jsonl")
        matrix = np.load(folder / "vectors.npy", mmap_mode="r")
        articles = {a.doc_id: a for a in read_segment_articles(folder) if a.doc_id not in gone}
        for doc_id, first, count in zip(rows.doc_ids, rows.first.tolist(), rows.count.tolist()):
            if doc_id in articles:
                parts.append((doc_id, articles[doc_id], chunk_lines[first : first + count],
                              term_lines[first : first + count], annotation_lines[first : first + count],
                              np.asarray(matrix[first : first + count])))
    parts.sort(key=lambda part: part[0])
    dimension = settings.model().dimension
    chunks = [Chunk(**json.loads(line)) for part in parts for line in part[2]]
    term_lines = [line for part in parts for line in part[3]]
    vectors = np.concatenate([p[5] for p in parts]) if parts else np.zeros((0, dimension), dtype=np.float32)
    return write_segment(index_dir, vectors=vectors, chunks=chunks, articles=[p[1] for p in parts],
                         term_rows=TermRows.from_terms(json.loads(line) for line in term_lines),
                         term_lines=term_lines, annotation_lines=[line for p in parts for line in p[4]],
                         factory=settings.faiss_factory, dimension=dimension)


def _lines(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def _live_counts(entries: list[dict]) -> dict[str, int]:
    """Chunk and token counts over the live articles of these segments (their totals less the deleted)."""
    return {key: sum(e[key] - e.get(f"deleted_{key}", 0) for e in entries)
            for key in ("chunk_count", "token_count", "llm_token_count")}


@dataclass
class PreviousState:
    """What an update needs of the live version without loading it: its manifest, listing and row tables."""

    index_dir: Path
    manifest: dict
    listing: dict[str, list]
    _rows: list[SegmentRows] | None = None

    @property
    def rows(self) -> list[SegmentRows]:
        """Each live segment's rows.json, read when first needed (a no-change update never does)."""
        if self._rows is None:
            self._rows = [SegmentRows.read(self.index_dir / e["name"]) for e in self.manifest["segments"]]
        return self._rows


    def where(self, doc_id: str) -> tuple[int, int, int, int, int] | None:
        """(segment number, first row, chunk count, tokens, LLM tokens) of a live article, or None."""
        if not hasattr(self, "_where"):
            found = {}
            for number, (entry, rows) in enumerate(zip(self.manifest["segments"], self.rows)):
                gone = set(entry.get("deleted", []))
                for doc, *place in zip(rows.doc_ids, rows.first.tolist(), rows.count.tolist(), rows.tokens.tolist(),
                                       rows.llm_tokens.tolist()):
                    if doc not in gone:
                        found[doc] = (number, *place)
            self._where = found
        return self._where.get(doc_id)

    def entries_after(self, replaced: list[str]) -> list[dict]:
        """The live segments' manifest entries with `replaced` added to the deletion lists of their segments."""
        entries = [dict(e, deleted=list(e.get("deleted", []))) for e in self.manifest["segments"]]
        for doc_id in replaced:
            place = self.where(doc_id)
            if place is not None:
                entry = entries[place[0]]
                entry["deleted"].append(doc_id)
                for key, value in zip(("chunk_count", "token_count", "llm_token_count"), place[2:]):
                    entry[f"deleted_{key}"] = entry.get(f"deleted_{key}", 0) + value
        for entry in entries:
            entry["deleted"].sort()
        return entries

    def segment_path(self, number: int) -> Path:
        return self.index_dir / self.manifest["segments"][number]["name"]


def _load_corpus(corpus_dir: Path, previous: PreviousState | None):
    """The corpus, each file whose size and mtime the live listing records left unread.

    A listing is written with its manifest, so their hashes agree; should one not (a listing from
    another version, edited by hand), every file is read, since an unread article the diff took
    for changed would have no text to index.
    """
    corpus = load_corpus(corpus_dir, known=previous.listing if previous else {})
    if previous is not None and corpus.unread:
        if not corpus.unread.items() <= previous.manifest["articles"].items():  # a subset test in C
            corpus = load_corpus(corpus_dir, known={})
    return corpus


def _previous_state(index_dir: Path, live: dict | None, settings: IndexSettings,
                    full: bool) -> tuple[PreviousState | None, str | None]:
    """(the live version as an update builds on it, why it cannot be: None for a first build)."""
    if live is None:
        return None, None
    if live.get("format_version") != FORMAT_VERSION:
        return None, (f"the previous index was built differently: format_version "
                      f"{live.get('format_version')!r} -> {FORMAT_VERSION!r}")
    differences = {k: (live.get("model", {}).get(k), want) for k, want in settings.model().as_dict().items()
                   if live.get("model", {}).get(k) != want}
    if differences:
        return None, "the previous index was built differently: " + ", ".join(
            f"model.{k} {got!r} -> {want!r}" for k, (got, want) in differences.items())
    if full:
        return None, "asked with --full"
    annotator = settings.annotator().as_dict()
    if live.get("annotation") != annotator:
        built = live.get("annotation") or {}
        changed = ", ".join(f"{k} {built.get(k)!r} -> {want!r}" for k, want in annotator.items() if built.get(k) != want)
        return None, f"the annotation pipeline changed ({changed}); a change of pipeline version is a change of model"
    if live.get("settings_fingerprint") != settings.fingerprint(settings.model()):
        return None, "the model or chunking settings changed"
    version = current_version_path(index_dir)
    try:
        wrong = [name for name, size in live["files"].items()
                 if not (index_dir / name if name.startswith("s-") else version / name).is_file()
                 or (index_dir / name if name.startswith("s-") else version / name).stat().st_size != size]
        if wrong:
            return None, f"the previous index could not be read: {wrong[0]} is missing or has another size"
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, f"the previous index could not be read: {type(e).__name__}: {str(e)[:200]}"
    return PreviousState(index_dir, live, read_listing(version)), None


def _up_to_date(index_dir: Path, previous: PreviousState, current: dict[str, str], problems: list[CorpusError],
                corpus_dir: Path) -> bool:
    """True when the live version already holds exactly these articles (file sizes were checked on load)."""
    indexed = previous.manifest.get("articles", {})
    if any(indexed.get(doc_id) != h for doc_id, h in current.items()):
        return False
    present = set(current) | {_problem_doc_id(p, corpus_dir) for p in problems}
    return set(indexed) <= present


LISTING_REFRESH = 1000
"""A no-change update that had to read at least this many unchanged files (touched, copied, checked
out again) writes a version with the same segments and the new listing, so the next one reads none."""


def _nothing_to_do(index_dir: Path, settings: IndexSettings, corpus, previous: PreviousState,
                   current: dict[str, str], started: float) -> UpdateSummary:
    manifest = previous.manifest
    summary = UpdateSummary(problems=corpus.problems, notes=corpus.notes, total_chunks=manifest["chunk_count"],
                            total_articles=manifest["article_count"])
    if len(corpus.articles) >= LISTING_REFRESH and corpus.listing != previous.listing:
        write_version(index_dir, manifest={k: v for k, v in manifest.items() if k != "files"}, listing=corpus.listing)
        remove_stale_versions(index_dir)
        summary.listing_refreshed = len(corpus.articles)
    summary.unchanged = len(current)
    summary.kept_broken = sorted(set(manifest["articles"]) - set(current))
    summary.seconds = time.perf_counter() - started
    _clear_stale_cache(index_dir, settings)
    return summary


def _diff(corpus, current: dict[str, str], corpus_dir: Path, previous: PreviousState | None, rebuilt: dict | None,
          index_dir: Path, summary: UpdateSummary) -> list[Article]:
    """The articles the new segment holds (new and changed ones; all of them for a full build), in id
    order; fills the summary's lists. `rebuilt`: the manifest of the version a full build replaces."""
    old = (previous.manifest if previous else rebuilt or {}).get("articles", {})
    fresh = []
    for article in corpus.articles:
        if article.doc_id not in old:
            summary.added.append(article.doc_id)
        elif old[article.doc_id] != article.content_hash:
            summary.changed.append(article.doc_id)
        else:
            summary.unchanged += 1
            if previous is not None:
                continue
        fresh.append(article)
    summary.unchanged += len(corpus.unread)
    broken_ids = {_problem_doc_id(p, corpus_dir) for p in corpus.problems}
    for doc_id in sorted(set(old) - set(current)):
        if doc_id in broken_ids:
            summary.kept_broken.append(doc_id)
        else:
            summary.deleted.append(doc_id)
    if previous is None and summary.kept_broken:  # a full build keeps their last indexed text
        kept = _stored_articles(index_dir, rebuilt, set(summary.kept_broken))
        summary.kept_broken = sorted(kept)
        fresh.extend(kept.values())
    summary.added.sort()
    summary.changed.sort()
    return sorted(fresh, key=lambda a: a.doc_id)


def _stored_articles(index_dir: Path, manifest: dict | None, wanted: set[str]) -> dict[str, Article]:
    """The live version's stored articles with these ids, where its format can be read; else none."""
    if not manifest or manifest.get("format_version") != FORMAT_VERSION:
        return {}
    found = {}
    try:
        for entry in manifest["segments"]:
            gone = set(entry.get("deleted", []))
            for article in read_segment_articles(index_dir / entry["name"]):
                if article.doc_id in wanted and article.doc_id not in gone:
                    found[article.doc_id] = article
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return found


def _problem_doc_id(problem: CorpusError, corpus_dir: Path) -> str | None:
    try:
        return doc_id_for(problem.path, corpus_dir)
    except ValueError:
        return None


def _check_fits_model(settings: IndexSettings) -> None:
    limit = settings.model().max_seq_length - 2  # the model adds [CLS] and [SEP]
    if settings.chunking.max_tokens > limit:
        raise QAError(f"max_tokens (--max-tokens) {settings.chunking.max_tokens} is more than the embedding model reads "
                      f"({limit} tokens); chunks would be cut short. Use --max-tokens {limit} or less")


def _clear_stale_cache(index_dir: Path, settings: IndexSettings) -> None:
    """The live version is up to date: an embedding or annotation cache still there was left by an update
    killed after its switch, before it cleared the cache (found by `python -m eval chaos`), and is of no
    more use."""
    EmbeddingCache(index_dir / "embed-cache", settings.model()).clear()
    AnnotationCache(index_dir / "annotate-cache", settings.annotator()).clear()


def _reusable_rows(previous: PreviousState | None, chunks: list[Chunk],
                   titles: dict[str, str | None]) -> list[tuple[int, int] | None]:
    """For each new chunk, a (segment, row) of the previous version with the same title and text, or None.

    Looked up by each segment's reuse.npy hashes, then confirmed by reading that row's chunk line
    and its article's title, so a hash collision cannot borrow a wrong vector. Rows of deleted
    articles count: the vector of a text under a title does not depend on the article.
    """
    found: list[tuple[int, int] | None] = [None] * len(chunks)
    if previous is None or not chunks:
        return found
    wanted = np.array([reuse_hash(titles[c.doc_id], c.text) for c in chunks], dtype=np.uint64)
    for number, entry in enumerate(previous.manifest["segments"]):
        folder = previous.index_dir / entry["name"]
        hashes = np.load(folder / "reuse.npy", mmap_mode="r")
        rows_of: dict[int, int] = {}
        for row in np.flatnonzero(np.isin(hashes, wanted)).tolist():
            rows_of.setdefault(int(hashes[row]), row)
        candidates = [(i, rows_of[int(wanted[i])]) for i in range(len(chunks))
                      if found[i] is None and int(wanted[i]) in rows_of]
        if not candidates:
            continue
        offsets = np.load(folder / "chunks.offsets.npy", mmap_mode="r")
        lines = read_lines_at(folder / "chunks.jsonl", offsets, [row for _, row in candidates])
        table = previous.rows[number]
        for (i, row), line in zip(candidates, lines):
            old = json.loads(line)
            if reuse_key(table.title_of(old["doc_id"]), old["text"]) == reuse_key(titles[chunks[i].doc_id], chunks[i].text):
                found[i] = (number, row)
    return found


def _new_chunks(articles: list[Article], previous: PreviousState | None, settings: IndexSettings, embedder: Embedder,
                progress: bool, summary: UpdateSummary, cache: EmbeddingCache,
                annotation_cache: AnnotationCache) -> tuple[list[Chunk], np.ndarray, list[list[str]], list[str]]:
    """The new segment's chunks, their vectors, terms and annotation lines.

    A vector and an annotation line come, in this order of preference, from: the previous
    version's row for a chunk with the same text under the same title (an edited article keeps
    its untouched passages'); the caches of an interrupted build (keyed by
    the exact model input, and by the text); the model and the annotator. Terms are counted afresh.
    """
    token_spans = load_token_counter()
    chunks = [chunk for article in articles
              for chunk in chunk_article(article, settings=settings.chunking, token_spans=token_spans,
                                         count_llm_tokens=count_llm_tokens)]
    titles = {a.doc_id: a.title for a in articles}
    sources = _reusable_rows(previous, chunks, titles)
    summary.reused_by_text = sum(s is not None for s in sources)
    vectors = np.zeros((len(chunks), settings.model().dimension), dtype=np.float32)
    lines = [""] * len(chunks)
    for number in sorted({s[0] for s in sources if s is not None}):
        mine = [i for i, s in enumerate(sources) if s is not None and s[0] == number]
        folder = previous.segment_path(number)
        rows = [sources[i][1] for i in mine]
        vectors[mine] = np.load(folder / "vectors.npy", mmap_mode="r")[rows]
        offsets = np.load(folder / "annotations.offsets.npy", mmap_mode="r")
        for i, line in zip(mine, read_lines_at(folder / "annotations.jsonl", offsets, rows)):
            lines[i] = line
    fresh = [i for i, s in enumerate(sources) if s is None]
    term_lists = [chunk_terms(titles[c.doc_id], c.text) for c in chunks]
    _embed_fresh(chunks, fresh, titles, vectors, embedder, token_spans, settings, progress, summary, cache)
    # After embedding, not beside it: run together on 2 cores (a thread feeding worker processes
    # while the encoder ran) builds were slower and far less steady (500 articles: 33.6 and 52.7 s
    # against 34.7 and 38.1 s in turn; 2,000: 216 s against 48 s + 82 s for the two apart).
    _annotate_fresh(chunks, fresh, lines, annotation_cache, progress, summary, {a.doc_id: a.body for a in articles})
    return chunks, vectors, term_lists, lines


def _embed_fresh(chunks: list[Chunk], fresh: list[int], titles: dict, vectors: np.ndarray, embedder: Embedder,
                 token_spans, settings: IndexSettings, progress: bool, summary: UpdateSummary,
                 cache: EmbeddingCache) -> None:
    """vectors[fresh] from the cache of an interrupted build, else from the model (the title and the chunk text)."""
    limit = settings.model().max_seq_length - 2  # the model adds [CLS] and [SEP]
    inputs = {i: embedding_text(titles[chunks[i].doc_id], chunks[i], token_spans=token_spans, limit=limit)
              for i in fresh}
    keys = {i: text_key(text) for i, text in inputs.items()}
    if fresh:
        cached = cache.load()
        for i in fresh:
            if keys[i] in cached:
                vectors[i] = cached[keys[i]]
                summary.from_cache += 1
        fresh = [i for i in fresh if keys[i] not in cached]
    summary.embedded_chunks = len(fresh)
    summary.embedded_tokens = sum(chunks[i].n_tokens for i in fresh)
    if fresh:
        loading = time.perf_counter()
        embedder.model  # load before the clock for chunks/s starts
        embedding = time.perf_counter()
        _embed_with_progress(embedder, inputs, fresh, keys, vectors, cache, progress)
        summary.model_load_seconds = embedding - loading
        summary.embed_seconds = time.perf_counter() - embedding


def _annotate_fresh(chunks: list[Chunk], fresh: list[int], lines: list[str], cache: AnnotationCache,
                    progress: bool, summary: UpdateSummary, bodies: dict[str, str]) -> None:
    """lines[fresh] from the cache of an interrupted build, else annotated (a text that occurs twice,
    once; the chunks of one article joined into passages, `index.annotate.annotate_chunk_lines`), a
    group at a time, each group saved to the cache at once."""
    if not fresh:
        return
    keys = {i: text_key(chunks[i].text) for i in fresh}
    cached = cache.load()
    for i in fresh:
        if keys[i] in cached:
            lines[i] = cached[keys[i]]
            summary.annotations_from_cache += 1
    first_of: dict[bytes, int] = {}
    for i in fresh:
        if not lines[i]:
            first_of.setdefault(keys[i], i)
    todo = list(first_of.values())
    if todo:
        started = time.perf_counter()
        done, chars = annotate_chunk_lines(
            [chunks[i] for i in todo], bodies, progress=progress, annotate=annotate_lines,
            on_group=lambda finished, part: cache.append([keys[todo[n]] for n in finished], part))
        summary.annotate_seconds = time.perf_counter() - started
        summary.annotated_chunks = len(todo)
        summary.annotated_chars = chars
        by_key = {keys[i]: line for i, line in zip(todo, done)}
        for i in fresh:
            lines[i] = lines[i] or by_key[keys[i]]


EMBED_GROUP = 256
"""Chunks embedded and saved to the cache at a time. Every core works until its group is done, so a
small group leaves cores idle at each end: 64 was 3.5% slower than 256 (5.65 against 5.45 ms a
chunk). A killed build loses at most one group, about 2 s of work."""


def _embed_with_progress(embedder: Embedder, inputs: dict[int, str], rows: list[int], keys: dict[int, bytes],
                         vectors: np.ndarray, cache: EmbeddingCache, progress: bool) -> None:
    """Embed inputs[rows] into vectors[rows], a group at a time, each group saved to the cache at once."""
    from tqdm import tqdm

    group = EMBED_GROUP
    with tqdm(total=len(rows), unit="chunk", desc="embedding", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        for start in range(0, len(rows), group):
            part = rows[start : start + group]
            vectors[part] = embedder.embed_passages([inputs[i] for i in part], group=group)
            cache.append([keys[i] for i in part], vectors[part])
            bar.update(len(part))
