"""Bring the built index in line with the corpus, embedding only what changed.

Owns: the diff between the corpus and the live index (by content hash), when to rebuild fully
(model or settings changed, or asked), the one-update-at-a-time lock, and the summary line.
Does not: parse files (index.articles), cut text (index.chunking), or write files (index.store).
"""
from __future__ import annotations

import fcntl
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from index.articles import Article, CorpusNote, doc_id_for, load_corpus
from index.chunking import Chunk, chunk_article
from index.embedding import Embedder, count_llm_tokens, load_token_counter, model_identity
from index.errors import CorpusError, IndexBusyError, IndexMismatchError, IndexNotFoundError, QAError
from index.terms import terms
from index.store import (IndexSettings, IndexVersion, build_manifest, load_index, remove_stale_versions,
                         write_version)


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
    total_chunks: int = 0
    total_articles: int = 0
    full_rebuild_reason: str | None = None
    seconds: float = 0.0
    model_load_seconds: float = 0.0
    embed_seconds: float = 0.0
    written: Path | None = None

    def line(self) -> str:
        """One line a person reads at the end of `python -m index`."""
        if self.written is None:
            return (f"index: up to date ({self.total_articles} articles, {self.total_chunks} chunks); "
                    f"nothing embedded in {self.seconds:.1f} s")
        how = f"full rebuild ({self.full_rebuild_reason})" if self.full_rebuild_reason else "updated"
        rate = (f" ({self.embedded_chunks / self.embed_seconds:.1f} chunks/s, model load {self.model_load_seconds:.1f} s)"
                if self.embed_seconds and self.embedded_chunks else "")
        kept = f", {len(self.kept_broken)} kept from the last build (file now broken)" if self.kept_broken else ""
        noun = "chunk" if self.embedded_chunks == 1 else "chunks"
        return (f"index: {how}: {len(self.added)} added, {len(self.changed)} changed, {len(self.deleted)} deleted, "
                f"{self.unchanged} unchanged{kept}; embedded {self.embedded_chunks} {noun}{rate}; "
                f"{self.total_articles} articles, {self.total_chunks} chunks in {self.seconds:.1f} s")


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
                 embedder: Embedder | None = None, progress: bool = True) -> UpdateSummary:
    """Update (or build) the index in `index_dir` from the articles in `corpus_dir`.

    Only new and changed articles are chunked and embedded; unchanged ones keep their vectors.
    A different model or chunking setting, or `full=True`, rebuilds everything.
    A file that is now broken keeps its last indexed version and is reported.

    Raises:
        IndexBusyError: another update is running.
        CorpusError: the corpus folder is missing.
    """
    settings = settings or IndexSettings()
    started = time.perf_counter()
    _check_fits_model(settings)
    with update_lock(index_dir):
        remove_stale_versions(index_dir)
        corpus = load_corpus(corpus_dir)
        loaded, previous, reason = _previous_index(index_dir, settings, full)
        summary = UpdateSummary(problems=corpus.problems, notes=corpus.notes, full_rebuild_reason=reason)
        articles = _diff(corpus.articles, corpus.problems, corpus_dir, loaded, summary)
        if previous is not None and not (summary.added or summary.changed or summary.deleted
                                         or _metadata_changed(articles, previous)):
            summary.total_chunks, summary.total_articles = len(previous.chunks), len(previous.articles)
            summary.seconds = time.perf_counter() - started
            return summary
        chunks, vectors, chunk_terms = _chunks_and_vectors(articles, previous, settings, embedder or Embedder(),
                                                           progress, summary)
        manifest = build_manifest(model=model_identity(), settings=settings, chunks=chunks, articles=articles,
                                  stats={"embedded_chunks": summary.embedded_chunks})
        summary.written = write_version(index_dir, vectors=vectors, chunks=chunks, articles=articles, manifest=manifest,
                                        terms=chunk_terms)
        remove_stale_versions(index_dir)
    summary.total_chunks, summary.total_articles = len(chunks), len(articles)
    summary.seconds = time.perf_counter() - started
    return summary


def _check_fits_model(settings: IndexSettings) -> None:
    limit = model_identity().max_seq_length - 2  # the model adds [CLS] and [SEP]
    if settings.chunking.max_tokens > limit:
        raise QAError(f"max_tokens (--max-tokens) {settings.chunking.max_tokens} is more than the embedding model reads "
                      f"({limit} tokens); chunks would be cut short. Use --max-tokens {limit} or less")


