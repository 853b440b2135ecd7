"""The index in Milvus: two collections that hold everything an answer needs, kept in step with the corpus.

Collections (prefix from `StoreConfig.collection`, default `qa`):
    <prefix>_chunks     one row per chunk: `id` (INT64, from doc id, content hash and position),
                        doc_id, article_hash, chunk_id, text, start, end, token counts, `terms`
                        (our BM25 terms as JSON), `lexical` (the same terms, one token each, read
                        by Milvus's analyzer), `sparse` (Milvus's BM25 function over `lexical`),
                        `vector` (FLAT, inner product), `day` and `outlet` (for filters) and
                        `annotation` (the chunk's spaCy annotations, `ChunkAnnotation` JSON).
    <prefix>_articles   one row per article part: metadata (JSON), the body (split into parts of
                        BODY_PART characters, Milvus's text limit being 65,535 bytes), chunk
                        count and when it was written. A row with key `__meta__` holds the
                        manifest: model identity, settings fingerprint, counts, update time.

Both halves of the hybrid search run inside Milvus: the vector search and BM25 full-text search
(bm25_k1 1.5, b 0.75, as ours). Milvus's analyzers offer only the `standard` and `jieba`
tokenizers, so each of our terms (index.terms: our tokenizer, stemming, stopwords, the title's
terms added) is written as one opaque token (`lexical_token`) that the standard tokenizer keeps
whole; Milvus then counts and scores exactly our terms. The two sides come back separately and
qa.retrieve fuses them with our own code, so fusion is unchanged.

Crash safety: an article's chunks are written before its article rows, and an article's older
content (another article_hash) is deleted only after both. A reader takes, for each doc id, the
newest content whose article rows exist, and ignores chunks of any other; so a killed update
leaves every article either as it was or as it is now.

Owns: the Milvus schema, `MilvusStore` (update, add, delete, load, stats) and `MilvusVersion`
(the read view the answering stage searches). Does not: parse files, chunk, embed or annotate
(it calls index.articles, index.chunking, index.embedding and index.annotate), fuse or answer.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from index.annotate import ChunkAnnotation, annotate_chunk_lines, annotate_lines
from index.articles import Article, doc_id_for, load_corpus
from index.backend import ArticleBatch, StoreConfig, StoreStats
from index.chunking import Chunk, chunk_article
from index.embedding import Embedder, count_llm_tokens, load_token_counter
from index.errors import IndexNotFoundError, QAError
from index.store import IndexSettings, IndexVersion, RowSubset, load_index
from index.titles import chunk_terms, embedding_text, reuse_key
from index.update import UpdateSummary, update_lock

SCHEMA_VERSION = 1
BODY_PART = 16_000  # characters of a body per article row: at most 64,000 bytes of UTF-8
TEXT_LIMIT = 65_535  # Milvus VARCHAR limit, in bytes
WRITE_GROUP = 256  # rows per insert: well under gRPC's message limit with 384-d vectors and annotations
READ_GROUP = 4_000
META_KEY = "__meta__"
EMPTY_TOKEN = "<empty>"  # as index.keywords: a chunk without terms still counts one, so lengths agree
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}
_CLIENTS: dict[tuple[str, str], object] = {}


def lexical_token(term: str) -> str:
    """One of our terms as a single token of Milvus's standard analyzer (letters and digits only).

    >>> lexical_token("taliban"), lexical_token("9.11") == lexical_token("9.11")
    ('t13181bd76479', True)
    """
    return "t" + hashlib.blake2b(term.encode("utf-8"), digest_size=6).hexdigest()


def lexical_text(terms: Sequence[str]) -> str:
    """The `lexical` field of a chunk with these terms."""
    return " ".join(lexical_token(t) for t in (terms or [EMPTY_TOKEN]))


def chunk_key(doc_id: str, article_hash: str, position: int) -> int:
    """The chunk row's primary key: the same article content gives the same keys, so a rerun upserts."""
    digest = hashlib.blake2b(f"{doc_id}\0{article_hash}\0{position}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & (2**63 - 1)


def quoted(value: str) -> str:
    """A string literal of a Milvus filter expression."""
    return json.dumps(value, ensure_ascii=False)


def outlet_key(source: str | None) -> str:
    """An outlet name as filters compare it: spaces tidied, case folded."""
    return " ".join((source or "").split()).casefold()


def day_number(published: str | None) -> int:
    """The day number of an ISO date (0 for none or one that does not read), as qa.filters counts days."""
    try:
        return dt.date.fromisoformat(published[:10]).toordinal() if published else 0
    except (TypeError, ValueError):
        return 0


def connect(config: StoreConfig, index_dir: Path):
    """A MilvusClient for the store (one per URI in a process: a Lite file opens once).

    Raises:
        QAError: pymilvus is missing or the server does not answer.
    """
    uri = config.uri_for(index_dir)
    key = (uri, config.milvus_token or "")
    if key in _CLIENTS:
        return _CLIENTS[key]
    try:
        from pymilvus import MilvusClient
    except ImportError as e:
        raise QAError("the Milvus store needs pymilvus and milvus-lite: `.venv/bin/pip install -r requirements.txt`") from e
    # query_iterator warns on every scan that Milvus Lite gives it no timestamp; reads are Strong anyway
    logging.getLogger("pymilvus").setLevel(logging.ERROR)
    if is_lite(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        client = MilvusClient(uri=uri, token=config.milvus_token or "", timeout=30)
    except Exception as e:  # pymilvus raises MilvusException and plain connection errors alike
        if is_lite(uri):
            raise QAError(f"cannot open the Milvus Lite file {uri} ({str(e)[:120]}); a Lite file opens in one process "
                          f"at a time: stop the chat or command using it, or run a Milvus server and pass "
                          f"--milvus-uri http://HOST:19530") from e
        raise QAError(f"cannot reach Milvus at {uri} ({type(e).__name__}: {str(e)[:200]}); check --milvus-uri "
                      f"(or $QA_MILVUS_URI), the server and $QA_MILVUS_TOKEN") from e
    _CLIENTS[key] = client
    return client


def is_lite(uri: str) -> bool:
    """True for a Milvus Lite file, False for a server's address."""
    return not uri.startswith(("http://", "https://", "tcp://", "unix:"))


def close_clients() -> None:
    """Close every client this process opened (tests, and before a Lite file is removed)."""
    while _CLIENTS:
        _, client = _CLIENTS.popitem()
        try:
            client.close()
        except Exception:  # a client whose server went away has nothing left to close
            pass


def _chunk_schema(client, dimension: int):
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, description=f"qa chunks, schema {SCHEMA_VERSION}")
    schema.add_field("id", DataType.INT64, is_primary=True)
    for name in ("doc_id", "chunk_id"):
        schema.add_field(name, DataType.VARCHAR, max_length=2048)
    schema.add_field("article_hash", DataType.VARCHAR, max_length=128)
    for name in ("text", "terms", "annotation"):
        schema.add_field(name, DataType.VARCHAR, max_length=TEXT_LIMIT)
    schema.add_field("lexical", DataType.VARCHAR, max_length=TEXT_LIMIT, enable_analyzer=True,
                     analyzer_params={"tokenizer": "standard"})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    for name in ("start", "end"):
        schema.add_field(name, DataType.INT64)
    for name in ("position", "n_tokens", "n_llm_tokens", "day"):
        schema.add_field(name, DataType.INT32)
    schema.add_field("outlet", DataType.VARCHAR, max_length=1024)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["lexical"],
                                 output_field_names=["sparse"]))
    return schema


