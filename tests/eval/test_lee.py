"""The Lee corpus importer: 300 articles from the installed gensim, ids lee/001..lee/300, bodies
equal to the file's lines, and a rerun that writes nothing. Everything goes under tmp_path."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import eval.lee
from eval.lee import LeeUnavailable, find_lee_file, prepare_lee_index, read_lee_lines, write_lee_corpus
from eval.sets import GOLD_SETS
from index import load_corpus
from index.store import read_manifest


@pytest.fixture(scope="module")
def lee_file() -> Path:
    try:
        return find_lee_file()
    except LeeUnavailable as e:
        pytest.skip(str(e))


def file_states(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino) for p in folder.rglob("*")}


def test_the_importer_writes_300_articles_whose_bodies_are_the_lines(tmp_path, lee_file):
    lines = lee_file.read_text(encoding="ascii").split("\n")

    assert write_lee_corpus(tmp_path / "corpus") == 300
    corpus = load_corpus(tmp_path / "corpus")

    assert not corpus.problems
    by_id = {a.doc_id: a for a in corpus.articles}
    assert sorted(by_id) == [f"lee/{n:03d}" for n in range(1, 301)]
    assert all(by_id[f"lee/{n:03d}"].body == lines[n - 1] for n in range(1, 301))
    assert by_id["lee/001"].body.startswith("Hundreds of people have been forced to vacate their homes")
    assert by_id["lee/001"].source == "ABC" and by_id["lee/001"].title is None and by_id["lee/001"].published is None


def test_a_rerun_writes_nothing_and_a_stray_or_edited_file_is_put_right(tmp_path, lee_file):
    corpus = tmp_path / "corpus"
    write_lee_corpus(corpus)
    before = file_states(corpus)

    assert write_lee_corpus(corpus) == 0
    assert file_states(corpus) == before

    (corpus / "lee" / "007.md").write_text("edited", encoding="utf-8")
    (corpus / "lee" / "301.md").write_text("stray", encoding="utf-8")
    assert write_lee_corpus(corpus) == 2
    assert not (corpus / "lee" / "301.md").exists()
    assert (corpus / "lee" / "007.md").read_text(encoding="utf-8").endswith(read_lee_lines(lee_file)[6])


def test_a_different_file_is_refused_with_the_install_command(tmp_path):
    other = tmp_path / "lee_background.cor"
    other.write_text("one article\nanother", encoding="ascii")

    with pytest.raises(LeeUnavailable, match="pip install gensim==4.4.0"):
        write_lee_corpus(tmp_path / "corpus", source=other)
    assert not (tmp_path / "corpus").exists()


def test_without_gensim_the_message_gives_the_install_command(monkeypatch):
    monkeypatch.setattr(eval.lee.importlib.util, "find_spec", lambda name: None)

    with pytest.raises(LeeUnavailable, match=r"gensim is not installed.*pip install gensim==4\.4\.0"):
        find_lee_file()


def test_every_gold_doc_of_the_lee_sets_is_an_article_id():
    ids = {f"lee/{n:03d}" for n in range(1, 301)}
    for gold_set in (s for s in GOLD_SETS if s.corpus == "lee" and s.gold.is_file()):
        for line in gold_set.gold.read_text(encoding="utf-8").splitlines():
            assert set(json.loads(line).get("gold_docs", [])) <= ids, (gold_set.name, line)


@pytest.mark.slow
def test_the_lee_index_is_built_once_then_found_up_to_date(tmp_path, lee_file, embedder):
    index_dir = prepare_lee_index(tmp_path / "lee", embedder=embedder, progress=False)
    manifest = read_manifest(index_dir)
    assert manifest["article_count"] == 300

    started = time.perf_counter()
    assert prepare_lee_index(tmp_path / "lee", embedder=embedder, progress=False) == index_dir
    assert time.perf_counter() - started < 1.0
    assert read_manifest(index_dir) == manifest
