"""Where the index lives: the small store interface, and how a command picks its backend.

Two backends implement `Store`:
    faiss   the embedded default: the version folders of `index.store` (FAISS + our BM25 files),
            written a whole version at a time by `index.update`. `EmbeddedStore` is a thin
            adapter over them; it adds no storage of its own.
    milvus  a Milvus collection through pymilvus (`index.milvus_store`): a Milvus Lite file, a
            standalone server or a cluster, chosen by its URI.

`index/` writes through `Store.update` (the corpus folder in, only what changed written);
`qa/` reads through `Store.load`, which gives the read view the answering stage searches
(an `IndexVersion`, or a `MilvusVersion` with the same members). `search`, `stats`, `add` and
`delete` are the rest of the interface.

Owns: `StoreConfig` (the --store, --milvus-uri flags and the QA_STORE, QA_MILVUS_URI,
QA_MILVUS_TOKEN, QA_MILVUS_COLLECTION variables), the `Store` protocol and `open_store`.
Does not: chunk, embed, annotate, fuse rankings or compose answers.

    >>> StoreConfig.from_options(store="milvus", milvus_uri="http://localhost:19530").kind
    'milvus'
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol, Sequence, get_args

import numpy as np

from index.errors import QAError

if TYPE_CHECKING:
    from index.embedding import Embedder
    from index.store import IndexSettings, IndexVersion
    from index.update import UpdateSummary

StoreKind = Literal["faiss", "milvus"]
STORE_KINDS: tuple[str, ...] = get_args(StoreKind)
STORE_VARIABLE, URI_VARIABLE, TOKEN_VARIABLE, COLLECTION_VARIABLE = (
    "QA_STORE", "QA_MILVUS_URI", "QA_MILVUS_TOKEN", "QA_MILVUS_COLLECTION")
DEFAULT_COLLECTION = "qa"
LITE_FILE = "milvus.db"  # the Milvus Lite file in the index folder when no URI is given


@dataclass(frozen=True)
class StoreConfig:
    """Which backend holds the index, and how to reach it.

    Attributes:
        kind: "faiss" (the embedded files, the default) or "milvus".
        milvus_uri: a Milvus Lite file path (`*.db`) or a server's `http://host:19530`; None means
            `milvus.db` in the index folder (Milvus Lite).
        milvus_token: the server's token ("user:password" or an API key); never printed.
        collection: the name prefix of the Milvus collections (`<prefix>_chunks`, `<prefix>_articles`).
    """

    kind: StoreKind = "faiss"
    milvus_uri: str | None = None
    milvus_token: str | None = field(default=None, repr=False)
    collection: str = DEFAULT_COLLECTION

    def __post_init__(self) -> None:
        if self.kind not in STORE_KINDS:
            raise QAError(f"--store must be one of {', '.join(STORE_KINDS)}, got {self.kind!r} "
                          f"(from the option or ${STORE_VARIABLE})")
        if not self.collection.replace("_", "").isalnum() or self.collection[0].isdigit():
            raise QAError(f"the Milvus collection prefix {self.collection!r} (${COLLECTION_VARIABLE}) must be letters, "
                          f"digits and '_', not starting with a digit")

    @classmethod
    def from_options(cls, *, store: str | None = None, milvus_uri: str | None = None) -> StoreConfig:
        """The backend from flags, falling back to QA_STORE, QA_MILVUS_URI, QA_MILVUS_TOKEN, QA_MILVUS_COLLECTION.

        Raises:
            QAError: an unknown store name, or a Milvus URI given with the faiss store.
        """
        kind = store or os.environ.get(STORE_VARIABLE) or "faiss"
        if milvus_uri and kind != "milvus":
            raise QAError(f"--milvus-uri {milvus_uri} is for the Milvus store; add --store milvus")
        uri = milvus_uri or os.environ.get(URI_VARIABLE) or None
        return cls(kind=kind.strip().lower(), milvus_uri=uri if kind == "milvus" else None,  # type: ignore[arg-type]
                   milvus_token=os.environ.get(TOKEN_VARIABLE) or None,
                   collection=os.environ.get(COLLECTION_VARIABLE) or DEFAULT_COLLECTION)

    def uri_for(self, index_dir: Path) -> str:
        """The Milvus URI to connect to: the one given, else the Lite file in the index folder."""
        return self.milvus_uri or str(Path(index_dir) / LITE_FILE)

    def describe(self, index_dir: Path) -> str:
        """The store in words, for summary lines and errors (no token)."""
        return "FAISS files" if self.kind == "faiss" else f"Milvus at {self.uri_for(index_dir)}"


class Hits(NamedTuple):
    """One search's results, best first: the read view's chunk rows and their scores."""

    rows: list[int]
    scores: list[float]


class StoreStats(NamedTuple):
    """What a store holds."""

    backend: str
    articles: int
    chunks: int
    where: str


class Store(Protocol):
    """The interface both backends implement.

    Rows are positions in the read view's chunk table (`load().chunks`); `where` restricts a
    search to a subset of rows (`index.store.RowSubset`; the Milvus store reads its filter
    expression, see `qa.filters.MilvusRowFacts`).
    """

    def update(self, corpus_dir: Path, *, settings: IndexSettings, full: bool = False,
               embedder: Embedder | None = None, progress: bool = True) -> UpdateSummary:
        """Bring the store in line with the corpus folder: only new, changed and removed articles are written."""
        ...

    def add(self, batch: ArticleBatch) -> None:
        """Store new or changed articles with their chunks, vectors, terms and annotations."""
        ...

    def delete(self, doc_ids: Sequence[str]) -> int:
        """Remove articles and their chunks; returns how many articles went."""
        ...

    def load(self) -> IndexVersion:
        """The read view the answering stage searches (chunk table, articles, annotations, search)."""
        ...

    def stats(self) -> StoreStats:
        ...


@dataclass
class ArticleBatch:
    """New or changed articles as the index code makes them: chunks in article order, row i of
    `vectors`, `terms` and `annotation_lines` for chunk i (see index.update)."""

    articles: list
    chunks: list
    vectors: np.ndarray
    terms: list[list[str]]
    annotation_lines: list[str]


class EmbeddedStore:
    """The FAISS + BM25 version folders (index.store) behind the Store interface.

    Its writes are whole versions made by `index.update.update_index` from the corpus folder, so
    `add` and `delete` are the corpus diff that `update` works out; called directly they refuse.
    """

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)

    def update(self, corpus_dir: Path, *, settings: IndexSettings, full: bool = False,
               embedder: Embedder | None = None, progress: bool = True) -> UpdateSummary:
        from index.update import update_index

        return update_index(corpus_dir, self.index_dir, settings=settings, full=full, embedder=embedder,
                            progress=progress)

    def add(self, batch: ArticleBatch) -> None:
        raise QAError("the FAISS store is written a version at a time from the corpus folder: put the article "
                      "files in corpus/ (or `python -m index import FILE`) and run `python -m index`")

    def delete(self, doc_ids: Sequence[str]) -> int:
        raise QAError("the FAISS store is written a version at a time from the corpus folder: remove the article "
                      "files (or `python -m index remove DOC_ID`) and run `python -m index`")

    def load(self) -> IndexVersion:
        from index.store import load_index

        return load_index(self.index_dir)

    def stats(self) -> StoreStats:
        from index.store import read_manifest

        manifest = read_manifest(self.index_dir) or {}
        return StoreStats("faiss", int(manifest.get("article_count", 0)), int(manifest.get("chunk_count", 0)),
                          str(self.index_dir))


def open_store(config: StoreConfig, index_dir: Path) -> Store:
    """The store `config` names, for the index folder `index_dir` (Milvus keeps its lock and Lite file there).

    Raises:
        QAError: pymilvus is not installed, or the Milvus server cannot be reached.
    """
    if config.kind == "faiss":
        return EmbeddedStore(index_dir)
    from index.milvus_store import MilvusStore

    return MilvusStore(config, Path(index_dir))


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """--store and --milvus-uri, shared by python -m index, python -m qa, ui.py and python -m eval."""
    parser.add_argument("--store", choices=STORE_KINDS, default=None,
                        help=f"where the index lives (default ${STORE_VARIABLE} or faiss): faiss, the files in "
                             f"--index-dir; milvus, a Milvus collection (see --milvus-uri)")
    parser.add_argument("--milvus-uri", default=None, metavar="URI",
                        help=f"with --store milvus: a Milvus Lite file (path ending .db) or a server "
                             f"(http://host:19530); default ${URI_VARIABLE}, else {LITE_FILE} in the index folder. "
                             f"A server's token comes from ${TOKEN_VARIABLE}")

