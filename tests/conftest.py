"""Fixtures shared by every stage's tests: the real embedding model (loaded once) and tiny corpora.

Owns: the session's `Embedder`, writing fixture article files under `tmp_path`, and building a
real index from them. Does not: touch `corpus/`, the repository's `.index/`, or anything else in
the repository (hypothesis keeps no example database on disk for the same reason).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index import Embedder, UpdateSummary, update_index  # noqa: E402

hypothesis_settings.register_profile("repo", database=None, deadline=None)
hypothesis_settings.load_profile("repo")

# Three articles on topics far apart, so a question about one retrieves that one first.
TOPIC_ARTICLES = {
    "volcano.md": (
        "---\n"
        "title: Volcano erupts near Reykjavik\n"
        "source: Nordic Herald\n"
        "url: https://example.com/volcano\n"
        "published: 2021-03-20\n"
        "---\n"
        "The Fagradalsfjall volcano erupted on the Reykjanes peninsula late on Friday night. "
        "Lava flowed slowly into an empty valley called Geldingadalir. "
        "Geologists at the University of Iceland said the eruption was small. "
        "Flights at Keflavik airport were not cancelled.\n"
    ),
    "chess.md": (
        "---\n"
        "title: Carlsen keeps his chess crown\n"
        "source: Board Games Weekly\n"
        "published: 2021-12-10\n"
        "---\n"
        "Magnus Carlsen won the world chess championship match in Dubai. "
        "He defeated the Russian challenger Ian Nepomniachtchi after eleven games. "
        "The Norwegian has held the title since 2013.\n"
    ),
    "sub/bakery.txt": (  # no front matter, Windows line ends
        "A small bakery in Lyon sold four thousand croissants in a single morning.\r\n"
        "The owner, Claire Dubois, opened the shop in 1998.\r\n"
        "Customers queued for two hours in the rain to buy pastries.\r\n"
    ),
}


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write `{relative path: text or bytes}` under `folder` (created); returns `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real packaged model, loaded once for the whole session."""
    model = Embedder()
    model.embed_queries(["warm up"])
    return model


@pytest.fixture
def make_corpus(tmp_path: Path) -> Callable[..., Path]:
    """`make_corpus({name: content}, name="corpus")` writes a corpus folder under tmp_path."""

    def make(files: dict[str, str | bytes], name: str = "corpus") -> Path:
        return write_files(tmp_path / name, files)

    return make


@pytest.fixture
def build(embedder: Embedder) -> Callable[..., UpdateSummary]:
    """`build(corpus, index_dir, **options)`: update_index with the session model, no progress bar."""

    def run(corpus: Path, index_dir: Path, **options) -> UpdateSummary:
        return update_index(corpus, index_dir, embedder=embedder, progress=False, **options)

    return run


@pytest.fixture(scope="session")
def topic_articles() -> dict[str, str]:
    """The three fixture articles of TOPIC_ARTICLES, `{relative path: file text}`."""
    return dict(TOPIC_ARTICLES)


@pytest.fixture(scope="session")
def topic_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> tuple[Path, Path]:
    """(corpus, index_dir) of a real index over TOPIC_ARTICLES, built once and shared read-only."""
    root = tmp_path_factory.mktemp("topics")
    corpus = write_files(root / "corpus", TOPIC_ARTICLES)
    update_index(corpus, root / "index", embedder=embedder, progress=False)
    return corpus, root / "index"


def _module_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.fixture(scope="session")
def start_module() -> Callable[..., subprocess.Popen]:
    """`start_module(*args, cwd=DIR)`: start `python -m ARGS` in DIR, text stdout and stderr piped."""

    def start(*args: str, cwd: Path) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", *args], cwd=cwd, env=_module_env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    return start


@pytest.fixture
def run_module(tmp_path: Path, start_module: Callable[..., subprocess.Popen]) -> Callable[..., subprocess.CompletedProcess]:
    """`run_module(*args, timeout=120)`: run `python -m ARGS` in tmp_path and wait for it."""

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        process = start_module(*args, cwd=tmp_path)
        stdout, stderr = process.communicate(timeout=timeout)
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

    return run

