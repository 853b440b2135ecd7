"""The error hierarchy every stage raises and the UI and command lines turn into messages.

Owns: the exception types and their message format. Does not: print, log or exit.
"""
from __future__ import annotations

from pathlib import Path


class QAError(Exception):
    """Base for every error a user can act on; the message says what to do."""


class CorpusError(QAError):
    """One article file cannot be read or parsed."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class IndexNotFoundError(QAError):
    """No built index at the expected place."""

    def __init__(self, index_dir: Path | str) -> None:
        self.index_dir = Path(index_dir)
        super().__init__(
            f"no index found in {self.index_dir}; build it with "
            f"`.venv/bin/python -m index --index-dir {self.index_dir}` (or `make index`)"
        )


class IndexMismatchError(QAError):
    """A built index does not match what the code expects (format, model, counts)."""

    def __init__(self, index_dir: Path | str, differences: dict[str, tuple[object, object]]) -> None:
        self.index_dir = Path(index_dir)
        self.differences = differences
        detail = "; ".join(f"{key}: index has {got!r}, expected {want!r}" for key, (got, want) in differences.items())
        super().__init__(
            f"the index in {self.index_dir} does not match this code ({detail}); rebuild it with "
            f"`.venv/bin/python -m index --full --index-dir {self.index_dir}`"
        )


class IndexBusyError(QAError):
    """Another index update holds the lock."""

    def __init__(self, index_dir: Path | str) -> None:
        self.index_dir = Path(index_dir)
        super().__init__(
            f"another `python -m index` is updating {self.index_dir}; wait for it to finish and run again"
        )


class QuestionError(QAError):
    """The question itself is unusable (empty, too long, not text)."""
