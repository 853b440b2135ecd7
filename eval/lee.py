"""The Lee corpora (ABC news-mail articles, c. 2001-02) as article files, and their indexes: the
background corpus (300 articles, `lee/NNN`, the shared bench's) and the 50 articles people rated
for similarity (`lee50/NN`, which the `lee50` gold set asks about).

Owns: finding `lee_background.cor` inside the installed gensim package (without importing gensim,
which is slow), checking it is the file `../shared/bench/lee/gold.jsonl` was written against,
writing line N as the article `lee/NNN` (body exactly the line, front matter `source: ABC`; no
title or date is known), and building or updating its index with the project's own
`update_index`. Does not: copy the text into the repository, ask questions, or score.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from index import Embedder, QAError, update_index

CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "lee"
LEE_FILE = ("test", "test_data", "lee_background.cor")  # inside the gensim package
LEE_SHA256 = "5d78d6dafd953bbf65797bef09a9ffb9ec430583381be705f8fd460000f370fb"  # gensim 4.4.0, per PROVENANCE.md
INSTALL_HINT = "pip install gensim==4.4.0"
FRONT_MATTER = "---\nsource: ABC\n---\n"


@dataclass(frozen=True)
class LeeCorpus:
    """One of the Lee files in gensim's test data: its name, hash, and how its articles are named."""

    file: str
    sha256: str
    prefix: str  # article ids are PREFIX/NNN
    digits: int
    cache_dir: Path


BACKGROUND = LeeCorpus("lee_background.cor", LEE_SHA256, "lee", 3, CACHE_DIR)
SIMILARITY = LeeCorpus("lee.cor", "a878f9a58f6743c32985c56c2f2f75988386216b38a4023a01fd3bcf7884d93e", "lee50", 2,
                       CACHE_DIR.parent / "lee50")


class LeeUnavailable(QAError):
    """The Lee corpus file cannot be used here (gensim missing, or a different file)."""


def find_lee_file(name: str = BACKGROUND.file) -> Path:
    """Where the installed gensim keeps `lee_background.cor` (or another file of its test data).

    Raises:
        LeeUnavailable: gensim is not installed, or its package holds no such file.
    """
    spec = importlib.util.find_spec("gensim")
    if spec is None or not spec.submodule_search_locations:
        raise LeeUnavailable(f"gensim is not installed, so the Lee corpus is not here; {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*LEE_FILE[:2], name)
    if not path.is_file():
        raise LeeUnavailable(f"{path} is missing from the installed gensim; {INSTALL_HINT}")
    return path


def read_lee_lines(path: Path, expect_sha256: str = LEE_SHA256) -> list[str]:
    """The corpus file's 300 lines, one article each, checked against the known hash.

    Raises:
        LeeUnavailable: the file is not the one the gold set was written for (its hash differs).
    """
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != expect_sha256:
        raise LeeUnavailable(f"{path} has sha256 {digest[:12]}…, not the {expect_sha256[:12]}… the Lee gold set was "
                             f"written against; {INSTALL_HINT}")
    # the hash fixes the lines (300 or 50), the last without a newline; lee.cor writes one "£" as a
    # single Latin-1 byte
    return raw.decode("latin-1").split("\n")


def lee_article_files(lines: list[str], corpus: LeeCorpus = BACKGROUND) -> dict[str, str]:
    """`{relative path: file text}` of each article: line N (1-based) is `lee/NNN.md`.

    >>> lee_article_files(["First article. ", "Second."])["lee/002.md"]
    '---\\nsource: ABC\\n---\\nSecond.'
    """
    return {f"{corpus.prefix}/{number:0{corpus.digits}d}.md": FRONT_MATTER + line
            for number, line in enumerate(lines, start=1) if line.strip()}


def write_changed_files(folder: Path, files: dict[str, str]) -> int:
    """Write each file under `folder` whose content differs, by rename so none is ever half-written,
    and delete other `.md` files there; returns how many files were written or deleted."""
    touched = 0
    for name, text in files.items():
        path = folder / name
        if path.is_file() and path.read_bytes() == text.encode("utf-8"):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8", newline="")
        os.replace(partial, path)
        touched += 1
    for stale in folder.rglob("*.md"):
        if stale.relative_to(folder).as_posix() not in files:
            stale.unlink()
            touched += 1
    return touched


def write_lee_corpus(corpus_dir: Path, source: Path | None = None, corpus: LeeCorpus = BACKGROUND) -> int:
    """Write the 300 articles under `corpus_dir` (ids `lee/001`..`lee/300`); returns files written or deleted.

    Raises:
        LeeUnavailable: gensim or its corpus file is missing, or it is not the expected file.
    """
    lines = read_lee_lines(source or find_lee_file(corpus.file), corpus.sha256)
    return write_changed_files(corpus_dir, lee_article_files(lines, corpus))


def prepare_lee_index(cache_dir: Path = CACHE_DIR, *, embedder: Embedder | None = None,
                      progress: bool = True, corpus: LeeCorpus = BACKGROUND) -> Path:
    """Write the corpus into `cache_dir/corpus` and build or update `cache_dir/index`; returns the index folder.

    Progress and what changed go to stderr; an index already up to date prints nothing.

    Raises:
        LeeUnavailable: the corpus file cannot be used (see write_lee_corpus).
        QAError: the index update failed (for example another update is running).
    """
    corpus_dir, index_dir = cache_dir / "corpus", cache_dir / "index"
    if not index_dir.exists() and progress:
        print(f"eval: building the Lee index in {index_dir} (first run only; progress below)", file=sys.stderr)
    write_lee_corpus(corpus_dir, corpus=corpus)
    return update_cache_index(cache_dir, "Lee", embedder=embedder, progress=progress)


def update_cache_index(cache_dir: Path, label: str, *, embedder: Embedder | None = None, progress: bool = True) -> Path:
    """Build or update `cache_dir/index` from the articles written under `cache_dir/corpus`; returns
    the index folder. What changed goes to stderr, named by `label`; an index up to date prints nothing."""
    index_dir = cache_dir / "index"
    summary = update_index(cache_dir / "corpus", index_dir, embedder=embedder, progress=progress)
    if summary.written is not None and progress:
        print(f"eval: {label} {summary.line()}", file=sys.stderr)
    return index_dir
