"""Find the passages of the index that bear on a question: dense (FAISS) and BM25, fused.

Owns: searching the index version's keyword index (BM25 over chunk terms, written by
`python -m index`), query expansion with news synonyms, and fusing the two rankings (weighted
z-scores by default, or reciprocal rank fusion). Does not: compose answers or read article files.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from index.keywords import Bm25
from index.store import IndexVersion, RowSubset
from index.terms import terms
from qa.lexicon import SYNONYMS
from qa.types import Passage

RRF_K = 60


@dataclass(frozen=True)
class RetrieveSettings:
    """Knobs of hybrid retrieval (tuned on SciFact's train queries; see README).

    Attributes:
        depth: candidates taken from each of dense and BM25 before fusion.
        dense_weight: weight of the dense side in the fusion (BM25 gets 1 - this).
        fusion: "zscore" adds the two sides' standardised scores (a passage one side missed gets
            that side's lowest); "rrf" is weighted reciprocal rank fusion.
    """

    depth: int = 50
    dense_weight: float = 0.6
    fusion: Literal["zscore", "rrf"] = "zscore"

    def __post_init__(self) -> None:
        if self.fusion not in ("zscore", "rrf"):
            raise ValueError(f"fusion must be 'zscore' or 'rrf', got {self.fusion!r}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be between 0 and 1, got {self.dense_weight}")


class KeywordIndex:
    """BM25 over the chunks' terms (the same terms the answer composer uses), from the index version."""

    def __init__(self, model: Bm25) -> None:
        self._bm25 = model
        self._vocab = model.vocab.keys()
        self._size = model.num_docs

    def search(self, question: str, k: int, *, within: RowSubset | None = None) -> list[tuple[int, float]]:
        """(chunk row, BM25 score) of the k best chunks with a positive score, best first; with
        `within`, the k best of those rows."""
        query = expand_query(question) & self._vocab
        if not query or not self._size:
            return []
        scores = self._bm25.get_scores(sorted(query))
        if within is not None:
            return _top_scores(scores[within.rows], k, rows=within.rows)
        return _top_scores(scores, k)


class MilvusKeywordIndex:
    """The same search as KeywordIndex (our terms, expanded), scored by Milvus's BM25 in the engine."""

    def __init__(self, version) -> None:
        self._version = version  # an index.milvus_store.MilvusVersion

    def search(self, question: str, k: int, *, within: RowSubset | None = None) -> list[tuple[int, float]]:
        """(chunk row, BM25 score) of the k best chunks with a positive score, best first."""
        return self._version.search_terms(sorted(expand_query(question)), k, within=within)


def _top_scores(scores: np.ndarray, k: int, *, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(row, score) of the k best positive scores, best first; `rows` names the row of each score."""
    size = len(scores)
    k = min(k, size)
    if k == 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k] if k < size else np.arange(size)
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(row if rows is None else rows[row]), float(scores[row])) for row in top if scores[row] > 0]


def expand_query(question: str) -> set[str]:
    """The question's content terms plus the words that stand for them.

    >>> sorted(expand_query("Which comedian started the fundraising drive?") & {"launch", "appeal", "start"})
    ['appeal', 'launch', 'start']
    """
    found = set(terms(question))
    return found.union(*(SYNONYMS.get(t, frozenset()) for t in found)) if found else set()


def fuse(rankings: list[tuple[list[int], float]], k: int) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion of several rankings of chunk rows; best first.

    >>> fuse([([3, 1], 0.5), ([1, 2], 0.5)], k=3)[0][0]
    1
    """
    fused: dict[int, float] = {}
    for rows, weight in rankings:
        for rank, row in enumerate(rows):
            fused[row] = fused.get(row, 0.0) + weight / (RRF_K + rank + 1)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]


@dataclass(frozen=True)
class Retrieval:
    """What one search found: the fused ranking, and the wider pool the answer is drawn from."""

    passages: list[Passage]
    pool: list[Passage]


def fuse_scores(sides: list[tuple[dict[int, float], float]], k: int) -> list[tuple[int, float]]:
    """Weighted sum of each side's z-scored scores; a row missing from a side gets that side's minimum.

    >>> [row for row, _ in fuse_scores([({1: 0.9, 2: 0.5, 3: 0.1}, 0.5), ({3: 9.0, 2: 8.0}, 0.5)], k=3)]
    [1, 3, 2]
    """
    rows = set().union(*(scores for scores, _ in sides))
    fused = dict.fromkeys(rows, 0.0)
    for scores, weight in sides:
        if not scores:
            continue
        values = np.fromiter(scores.values(), dtype=np.float64)
        mean, std = values.mean(), values.std() or 1.0
        floor = (values.min() - mean) / std
        for row in rows:
            fused[row] += weight * ((scores[row] - mean) / std if row in scores else floor)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]


def hybrid_search(index: IndexVersion, keywords: KeywordIndex, question: str, question_vector: np.ndarray,
                  k: int, settings: RetrieveSettings, *, pool_size: int = 6, pool_each: int = 3,
                  within: RowSubset | None = None) -> Retrieval:
    """The k best passages by fused dense and BM25 rank, and the answer pool: the fused top
    `pool_size` plus the top `pool_each` of each ranking alone (a passage one method ranks first
    and the other misses still gets read). With `within`, both searches see only those rows."""
    depth = max(k, settings.depth, pool_size)
    scores, rows = index.search(question_vector[None, :], min(depth, max(1, len(index.chunks))), within=within)
    dense_scores = {int(r): float(s) for r, s in zip(rows[0], scores[0]) if r >= 0}
    sparse_scores = dict(keywords.search(question, depth, within=within))
    dense, sparse = list(dense_scores), list(sparse_scores)
    if settings.fusion == "zscore":
        fused = fuse_scores([(dense_scores, settings.dense_weight), (sparse_scores, 1 - settings.dense_weight)],
                            max(k, pool_size))
    else:
        fused = fuse([(dense, settings.dense_weight), (sparse, 1 - settings.dense_weight)], max(k, pool_size))
    score = dict(fused)
    passages = [Passage(chunk=index.chunks[row], score=s, rank=rank) for rank, (row, s) in enumerate(fused)]
    pool_rows = list(dict.fromkeys([row for row, _ in fused[:pool_size]] + dense[:pool_each] + sparse[:pool_each]))
    pool = [Passage(chunk=index.chunks[row], score=score.get(row, 0.0), rank=rank) for rank, row in enumerate(pool_rows)]
    return Retrieval(passages=passages[:k], pool=pool)