def _article_schema(client):
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, description=f"qa articles, schema {SCHEMA_VERSION}")
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=2300)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=2048)
    schema.add_field("article_hash", DataType.VARCHAR, max_length=128)
    schema.add_field("part", DataType.INT32)
    schema.add_field("parts", DataType.INT32)
    schema.add_field("chunk_count", DataType.INT32)
    schema.add_field("written_at", DataType.INT64)
    schema.add_field("metadata", DataType.VARCHAR, max_length=TEXT_LIMIT)
    schema.add_field("body", DataType.VARCHAR, max_length=TEXT_LIMIT)
    schema.add_field("marker", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
    return schema


@dataclass
class MilvusStore:
    """The Milvus backend of `index.backend.Store`."""

    config: StoreConfig
    index_dir: Path
    _client: object | None = field(default=None, repr=False)

    @property
    def client(self):
        if self._client is None:
            self._client = connect(self.config, self.index_dir)
        return self._client

    @property
    def chunks_name(self) -> str:
        return f"{self.config.collection}_chunks"

    @property
    def articles_name(self) -> str:
        return f"{self.config.collection}_articles"

    def where(self) -> str:
        return self.config.uri_for(self.index_dir)

    def exists(self) -> bool:
        return self.client.has_collection(self.chunks_name) and self.client.has_collection(self.articles_name)

    def create(self, dimension: int) -> None:
        """Drop and make both collections afresh (a full rebuild)."""
        client = self.client
        for name in (self.chunks_name, self.articles_name):
            if client.has_collection(name):
                client.drop_collection(name)
        params = client.prepare_index_params()
        params.add_index("vector", index_type="FLAT", metric_type="IP")
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25_PARAMS)
        client.create_collection(self.chunks_name, schema=_chunk_schema(client, dimension), index_params=params,
                                 consistency_level="Strong")
        params = client.prepare_index_params()
        params.add_index("marker", index_type="FLAT", metric_type="IP")
        client.create_collection(self.articles_name, schema=_article_schema(client), index_params=params,
                                 consistency_level="Strong")

    def not_built(self) -> IndexNotFoundError:
        """The error for a store with nothing built yet, naming the command that builds it."""
        error = IndexNotFoundError(self.index_dir)
        uri = f" --milvus-uri {self.config.milvus_uri}" if self.config.milvus_uri else ""
        error.args = (f"no index in the Milvus store at {self.where()}; build it with `.venv/bin/python -m index "
                      f"--store milvus{uri} --index-dir {self.index_dir}`",)
        return error

    def open(self) -> None:
        """Load both collections for search (a reopened Lite file starts them released)."""
        if not self.exists():
            raise self.not_built()
        for name in (self.chunks_name, self.articles_name):
            self.client.load_collection(name)

    def meta(self) -> dict | None:
        """The manifest row, or None when nothing was built yet."""
        if not self.exists():
            return None
        self.client.load_collection(self.articles_name)
        rows = self.client.get(self.articles_name, ids=[META_KEY], output_fields=["metadata"])
        return json.loads(rows[0]["metadata"]) if rows else None

    def write_meta(self, manifest: dict) -> None:
        self.client.upsert(self.articles_name, [{
            "key": META_KEY, "doc_id": "", "article_hash": "", "part": 0, "parts": 0, "chunk_count": 0,
            "written_at": time.time_ns(), "metadata": json.dumps(manifest, ensure_ascii=False), "body": "",
            "marker": [1.0, 0.0]}])

    # -- writing ---------------------------------------------------------------------------------

    def add(self, batch: ArticleBatch, *, progress: bool = False) -> None:
        """Write new or changed articles: chunks first, then article rows, then their older content goes."""
        from tqdm import tqdm

        positions: dict[str, int] = {}
        rows = []
        for chunk, vector, found, line in zip(batch.chunks, batch.vectors, batch.terms, batch.annotation_lines):
            positions[chunk.doc_id] = positions.get(chunk.doc_id, -1) + 1
            rows.append((chunk, vector, found, line, positions[chunk.doc_id]))
        by_id = {a.doc_id: a for a in batch.articles}
        with tqdm(total=len(rows), unit="chunk", desc="writing to Milvus", file=sys.stderr, disable=not progress,
                  dynamic_ncols=True) as bar:
            for start in range(0, len(rows), WRITE_GROUP):
                part = rows[start : start + WRITE_GROUP]
                self.client.upsert(self.chunks_name, [_chunk_row(by_id[c.doc_id], c, v, t, a, p) for c, v, t, a, p in part])
                bar.update(len(part))
        counts = {doc_id: n + 1 for doc_id, n in positions.items()}
        article_rows = [row for a in batch.articles for row in _article_rows(a, counts.get(a.doc_id, 0))]
        for start in range(0, len(article_rows), WRITE_GROUP):
            self.client.upsert(self.articles_name, article_rows[start : start + WRITE_GROUP])
        self._delete_other_content(batch.articles)

    def _delete_other_content(self, articles: Sequence[Article]) -> None:
        for start in range(0, len(articles), 200):
            part = articles[start : start + 200]
            expression = " or ".join(f"(doc_id == {quoted(a.doc_id)} and article_hash != {quoted(a.content_hash)})"
                                     for a in part)
            self.client.delete(self.articles_name, filter=expression)
            self.client.delete(self.chunks_name, filter=expression)

    def delete(self, doc_ids: Sequence[str]) -> int:
        """Remove articles (article rows first, so no reader takes a half-deleted one) and their chunks."""
        doc_ids = list(doc_ids)
        for start in range(0, len(doc_ids), 500):
            expression = f"doc_id in [{', '.join(quoted(d) for d in doc_ids[start : start + 500])}]"
            self.client.delete(self.articles_name, filter=expression)
            self.client.delete(self.chunks_name, filter=expression)
        return len(doc_ids)

    def update(self, corpus_dir: Path, *, settings: IndexSettings, full: bool = False,
               embedder: Embedder | None = None, progress: bool = True,
               reuse: IndexVersion | None = None) -> UpdateSummary:
        """Bring the collections in line with the corpus folder; see MilvusStore's module docstring.

        Only new and changed articles (by content hash) are chunked, embedded, annotated and
        written; removed ones are deleted. A different model, chunking or annotation pipeline, or
        `full`, rebuilds the collections. `reuse`: a FAISS version whose vectors and annotations
        serve chunks with the same title and text; a rebuild takes the FAISS index in the same
        folder when it was built the same way.
        """
        started = time.perf_counter()
        fingerprint = settings.fingerprint(settings.model())
        with update_lock(self.index_dir):
            corpus = load_corpus(corpus_dir)
            meta = self.meta()
            reason = None
            if meta is not None and full:
                reason = "asked with --full"
            elif meta is not None and (meta.get("settings_fingerprint"), meta.get("schema_version")) != (
                    fingerprint, SCHEMA_VERSION):
                reason = "the model, annotation pipeline or chunking settings changed"
            if meta is None or reason:
                self.create(settings.model().dimension)
                reuse = reuse or _faiss_beside(self.index_dir, fingerprint)
            self.open()
            summary = UpdateSummary(problems=corpus.problems, notes=corpus.notes, full_rebuild_reason=reason)
            live, doubled = self._contents()
            todo, deleted = _diff(corpus.articles, corpus.problems, corpus_dir, live, summary)
            # killed after writing new content, before deleting the old: finish that deletion now
            unfinished = [a for a in corpus.articles if a.doc_id in doubled and a not in todo]
            if unfinished:
                self._delete_other_content(unfinished)
            if todo or deleted or meta is None or reason:
                batch = make_batch(todo, settings=settings, embedder=embedder or Embedder(settings.backend),
                                   progress=progress, summary=summary, reuse=reuse)
                self.add(batch, progress=progress)
                self.delete(deleted)
                # Sealed and indexed: a search over rows still in a growing segment is brute force
                # (BM25 over SciFact's 19,112 chunks: 6.5 s a query before, 0.27 s after).
                for name in (self.chunks_name, self.articles_name):
                    self.client.flush(name)
                summary.written = Path(self.where())
            stats = self.stats()
            summary.total_articles, summary.total_chunks = stats.articles, stats.chunks
            if summary.written is not None:
                self.write_meta({"schema_version": SCHEMA_VERSION, "settings_fingerprint": fingerprint,
                                 "model": settings.model().as_dict(), "annotation": settings.annotator().as_dict(),
                                 "chunking": dataclasses.asdict(settings.chunking),
                                 "bm25": BM25_PARAMS, "lexical": "our terms (index.terms), one token each",
                                 "updated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                 "token": time.time_ns(), "article_count": stats.articles,
                                 "chunk_count": stats.chunks})
        summary.seconds = time.perf_counter() - started
        return summary

    # -- reading ---------------------------------------------------------------------------------

    def live_contents(self) -> dict[str, tuple[str, int]]:
        """For each doc id, the content hash a reader takes (its newest written) and when it was written."""
        return self._contents()[0]

    def _contents(self) -> tuple[dict[str, tuple[str, int]], set[str]]:
        """live_contents, and the doc ids that also have older content left by a killed update."""
        live: dict[str, tuple[str, int]] = {}
        doubled: set[str] = set()
        for row in self._scan(self.articles_name, "part == 0 and doc_id != \"\"",
                              ["doc_id", "article_hash", "written_at"]):
            if row["doc_id"] in live:
                doubled.add(row["doc_id"])
            if row["doc_id"] not in live or row["written_at"] > live[row["doc_id"]][1]:
                live[row["doc_id"]] = (row["article_hash"], row["written_at"])
        return live, doubled

    def _scan(self, collection: str, expression: str, fields: list[str]) -> Iterable[dict]:
        iterator = self.client.query_iterator(collection, batch_size=READ_GROUP, filter=expression,
                                              output_fields=fields)
        try:
            while True:
                page = iterator.next()
                if not page:
                    return
                yield from page
        finally:
            iterator.close()

    def stats(self) -> StoreStats:
        if not self.exists():
            return StoreStats("milvus", 0, 0, self.where())
        self.client.load_collection(self.articles_name)
        self.client.load_collection(self.chunks_name)
        articles = self.client.query(self.articles_name, filter="part == 0 and doc_id != \"\"",
                                     output_fields=["count(*)"])[0]["count(*)"]
        chunks = self.client.query(self.chunks_name, filter="", output_fields=["count(*)"])[0]["count(*)"]
        return StoreStats("milvus", int(articles), int(chunks), self.where())

    def load(self) -> MilvusVersion:
        """The read view: the live articles and their chunk table, searched in Milvus.

        Raises:
            IndexNotFoundError: nothing built in this store yet.
        """
        meta = self.meta()
        if meta is None:
            raise self.not_built()
        self.open()
        live = self.live_contents()
        bodies: dict[str, dict[int, str]] = {}
        metadata: dict[str, dict] = {}
        for row in self._scan(self.articles_name, "doc_id != \"\"", ["doc_id", "article_hash", "part", "metadata",
                                                                     "body"]):
            if live.get(row["doc_id"], ("",))[0] == row["article_hash"]:
                bodies.setdefault(row["doc_id"], {})[row["part"]] = row["body"]
                if row["part"] == 0:
                    metadata[row["doc_id"]] = json.loads(row["metadata"])
        articles = {doc_id: Article(doc_id=doc_id, body="".join(parts[i] for i in sorted(parts)), **metadata[doc_id])
                    for doc_id, parts in sorted(bodies.items())}
        found = []
        for row in self._scan(self.chunks_name, "", ["doc_id", "article_hash", "chunk_id", "text", "start", "end",
                                                     "n_tokens", "n_llm_tokens", "position", "terms"]):
            if live.get(row["doc_id"], ("",))[0] == row["article_hash"] and row["doc_id"] in articles:
                found.append(row)
        found.sort(key=lambda r: (r["doc_id"], r["position"]))
        chunks = [Chunk(r["chunk_id"], r["doc_id"], r["text"], r["start"], r["end"], r["n_tokens"], r["n_llm_tokens"])
                  for r in found]
        return MilvusVersion(store=self, manifest=meta, chunks=chunks, articles=articles,
                             keys=np.array([r["id"] for r in found], dtype=np.int64),
                             terms=[json.loads(r["terms"]) for r in found])


