"""Read and check a gold question set (CONTRACT.md's JSONL format).

Owns: the gold-set format and its validation, including the optional `split` (tune or test) and
`type` of a question. Does not: score, run anything, or know which sets exist (see eval.sets).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from index import QAError

DEFAULT_GOLD = Path(__file__).resolve().parent / "gold" / "dev.jsonl"
SPLITS = ("tune", "test")
UNSPLIT = "unsplit"  # the split of a line that names none
UNANSWERABLE_PREFIX = "unanswerable"  # types such as unanswerable_nearmiss are for answerable: false only


@dataclass(frozen=True)
class GoldQuestion:
    """One question of a gold set."""

    id: str
    question: str
    answers: tuple[str, ...]
    gold_docs: tuple[str, ...]
    answerable: bool
    history: tuple[str, ...] = ()  # earlier questions of the conversation, for follow-ups
    split: str = UNSPLIT           # "tune", "test", or UNSPLIT where the line names none
    type: str | None = None        # e.g. factoid, attribution, unanswerable_nearmiss; None where not given


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
            questions.append(parse_gold_line(line))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise QAError(f"{path}:{number} is not a gold question ({e}); see CONTRACT.md for the format") from e
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise QAError(f"{path}: question ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    return questions


def parse_gold_line(line: str) -> GoldQuestion:
    """One JSONL line as a question.

    Raises:
        ValueError: an unknown split, a type that is not text, or an unanswerable type on an answerable question.
        KeyError, TypeError, json.JSONDecodeError: a missing field or a line that is not a JSON object.

    >>> parse_gold_line('{"id": "q1", "question": "Who?", "answers": ["X"], "split": "tune"}').split
    'tune'
    """
    row = json.loads(line)
    question = GoldQuestion(id=str(row["id"]), question=str(row["question"]),
                            answers=tuple(row.get("answers", [])), gold_docs=tuple(row.get("gold_docs", [])),
                            answerable=bool(row.get("answerable", True)),
                            history=tuple(str(h) for h in row.get("history", [])),
                            split=row.get("split", UNSPLIT), type=row.get("type"))
    if "split" in row and question.split not in SPLITS:
        raise ValueError(f"split {question.split!r} is not one of {list(SPLITS)}; leave it out for an unsplit question")
    if question.type is not None and (not isinstance(question.type, str) or not question.type.strip()):
        raise ValueError(f"type must be a non-empty string, got {question.type!r}")
    if question.answerable and (question.type or "").startswith(UNANSWERABLE_PREFIX):
        raise ValueError(f"type {question.type!r} is for unanswerable questions, but answerable is true")
    return question
