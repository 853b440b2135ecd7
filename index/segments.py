"""Segments: the immutable pieces an index version is made of, written once and never changed.

A segment folder (`s-<time>-<rand>/` in the index folder) holds some articles and all their chunks:
    vectors.npy             the chunks' vectors (float32, row i is line i of chunks.jsonl), memory-mapped
    vectors.faiss           the FAISS search index over those rows (exact up to EXACT_MAX_CHUNKS, a float16 scan up to SCAN_MAX_CHUNKS, IVF beyond)
    chunks.jsonl            chunk table; chunks.offsets.npy: int64 byte offsets of its lines, so that an
                            update reads an edited article's old chunks by seeking
    terms.jsonl             each chunk's keyword terms in order (line i for chunk i)
    annotations.jsonl       each chunk's spaCy annotations, with annotations.offsets.npy as for chunks
    keywords/               the terms counted per chunk and the per-term postings with term frequencies
                            (index.keywords); BM25 scores are not stored: they depend on every live chunk
                            of the version, so `SegmentedBm25` computes them with the version's statistics
    articles.jsonl          the segment's articles, metadata and bodies
    rows.json               per article, in order: [doc_id, first row, chunk count, tokens, LLM tokens, title]
    reuse.npy               per row, a 64-bit hash of its title and text (index.titles.reuse_key), so that an
                            update finds a chunk it need not embed again without reading the chunk table
Articles are in id order and each article's chunks are consecutive rows, so a version's global
row order (every live article in id order, its chunks in order) is the order a full build gives.

Owns: writing and reading one segment, and the BM25 that spans a version's segments.
Does not: decide which segments a version holds or when to merge them (index.update), or switch
CURRENT (index.store).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterable, Sequence

import faiss
import numpy as np
import orjson

from index.articles import Article
from index.chunking import Chunk
from index.titles import reuse_key
from index.keywords import EMPTY, K1, B, TermRows, load_segment_keywords, save_segment_keywords

_JSON_LINE = json.JSONEncoder(ensure_ascii=False).encode


@dataclass
class SegmentRows:
    """rows.json of one segment: where each article's chunks lie, and their token counts."""

    doc_ids: list[str]
    first: np.ndarray  # int64, first row of each article
    count: np.ndarray  # int64, chunks of each article
    tokens: np.ndarray
    llm_tokens: np.ndarray
    titles: list[str | None]

    @classmethod
    def read(cls, folder: Path) -> SegmentRows:
        table = orjson.loads((folder / "rows.json").read_bytes())
        columns = list(zip(*table)) if table else [[], [], [], [], [], []]
        return cls(list(columns[0]), *(np.asarray(c, dtype=np.int64) for c in columns[1:5]), list(columns[5]))

    def title_of(self, doc_id: str) -> str | None:
        if not hasattr(self, "_title"):
            self._title = dict(zip(self.doc_ids, self.titles))
        return self._title[doc_id]

    def __len__(self) -> int:
        return len(self.doc_ids)

    def row_count(self) -> int:
        return int(self.count.sum()) if len(self.count) else 0


def new_name(prefix: str) -> str:
    """A folder name that sorts by creation time: `s-20261202T003000-1a2b3c`."""
    return f"{prefix}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def write_lines_with_offsets(path: Path, lines: Sequence[str]) -> None:
    """`path` with one line per entry, and PATH.offsets.npy (int64, len(lines) + 1 byte offsets)."""
    encoded = [(line + "\n").encode("utf-8") for line in lines]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded], dtype=np.int64)
    with path.open("wb") as f:
        f.write(b"".join(encoded))
    with path.with_suffix(".offsets.npy").open("wb") as f:
        np.save(f, offsets)


