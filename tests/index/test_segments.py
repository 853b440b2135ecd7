"""Segments: a version made of several segments answers exactly as a full build of the same articles;
the listing spares unchanged files; compaction merges segments and leaves nothing behind."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import orjson
import pytest

import index.articles
from index import IndexMismatchError, load_index
from index.keywords import Bm25, TermRows, load_keywords, save_keywords, save_segment_keywords
from index.segments import SegmentedBm25, load_parts
from index.store import FORMAT_VERSION, RowSubset, current_version_path

from tests.index.test_update import SETTINGS, SPACE, corpus, index_dir  # noqa: F401 (fixtures)

TERM_SETS = (["probe", "jupiter"], ["volcano", "lava", "valley"], ["croissant", "bakery"], ["chess"], ["the"],
             ["ash", "launch", "site"])
QUESTIONS = ["What did the probe study around Jupiter?", "Where did the volcano erupt?", "How many croissants?"]


def _change_everything(corpus: Path) -> None:
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    (corpus / "chess.md").unlink()
    volcano = corpus / "volcano.md"
    volcano.write_text(volcano.read_text(encoding="utf-8") + "Ash reached the Juno probe's launch site.\n",
                       encoding="utf-8")


def assert_same_answers(got, want, embedder) -> None:
    """Two loaded versions rank and read as one: same rows, chunks, BM25 and vector scores, bit for bit."""
    assert got.chunks == want.chunks and got.articles == want.articles
    for terms in TERM_SETS:
        assert np.array_equal(got.keywords.get_scores(terms), want.keywords.get_scores(terms)), terms
    assert got.keywords.document_frequencies() == want.keywords.document_frequencies()
    queries = embedder.embed_queries(QUESTIONS)
    for within in (None, RowSubset.from_mask(np.arange(len(got.chunks)) % 2 == 0)):
        (gs, gr), (ws, wr) = got.search(queries, 5, within=within), want.search(queries, 5, within=within)
        assert np.array_equal(gr, wr) and np.array_equal(gs, ws)
    assert np.array_equal(got.all_vectors(), want.all_vectors())
    rows = list(range(len(got.chunks)))
    assert got.annotations(rows) == want.annotations(rows) and got.chunk_terms() == want.chunk_terms()
    for key in ("articles", "chunk_count", "article_count", "token_count", "llm_token_count"):
        assert got.manifest[key] == want.manifest[key], key


@pytest.mark.slow
def test_adds_edits_and_deletes_in_segments_answer_as_a_full_build(corpus, index_dir, build, embedder, tmp_path):
    build(corpus, index_dir, settings=SETTINGS)
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    (corpus / "chess.md").unlink()
    summary = build(corpus, index_dir, settings=SETTINGS)
    build(corpus, tmp_path / "rebuilt", settings=SETTINGS, full=True)

    updated = load_index(index_dir)
    first, second = updated.manifest["segments"]
    assert (summary.added, summary.deleted, summary.compacted) == (["space"], ["chess"], 0)
    assert first["deleted"] == ["chess"] and (second["article_count"], second["deleted"]) == (1, [])
    assert not updated.identity and load_index(tmp_path / "rebuilt").identity
    assert_same_answers(updated, load_index(tmp_path / "rebuilt"), embedder)

    volcano = corpus / "volcano.md"  # now more than half of the first segment's chunks are deleted
    volcano.write_text(volcano.read_text(encoding="utf-8") + "Ash reached the Juno probe's launch site.\n",
                       encoding="utf-8")
    edited = build(corpus, index_dir, settings=SETTINGS)
    build(corpus, tmp_path / "rebuilt-2", settings=SETTINGS, full=True)

    after = load_index(index_dir)
    assert edited.changed == ["volcano"] and edited.reused_by_text > 0 and edited.compacted == 1
    assert first["name"] not in {s["name"] for s in after.manifest["segments"]}
    assert all(s["deleted"] == [] for s in after.manifest["segments"])
    assert_same_answers(after, load_index(tmp_path / "rebuilt-2"), embedder)


@pytest.mark.slow
def test_above_exact_search_size_the_float16_scan_keeps_answers_equal_to_a_full_builds(
        corpus, index_dir, build, embedder, tmp_path, monkeypatch):
    import index.store

    monkeypatch.setattr(index.store, "EXACT_MAX_CHUNKS", 5)  # these few chunks get the float16 scan of big archives
    build(corpus, index_dir, settings=SETTINGS)
    _change_everything(corpus)
    build(corpus, index_dir, settings=SETTINGS)
    build(corpus, tmp_path / "rebuilt", settings=SETTINGS, full=True)

    updated, rebuilt = load_index(index_dir), load_index(tmp_path / "rebuilt")
    assert updated.manifest["segments"][0]["faiss"]["type"] == "SQfp16" and len(updated.manifest["segments"]) == 2
    assert rebuilt.manifest["segments"][0]["faiss"]["type"] == "SQfp16"
    assert_same_answers(updated, rebuilt, embedder)


@pytest.mark.slow
def test_past_max_segments_a_compaction_merges_all_but_the_largest(corpus, index_dir, build, embedder, tmp_path):
    build(corpus, index_dir, settings=SETTINGS, max_segments=2)
    first = load_index(index_dir).manifest["segments"][0]["name"]
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    build(corpus, index_dir, settings=SETTINGS, max_segments=2)
    reader = load_index(index_dir)  # loaded before the compaction removes its small segment
    volcano = corpus / "volcano.md"
    volcano.write_text(volcano.read_text(encoding="utf-8") + "Ash reached the Juno probe's launch site.\n",
                       encoding="utf-8")

    summary = build(corpus, index_dir, settings=SETTINGS, max_segments=2)

    after = load_index(index_dir)
    names = [s["name"] for s in after.manifest["segments"]]
    assert summary.compacted == 2 and "compacted 2 segments into one" in summary.line()
    assert len(names) == 2 and names[0] == first and after.manifest["stats"]["compacted_segments"] == 2
    assert sorted(p.name for p in index_dir.iterdir() if p.name.startswith(("s-", "v-", ".tmp"))) == sorted(
        [*names, after.path.name])
    assert summary.embedded_chunks < summary.total_chunks  # merging copies vectors, it does not embed again
    build(corpus, tmp_path / "rebuilt", settings=SETTINGS, full=True)
    assert_same_answers(after, load_index(tmp_path / "rebuilt"), embedder)
    hits = reader.search(embedder.embed_queries(["What did the probe study around Jupiter?"]), 1)[1]
    assert reader.chunks[hits[0][0]].doc_id == "space" and reader.annotations([len(reader.chunks) - 1])


@pytest.mark.slow
def test_an_update_reads_only_the_files_whose_size_or_mtime_changed(corpus, index_dir, build, monkeypatch):
    build(corpus, index_dir, settings=SETTINGS)
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    settled = 1_000_000_000  # 2001: older than the racy window, so the listing records every file
    for path in corpus.rglob("*.*"):
        os.utime(path, ns=(settled, settled))
    build(corpus, index_dir, settings=SETTINGS)  # adds space.md and lists every file
    listing = json.loads((current_version_path(index_dir) / "listing.json").read_text(encoding="utf-8"))
    read = []
    real = index.articles._load_file
    monkeypatch.setattr(index.articles, "_load_file", lambda path, *a: read.append(path.name) or real(path, *a))

    nothing = build(corpus, index_dir, settings=SETTINGS)
    read_by_nothing = list(read)
    volcano = corpus / "volcano.md"
    volcano.write_text(volcano.read_text(encoding="utf-8") + "More ash.\n", encoding="utf-8")
    os.utime(corpus / "chess.md", ns=(settled + 1, settled + 1))  # touched, same bytes
    edited = build(corpus, index_dir, settings=SETTINGS)

    assert sorted(listing) == ["chess.md", "space.md", "sub/bakery.txt", "volcano.md"]
    assert listing["chess.md"][1] == settled
    assert nothing.written is None and nothing.unchanged == 4 and read_by_nothing == []
    assert sorted(read) == ["chess.md", "volcano.md"] and edited.changed == ["volcano"] and edited.unchanged == 3


def test_one_segments_bm25_equals_the_stored_scores_of_a_full_build(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    rows = TermRows.from_terms([list(rng.choice(words, size=rng.integers(0, 30))) for _ in range(300)])
    save_keywords(rows, tmp_path / "full")
    save_segment_keywords(rows, tmp_path / "segment" / "keywords")
    reference: Bm25 = load_keywords(tmp_path / "full")

    segmented = SegmentedBm25([(load_parts(tmp_path / "segment"), np.arange(300))], 300)

    for terms in (["w1"], ["w2", "w7", "w30"], words, ["missing"], []):
        assert np.array_equal(segmented.get_scores(terms), reference.get_scores(terms))
    assert segmented.document_frequencies() == reference.document_frequencies()


def test_deleted_rows_leave_the_statistics_as_if_they_were_never_there(tmp_path):
    kept = [["a", "b"], ["b", "c", "c"], ["d"]]
    gone = [["a", "z"], ["z", "z", "b"]]
    save_segment_keywords(TermRows.from_terms(kept[:1] + gone + kept[1:]), tmp_path / "old" / "keywords")
    save_keywords(TermRows.from_terms(kept), tmp_path / "full")
    # rows 1 and 2 deleted; the others keep global rows 0..2
    segmented = SegmentedBm25([(load_parts(tmp_path / "old"), np.array([0, -1, -1, 1, 2]))], 3)

    for terms in (["a"], ["b"], ["c", "d"], ["z"]):
        assert np.array_equal(segmented.get_scores(terms), load_keywords(tmp_path / "full").get_scores(terms))
    assert segmented.document_frequencies() == {"a": 1, "b": 2, "c": 1, "d": 1}


@pytest.mark.slow
def test_an_index_of_the_previous_format_is_rebuilt_with_the_reason(corpus, index_dir, build):
    build(corpus, index_dir, settings=SETTINGS)
    manifest_path = current_version_path(index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "format_version": FORMAT_VERSION - 1}), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="python -m index"):
        load_index(index_dir)

    summary = build(corpus, index_dir, settings=SETTINGS)

    assert summary.full_rebuild_reason == (f"the previous index was built differently: format_version "
                                           f"{FORMAT_VERSION - 1} -> {FORMAT_VERSION}")
    assert load_index(index_dir).manifest["format_version"] == FORMAT_VERSION


@pytest.mark.slow
def test_a_listing_that_disagrees_with_its_manifest_makes_the_update_read_every_file(corpus, index_dir, build,
                                                                                   monkeypatch):
    build(corpus, index_dir, settings=SETTINGS)
    settled = 1_000_000_000
    for path in corpus.rglob("*.*"):
        os.utime(path, ns=(settled, settled))
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    os.utime(corpus / "space.md", ns=(settled, settled))
    build(corpus, index_dir, settings=SETTINGS)
    listing_path = current_version_path(index_dir) / "listing.json"
    listing = json.loads(listing_path.read_text(encoding="utf-8"))
    listing["chess.md"][2] = "0" * 64  # as if chess.md had changed while its size and mtime had not
    listing_path.write_bytes(orjson.dumps(listing))  # the same size, as the manifest records
    read = []
    real = index.articles._load_file
    monkeypatch.setattr(index.articles, "_load_file", lambda path, *a: read.append(path.name) or real(path, *a))

    summary = build(corpus, index_dir, settings=SETTINGS)

    assert summary.full_rebuild_reason is None and len(read) == 4
    assert summary.written is None and summary.unchanged == 4 and "chess" in load_index(index_dir).articles


@pytest.mark.slow
def test_a_segment_whose_articles_all_went_is_compacted_away_and_search_still_works(corpus, index_dir, build,
                                                                                   embedder):
    build(corpus, index_dir, settings=SETTINGS)
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    build(corpus, index_dir, settings=SETTINGS)
    (corpus / "space.md").unlink()

    summary = build(corpus, index_dir, settings=SETTINGS)

    after = load_index(index_dir)
    assert summary.deleted == ["space"] and summary.compacted == 1 and len(after.manifest["segments"]) == 1
    assert not [p for p in index_dir.iterdir() if p.name.startswith("s-")
                and p.name not in {s["name"] for s in after.manifest["segments"]}]
    _, rows = after.search(embedder.embed_queries(["Where did the volcano erupt?"]), 3)
    assert after.chunks[rows[0][0]].doc_id == "volcano"
