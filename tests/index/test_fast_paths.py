"""The speed work of issue #5, checked for behaviour (the figures themselves live in `python -m eval bench`).

Both embedding backends agree; the int8 graph onnxruntime runs keeps the slow fused ops out, and
its single-text copy (no attention mask) gives what the masked copy gives; a build that dies halfway resumes from its cache without re-embedding
and ends identical to one that never stopped; an edited article re-embeds only the chunks whose
text changed; a no-change update loads neither torch nor onnxruntime; the FAISS index type follows
the archive's size and records the recall it measured.
"""
from __future__ import annotations

import subprocess
import sys

import faiss
import numpy as np
import pytest

import index.store
import index.update
from index import Embedder, load_index, update_index
from index.embed_cache import EmbeddingCache, text_key
from index.store import SearchIndexReuse, build_search_index, exact_top_k, recall_at_k, update_search_index

PASSAGES = [
    "The central bank raised interest rates by half a percentage point to fight inflation.",
    "Heavy monsoon rains flooded villages across the river delta, displacing thousands of families.",
    "The striker scored twice in the final minutes to win the cup for her club.",
    "Researchers sequenced the genome of a rare orchid found only on one mountain.",
    "The ceasefire collapsed after rockets were fired at the border town overnight.",
    "A new high-speed railway line will cut the journey between the two cities to ninety minutes.",
    "The museum returned a bronze sculpture looted during the colonial era.",
    "Wildfires forced the evacuation of a ski resort as temperatures reached record highs.",
]
QUESTIONS = {
    "Did the bank change interest rates?": 0,
    "Where did floods displace families?": 1,
    "Who won the cup final?": 2,
    "Which plant had its DNA sequenced?": 3,
    "Why did the truce end?": 4,
    "How long will the train journey take?": 5,
    "What did the museum give back?": 6,
    "Why was the ski resort evacuated?": 7,
}


def test_the_int8_and_fp32_backends_rank_a_fixed_set_alike(embedder):
    reference = Embedder("torch-fp32")
    fast, slow = embedder.embed_passages(PASSAGES), reference.embed_passages(PASSAGES)
    fast_q, slow_q = embedder.embed_queries(list(QUESTIONS)), reference.embed_queries(list(QUESTIONS))

    assert embedder.backend == "onnx-int8"
    assert np.min(np.sum(fast * slow, axis=1)) > 0.98  # the same model, within quantisation noise
    assert np.allclose(np.linalg.norm(fast, axis=1), 1, atol=1e-5)
    for (question, want), a, b in zip(QUESTIONS.items(), fast_q @ fast.T, slow_q @ slow.T):
        assert np.argmax(a) == np.argmax(b) == want, question
        assert list(np.argsort(-a)[:3]) == list(np.argsort(-b)[:3]) or np.argmax(a) == want


def test_an_int8_vector_depends_on_its_text_alone(embedder):
    alone = embedder.embed_passages([PASSAGES[0]])
    among_others = embedder.embed_passages(PASSAGES[3:] + [PASSAGES[0]] + PASSAGES[1:3])

    assert np.array_equal(alone[0], among_others[len(PASSAGES) - 3])


def test_the_int8_graph_onnxruntime_runs_has_no_slow_fused_ops_and_the_single_copy_no_qattention(embedder, tmp_path):
    import onnx

    from index.embedding import onnx_session
    from index.onnx_model import ensure_onnx_model

    for single in (False, True):
        optimized = tmp_path / f"optimized-{single}.onnx"
        onnx_session(ensure_onnx_model(single=single), optimized_copy=optimized)
        graph = onnx.load(str(optimized), load_external_data=False).graph
        ops = [node.op_type for node in graph.node]
        assert "LayerNormalization" in ops
        assert not set(ops) & {"SkipLayerNormalization", "BiasGelu"}  # unfused, and not fused back at load
        if single:  # attention in plain ops, without the mask and the per-head int8 products
            assert "QAttention" not in ops and ops.count("Softmax") == 6 and ops.count("FusedMatMul") == 12
        else:
            masks = [node.input[5] for node in graph.node if node.op_type == "QAttention"]
            assert len(masks) == 6 and all(masks)