def _faiss_beside(index_dir: Path, fingerprint: str) -> IndexVersion | None:
    """The FAISS index in the same folder when it was built the same way (a first Milvus build reuses
    its vectors and annotations), else None."""
    try:
        version = load_index(index_dir, keywords=False)
    except (QAError, OSError):
        return None
    return version if version.manifest.get("settings_fingerprint") == fingerprint else None


def _chunk_row(article: Article, chunk: Chunk, vector: np.ndarray, found: list[str], annotation: str,
               position: int) -> dict:
    text_fields = {"text": chunk.text, "terms": json.dumps(found, ensure_ascii=False), "annotation": annotation}
    for name, value in text_fields.items():
        if len(value.encode("utf-8")) > TEXT_LIMIT:
            raise QAError(f"chunk {chunk.chunk_id}'s {name} is {len(value.encode('utf-8')):,} bytes, more than a Milvus "
                          f"text field holds ({TEXT_LIMIT:,}); use a smaller --max-tokens or the FAISS store")
    return {"id": chunk_key(chunk.doc_id, article.content_hash, position), "doc_id": chunk.doc_id,
            "chunk_id": chunk.chunk_id, "article_hash": article.content_hash, **text_fields,
            "lexical": lexical_text(found), "vector": np.asarray(vector, dtype=np.float32).tolist(),
            "start": chunk.start, "end": chunk.end, "position": position, "n_tokens": chunk.n_tokens,
            "n_llm_tokens": chunk.n_llm_tokens, "day": day_number(article.published),
            "outlet": outlet_key(article.source)}