def write_lines(path: Path, lines: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


def write_segment(index_dir: Path, *, vectors: np.ndarray, chunks: list[Chunk], articles: list[Article],
                  term_rows: TermRows, term_lines: list[str], annotation_lines: list[str], factory: str,
                  dimension: int) -> dict:
    """Write a new segment folder (in a temporary folder, every file synced, then renamed into place).

    `articles` in id order, `chunks` grouped by article in that order. Returns its entry for a
    version's manifest: name, chunk and article counts, FAISS settings and file sizes.
    """
    from index.store import build_search_index, fsync_tree

    if not len(vectors) == len(chunks) == len(term_rows) == len(term_lines) == len(annotation_lines):
        raise ValueError(f"{len(vectors)} vectors, {len(term_rows)} term rows, {len(term_lines)} term lines and "
                         f"{len(annotation_lines)} annotation lines for {len(chunks)} chunks")
    name = new_name("s")
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir(parents=True)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    with (tmp / "vectors.npy").open("wb") as f:
        np.save(f, vectors)
    search_index, info = build_search_index(vectors, dimension, factory)
    faiss.write_index(search_index, str(tmp / "vectors.faiss"))
    info["bytes_per_chunk"] = round((tmp / "vectors.faiss").stat().st_size / max(1, len(vectors)), 1)
    write_lines_with_offsets(tmp / "chunks.jsonl", [_JSON_LINE(vars(c)) for c in chunks])
    write_lines(tmp / "articles.jsonl", (_JSON_LINE(vars(a)) for a in articles))
    write_lines(tmp / "terms.jsonl", term_lines)
    write_lines_with_offsets(tmp / "annotations.jsonl", annotation_lines)
    save_segment_keywords(term_rows, tmp / "keywords")
    (tmp / "rows.json").write_bytes(orjson.dumps(_rows_table(chunks, articles)))
    titles = {a.doc_id: a.title for a in articles}
    np.save(tmp / "reuse.npy", np.array([reuse_hash(titles.get(c.doc_id), c.text) for c in chunks], dtype=np.uint64))
    files = fsync_tree(tmp)
    os.replace(tmp, index_dir / name)
    return {"name": name, "chunk_count": len(chunks), "article_count": len(articles),
            "token_count": sum(c.n_tokens for c in chunks), "llm_token_count": sum(c.n_llm_tokens for c in chunks),
            "faiss": info, "files": files, "deleted": []}


def reuse_hash(title: str | None, text: str) -> int:
    """A 64-bit hash of a chunk's reuse key (its title and text): equal for chunks that share a vector."""
    key = json.dumps(reuse_key(title, text), ensure_ascii=False).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")


def _rows_table(chunks: list[Chunk], articles: list[Article]) -> list[list]:
    table, row = [], 0
    for article in articles:
        first = row
        tokens = llm = 0
        while row < len(chunks) and chunks[row].doc_id == article.doc_id:
            tokens += chunks[row].n_tokens
            llm += chunks[row].n_llm_tokens
            row += 1
        table.append([article.doc_id, first, row - first, tokens, llm, article.title])
    if row != len(chunks):
        raise ValueError("chunks must be grouped by article, in the order of the articles")
    return table


@dataclass
class LoadedSegment:
    """One segment of a loaded version: its files open, and which of its rows are live."""

    path: Path
    entry: dict  # its entry in the version's manifest
    rows: SegmentRows
    live: np.ndarray  # bool per row: False for the rows of deleted articles
    search_index: faiss.Index | None = None
    matrix: np.ndarray | None = None
    annotation_offsets: np.ndarray | None = None
    annotation_file: BinaryIO | None = None
    selector: tuple | None = field(default=None, repr=False)  # (bitmap, IDSelectorBitmap) of live rows, if any dead

    @property
    def size(self) -> int:
        return len(self.live)

    def live_selector(self) -> faiss.IDSelector | None:
        if self.live.all():
            return None
        if self.selector is None:
            bitmap = np.packbits(self.live, bitorder="little")
            self.selector = (bitmap, faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap)))
        return self.selector[1]


def live_mask(rows: SegmentRows, deleted: Iterable[str]) -> np.ndarray:
    """One bool per row of the segment: False for the chunks of the deleted articles."""
    mask = np.ones(rows.row_count(), dtype=bool)
    gone = set(deleted)
    for doc_id, first, count in zip(rows.doc_ids, rows.first, rows.count):
        if doc_id in gone:
            mask[first : first + count] = False
    return mask


