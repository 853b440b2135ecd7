"""The keyword (BM25) side of the index: each chunk's terms and a bm25s index over them.

Owns: building the BM25 index from chunk terms, saving it in a version folder (bm25s's own
layout: JSON parameters and vocabulary, .npy arrays, no pickle), loading it memory-mapped, and
document frequencies. Terms of unchanged chunks are reused on an update, so only new text is
tokenised. Does not: score questions' meaning or know about answers.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np

EMPTY = "<empty>"  # stands in for a chunk with no terms, so row i is always chunk i


def build_keywords(term_lists: Sequence[Sequence[str]]):
    """A bm25s index with one document per chunk, in chunk order."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    model = bm25s.BM25()
    model.index([list(t) or [EMPTY] for t in term_lists] or [[EMPTY]], show_progress=False)
    return model


def save_keywords(model, folder: Path) -> None:
    model.save(str(folder), show_progress=False)


def load_keywords(folder: Path):
    """The saved bm25s index, its arrays memory-mapped."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s.BM25.load(str(folder), mmap=True, show_progress=False)


def document_frequencies(model) -> dict[str, int]:
    """Number of chunks holding each term."""
    counts = np.diff(np.asarray(model.scores["indptr"]))
    return {term: int(counts[column]) for term, column in model.vocab_dict.items() if term and term != EMPTY}