def _article_rows(article: Article, chunk_count: int) -> list[dict]:
    parts = [article.body[i : i + BODY_PART] for i in range(0, len(article.body), BODY_PART)] or [""]
    metadata = json.dumps({**article.metadata(), "content_hash": article.content_hash}, ensure_ascii=False)
    written = time.time_ns()
    return [{"key": f"{article.content_hash}:{n}:{article.doc_id}", "doc_id": article.doc_id,
             "article_hash": article.content_hash, "part": n, "parts": len(parts), "chunk_count": chunk_count,
             "written_at": written, "metadata": metadata, "body": body, "marker": [1.0, 0.0]}
            for n, body in enumerate(parts)]


def _diff(current: list[Article], problems: list, corpus_dir: Path, live: dict[str, tuple[str, int]],
          summary: UpdateSummary) -> tuple[list[Article], list[str]]:
    """(articles to write, doc ids to delete); fills the summary's lists. A broken file keeps its last content."""
    todo = []
    for article in current:
        if article.doc_id not in live:
            summary.added.append(article.doc_id)
            todo.append(article)
        elif live[article.doc_id][0] != article.content_hash:
            summary.changed.append(article.doc_id)
            todo.append(article)
        else:
            summary.unchanged += 1
    present = {a.doc_id for a in current}
    broken = set()
    for problem in problems:
        try:
            broken.add(doc_id_for(problem.path, corpus_dir))
        except ValueError:
            pass
    deleted = []
    for doc_id in sorted(set(live) - present):
        (summary.kept_broken if doc_id in broken else deleted).append(doc_id)
    summary.deleted = deleted
    return todo, deleted