def read_lines_at(path: Path, offsets: np.ndarray, rows: Sequence[int]) -> list[str]:
    """Lines `rows` of a file written by write_lines_with_offsets, read by seeking."""
    with path.open("rb") as f:
        out = []
        for row in rows:
            f.seek(int(offsets[row]))
            out.append(f.read(int(offsets[row + 1] - offsets[row])).decode("utf-8").rstrip("\n"))
    return out


class SegmentedBm25:
    """BM25 over the live chunks of several segments, as one index over the version's global rows.

    Each segment stores per-term postings with term frequencies; the statistics BM25 needs (chunk
    count, each term's document frequency, the average chunk length) are those of the live chunks
    only, as a full build counts them, so scores equal a full build's bit for bit: the same float64
    formula as index.keywords.postings, cast to float32, summed in the same term order.
    """

    def __init__(self, parts: list[tuple[dict, np.ndarray]], num_docs: int) -> None:
        """parts: per segment, its keyword arrays (load_segment_keywords) and the global row of each of
        its rows (-1 for dead rows)."""
        self.num_docs = num_docs
        self.vocab: dict[str, int] = {}
        df_parts, length_total = [], 0
        self._parts = []
        for arrays, global_rows in parts:
            ids = np.fromiter((self.vocab.setdefault(t, len(self.vocab)) for t in arrays["vocab"]), dtype=np.int64,
                              count=len(arrays["vocab"]))
            live = global_rows >= 0
            lengths = arrays["lengths"]
            length_total += int(lengths[live].sum())
            df = np.diff(arrays["postings_indptr"]).astype(np.int64)
            dead = np.flatnonzero(~live)
            if len(dead):
                indptr = arrays["rows_indptr"]
                dead_terms = np.concatenate([np.asarray(arrays["rows_terms"][indptr[r]:indptr[r + 1]]) for r in dead])
                df -= np.bincount(dead_terms, minlength=len(df))
            df_parts.append((ids, df))
            self._parts.append((ids, arrays, np.where(live, global_rows, num_docs), lengths))
        self.df = np.zeros(len(self.vocab), dtype=np.int64)
        for ids, df in df_parts:
            np.add.at(self.df, ids, df)
        self.average = length_total / num_docs if num_docs else 0.0
        self.idf = np.log1p((num_docs - self.df + 0.5) / (self.df + 0.5))
        self._local = []  # per segment: global term id -> local term id (-1 where absent)
        for ids, arrays, rows, lengths in self._parts:
            local = np.full(len(self.vocab), -1, dtype=np.int64)
            local[ids] = np.arange(len(ids))
            norm = K1 * (1 - B + B * lengths / self.average) if self.average else np.full(len(lengths), K1)
            self._local.append((local, arrays, rows, norm))

    def get_scores(self, terms: Iterable[str]) -> np.ndarray:
        """Each live chunk's summed BM25 score for these terms (float32, one per global row)."""
        total = np.zeros(self.num_docs + 1, dtype=np.float32)  # the extra slot takes dead rows' scores
        for term in sorted(set(terms)):
            t = self.vocab.get(term)
            if t is None:
                continue
            idf = self.idf[t]
            for local, arrays, rows, norm in self._local:
                lt = local[t]
                if lt < 0:
                    continue
                start, end = arrays["postings_indptr"][lt], arrays["postings_indptr"][lt + 1]
                if start == end:
                    continue
                posting_rows = np.asarray(arrays["postings_rows"][start:end])
                tf = np.asarray(arrays["postings_tf"][start:end], dtype=np.float64)
                total[rows[posting_rows]] += (idf * tf / (tf + norm[posting_rows])).astype(np.float32)
        return total[:-1]

    def document_frequencies(self) -> dict[str, int]:
        """Number of live chunks holding each term (terms no live chunk holds are left out)."""
        return {term: int(self.df[t]) for term, t in self.vocab.items() if term != EMPTY and self.df[t]}


def load_parts(folder: Path) -> dict:
    """A segment's keyword arrays (memory-mapped) with each row's length in terms, repeats counted."""
    arrays = load_segment_keywords(folder / "keywords")
    indptr, counts = arrays["rows_indptr"], arrays["rows_counts"]
    sums = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    arrays["lengths"] = (sums[indptr[1:]] - sums[indptr[:-1]]).astype(np.float64)
    return arrays
