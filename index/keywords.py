"""The keyword (BM25) side of the index: each chunk's terms counted, and BM25 scores over them.

Owns: the BM25 index of a version folder (`keywords/`), built incrementally: an update keeps the
counted terms of every unchanged chunk as they are and counts only the new chunks' terms, then
recomputes the scores, which depend on every chunk (document frequencies, average length), with
array arithmetic. Scoring is Lucene's BM25 (k1 1.5, b 0.75, idf log(1 + (N - df + 0.5) / (df + 0.5))),
the same as bm25s's default, which the tests check it against. Files are JSON and .npy, loaded
memory-mapped; nothing is pickled.
Does not: split text into terms (index.terms) or know about questions' meaning.

Layout of `keywords/`:
    params.json                  k1, b, chunk count, average chunk length in terms
    vocab.json                   the terms; a term's id is its place in this list
    rows_indptr.npy, rows_terms.npy, rows_counts.npy
                                 per chunk (row i = chunk i), its term ids and how often each occurs
    postings_indptr.npy, postings_rows.npy, postings_scores.npy
                                 per term, the chunks holding it and its BM25 score in each
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

K1, B = 1.5, 0.75
EMPTY = "<empty>"  # stands in for a chunk with no terms, so that every chunk has a row of its own
_ROWS = ("rows_indptr", "rows_terms", "rows_counts")
_POSTINGS = ("postings_indptr", "postings_rows", "postings_scores")


@dataclass
class TermRows:
    """Every chunk's terms, counted: sparse rows (row i = chunk i) over a vocabulary."""

    vocab: list[str]
    indptr: np.ndarray  # int64, rows + 1
    terms: np.ndarray  # int32 term ids, row by row
    counts: np.ndarray  # int32, how often each of those terms occurs in its chunk

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_terms(cls, term_lists: Iterable[Sequence[str]]) -> "TermRows":
        """Rows counted from scratch."""
        return assemble(None, [], list(enumerate(term_lists)))