def make_batch(articles: list[Article], *, settings: IndexSettings, embedder: Embedder, progress: bool,
               summary: UpdateSummary, reuse: IndexVersion | None = None) -> ArticleBatch:
    """Chunks, vectors, terms and annotations of `articles`, made by the same code as a FAISS build.

    A chunk whose title and text a `reuse` version holds takes its vector and annotation from there.
    """
    token_spans = load_token_counter()
    chunks = [c for a in articles for c in chunk_article(a, settings=settings.chunking, token_spans=token_spans,
                                                         count_llm_tokens=count_llm_tokens)]
    titles = {a.doc_id: a.title for a in articles}
    found = [chunk_terms(titles[c.doc_id], c.text) for c in chunks]
    vectors = np.zeros((len(chunks), settings.model().dimension), dtype=np.float32)
    lines = [""] * len(chunks)
    fresh = list(range(len(chunks)))
    if reuse is not None and chunks:
        old_titles = {d: a.title for d, a in reuse.articles.items()}
        rows = {reuse_key(old_titles.get(c.doc_id), c.text): row for row, c in enumerate(reuse.chunks)}
        hits = {i: rows.get(reuse_key(titles[c.doc_id], c.text)) for i, c in enumerate(chunks)}
        kept = [i for i, row in hits.items() if row is not None]
        if kept:
            vectors[kept] = reuse.all_vectors()[[hits[i] for i in kept]]
            old_lines = reuse.annotation_lines()
            for i in kept:
                lines[i] = old_lines[hits[i]]
        summary.reused_by_text = len(kept)
        fresh = [i for i in fresh if hits[i] is None]
    _embed(chunks, fresh, titles, vectors, settings, embedder, token_spans, progress, summary)
    if fresh:
        annotating = time.perf_counter()
        done, chars = annotate_chunk_lines([chunks[i] for i in fresh], {a.doc_id: a.body for a in articles},
                                           progress=progress, annotate=annotate_lines)
        for i, line in zip(fresh, done):
            lines[i] = line
        summary.annotate_seconds = time.perf_counter() - annotating
        summary.annotated_chunks = len(fresh)
        summary.annotated_chars = chars
    return ArticleBatch(articles=articles, chunks=chunks, vectors=vectors, terms=found, annotation_lines=lines)


