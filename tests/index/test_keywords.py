"""The BM25 index: the same scores as a reference implementation, and updates equal to rebuilds."""
from __future__ import annotations

import logging
import random

import numpy as np
import pytest

from index.keywords import EMPTY, TermRows, assemble, load_keywords, load_term_rows, save_keywords

WORDS = [f"w{i}" for i in range(300)]


def documents(count: int, seed: int) -> list[list[str]]:
    """Term lists with a skewed vocabulary, repeats, and some empty chunks."""
    rng = random.Random(seed)
    return [[rng.choice(WORDS[:rng.randint(5, 300)]) for _ in range(rng.randint(0, 40))] for _ in range(count)]


def saved(rows: TermRows, folder):
    save_keywords(rows, folder)
    return load_keywords(folder)


def test_scores_equal_bm25s_lucene(tmp_path):
    bm25s = pytest.importorskip("bm25s")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    docs = documents(400, seed=1)
    ours = saved(TermRows.from_terms(docs), tmp_path / "kw")
    reference = bm25s.BM25()  # defaults: method lucene, k1 1.5, b 0.75
    reference.index([list(d) or [EMPTY] for d in docs], show_progress=False)

    assert ours.num_docs == 400
    for query in (["w1"], ["w2", "w40", "w299"], ["w0", "w0", "unknown"]):
        want = reference.get_scores(sorted(t for t in set(query) if t in reference.vocab_dict))
        got = ours.get_scores(query)
        assert got.dtype == np.float32 and got.shape == (400,)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert got.max() > 0
    assert ours.get_scores(["unknown"]).max() == 0
    frequencies = ours.document_frequencies()
    assert frequencies["w1"] == sum("w1" in d for d in docs) and EMPTY not in frequencies


def test_an_update_that_keeps_reorders_drops_and_adds_rows_equals_a_rebuild(tmp_path):
    docs = documents(300, seed=2)
    save_keywords(TermRows.from_terms(docs), tmp_path / "old")
    previous = load_term_rows(tmp_path / "old")
    rng = random.Random(3)
    kept = [row for row in range(300) if row % 5]  # a fifth deleted
    rng.shuffle(kept)  # and the rest in another order
    new = [["w1", "novel", "novel"], [], ["w7"]]
    sources = kept[:100] + [-1] + kept[100:] + [-1, -1]
    fresh = [(100, new[0]), (len(sources) - 2, new[1]), (len(sources) - 1, new[2])]
    updated = saved(assemble(previous, sources, fresh), tmp_path / "updated")
    rebuilt_docs = [docs[row] for row in kept[:100]] + [new[0]] + [docs[row] for row in kept[100:]] + new[1:]
    rebuilt = saved(TermRows.from_terms(rebuilt_docs), tmp_path / "rebuilt")

    assert updated.num_docs == rebuilt.num_docs == len(sources)
    for query in (["novel"], ["w1", "w7"], ["w3", "w150", "w290"]):
        np.testing.assert_allclose(updated.get_scores(query), rebuilt.get_scores(query), rtol=1e-6)
    assert updated.document_frequencies() == rebuilt.document_frequencies()  # dropped-only terms left out
    assert int(np.argmax(updated.get_scores(["novel"]))) == 100


def test_an_update_needs_terms_for_every_new_row(tmp_path):
    save_keywords(TermRows.from_terms([["a"], ["b"]]), tmp_path / "kw")
    with pytest.raises(ValueError, match="1 rows need new terms but 0"):
        assemble(load_term_rows(tmp_path / "kw"), [1, -1, 0])


def test_no_chunks_and_damaged_arrays(tmp_path):
    empty = saved(TermRows.from_terms([]), tmp_path / "empty")
    assert empty.num_docs == 0 and empty.get_scores(["w1"]).shape == (0,)

    save_keywords(TermRows.from_terms(documents(20, seed=4)), tmp_path / "kw")
    np.save(tmp_path / "kw" / "postings_indptr.npy", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="disagree"):
        load_keywords(tmp_path / "kw")