def test_the_single_text_copy_refuses_a_batch(embedder):
    from index.embedding import onnx_session
    from index.onnx_model import ensure_onnx_model

    session = onnx_session(ensure_onnx_model(single=True))
    ids = np.array([[101, 2054, 2003, 102]] * 2, dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    feed = {i.name: feed[i.name] for i in session.get_inputs()}
    with pytest.raises(Exception, match="Squeeze|dimension"):  # two texts would otherwise attend to each other
        session.run(None, feed)
    one = {name: value[:1] for name, value in feed.items()}
    assert session.run(None, one)[0].shape == (1, 4, 384)


def test_a_text_alone_and_the_same_text_in_a_padded_batch_get_the_same_vector(embedder):
    short, long = "Rates rose.", PASSAGES[1] + " " + PASSAGES[2]
    alone = embedder.embed_queries([short])  # one text: the copy without a mask
    batched = embedder.embed_queries([short, long])  # padded: the copy with the mask
    assert embedder.model._batched is not None
    assert float(alone[0] @ batched[0]) > 0.995  # only the int8 activation scale differs


def articles(count: int, seed: int = 1) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    words = ("harbour council drought senator railway glacier vaccine museum stadium farmer bridge orchestra "
             "festival satellite election engineer market river").split()
    return {f"a{n:02d}.md": " ".join(" ".join(rng.choice(words, 12)).capitalize() + "." for _ in range(24))
            for n in range(count)}


class DiesAfter:
    """The session model, but the update is killed (raises) after `groups` groups were embedded."""

    def __init__(self, inner: Embedder, groups: int) -> None:
        self.inner, self.left, self.backend, self.texts = inner, groups, inner.backend, []

    @property
    def model(self):
        return self.inner.model

    def embed_passages(self, texts, **options):
        if self.left == 0:
            raise KeyboardInterrupt("killed mid-build")
        self.left -= 1
        self.texts.extend(texts)
        return self.inner.embed_passages(texts, **options)


def test_a_killed_build_resumes_from_its_cache_and_equals_an_uninterrupted_one(make_corpus, tmp_path, embedder,
                                                                              monkeypatch):
    monkeypatch.setattr(index.update, "EMBED_GROUP", 64)  # a small corpus, still several groups
    corpus = make_corpus(articles(30))
    resumed_dir, straight_dir = tmp_path / "resumed", tmp_path / "straight"
    dying = DiesAfter(embedder, groups=1)
    with pytest.raises(KeyboardInterrupt):
        update_index(corpus, resumed_dir, embedder=dying, progress=False)
    cached = EmbeddingCache(resumed_dir / "embed-cache", embedder.identity).load()
    assert len(cached) == len(set(dying.texts)) == 64  # one group of 64 chunks reached the disk
    assert not (resumed_dir / "CURRENT").exists()      # nothing went live

    finishing = DiesAfter(embedder, groups=10**6)
    summary = update_index(corpus, resumed_dir, embedder=finishing, progress=False)
    update_index(corpus, straight_dir, embedder=embedder, progress=False)

    resumed, straight = load_index(resumed_dir), load_index(straight_dir)
    assert summary.from_cache == 64 and summary.embedded_chunks == len(straight.chunks) - 64
    assert not set(finishing.texts) & set(dying.texts)  # nothing embedded twice
    assert resumed.chunks == straight.chunks
    assert np.array_equal(resumed.all_vectors(), straight.all_vectors())
    assert not (resumed_dir / "embed-cache").exists()  # cleared once the version is live


def test_a_damaged_cache_tail_is_ignored_and_cut_off(tmp_path, embedder):
    cache = EmbeddingCache(tmp_path / "cache", embedder.identity)
    vectors = embedder.embed_passages(PASSAGES[:3])
    cache.append([text_key(t) for t in PASSAGES[:3]], vectors)
    with cache.path.open("ab") as f:
        f.write(b"\x00" * 700)  # a record cut short by a kill

    again = EmbeddingCache(tmp_path / "cache", embedder.identity)
    assert sorted(again.load()) == sorted(text_key(t) for t in PASSAGES[:3])
    again.append([text_key(PASSAGES[3])], embedder.embed_passages(PASSAGES[3:4]))
    loaded = EmbeddingCache(tmp_path / "cache", embedder.identity).load()
    assert len(loaded) == 4 and np.array_equal(loaded[text_key(PASSAGES[0])], vectors[0])


def test_an_edited_article_re_embeds_only_the_chunks_whose_text_changed(make_corpus, tmp_path, embedder):
    files = articles(3)
    corpus, index_dir = make_corpus(files), tmp_path / "index"
    update_index(corpus, index_dir, embedder=embedder, progress=False)
    before = load_index(index_dir)
    (corpus / "a01.md").write_text(files["a01.md"] + " A late paragraph about the harbour was added.", encoding="utf-8")

    summary = update_index(corpus, index_dir, embedder=embedder, progress=False)

    after = load_index(index_dir)
    old_texts = {c.text for c in before.chunks}
    changed = [c for c in after.chunks if c.text not in old_texts]
    assert summary.changed == ["a01"] and 1 <= summary.embedded_chunks == len(changed)
    assert summary.reused_by_text == sum(1 for c in after.chunks if c.doc_id == "a01") - len(changed) > 0


def test_a_no_change_update_loads_no_model(make_corpus, tmp_path, embedder):
    corpus, index_dir = make_corpus(articles(3)), tmp_path / "index"
    update_index(corpus, index_dir, embedder=embedder, progress=False)
    script = ("import sys; from pathlib import Path; from index import update_index; "
              f"s = update_index(Path({str(corpus)!r}), Path({str(index_dir)!r}), progress=False); "
              "print(s.written is None, 'torch' in sys.modules, 'onnxruntime' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=index.store.DEFAULT_INDEX_DIR.parent)
    assert done.stdout.split() == ["True", "False", "False"], done.stderr


def clustered(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, 64)).astype(np.float32)
    x = centres[rng.integers(0, 40, n)] + 0.6 * rng.standard_normal((n, 64)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_small_archives_get_exact_search_large_ones_an_ivf_index_with_measured_recall(monkeypatch):
    vectors, queries = np.split(clustered(6100), [6000])  # queries: held out, from the same distribution
    flat, flat_info = build_search_index(vectors[:500], 64)
    assert isinstance(flat, faiss.IndexFlat) and flat_info["recall_at_10"] == 1.0

    monkeypatch.setattr(index.store, "EXACT_MAX_CHUNKS", 1000)
    monkeypatch.setattr(index.store, "SCAN_MAX_CHUNKS", 1000)  # and IVF, not the float16 scan
    ivf, info = build_search_index(vectors, 64, recall_target=0.95)
    assert info["type"].startswith("IVF") and info["nprobe"] == faiss.extract_index_ivf(ivf).nprobe
    assert info["recall_at_10"] >= 0.95
    _, found = ivf.search(queries, 10)
    assert recall_at_k(exact_top_k(vectors, queries, 10), found, 10) >= 0.95  # holds for fresh queries too


def ivf_ids(search_index) -> np.ndarray:
    lists = faiss.extract_index_ivf(search_index).invlists
    return np.sort(np.concatenate([faiss.rev_swig_ptr(lists.get_ids(k), lists.list_size(k)).copy()
                                   for k in range(lists.nlist) if lists.list_size(k)]))


def test_an_update_keeps_the_trained_ivf_index_drops_and_renumbers_rows_and_adds_only_new_ones(monkeypatch, tmp_path):
    monkeypatch.setattr(index.store, "EXACT_MAX_CHUNKS", 1000)
    monkeypatch.setattr(index.store, "SCAN_MAX_CHUNKS", 1000)  # and IVF, not the float16 scan
    old, fresh, queries = np.split(clustered(6140), [6000, 6040])
    before, before_info = build_search_index(old, 64)
    faiss.write_index(before, str(tmp_path / "before.faiss"))
    rng = np.random.default_rng(1)
    kept = np.delete(np.arange(6000), rng.choice(6000, 100, replace=False))
    kept = np.concatenate([kept[2000:], kept[:2000]])  # articles reordered
    sources = np.concatenate([kept[:700], np.full(40, -1), kept[700:], kept[:1]])  # 40 new; one old row copied twice
    vectors = old[np.maximum(sources, 0)]
    vectors[sources < 0] = fresh

    after, info = update_search_index(SearchIndexReuse(tmp_path / "before.faiss", before_info, sources), vectors)

    n = len(sources)
    assert (info["updated_from"], info["removed"], info["added"], info["trained_chunks"]) == (6000, 100, 41, 6000)
    assert after.ntotal == info["chunks"] == n and np.array_equal(ivf_ids(after), np.arange(n))
    quantizer = lambda ix: faiss.extract_index_ivf(ix).quantizer.reconstruct_n(0, faiss.extract_index_ivf(ix).nlist)  # noqa: E731
    assert np.array_equal(quantizer(after), quantizer(before))  # not trained again
    assert info["recall_at_10"] >= 0.97 and info["nprobe"] == faiss.extract_index_ivf(after).nprobe
    faiss.extract_index_ivf(after).nprobe = faiss.extract_index_ivf(after).nlist
    _, own = after.search(vectors, 2)
    assert all(row in found for row, found in enumerate(own))  # every row finds itself (its twin may tie)
    _, found = after.search(queries, 10)
    assert recall_at_k(exact_top_k(vectors, queries, 10), found, 10) >= 0.95


def test_an_update_trains_a_new_ivf_index_when_the_old_one_no_longer_fits(monkeypatch, tmp_path):
    monkeypatch.setattr(index.store, "EXACT_MAX_CHUNKS", 1000)
    monkeypatch.setattr(index.store, "SCAN_MAX_CHUNKS", 1000)  # and IVF, not the float16 scan
    vectors = clustered(3000)
    ivf, ivf_info = build_search_index(vectors[:1400], 64)
    faiss.write_index(ivf, str(tmp_path / "ivf.faiss"))
    flat, flat_info = build_search_index(vectors[:900], 64)
    faiss.write_index(flat, str(tmp_path / "flat.faiss"))
    same = np.arange(1400)
    assert update_search_index(SearchIndexReuse(tmp_path / "ivf.faiss", ivf_info, same), vectors[:1400]) is not None
    grown = np.concatenate([same, np.full(1600, -1)])  # more than twice the size it was trained on
    assert update_search_index(SearchIndexReuse(tmp_path / "ivf.faiss", ivf_info, grown), vectors) is None
    crossed = np.concatenate([np.arange(900), np.full(200, -1)])  # past the exact-search size
    assert update_search_index(SearchIndexReuse(tmp_path / "flat.faiss", flat_info, crossed), vectors[:1100]) is None
    assert update_search_index(SearchIndexReuse(tmp_path / "ivf.faiss", ivf_info, same[:10]), vectors[:1400]) is None
    assert update_search_index(SearchIndexReuse(tmp_path / "gone.faiss", ivf_info, same), vectors[:1400]) is None
    lists = faiss.extract_index_ivf(ivf).invlists
    faiss.rev_swig_ptr(lists.get_ids(0), lists.list_size(0))[0] = 10**6  # a damaged file: an id past its rows
    faiss.write_index(ivf, str(tmp_path / "damaged.faiss"))
    assert update_search_index(SearchIndexReuse(tmp_path / "damaged.faiss", ivf_info, same), vectors[:1400]) is None
    monkeypatch.setattr(index.store, "_nlist", lambda n: 512)
    assert update_search_index(SearchIndexReuse(tmp_path / "ivf.faiss", ivf_info, same), vectors[:1400]) is None


def test_exact_top_k_matches_faiss_flat_search():
    vectors, queries = clustered(3000), clustered(20, seed=3)
    flat = faiss.IndexFlatIP(64)
    flat.add(vectors)
    _, want = flat.search(queries, 5)
    assert np.array_equal(exact_top_k(vectors, queries, 5, block=700), want)


def test_the_compact_copy_of_cl100k_encodes_exactly_as_tiktoken(tmp_path, monkeypatch):
    import tiktoken

    import index.embedding as embedding

    monkeypatch.setenv("QA_MODEL_CACHE", str(tmp_path))
    texts = ["The Taliban denied al-Qaeda's presence <|endoftext|> in 2021.", "naïve café 日本語 🙂 " * 20,
             " \r\n\t  spaces and 12,345.67 numbers ", PASSAGES[4] * 5]
    official = tiktoken.get_encoding(embedding.LLM_ENCODING)
    for attempt in ("makes the copy", "reads the copy"):
        embedding._llm_encoding.cache_clear()
        encoding = embedding._llm_encoding()
        assert (tmp_path / "cl100k" / "tokens.bin").is_file(), attempt
        for text in texts:
            assert encoding.encode(text, disallowed_special=()) == official.encode(text, disallowed_special=()), attempt
    embedding._llm_encoding.cache_clear()
