"""The values the answering stage hands around and prints: passages, citations, answers.

Owns: their fields and their JSON form (CONTRACT.md's answer JSON). Does not: compute anything.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index import Chunk
from qa.filters import SearchFilter


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its score (cosine similarity) and rank (0 = best)."""

    chunk: Chunk
    score: float
    rank: int

    def to_json(self, *, title: str | None = None) -> dict:
        c = self.chunk
        return {"doc_id": c.doc_id, "chunk_id": c.chunk_id, "score": round(self.score, 4), "text": c.text,
                "start": c.start, "end": c.end, "title": title}


@dataclass(frozen=True)
class Report:
    """The same statement as a citation's, in another article ("also reported by")."""

    doc_id: str
    quote: str
    start: int
    end: int
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: `article.body[start:end] == quote`."""

    n: int
    doc_id: str
    quote: str
    start: int
    end: int
    score: float
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    also_reported_by: tuple[Report, ...] = ()

    def to_json(self) -> dict:
        row = asdict(self)
        row["also_reported_by"] = [asdict(r) for r in self.also_reported_by]
        row["score"] = round(self.score, 4)
        return row


@dataclass
class Answer:
    """A composed answer; `text` carries `[n]` markers that each resolve to a citation."""

    question: str
    text: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Passage] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    id: str | None = None
    understood_as: str | None = None
    filters: SearchFilter | None = None  # the filter the search applied (given, or read from the question)
    titles: dict[str, str | None] = field(default_factory=dict, repr=False)
    mode: str = "extractive"  # or "generated" (an LLM wrote it and qa.support checked every sentence)
    model: str | None = None  # the model that wrote a generated answer
    supported: list[dict] | None = None  # each generated sentence: its text, verdict and reason
    removed: int | None = None  # generated sentences the check removed
    note: str | None = None  # one line for the reader: what the check removed, or why the answer is extractive
    extractive: Answer | None = field(default=None, repr=False)  # the extractive answer a generated one began from

    def understood_question(self) -> str:
        """The question as understood, without the note of a period read from it (what a follow-up builds on)."""
        understood = self.understood_as or self.question
        note = f" — {self.filters.describe()}" if self.filters is not None and self.filters.period else ""
        return understood[:-len(note)] if note and understood.endswith(note) else understood

    def to_json(self) -> dict:
        """The answer JSON of CONTRACT.md (plus `start`, `end`, `title` on retrieved items)."""
        row = {"question": self.question, "answer": self.text, "abstained": self.abstained,
               "citations": [c.to_json() for c in self.citations],
               "retrieved": [p.to_json(title=self.titles.get(p.chunk.doc_id)) for p in self.retrieved],
               "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()}}
        if self.understood_as and self.understood_as != self.question:
            row["understood_as"] = self.understood_as
        if self.filters is not None:
            row["filters"] = self.filters.to_json()
        row["mode"] = self.mode
        extra = {"model": self.model, "supported": self.supported, "removed": self.removed}
        row |= {key: value for key, value in extra.items() if value is not None or self.mode == "generated"}
        if self.note:
            row["note"] = self.note
        return ({"id": self.id} | row) if self.id is not None else row
