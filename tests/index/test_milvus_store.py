"""The Milvus store against Milvus Lite: the same passages, answers and filters as the FAISS store
on a fixed set of questions, incremental add/edit/delete, a killed update, and the command line.

Real parts throughout: the packaged model, a real FAISS index and Milvus Lite (the client API of
a Milvus cluster, on a local file). Every test's Milvus file lives under tmp_path and is removed.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from eval.gold import DEFAULT_GOLD, load_gold
from index import IndexSettings, QAError, update_index
from index.backend import StoreConfig, open_store
from index.milvus_store import MilvusStore, close_clients
from qa import Assistant, SearchFilter
from qa.retrieve import KeywordIndex, MilvusKeywordIndex
from tests.conftest import ROOT, TOPIC_ARTICLES, write_files

pytestmark = pytest.mark.slow
QUESTIONS = [q.question for q in load_gold(DEFAULT_GOLD)]  # the seed articles' gold set, fixed
ANSWERED = 10  # of those, asked in full on both stores (the rest rank passages only)
TOP = 8


def milvus_config(root: Path) -> StoreConfig:
    return StoreConfig(kind="milvus", milvus_uri=str(root / "milvus.db"))


def remove_lite_files(root: Path) -> None:
    close_clients()
    for path in root.glob("*milvus.db*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()


@pytest.fixture(scope="module")
def stores(tmp_path_factory, embedder):
    """(corpus, index dir, FAISS assistant, Milvus assistant) over the seed articles and three dated ones."""
    root = tmp_path_factory.mktemp("stores")
    corpus = root / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    write_files(corpus, TOPIC_ARTICLES)
    update_index(corpus, root / "index", embedder=embedder, progress=False)
    summary = open_store(milvus_config(root), root / "index").update(corpus, settings=IndexSettings(),
                                                                      embedder=embedder, progress=False)
    assert summary.reused_by_text == summary.total_chunks  # the FAISS index beside it served every vector
    faiss_side = Assistant(root / "index", embedder=embedder)
    milvus_side = Assistant(root / "index", embedder=embedder, store=milvus_config(root))
    yield corpus, root / "index", faiss_side, milvus_side
    remove_lite_files(root)
    assert not list(root.glob("*.db"))


def top_chunks(assistant: Assistant, question: str, **options) -> list[str]:
    found, _ = assistant.retrieve(question, k=TOP, **options)
    return [p.chunk.chunk_id for p in found.passages]


def test_both_stores_hold_the_same_chunks_and_articles(stores):
    _, _, faiss_side, milvus_side = stores
    assert sorted(vars(c).items() for c in faiss_side.index.chunks) == \
        sorted(vars(c).items() for c in milvus_side.index.chunks)
    assert faiss_side.index.articles == milvus_side.index.articles
    row = milvus_side.index.chunks.index(faiss_side.index.chunks[0])
    assert milvus_side.index.annotations([row]) == faiss_side.index.annotations([0])


def test_bm25_in_milvus_scores_our_terms_as_our_bm25_does(stores):
    _, _, faiss_side, milvus_side = stores
    ours, theirs = KeywordIndex(faiss_side.index.keywords), MilvusKeywordIndex(milvus_side.index)
    for question in QUESTIONS[:12]:
        mine = {faiss_side.index.chunks[r].chunk_id: s for r, s in ours.search(question, 20)}
        engine = {milvus_side.index.chunks[r].chunk_id: s for r, s in theirs.search(question, 20)}
        shared = set(mine) & set(engine)
        assert len(shared) >= 0.9 * max(len(mine), 1), question
        assert all(abs(mine[c] - engine[c]) <= 1e-3 * max(1.0, mine[c]) for c in shared), question


def test_the_same_top_passages_on_the_fixed_questions(stores):
    _, _, faiss_side, milvus_side = stores
    overlaps, first_same = [], 0
    for question in QUESTIONS:
        a, b = top_chunks(faiss_side, question), top_chunks(milvus_side, question)
        overlaps.append(len(set(a) & set(b)) / max(1, len(a)))
        first_same += a[:1] == b[:1]
    print(f"top-{TOP} overlap over {len(QUESTIONS)} questions: mean {np.mean(overlaps):.3f}, "
          f"min {min(overlaps):.3f}; same first passage {first_same}/{len(QUESTIONS)}")
    assert np.mean(overlaps) >= 0.95 and first_same >= len(QUESTIONS) - 1


def answer_json(assistant: Assistant, question: str, **options) -> dict:
    row = assistant.ask(question, **options).to_json()
    row.pop("timings_ms")
    return row


def test_the_answer_json_is_unchanged(stores):
    _, _, faiss_side, milvus_side = stores
    for question in QUESTIONS[:ANSWERED]:
        assert answer_json(milvus_side, question) == answer_json(faiss_side, question), question


def test_filters_run_as_milvus_expressions_with_the_same_results(stores):
    _, _, faiss_side, milvus_side = stores
    cases = [SearchFilter.parse(since="2021-06"), SearchFilter.parse(until="2021-06-30"),
             SearchFilter.parse(sources=["board games weekly, Nordic Herald"]),
             SearchFilter.parse(since="2021", sources="Nordic Herald")]
    for search_filter in cases:
        within = milvus_side.snapshot().facts.allowed(search_filter)
        assert within.expression and "day" in within.expression or "outlet" in within.expression
        for question in ("Did the volcano erupt?", "Who won the chess match?"):
            got = top_chunks(milvus_side, question, filters=search_filter)
            assert got == top_chunks(faiss_side, question, filters=search_filter)
            allowed = {faiss_side.index.chunks[r].chunk_id for r in within.rows}
            assert set(got) <= allowed
    none = SearchFilter.parse(sources="No Such Outlet")
    assert answer_json(milvus_side, "Did the volcano erupt?", filters=none) == \
        answer_json(faiss_side, "Did the volcano erupt?", filters=none)


ADDED = ("---\ntitle: Glacier retreats in the Alps\nsource: Nordic Herald\npublished: 2022-08-01\n---\n"
         "The Morteratsch glacier lost forty metres of ice this summer, the Swiss glaciologist Anna Keller said. "
         "Hikers now walk an hour further to reach its tongue.\n")
EDITED = TOPIC_ARTICLES["chess.md"].replace("eleven games", "fourteen games").replace("Dubai", "Doha")


def test_incremental_add_edit_delete_touch_only_those_articles(tmp_path, embedder):
    corpus = write_files(tmp_path / "corpus", TOPIC_ARTICLES)
    faiss_dir, milvus_dir = tmp_path / "faiss", tmp_path / "milvus"
    store = MilvusStore(milvus_config(tmp_path), milvus_dir)  # its own folder: nothing to reuse, all embedded
    run = lambda: store.update(corpus, settings=IndexSettings(), embedder=embedder, progress=False)  # noqa: E731
    try:
        first = run()
        assert len(first.added) == 3 and first.embedded_chunks == first.total_chunks == store.stats().chunks
        assert run().written is None  # nothing changed: nothing written
        (corpus / "glacier.md").write_text(ADDED, encoding="utf-8")
        (corpus / "chess.md").write_text(EDITED, encoding="utf-8")
        (corpus / "sub" / "bakery.txt").unlink()
        second = run()
        assert (second.added, second.changed, second.deleted) == (["glacier"], ["chess"], ["sub/bakery"])
        assert second.unchanged == 1 and second.embedded_chunks == store.stats().chunks - 1  # volcano kept
        update_index(corpus, faiss_dir, embedder=embedder, progress=False)
        faiss_side = Assistant(faiss_dir, embedder=embedder)
        milvus_side = Assistant(milvus_dir, embedder=embedder, store=milvus_config(tmp_path))
        assert set(milvus_side.index.articles) == {"glacier", "chess", "volcano"}
        assert store.stats().chunks == len(milvus_side.index.chunks)  # the old chess chunks are gone
        for question in ("Which glacier lost ice this summer?", "Where was the chess championship played?",
                         "How many croissants did the bakery sell?"):
            assert answer_json(milvus_side, question) == answer_json(faiss_side, question), question
        assert "Doha" in milvus_side.ask("Where was the chess championship played?").text
    finally:
        remove_lite_files(tmp_path)


def test_a_killed_update_leaves_every_article_as_it_was(tmp_path, embedder, monkeypatch):
    corpus = write_files(tmp_path / "corpus", TOPIC_ARTICLES)
    store = MilvusStore(milvus_config(tmp_path), tmp_path / "index")
    run = lambda: store.update(corpus, settings=IndexSettings(), embedder=embedder, progress=False)  # noqa: E731
    try:
        run()
        before = store.load()
        (corpus / "chess.md").write_text(EDITED, encoding="utf-8")
        import index.milvus_store as module

        def killed(*args, **kwargs):  # the chunks are written; the process dies before the article rows
            raise KeyboardInterrupt

        monkeypatch.setattr(module, "_article_rows", killed)
        with pytest.raises(KeyboardInterrupt):
            run()
        after = store.load()  # the new chess chunks are in the collection, but no reader takes them
        assert after.articles == before.articles and after.chunks == before.chunks
        assert store.stats().chunks > len(after.chunks)
        monkeypatch.undo()
        assert run().changed == ["chess"]
        assert "fourteen games" in store.load().articles["chess"].body
        assert store.stats().chunks == len(store.load().chunks)

        (corpus / "chess.md").write_text(TOPIC_ARTICLES["chess.md"], encoding="utf-8")
        monkeypatch.setattr(MilvusStore, "_delete_other_content", killed)  # killed before the old content goes
        with pytest.raises(KeyboardInterrupt):
            run()
        monkeypatch.undo()
        assert "eleven games" in store.load().articles["chess"].body  # the newest whole content is read
        assert store.stats().chunks > len(store.load().chunks)
        assert run().written is None  # nothing to write, but the old content is deleted now
        assert store.stats().chunks == len(store.load().chunks)
    finally:
        remove_lite_files(tmp_path)


def test_the_command_line_builds_and_answers_from_milvus(tmp_path, run_module):
    corpus = write_files(tmp_path / "corpus", TOPIC_ARTICLES)
    uri = str(tmp_path / "cli-milvus.db")
    try:
        built = run_module("index", "--store", "milvus", "--milvus-uri", uri, "--corpus", str(corpus),
                           "--index-dir", str(tmp_path / "index"), "--quiet", timeout=300)
        assert built.returncode == 0, built.stderr
        assert "3 added" in built.stdout and Path(uri).exists()
        asked = run_module("qa", "Did the volcano erupt?", "--json", "--store", "milvus", "--milvus-uri", uri,
                           "--index-dir", str(tmp_path / "index"), timeout=300)
        assert asked.returncode == 0, asked.stderr
        answer = json.loads(asked.stdout)
        body = (corpus / "volcano.md").read_text(encoding="utf-8").split("---\n", 2)[2]
        assert answer["citations"] and all(body[c["start"]:c["end"]] == c["quote"] for c in answer["citations"])
    finally:
        remove_lite_files(tmp_path)


def test_bad_store_options_get_one_line_errors(tmp_path, run_module):
    wrong = run_module("qa", "anything?", "--store", "solr")
    assert wrong.returncode == 2 and "invalid choice: 'solr'" in wrong.stderr
    stray = run_module("index", "--milvus-uri", str(tmp_path / "x.db"), "--store", "faiss")
    assert stray.returncode == 2 and stray.stderr.strip().count("\n") == 0
    assert "add --store milvus" in stray.stderr


def test_an_unbuilt_milvus_store_says_what_to_run(tmp_path):
    try:
        with pytest.raises(QAError, match="build it with `.venv/bin/python -m index --store milvus --milvus-uri"):
            Assistant(tmp_path / "index", store=milvus_config(tmp_path))
    finally:
        remove_lite_files(tmp_path)