def _previous_index(index_dir: Path, settings: IndexSettings,
                    full: bool) -> tuple[IndexVersion | None, IndexVersion | None, str | None]:
    """(the live version if it loads, the same when its vectors can be reused, why not)."""
    try:
        loaded = load_index(index_dir)
    except IndexNotFoundError:
        return None, None, None
    except IndexMismatchError as e:
        differences = ", ".join(f"{k} {got!r} -> {want!r}" for k, (got, want) in e.differences.items())
        if any(k == "format_version" or k.startswith("model.") for k in e.differences):
            return None, None, f"the previous index was built differently: {differences}"
        return None, None, f"the previous index could not be read: its files disagree ({differences})"
    except (QAError, OSError) as e:
        return None, None, f"the previous index could not be read: {e}"
    if full:
        return loaded, None, "asked with --full"
    if loaded.manifest.get("settings_fingerprint") != settings.fingerprint(model_identity()):
        return loaded, None, "the model or chunking settings changed"
    return loaded, loaded, None


def _diff(current: list[Article], problems: list[CorpusError], corpus_dir: Path, previous: IndexVersion | None,
          summary: UpdateSummary) -> list[Article]:
    """The articles the new version holds, in id order; fills the summary's lists."""
    old = previous.articles if previous else {}
    result = {a.doc_id: a for a in current}
    for article in current:
        if article.doc_id not in old:
            summary.added.append(article.doc_id)
        elif old[article.doc_id].content_hash != article.content_hash:
            summary.changed.append(article.doc_id)
        else:
            summary.unchanged += 1
    broken_ids = {_problem_doc_id(p, corpus_dir) for p in problems}
    for doc_id in old:
        if doc_id in result:
            continue
        if doc_id in broken_ids:
            result[doc_id] = old[doc_id]
            summary.kept_broken.append(doc_id)
        else:
            summary.deleted.append(doc_id)
    return [result[k] for k in sorted(result)]


def _problem_doc_id(problem: CorpusError, corpus_dir: Path) -> str | None:
    try:
        return doc_id_for(problem.path, corpus_dir)
    except ValueError:
        return None


def _metadata_changed(articles: list[Article], previous: IndexVersion) -> bool:
    return any(previous.articles[a.doc_id] != a for a in articles if a.doc_id in previous.articles)


def _chunks_and_vectors(articles: list[Article], previous: IndexVersion | None, settings: IndexSettings,
                        embedder: Embedder, progress: bool,
                        summary: UpdateSummary) -> tuple[list[Chunk], np.ndarray, list[list[str]]]:
    reuse = _reusable_rows(previous, articles)
    token_spans = load_token_counter()
    chunks: list[Chunk] = []
    sources: list[int] = []  # row in the previous index, or -1 to embed
    for article in articles:
        if article.doc_id in reuse:
            for row in reuse[article.doc_id]:
                chunks.append(previous.chunks[row])
                sources.append(row)
        else:
            for chunk in chunk_article(article, settings=settings.chunking, token_spans=token_spans,
                                       count_llm_tokens=count_llm_tokens):
                chunks.append(chunk)
                sources.append(-1)
    fresh = [i for i, s in enumerate(sources) if s < 0]
    summary.embedded_chunks = len(fresh)
    dimension = model_identity().dimension
    vectors = np.zeros((len(chunks), dimension), dtype=np.float32)
    chunk_terms: list[list[str]] = [[] for _ in chunks]
    if previous is not None and any(s >= 0 for s in sources):
        old_vectors, old_terms = previous.all_vectors(), previous.chunk_terms()
        kept = [i for i, s in enumerate(sources) if s >= 0]
        vectors[kept] = old_vectors[[sources[i] for i in kept]]
        for i in kept:
            chunk_terms[i] = old_terms[sources[i]]
    for i in fresh:
        chunk_terms[i] = terms(chunks[i].text)
    if fresh:
        loading = time.perf_counter()
        embedder.model  # load before the clock for chunks/s starts
        embedding = time.perf_counter()
        vectors[fresh] = _embed_with_progress(embedder, [chunks[i].text for i in fresh], progress)
        summary.model_load_seconds = embedding - loading
        summary.embed_seconds = time.perf_counter() - embedding
    return chunks, vectors, chunk_terms


def _reusable_rows(previous: IndexVersion | None, articles: list[Article]) -> dict[str, list[int]]:
    """Rows of the previous index per article whose content is unchanged."""
    if previous is None:
        return {}
    rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(previous.chunks):
        rows.setdefault(chunk.doc_id, []).append(row)
    return {a.doc_id: rows.get(a.doc_id, []) for a in articles
            if a.doc_id in previous.articles and previous.articles[a.doc_id].content_hash == a.content_hash}


def _embed_with_progress(embedder: Embedder, texts: list[str], progress: bool) -> np.ndarray:
    from tqdm import tqdm

    with tqdm(total=len(texts), unit="chunk", desc="embedding", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        return embedder.embed_passages(texts, on_batch=bar.update)
