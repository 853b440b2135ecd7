"""`python -m eval chaos`: its checks catch what they must (hand-made damage), and a short real run passes.

The heavy run (`python -m eval chaos --trials 50`) stays in eval; here two trials run through
`run_chaos` with the session's model.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from eval.chaos import ChaosReport, Failure, Scratch, main, run_chaos
from eval.chaos_checks import chunk_problems, leftover_problems, state_problems, stray_entries
from index import ChunkSettings, chunk_article, load_token_counter, parse_article
from index.articles import hash_content
from index.embedding import count_llm_tokens

TOKEN_SPANS = load_token_counter()
SETTINGS = ChunkSettings(max_tokens=24, overlap_sentences=1, overlap_max_tokens=12)
FILES = {
    "a": b"---\ntitle: A\n---\nThe first sentence is here. A second one follows it. Then a third sentence ends the "
         b"first paragraph.\nA new paragraph starts. It has more words in it than the others do, to make chunks.\n",
    "b": b"Short article. Only two sentences.\n",
}


@pytest.fixture
def table():
    """(articles, chunks, manifest, written) of a correct little index, as chunk_problems reads them."""
    articles = {doc_id: parse_article(raw, doc_id=doc_id) for doc_id, raw in FILES.items()}
    chunks = [c for doc_id in sorted(articles) for c in chunk_article(
        articles[doc_id], settings=SETTINGS, token_spans=TOKEN_SPANS, count_llm_tokens=count_llm_tokens)]
    manifest = {"chunking": dataclasses.asdict(SETTINGS), "articles": {d: a.content_hash for d, a in articles.items()}}
    written = {hash_content(raw): raw for raw in FILES.values()}
    return articles, chunks, manifest, written


def problems_of(articles, chunks, manifest, written) -> list[str]:
    return chunk_problems(articles, chunks, manifest, written=written, token_spans=TOKEN_SPANS)


def test_a_whole_index_has_no_chunk_problems(table):
    articles, chunks, _, _ = table

    assert len([c for c in chunks if c.doc_id == "a"]) >= 3
    assert problems_of(*table) == []


def test_a_lost_chunk_is_named(table):
    articles, chunks, manifest, written = table

    [problem] = problems_of(articles, [c for c in chunks if c.chunk_id != "a#1"], manifest, written)

    assert problem.startswith("'a': ") and "missing ['a#1']" in problem


def test_a_duplicated_chunk_is_named(table):
    articles, chunks, manifest, written = table

    problems = problems_of(articles, chunks + [chunks[0]], manifest, written)

    assert "1 chunk id(s) appear more than once: ['a#0']" in problems
    assert any("lie in separate places" in p for p in problems)


def test_chunks_that_disagree_with_the_recorded_text_are_named(table):
    articles, chunks, manifest, written = table
    shifted = [dataclasses.replace(c, start=c.start + 1) if c.chunk_id == "b#0" else c for c in chunks]

    [problem] = problems_of(articles, shifted, manifest, written)

    assert problem.startswith("'b': chunk b#0 is [1:")


def test_an_article_recorded_from_no_version_of_its_file_is_named(table):
    articles, chunks, manifest, _ = table
    written = {hash_content(FILES["a"]): FILES["a"], hash_content(FILES["b"]): b"Other text. Same hash claimed.\n"}

    problems = problems_of(articles, chunks, manifest, {hash_content(FILES["a"]): FILES["a"]})
    changed = problems_of(articles, chunks, manifest, written)

    assert problems == [f"'b' records content hash {articles['b'].content_hash[:12]}…, which no version of its file had"]
    assert changed == [f"'b' records text or metadata other than its file's version "
                       f"{articles['b'].content_hash[:12]}… gives"]


def test_a_manifest_that_disagrees_with_the_articles_is_named(table):
    articles, chunks, manifest, written = table

    problems = problems_of(articles, chunks, {**manifest, "articles": {"a": "x"}}, written)

    assert problems == ["the manifest's content hashes differ from the articles it holds"]


def test_the_state_must_be_all_before_or_all_after(table):
    articles, _, _, _ = table
    before = {d: a.content_hash for d, a in articles.items()}
    after = {"a": "new-a", "b": before["b"], "c": "new-c"}

    assert state_problems(articles, before=before, after=after) == []
    # b deleted as after the update, c not yet added as before it: a mix
    mix = state_problems({"a": articles["a"]}, before=before, after={"a": before["a"], "c": "h"})
    assert mix == ["the index is neither the corpus before the update nor after it: it differs from before in ['b'] "
                   "and from after in ['c']"]


def test_leftovers_are_what_a_fresh_build_does_not_have(tmp_path: Path):
    def index_folder(name: str, *extra: str, segments: tuple[str, ...] = ("s-1",)) -> Path:
        folder = tmp_path / name
        (folder / "v-live").mkdir(parents=True)
        (folder / "v-live" / "manifest.json").write_text(json.dumps({"segments": [{"name": s} for s in segments]}))
        for segment in segments:
            (folder / segment / "keywords").mkdir(parents=True)
        (folder / "CURRENT").write_text("v-live\n")
        (folder / "LOCK").touch()
        for entry in extra:
            (folder / entry).mkdir(parents=True)
        return folder

    fresh = index_folder("fresh", "cache")
    clean = index_folder("clean", "cache", segments=("s-2", "s-3"))  # other names, two segments: no leftover
    dirty = index_folder("dirty", "cache", ".tmp-v-2", ".tmp-s-4", "v-old", "s-old", "v-live/stray")

    assert stray_entries(clean) == ["cache"]
    assert stray_entries(dirty) == [".tmp-s-4", ".tmp-v-2", "cache", "s-old", "v-old"]
    assert leftover_problems(clean, fresh) == []
    (dirty / "cache" / "records.bin").touch()
    (dirty / "v-old" / "keywords").mkdir()
    assert leftover_problems(dirty, fresh) == [
        "left behind in the index folder (a fresh build has no such files): "
        "['.tmp-s-4', '.tmp-v-2', '<live>/stray', 'cache/records.bin', 's-old']"]  # the first five


def test_the_scratch_corpus_is_the_same_for_the_same_seed_and_its_changes_keep_files_loadable(tmp_path, make_corpus,
                                                                                                topic_articles):
    import random

    source = make_corpus(topic_articles)
    one = Scratch(tmp_path / "one", source, extra_articles=4, rng=random.Random(7))
    two = Scratch(tmp_path / "two", source, extra_articles=4, rng=random.Random(7))
    rng = random.Random(3)
    done = [change for _ in range(15) for change in one.change(rng)]

    assert one.written.keys() >= set(two.state().values()) and len(two.state()) == 7
    assert {"added", "edited", "deleted", "renamed"} <= {change.split()[0] for change in done}
    loaded = set(one.state().values())
    assert loaded <= one.written.keys() and not [p for p in one.article_files() if p.stat().st_size == 0]


def test_the_report_prints_failures_and_figures():
    report = ChaosReport(seed=3, corpus="c", trials=2, articles=[5, 6], recovery_seconds=[1.0, 3.0],
                         failures=[Failure(2, "chunks", "'a': 1 of 2 chunks: missing ['a#1']", "killed")])

    text, figures = report.table(), report.to_json()

    assert "failures: 1" in text and "trial 2 [chunks] (killed): 'a': 1 of 2 chunks" in text
    assert "median 2.0 s, slowest 3.0 s (trial 2)" in text
    assert figures["recovery_seconds"] == {"median": 2.0, "slowest": 3.0, "slowest_trial": 2}
    assert figures["failures"][0]["check"] == "chunks"


def test_the_command_refuses_bad_options_in_one_line(capsys, tmp_path):
    assert main(["--trials", "0"]) == 2
    assert main(["--corpus", str(tmp_path / "nowhere"), "--quiet"]) == 2
    assert main(["--keep", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("error: ") for line in errors)
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0 and "SIGKILL" in capsys.readouterr().out


@pytest.mark.slow
def test_a_short_chaos_run_finds_nothing_wrong(make_corpus, topic_articles, embedder, tmp_path):
    corpus = make_corpus(topic_articles)

    report = run_chaos(corpus, trials=2, seed=11, extra_articles=2, modes=("writing", "switching"),
                       embedder=embedder, progress=False, keep=tmp_path / "work")

    assert report.failures == [] and report.aborted is None, report.table()
    assert report.trials == 2 and len(report.recovery_seconds) == 2
    assert report.articles[0] == 5 and sum(report.outcomes.values()) == 2
    assert sorted(p.name for p in (tmp_path / "work" / "logs").iterdir())[:2] == ["000-build.log", "001-again.log"]
    assert corpus.exists() and sorted(p.name for p in corpus.rglob("*.md")) == ["chess.md", "volcano.md"]


@pytest.mark.slow
def test_kills_inside_a_compaction_leave_a_whole_index(make_corpus, topic_articles, embedder, tmp_path):
    report = run_chaos(make_corpus(topic_articles), trials=4, seed=5, extra_articles=2, modes=("compacting",),
                       embedder=embedder, progress=False)

    assert report.failures == [] and report.aborted is None, report.table()
    assert report.compactions >= 1 and "inside a compaction" in report.table()
