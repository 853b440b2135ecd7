"""Which gold sets exist, where their files are, and which corpus each one runs over.

Owns: the registry of named gold sets (dev, seeds, lee, lee-own, lee-blind, lee50, bbc-style), reading a set's
questions (a missing optional file is a note, not an error), and giving each corpus its index folder (the
repository's own, the Lee corpus prepared under .cache/lee, or the BBC-style articles of
eval/gold/bbc-style/ copied and indexed under .cache/bbc-style). Does not: ask, score or print.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

from eval.gold import DEFAULT_GOLD, GoldQuestion, load_gold
from eval.lee import CACHE_DIR as LEE_CACHE_DIR
from eval.lee import SIMILARITY, prepare_lee_index, update_cache_index, write_changed_files
from index import Embedder, QAError

REPO_ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = DEFAULT_GOLD.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
Corpus = Literal["corpus", "lee", "lee50", "bbc-style"]  # corpus/ with its normal index, a Lee corpus (eval.lee),
# or the BBC-style articles
BBC_STYLE_DIR = GOLD_DIR / "bbc-style"  # 120 articles written for the set (see eval/gold/NOTES.md)
BBC_STYLE_CACHE = REPO_ROOT / ".cache" / "bbc-style"


@dataclass(frozen=True)
class GoldSet:
    """A named gold file and the corpus its questions are about."""

    name: str
    gold: Path
    corpus: Corpus
    optional: bool = True  # a missing file is skipped with a note instead of failing the run


GOLD_SETS = (
    GoldSet("dev", DEFAULT_GOLD, "corpus", optional=False),
    GoldSet("seeds", GOLD_DIR / "seeds.jsonl", "corpus"),
    GoldSet("lee", SHARED_DIR / "bench" / "lee" / "gold.jsonl", "lee"),
    GoldSet("lee-own", GOLD_DIR / "lee-own.jsonl", "lee"),
    GoldSet("lee-blind", GOLD_DIR / "lee-blind.jsonl", "lee"),
    GoldSet("lee50", GOLD_DIR / "lee50.jsonl", "lee50"),
    GoldSet("bbc-style", GOLD_DIR / "bbc-style.jsonl", "bbc-style"),
)
SET_NAMES = tuple(s.name for s in GOLD_SETS)


def select_sets(names: Sequence[str] = ()) -> list[GoldSet]:
    """The registered sets named (in registry order), or all of them when none is named.

    Raises:
        QAError: a name is not a registered set (the message lists them).
    """
    unknown = sorted(set(names) - set(SET_NAMES))
    if unknown:
        raise QAError(f"unknown gold set(s) {unknown}; choose from {list(SET_NAMES)}")
    return [s for s in GOLD_SETS if not names or s.name in names]


def gold_set_from_file(path: Path) -> GoldSet:
    """`--gold FILE`: that file alone, over the repository's corpus and index, named by its stem."""
    return GoldSet(path.stem, path, "corpus", optional=False)


def missing_note(gold_set: GoldSet) -> str:
    """Why an optional set whose file is absent is skipped."""
    if gold_set.gold.is_relative_to(SHARED_DIR) and not SHARED_DIR.is_dir():
        return f"skipped: {display_path(SHARED_DIR)} is absent, so {gold_set.gold.name} is not here"
    return f"skipped: {display_path(gold_set.gold)} does not exist yet"


def load_set(gold_set: GoldSet) -> list[GoldQuestion] | None:
    """The set's questions, or None for an optional set whose file is absent.

    Raises:
        QAError: a required set's file is missing, or any line is not a valid gold question.
    """
    if gold_set.optional and not gold_set.gold.is_file():
        return None
    return load_gold(gold_set.gold)


def corpus_index_dir(corpus: Corpus, *, index_dir: Path | None, embedder: Embedder | None = None,
                     progress: bool = True) -> Path | None:
    """The index folder to answer a corpus from; the Lee corpus is written and indexed first.

    Args:
        corpus: which corpus.
        index_dir: the repository corpus's index (`--index-dir`); None means $QA_INDEX_DIR or .index/.
        embedder: a model already loaded, reused for any embedding the Lee index needs.
        progress: show the Lee index's progress on stderr.

    Raises:
        LeeUnavailable: gensim or its Lee file is missing or not the expected one.
    """
    if corpus == "lee":
        return prepare_lee_index(LEE_CACHE_DIR, embedder=embedder, progress=progress)
    if corpus == "lee50":
        return prepare_lee_index(SIMILARITY.cache_dir, embedder=embedder, progress=progress, corpus=SIMILARITY)
    if corpus == "bbc-style":
        return prepare_folder_index(BBC_STYLE_DIR, BBC_STYLE_CACHE, embedder=embedder, progress=progress)
    return index_dir


def prepare_folder_index(articles: Path, cache_dir: Path, *, embedder: Embedder | None = None,
                         progress: bool = True) -> Path:
    """Copy a folder of article files into `cache_dir/corpus/NAME/` (ids `NAME/FILE`, NAME the folder's
    name) and build or update `cache_dir/index` from them; returns the index folder."""
    files = {f"{articles.name}/{path.name}": path.read_text(encoding="utf-8") for path in sorted(articles.glob("*.md"))}
    write_changed_files(cache_dir / "corpus", files)
    return update_cache_index(cache_dir, articles.name, embedder=embedder, progress=progress)


def display_path(path: Path) -> str:
    """A path as short as it can be said from the repository root (`../shared/...` for the shared folder)."""
    if path.is_relative_to(REPO_ROOT):
        return path.relative_to(REPO_ROOT).as_posix()
    if path.is_relative_to(SHARED_DIR):  # only the shared folder: another neighbour of the clone is said in full
        return "../" + path.relative_to(SHARED_DIR.parent).as_posix()
    return str(path)
