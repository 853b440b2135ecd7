"""The bbc-style gold set: its questions are about the articles stored beside it, and every
expected answer is written in the article it names."""
from __future__ import annotations

import re
from collections import Counter

from eval.gold import load_gold
from eval.sets import BBC_STYLE_DIR, GOLD_DIR


def _bodies() -> dict[str, str]:
    return {f"bbc-style/{path.stem}": path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
            for path in BBC_STYLE_DIR.glob("*.md")}


def test_every_answer_is_written_whole_in_its_gold_article_and_ids_are_unique():
    questions = load_gold(GOLD_DIR / "bbc-style.jsonl")
    bodies = _bodies()
    assert len(bodies) == 120 and len(questions) == 311
    assert not [i for i, n in Counter(q.id for q in questions).items() if n > 1]
    for q in questions:
        if not q.answerable:
            assert q.answers == () or not q.answers, q.id
            continue
        [doc] = q.gold_docs
        for answer in q.answers:
            assert re.search(r"(?<!\w)" + re.escape(answer) + r"(?!\w)", bodies[doc]), (q.id, answer)


def test_the_split_is_fixed_by_the_writer_the_held_out_writer_is_test():
    questions = load_gold(GOLD_DIR / "bbc-style.jsonl")
    splits = Counter((q.id.split("-")[0], q.split) for q in questions)
    assert set(splits) == {("b1", "tune"), ("b2", "test"), ("b3", "tune"), ("b4", "tune"), ("b5", "test")}
    assert splits[("b2", "test")] == 63 and splits[("b5", "test")] == 62
