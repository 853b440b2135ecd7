"""`python -m index import FILE...` and `python -m index remove DOC_ID...` as a user runs them, over a
corpus and index in tmp_path; and `python -m index` without a subcommand as it always was."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index import load_index
from tests.conftest import ROOT
from tests.index.test_importer import MARKDOWN, PAGE, big_sparse_file, snapshot

pytestmark = pytest.mark.slow


@pytest.fixture
def site(tmp_path: Path, build) -> tuple[Path, Path]:
    """(corpus, index_dir) with one indexed article."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed.md").write_text("---\ntitle: Seed\n---\nThe seed article is about orchards.\n", encoding="utf-8")
    build(corpus, tmp_path / "index")
    return corpus, tmp_path / "index"


def write(folder: Path, files: dict[str, str | bytes]) -> list[str]:
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return [str(folder / name) for name in files]


def test_import_writes_each_article_and_updates_the_index(site, tmp_path, run_module):
    corpus, index_dir = site
    inputs = write(tmp_path / "in", {"dam.html": PAGE, "glass.md": MARKDOWN,
                                     "more.jsonl": json.dumps({"title": "Tram", "body": "The tram runs late."})})

    result = run_module("index", "import", *inputs, "--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(" as ")[0] for line in lines[:3]] == ["imported dam.html", "imported glass.md",
                                                             "imported more.jsonl"]
    assert lines[3].startswith("index: updated: 3 added, 0 changed, 0 deleted, 1 unchanged")
    ids = [line.split(" as ")[1] for line in lines[:3]]
    assert set(load_index(index_dir).articles) == {"seed", *ids}
    assert sorted(p.stem for p in corpus.iterdir()) == sorted(["seed", *ids])


def test_each_bad_input_is_one_line_on_stderr_exit_1_and_nothing_changes(site, tmp_path, run_module):
    corpus, index_dir = site
    inputs = write(tmp_path / "in", {"photo.md": b"\x89PNG\x00\x00" * 50, "menu.html": "<nav><a>Home</a></nav>"})
    inputs.append(str(big_sparse_file(tmp_path / "in" / "huge.txt", 20 * 1024 * 1024)))
    before = snapshot(corpus, index_dir)

    result = run_module("index", "import", *inputs, "--corpus", str(corpus), "--index-dir", str(index_dir))

    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("refused photo.md: looks like a binary file")
    assert lines[1].startswith("refused menu.html: no article text found")
    assert lines[2].startswith("refused huge.txt: is too large: 20,971,520 bytes")
    assert snapshot(corpus, index_dir) == before


def test_importing_the_same_article_again_is_refused(site, tmp_path, run_module):
    corpus, index_dir = site
    [path] = write(tmp_path / "in", {"glass.md": MARKDOWN})
    first = run_module("index", "import", path, "--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet")
    before = snapshot(corpus, index_dir)

    again = run_module("index", "import", path, "--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet")

    assert first.returncode == 0 and again.returncode == 1
    [line] = again.stderr.strip().splitlines()
    assert "already in the corpus as glass-museum-record-summer-" in line and "remove it first" in line
    assert snapshot(corpus, index_dir) == before


def test_remove_deletes_the_file_and_the_article_leaves_the_index(site, run_module):
    corpus, index_dir = site

    result = run_module("index", "remove", "seed", "../etc/passwd", "--corpus", str(corpus),
                        "--index-dir", str(index_dir), "--quiet")

    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == "removed seed" and "1 deleted" in result.stdout
    [refusal] = result.stderr.strip().splitlines()
    assert refusal.startswith("not removed '../etc/passwd': is not an article id")
    assert list(corpus.iterdir()) == [] and load_index(index_dir).articles == {}


def test_a_missing_corpus_folder_is_one_line_and_exit_1(tmp_path, run_module):
    [path] = write(tmp_path / "in", {"a.txt": "Some text."})

    result = run_module("index", "import", path, "--corpus", str(tmp_path / "nope"), "--index-dir",
                        str(tmp_path / "index"))

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "corpus folder not found" in line


def test_help_of_import_and_remove_and_bad_options():
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "index", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=60)

    adding, removing, nothing = run("import", "--help"), run("remove", "--help"), run("import")
    assert adding.returncode == 0 and "usage: python -m index import" in adding.stdout
    assert "trafilatura" in adding.stdout and "10,485,760 bytes a file" in adding.stdout
    assert removing.returncode == 0 and "DOC_ID" in removing.stdout
    assert nothing.returncode == 2 and "FILE" in nothing.stderr


def test_python_m_index_without_a_subcommand_keeps_its_options_and_help():
    result = subprocess.run([sys.executable, "-m", "index", "--help"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)

    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m index [-h] [--corpus CORPUS] [--index-dir INDEX_DIR] [--full]")
    assert "import" not in result.stdout.split("\n\n")[0]  # the usage line is the one it always was