def _embed(chunks: list[Chunk], rows: list[int], titles: dict, vectors: np.ndarray, settings: IndexSettings,
           embedder: Embedder, token_spans, progress: bool, summary: UpdateSummary) -> None:
    from tqdm import tqdm

    if not rows:
        return
    limit = settings.model().max_seq_length - 2  # the model adds [CLS] and [SEP]
    inputs = [embedding_text(titles[chunks[i].doc_id], chunks[i], token_spans=token_spans, limit=limit) for i in rows]
    loading = time.perf_counter()
    embedder.model  # load before the clock for chunks/s starts
    embedding = time.perf_counter()
    with tqdm(total=len(rows), unit="chunk", desc="embedding", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        for start in range(0, len(rows), 256):
            part = rows[start : start + 256]
            vectors[part] = embedder.embed_passages(inputs[start : start + 256])
            bar.update(len(part))
    summary.model_load_seconds = embedding - loading
    summary.embed_seconds = time.perf_counter() - embedding
    summary.embedded_chunks = len(rows)
    summary.embedded_tokens = sum(chunks[i].n_tokens for i in rows)


@dataclass(frozen=True)
class MilvusRows(RowSubset):
    """A RowSubset that also carries the Milvus filter expression saying the same (qa.filters makes them)."""

    expression: str | None = None


@dataclass
class MilvusVersion:
    """The read view of a Milvus store, with the members of `IndexVersion` the answering stage uses.

    The chunk table (text and offsets, no vectors) and the articles are read once at load, as the
    FAISS backend reads chunks.jsonl and articles.jsonl; the vectors, BM25 postings and
    annotations stay in Milvus: searches run there and a question's annotations are fetched by key.
    Row i is chunk i of `chunks`; `keys[i]` its Milvus primary key.
    """

    store: MilvusStore
    manifest: dict
    chunks: list[Chunk]
    articles: dict[str, Article]
    keys: np.ndarray
    terms: list[list[str]]
    _row_of: dict[int, int] = field(default_factory=dict, repr=False)
    _memo: dict[int, ChunkAnnotation] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._row_of = {int(k): i for i, k in enumerate(self.keys)}

    @property
    def path(self) -> Path:
        return Path(self.store.where())

    @property
    def token(self) -> int:
        """Changes with every update that wrote something (the manifest row's `token`)."""
        return int(self.manifest.get("token", 0))

    def document_frequencies(self) -> dict[str, int]:
        """How many chunks hold each term (for the answer composer's idf, as Bm25's)."""
        counts: dict[str, int] = {}
        for found in self.terms:
            for term in set(found):
                counts[term] = counts.get(term, 0) + 1
        return counts

    def search(self, query_vectors: np.ndarray, k: int, *,
               within: RowSubset | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores and rows of the k nearest chunks of each query vector, by Milvus (-1 where none)."""
        query_vectors = np.asarray(query_vectors, dtype=np.float32)
        scores = np.full((len(query_vectors), k), -np.inf, dtype=np.float32)
        rows = np.full((len(query_vectors), k), -1, dtype=np.int64)
        if not self.chunks or (within is not None and not len(within)):
            return scores, rows
        results = self.store.client.search(self.store.chunks_name, data=query_vectors.tolist(), anns_field="vector",
                                           limit=k, filter=self._expression(within), output_fields=[],
                                           search_params={"metric_type": "IP"})
        for q, hits in enumerate(results):
            found = [(self._row_of[h["id"]], h["distance"]) for h in hits if h["id"] in self._row_of][:k]
            for j, (row, score) in enumerate(found):
                rows[q, j], scores[q, j] = row, score
        return scores, rows

    def search_terms(self, query_terms: Sequence[str], k: int, *,
                     within: RowSubset | None = None) -> list[tuple[int, float]]:
        """(row, BM25 score) of the k best chunks for these terms by Milvus's full-text search, best first."""
        if not query_terms or not self.chunks or (within is not None and not len(within)):
            return []
        results = self.store.client.search(self.store.chunks_name, data=[lexical_text(query_terms)],
                                           anns_field="sparse", limit=k, filter=self._expression(within),
                                           output_fields=[], search_params={"metric_type": "BM25"})
        # Milvus Lite returns BM25 scores negated (a server returns them positive); BM25 is never negative.
        # Milvus multiplies each term by (k1 + 1), which Lucene's BM25 as bm25s and index.keywords write it
        # leaves out: the same ranking, 2.5 times the score. Dividing gives our scores (the tests check).
        scale = 1.0 + BM25_PARAMS["bm25_k1"]
        found = [(self._row_of[h["id"]], abs(float(h["distance"])) / scale) for h in results[0]
                 if h["id"] in self._row_of]
        return [(row, score) for row, score in found if score > 0][:k]

    def _expression(self, within: RowSubset | None) -> str:
        if within is None:
            return ""
        expression = getattr(within, "expression", None)
        if expression is not None:
            return expression
        return f"id in [{', '.join(str(int(self.keys[r])) for r in within.rows)}]"  # a plain subset: by key

    def annotations(self, rows: Sequence[int]) -> list[ChunkAnnotation]:
        """The stored annotations of chunks `rows`, fetched from Milvus by key (the last ones kept)."""
        missing = [r for r in dict.fromkeys(rows) if r not in self._memo]
        for r in missing:
            if not 0 <= r < len(self.chunks):
                raise IndexError(f"chunk row {r} is out of range: the index has {len(self.chunks)} chunks")
        if missing:
            got = self.store.client.get(self.store.chunks_name, ids=[int(self.keys[r]) for r in missing],
                                        output_fields=["annotation"])
            by_key = {row["id"]: row["annotation"] for row in got}
            if len(self._memo) > 2048:
                self._memo.clear()
            for r in missing:
                self._memo[r] = ChunkAnnotation.from_json(by_key[int(self.keys[r])])
        return [self._memo[r] for r in rows]
