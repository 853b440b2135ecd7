"""What an update killed at the worst moment leaves behind, and the next update, even one with
nothing to do, removes: a half-written version, a superseded one, a pointer's temporary file, and
the embedding cache of an update killed after it switched to its new version (before clearing it).
`python -m eval chaos` finds these by killing real updates; here each is laid out by hand."""
from __future__ import annotations

from pathlib import Path

from index import load_index, update_index
from index.embed_cache import EmbeddingCache, text_key


def test_a_no_change_update_removes_every_leftover_of_a_killed_one(make_corpus, topic_articles, embedder,
                                                                   tmp_path: Path):
    corpus, index_dir = make_corpus(topic_articles), tmp_path / "index"
    update_index(corpus, index_dir, embedder=embedder, progress=False)
    live = load_index(index_dir).path
    cache = EmbeddingCache(index_dir / "embed-cache", embedder.identity)
    cache.append([text_key("a chunk of the version that went live")], embedder.embed_passages(["a chunk"]))
    (index_dir / ".tmp-v-20990101T000000-abcdef").mkdir()
    (index_dir / "v-20000101T000000-abcdef").mkdir()
    (index_dir / "s-20000101T000000-abcdef").mkdir()  # a segment no live version names
    (index_dir / ".CURRENT.abcdef.tmp").write_text("v-20000101T000000-abcdef\n", encoding="utf-8")

    summary = update_index(corpus, index_dir, embedder=embedder, progress=False)

    assert summary.written is None and load_index(index_dir).path == live
    segments = [s.path.name for s in load_index(index_dir).segments]
    assert sorted(p.name for p in index_dir.iterdir()) == sorted(["CURRENT", "LOCK", live.name, *segments])


def test_an_update_killed_before_its_switch_keeps_its_cache_for_the_next_one(make_corpus, topic_articles, embedder,
                                                                             tmp_path: Path):
    corpus, index_dir = make_corpus(topic_articles), tmp_path / "index"
    update_index(corpus, index_dir, embedder=embedder, progress=False)
    (corpus / "new.md").write_text("A new article about the harbour. It has two sentences.", encoding="utf-8")
    cache = EmbeddingCache(index_dir / "embed-cache", embedder.identity)
    text = "A new article about the harbour. It has two sentences."
    cache.append([text_key(text)], embedder.embed_passages([text]))

    summary = update_index(corpus, index_dir, embedder=embedder, progress=False)

    assert summary.added == ["new"] and summary.from_cache == 1 and summary.embedded_chunks == 0
    assert not (index_dir / "embed-cache").exists()
