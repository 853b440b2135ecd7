"""An article's title finds every chunk of it (dense and BM25) without touching the chunks' text or offsets.

Covers: the model input (title then chunk text, only the title cut to fit the window), the title's
terms in every chunk's BM25 terms, and reuse keyed by title and text (a new title re-embeds,
the same body under another title does not borrow vectors).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import ChunkSettings, IndexSettings, chunk_article, load_corpus, load_index, load_token_counter, model_identity
from index.chunking import Chunk
from index.embedding import count_llm_tokens
from index.titles import SEPARATOR, chunk_terms, embedding_text
from index.terms import terms
from qa.retrieve import KeywordIndex

SETTINGS = IndexSettings(chunking=ChunkSettings(max_tokens=32, overlap_sentences=1, overlap_max_tokens=16))
LIMIT = model_identity().max_seq_length - 2
BODY = ("He climbed the one hundred and twelve stairs every night for four decades. "
        "Storms never kept him from the lamp, not even the great gale of 1987. "
        "His daughter will take over the work next spring, the harbour board said. "
        "Visitors may tour the tower on Sundays from May.\n")
KEEPER = "---\ntitle: Cornish lighthouse keeper retires\n---\n" + BODY
QUESTION = "Which Cornish lighthouse keeper retires?"


def embedded_texts(version, doc_id: str) -> list[str]:
    return [embedding_text(version.articles[c.doc_id].title, c, token_spans=load_token_counter(), limit=LIMIT)
            for c in version.chunks if c.doc_id == doc_id]


@pytest.fixture
def record_embedded(monkeypatch, embedder) -> list[str]:
    """Every text the session model is asked to embed as a passage during the test."""
    seen: list[str] = []
    original = embedder.embed_passages
    monkeypatch.setattr(embedder, "embed_passages", lambda texts, **options: seen.extend(texts) or original(texts, **options))
    return seen


def test_the_model_reads_the_title_then_the_chunk_text():
    chunk = Chunk("a:0", "a", "Lava flowed.", 0, 12, n_tokens=4)
    spans = load_token_counter()
    assert embedding_text("Volcano erupts", chunk, token_spans=spans, limit=LIMIT) == f"Volcano erupts{SEPARATOR}Lava flowed."
    assert embedding_text(None, chunk, token_spans=spans, limit=LIMIT) == embedding_text("  ", chunk, token_spans=spans,
                                                                                       limit=LIMIT) == "Lava flowed."


def test_a_long_title_is_cut_to_fit_the_model_and_the_chunk_never_is():
    spans = load_token_counter()
    text = " ".join(["harbour"] * 200)
    chunk = Chunk("a:0", "a", text, 0, len(text), n_tokens=len(spans(text)))
    title = " ".join(f"word{i}" for i in range(300))

    made = embedding_text(title, chunk, token_spans=spans, limit=LIMIT)

    assert made.endswith(SEPARATOR + text) and title.startswith(made[: -len(SEPARATOR + text)])
    assert len(spans(made)) <= LIMIT < len(spans(title + SEPARATOR + text))
    full = Chunk("b:0", "b", text, 0, len(text), n_tokens=LIMIT)  # a chunk that fills the window: no title
    assert embedding_text(title, full, token_spans=spans, limit=LIMIT) == text


def test_the_title_terms_count_for_the_chunk():
    assert chunk_terms("Volcano erupts", "Lava flowed.") == terms("Lava flowed.") + terms("Volcano erupts")
    assert chunk_terms(None, "Lava flowed.") == terms("Lava flowed.")


@pytest.mark.slow
def test_a_chunk_whose_question_words_are_only_in_its_title_is_found_by_bm25_and_dense(
        make_corpus, topic_articles, tmp_path, build, embedder):
    corpus = make_corpus({**topic_articles, "keeper.md": KEEPER})
    build(corpus, tmp_path / "index", settings=SETTINGS)
    version = load_index(tmp_path / "index")
    keeper = [row for row, c in enumerate(version.chunks) if c.doc_id == "keeper"]
    assert len(keeper) > 1 and not set(terms(QUESTION)) & set(terms(BODY))

    hits = KeywordIndex(version.keywords).search(QUESTION, 50)
    assert sorted(row for row, _ in hits) == keeper  # every chunk of the article, by its title alone
    _, rows = version.search(embedder.embed_queries([QUESTION]), 1)
    assert rows[0][0] in keeper


@pytest.mark.slow
def test_titles_change_no_chunk_text_or_offsets(make_corpus, tmp_path, build):
    titled = make_corpus({"keeper.md": KEEPER}, name="titled")
    untitled = make_corpus({"keeper.md": BODY}, name="untitled")
    build(titled, tmp_path / "titled-index", settings=SETTINGS)
    build(untitled, tmp_path / "untitled-index", settings=SETTINGS)
    with_title, without = load_index(tmp_path / "titled-index"), load_index(tmp_path / "untitled-index")

    article = load_corpus(titled).articles[0]
    assert with_title.chunks == without.chunks == chunk_article(
        article, settings=SETTINGS.chunking, token_spans=load_token_counter(), count_llm_tokens=count_llm_tokens)
    assert all(article.body[c.start:c.end] == c.text for c in with_title.chunks)
    assert not np.allclose(with_title.all_vectors(), without.all_vectors())


@pytest.mark.slow
def test_changing_only_the_title_re_embeds_that_articles_chunks_and_only_those(
        make_corpus, topic_articles, tmp_path, build, record_embedded):
    corpus = make_corpus({**topic_articles, "keeper.md": KEEPER})
    build(corpus, tmp_path / "index", settings=SETTINGS)
    before = load_index(tmp_path / "index")
    old_terms = before.chunk_terms()
    (corpus / "keeper.md").write_text(KEEPER.replace("Cornish lighthouse keeper", "Harbour lamp man"), encoding="utf-8")
    record_embedded.clear()

    summary = build(corpus, tmp_path / "index", settings=SETTINGS)

    after = load_index(tmp_path / "index")
    assert summary.changed == ["keeper"] and summary.reused_by_text == 0
    assert after.chunks == before.chunks and record_embedded == embedded_texts(after, "keeper")
    for chunk, old, new, was, now in zip(after.chunks, before.all_vectors(), after.all_vectors(), old_terms,
                                         after.chunk_terms()):
        if chunk.doc_id == "keeper":
            assert not np.allclose(old, new) and "lamp" in now and "cornish" in was and "cornish" not in now
        else:
            assert np.array_equal(old, new) and was == now


@pytest.mark.slow
def test_identical_bodies_under_different_titles_do_not_share_vectors(make_corpus, tmp_path, build, record_embedded):
    corpus = make_corpus({"keeper.md": KEEPER})
    build(corpus, tmp_path / "index", settings=SETTINGS)
    (corpus / "copy.md").write_text("---\ntitle: Tower tours open on Sundays\n---\n" + BODY, encoding="utf-8")
    (corpus / "same.md").write_text(KEEPER, encoding="utf-8")
    record_embedded.clear()

    summary = build(corpus, tmp_path / "index", settings=SETTINGS)

    version = load_index(tmp_path / "index")
    vectors = {doc_id: np.array([v for c, v in zip(version.chunks, version.all_vectors()) if c.doc_id == doc_id])
               for doc_id in ("copy", "keeper", "same")}
    count = len(vectors["keeper"])
    assert summary.embedded_chunks == count and summary.reused_by_text == count  # same.md borrows; copy.md cannot
    assert record_embedded == embedded_texts(version, "copy")
    assert np.array_equal(vectors["same"], vectors["keeper"])
    assert all(not np.allclose(a, b) for a, b in zip(vectors["copy"], vectors["keeper"]))
