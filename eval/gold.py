"""Read and check a gold question set (CONTRACT.md's JSONL format).

Owns: the gold-set format and its validation. Does not: score or run anything.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from index import QAError

DEFAULT_GOLD = Path(__file__).resolve().parent / "gold" / "dev.jsonl"


@dataclass(frozen=True)
class GoldQuestion:
    """One question of a gold set."""

    id: str
    question: str
    answers: tuple[str, ...]
    gold_docs: tuple[str, ...]
    answerable: bool
    history: tuple[str, ...] = ()  # earlier questions of the conversation, for follow-ups


def load_gold(path: Path | str = DEFAULT_GOLD) -> list[GoldQuestion]:
    """Every question of a gold JSONL file.

    Raises:
        QAError: the file is missing, or a line is not a valid gold question (names the line).
    """
    path = Path(path)
    if not path.is_file():
        raise QAError(f"gold set {path} not found; pass --gold FILE (default {DEFAULT_GOLD})")
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(GoldQuestion(id=str(row["id"]), question=str(row["question"]),
                                          answers=tuple(row.get("answers", [])), gold_docs=tuple(row.get("gold_docs", [])),
                                          answerable=bool(row.get("answerable", True)),
                                          history=tuple(str(h) for h in row.get("history", []))))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise QAError(f"{path}:{number} is not a gold question ({e}); see CONTRACT.md for the format") from e
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise QAError(f"{path}: question ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    return questions
