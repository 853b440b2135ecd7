"""A fixture of the answering stage's filter tests: a small archive of dated articles from several outlets.

Owns: DATED_ARTICLES (floods and ferries reported over 2020-2022 by four outlets, one article
without a date and one without an outlet) and a real index over them in small chunks, so that
each article has several passages and a filtered search has more allowed passages than it needs.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from index import ChunkSettings, IndexSettings

DATED_ARTICLES = {
    "flood_2020.md": (
        "---\ntitle: River floods the lower town\nsource: Valley Times\npublished: 2020-10-12\n---\n"
        "The river burst its banks on Sunday and flooded the lower town. "
        "About two hundred homes were evacuated overnight. "
        "The mayor said the flood defences had failed near the old mill. "
        "Volunteers filled sandbags until the water began to fall.\n"
    ),
    "flood_2021a.md": (
        "---\ntitle: Flood defences to be rebuilt\nsource: Coastal Herald\npublished: 2021-03-04\n---\n"
        "The council agreed to rebuild the flood defences along the river. "
        "Engineers said the new wall would be two metres higher. "
        "The work on the river wall is expected to take eighteen months. "
        "Residents of the lower town welcomed the decision after last year's flood.\n"
    ),
    "flood_2021b.md": (
        "---\ntitle: River wall contract awarded\nsource: coastal herald\npublished: 2021-11-20\n---\n"
        "A local firm won the contract to build the new river wall. "
        "The flood wall will cost nine million euros. "
        "Construction along the river starts in the spring. "
        "The council said the flood defences would protect four hundred homes.\n"
    ),
    "flood_2022.md": (
        "---\ntitle: New flood wall holds\nsource: Island Post\npublished: 2022-02-14\n---\n"
        "The new flood wall held during the first winter storm. "
        "Water in the river rose to its highest level in a decade. "
        "No homes in the lower town were flooded this time. "
        "The mayor thanked the engineers who built the river defences.\n"
    ),
    "ferry_a.md": (
        "---\ntitle: Northern ferry route to close\nsource: Harbour Gazette\npublished: 2022-05-02\n---\n"
        "The ferry operator said on Monday that 120 crew members will lose their jobs when the northern route "
        "closes in June.\n\nPassengers will be offered seats on the southern route at no extra cost.\n"
    ),
    "ferry_b.md": (
        "---\ntitle: Ferry operator confirms job cuts\nsource: Island Post\npublished: 2022-05-03\n---\n"
        "Union leaders called the decision a betrayal of the island communities.\n\n"
        "The ferry operator said Monday that 120 crew members will lose their jobs when the northern route "
        "closes in June.\n"
    ),
    "flood_undated.md": (
        "---\ntitle: Flood memories\nsource: Valley Times\n---\n"
        "Older residents remember the great flood when the river covered the market square. "
        "The flood defences were first built after that disaster.\n"
    ),
    "flood_no_outlet.md": (
        "---\ntitle: A letter about the river\npublished: 2021-06-01\n---\n"
        "A reader wrote that the river wall should have been built years ago. "
        "The flood of the lower town was a warning, the letter said.\n"
    ),
}
SMALL_CHUNKS = IndexSettings(chunking=ChunkSettings(max_tokens=24, overlap_sentences=0, overlap_max_tokens=0))


def write_dated_corpus(folder: Path) -> Path:
    """DATED_ARTICLES as files in `folder` (made); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DATED_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def dated_index(tmp_path_factory, embedder) -> tuple[Path, Path]:
    """(corpus, index_dir): DATED_ARTICLES indexed in small chunks, exact (flat) search; read-only."""
    from index import update_index

    root = tmp_path_factory.mktemp("dated")
    corpus = write_dated_corpus(root / "corpus")
    update_index(corpus, root / "index", settings=SMALL_CHUNKS, embedder=embedder, progress=False)
    return corpus, root / "index"
