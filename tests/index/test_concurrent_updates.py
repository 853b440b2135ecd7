"""Two `python -m index` processes on one index folder at once: one updates, the other is refused
in one line, and the index that results is whole (the lock of `index.update`)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from index import chunk_article, load_corpus, load_index, load_token_counter, model_identity
from index.embedding import count_llm_tokens
from index.store import IndexSettings

BUSY = "another `python -m index` is updating"


def article_text(number: int) -> str:
    return (f"---\ntitle: Report {number}\n---\n"
            + " ".join(f"Sentence {k} of report {number} describes the harbour works in detail." for k in range(30)))


@pytest.mark.slow
def test_two_updates_at_once_one_runs_the_other_is_refused_and_nothing_is_corrupted(make_corpus, start_module,
                                                                                    tmp_path: Path):
    corpus = make_corpus({f"report_{n:02d}.md": article_text(n) for n in range(12)})
    index_dir = tmp_path / "index"
    args = ("index", "--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet")

    first = start_module(*args, cwd=tmp_path)
    time.sleep(0.2)
    second = start_module(*args, "--full", cwd=tmp_path)
    results = [(p.returncode, out, err) for p in (first, second) for out, err in [p.communicate(timeout=300)]]

    assert sorted(code for code, _, _ in results) == [0, 1], results
    [(_, _, refused)] = [r for r in results if r[0] == 1]
    assert BUSY in refused and len(refused.strip().splitlines()) == 1 and "Traceback" not in refused
    version = load_index(index_dir, expect_model=model_identity())
    articles = sorted(load_corpus(corpus).articles, key=lambda a: a.doc_id)
    chunking = IndexSettings().chunking
    assert version.chunks == [c for a in articles for c in chunk_article(
        a, settings=chunking, token_spans=load_token_counter(), count_llm_tokens=count_llm_tokens)]
    assert sorted(p.name for p in index_dir.iterdir() if not p.name.startswith(("CURRENT", "LOCK"))) == sorted(
        [version.path.name, *(s.path.name for s in version.segments)])