def assemble(previous: TermRows | None, sources: Sequence[int],
             fresh: Sequence[tuple[int, Sequence[str] | None]] = ()) -> TermRows:
    """The rows of a new version: row i is `previous`'s row sources[i] where that is >= 0, else the
    counted terms of the entry in `fresh` for that row (fresh: (row, terms) pairs in row order,
    covering every row whose source is -1; when `sources` is empty, `fresh` lists every row).

    Unchanged chunks are copied as arrays, never as strings, so an update costs little more than
    the new chunks' terms. The vocabulary only grows: a term no chunk holds any more keeps its id
    (with no postings) until a full rebuild.
    """
    if not sources:
        sources = [-1] * len(fresh)
    vocab = list(previous.vocab) if previous is not None else []
    ids = {term: i for i, term in enumerate(vocab)}
    sources = np.asarray(sources, dtype=np.int64)
    lengths = np.zeros(len(sources), dtype=np.int64)
    kept = np.flatnonzero(sources >= 0)
    if len(kept):
        if previous is None:
            raise ValueError("rows refer to a previous version but none was given")
        lengths[kept] = np.diff(previous.indptr)[sources[kept]]
    new_rows: dict[int, tuple[list[int], list[int]]] = {}
    for row, terms in fresh:
        counted = Counter(terms or (EMPTY,))
        new_rows[row] = ([ids.setdefault(term, len(ids)) for term in counted], list(counted.values()))
        lengths[row] = len(counted)
    if len(new_rows) != int(np.sum(sources < 0)):
        raise ValueError(f"{int(np.sum(sources < 0))} rows need new terms but {len(new_rows)} were given")
    vocab.extend(list(ids)[len(vocab):])
    indptr = np.zeros(len(sources) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    out_terms = np.empty(indptr[-1], dtype=np.int32)
    out_counts = np.empty(indptr[-1], dtype=np.int32)
    if len(kept):  # copy the kept rows' slices in one gather
        starts, sizes = previous.indptr[sources[kept]], lengths[kept]
        into = np.repeat(indptr[kept] - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        take = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        out_terms[into] = previous.terms[take]
        out_counts[into] = previous.counts[take]
    for row, (term_ids, counts) in new_rows.items():
        out_terms[indptr[row]:indptr[row + 1]] = term_ids
        out_counts[indptr[row]:indptr[row + 1]] = counts
    return TermRows(vocab=vocab, indptr=indptr, terms=out_terms, counts=out_counts)


class Bm25:
    """BM25 scores of every chunk for a set of terms, from a version folder's `keywords/`."""

    def __init__(self, vocab: list[str], num_docs: int, indptr: np.ndarray, rows: np.ndarray,
                 scores: np.ndarray) -> None:
        self.vocab = {term: i for i, term in enumerate(vocab)}
        self.num_docs = num_docs
        self._indptr, self._rows, self._scores = indptr, rows, scores

    def get_scores(self, terms: Iterable[str]) -> np.ndarray:
        """Each chunk's summed BM25 score for these terms (float32, one per chunk)."""
        total = np.zeros(self.num_docs, dtype=np.float32)
        for term in sorted(set(terms)):  # a fixed order, so that float sums are the same every run
            t = self.vocab.get(term)
            if t is not None:
                start, end = self._indptr[t], self._indptr[t + 1]
                total[self._rows[start:end]] += self._scores[start:end]  # a chunk appears once per term
        return total

    def document_frequencies(self) -> dict[str, int]:
        """Number of chunks holding each term (terms no chunk holds any more are left out)."""
        counts = np.diff(self._indptr)
        return {term: int(counts[t]) for term, t in self.vocab.items() if term != EMPTY and counts[t]}


def postings(rows: TermRows) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(indptr, rows, scores, average length): the per-term view of `rows` with BM25 scores."""
    n, vocab_size = len(rows), len(rows.vocab)
    row_of = np.repeat(np.arange(n, dtype=np.int32), np.diff(rows.indptr))
    lengths = np.bincount(row_of, weights=rows.counts, minlength=n)  # terms per chunk, repeats counted
    average = float(lengths.mean()) if n else 0.0
    df = np.bincount(rows.terms, minlength=vocab_size)
    idf = np.log1p((n - df + 0.5) / (df + 0.5))
    tf = rows.counts.astype(np.float64)
    norm = K1 * (1 - B + B * lengths[row_of] / average) if average else np.full(len(tf), K1)
    scores = (idf[rows.terms] * tf / (tf + norm)).astype(np.float32)
    order = np.argsort(rows.terms, kind="stable")  # by term, then by chunk
    indptr = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    return indptr, row_of[order], scores[order], average


def save_keywords(rows: TermRows, folder: Path) -> None:
    """Write the rows and their BM25 postings into `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    indptr, posting_rows, scores, average = postings(rows)
    arrays = dict(zip(_ROWS, (rows.indptr, rows.terms, rows.counts)))
    arrays.update(zip(_POSTINGS, (indptr, posting_rows, scores)))
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array)
    (folder / "vocab.json").write_text(json.dumps(rows.vocab, ensure_ascii=False), encoding="utf-8")
    params = {"method": "lucene", "k1": K1, "b": B, "num_docs": len(rows), "average_length": average}
    (folder / "params.json").write_text(json.dumps(params, indent=2), encoding="utf-8")


def _read(folder: Path) -> tuple[dict, list[str]]:
    params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
    if (params.get("method"), params.get("k1"), params.get("b")) != ("lucene", K1, B):
        raise ValueError(f"{folder} holds BM25 {params.get('method')} k1={params.get('k1')} b={params.get('b')}, "
                         f"not lucene k1={K1} b={B}")
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    return params, vocab


def load_keywords(folder: Path) -> Bm25:
    """The saved BM25 index, its arrays memory-mapped."""
    params, vocab = _read(folder)
    arrays = [np.load(folder / f"{name}.npy", mmap_mode="r") for name in _POSTINGS]
    if len(arrays[0]) != len(vocab) + 1 or len(arrays[1]) != len(arrays[2]) or \
            (len(arrays[1]) and int(arrays[1].max()) >= params["num_docs"]):
        raise ValueError(f"the BM25 arrays in {folder} disagree with each other")
    return Bm25(vocab, int(params["num_docs"]), *arrays)


def load_term_rows(folder: Path) -> TermRows:
    """The counted rows an update builds on, memory-mapped."""
    _, vocab = _read(folder)
    indptr, terms, counts = (np.load(folder / f"{name}.npy", mmap_mode="r") for name in _ROWS)
    if len(terms) != len(counts) or indptr[-1] != len(terms):
        raise ValueError(f"the term rows in {folder} disagree with each other")
    return TermRows(vocab=vocab, indptr=indptr, terms=terms, counts=counts)


_TF_POSTINGS = ("postings_indptr", "postings_rows", "postings_tf")


def save_segment_keywords(rows: TermRows, folder: Path) -> None:
    """A segment's `keywords/`: the counted rows and, per term, the rows holding it with its frequency
    there. No scores: those depend on every live chunk of a version (see index.segments.SegmentedBm25)."""
    folder.mkdir(parents=True, exist_ok=True)
    n, vocab_size = len(rows), len(rows.vocab)
    row_of = np.repeat(np.arange(n, dtype=np.int32), np.diff(rows.indptr))
    order = np.argsort(rows.terms, kind="stable")  # by term, then by chunk
    indptr = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows.terms, minlength=vocab_size), out=indptr[1:])
    arrays = dict(zip(_ROWS, (rows.indptr, rows.terms, rows.counts)))
    arrays.update(zip(_TF_POSTINGS, (indptr, row_of[order], rows.counts[order])))
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array)
    (folder / "vocab.json").write_text(json.dumps(rows.vocab, ensure_ascii=False), encoding="utf-8")
    params = {"method": "lucene", "k1": K1, "b": B, "num_docs": n, "stored": "term frequencies"}
    (folder / "params.json").write_text(json.dumps(params, indent=2), encoding="utf-8")


def load_segment_keywords(folder: Path) -> dict:
    """A segment's keyword arrays (memory-mapped) and its vocabulary, checked against each other."""
    params, vocab = _read(folder)
    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in _ROWS + _TF_POSTINGS}
    n = int(params["num_docs"])
    if (len(arrays["rows_indptr"]) != n + 1 or arrays["rows_indptr"][-1] != len(arrays["rows_terms"])
            or len(arrays["postings_indptr"]) != len(vocab) + 1
            or len(arrays["postings_rows"]) != len(arrays["rows_terms"])):
        raise ValueError(f"the keyword arrays in {folder} disagree with each other")
    arrays["vocab"] = vocab
    return arrays
