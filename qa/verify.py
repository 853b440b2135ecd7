"""Verification: the last stage before an answer is shown; it drops whatever its sources do not say.

Owns: checking every line of a written answer against its cited quotes (a citation counts only
when its quote is its article body at [start:end]; a quote line must end with its own quote, shown
on one line; a lead line's leads must each be inside the quote it cites; every number must occur
in the cited quotes or the cited articles' metadata shown beside them), and renumbering what is kept.
Does not: write or choose anything.
"""
from __future__ import annotations

import dataclasses
import re

from index import Article
from qa.types import Citation
from qa.writing import FIGURES_DIFFER, attribution, one_line

_MARKER = re.compile(r"\[(\d+)\]")
_DIGITS = re.compile(r"\d[\d,.]*\d|\d")


def verify_answer(text: str, citations: list[Citation], articles: dict[str, Article]) -> tuple[str, list[Citation]]:
    """Drop every line that says more than the sources it cites, then renumber the citations.

    >>> article = Article(doc_id="a", body="Ten ships sank.", content_hash="h")
    >>> c = Citation(n=1, doc_id="a", quote="Ten ships sank.", start=0, end=15, score=1.0)
    >>> verify_answer("Ten ships [1]\\nNine ships [1]\\na: Ten ships sank. [1]", [c], {"a": article})[0]
    'Ten ships [1]\\na: Ten ships sank. [1]'
    """
    by_n = {c.n: c for c in citations if c.doc_id in articles and c.quote
            and articles[c.doc_id].body[c.start:c.end] == c.quote}
    kept_lines = [line for line in text.splitlines() if _line_supported(line, by_n, articles)]
    used = list(dict.fromkeys(int(m) for line in kept_lines for m in _MARKER.findall(line)))
    renumber = {old: new for new, old in enumerate(sorted(used), start=1)}
    text = "\n".join(_MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", line) for line in kept_lines)
    return text, [dataclasses.replace(by_n[old], n=new) for old, new in renumber.items()]


def _line_supported(line: str, by_n: dict[int, Citation], articles: dict[str, Article]) -> bool:
    refs = [int(m) for m in _MARKER.findall(line)]
    if not refs or any(r not in by_n for r in refs):
        return False
    sources = " ".join(by_n[r].quote + " " + attribution(articles[by_n[r].doc_id]) for r in refs)
    if not all(number in sources for number in _DIGITS.findall(_MARKER.sub(" ", line))):
        return False
    if len(refs) == 1 and line.endswith(f"{one_line(by_n[refs[0]].quote)} [{refs[0]}]"):
        return True
    head = line.removeprefix(FIGURES_DIFFER)
    pieces = [re.fullmatch(r"(.+) \[(\d+)\]", p.strip()) for p in head.split("; ")]
    return all(m and int(m.group(2)) in by_n and m.group(1) in by_n[int(m.group(2))].quote for m in pieces)
