"""The answering stage: retrieve passages from the index, compose a cited answer, or abstain.

    >>> from qa import Assistant
    >>> Assistant().ask("who denied al-Qaeda's presence?").text   # doctest: +SKIP
"""
from __future__ import annotations

from qa.assistant import DEFAULT_K, MAX_QUESTION_CHARS, Assistant, clean_question
from qa.filters import FilterError, SearchFilter
from qa.followup import Turn, rewrite_followup
from qa.scoring import ReadSettings
from qa.types import Answer, Citation, Passage

__all__ = ["FilterError", "SearchFilter", "Turn", "rewrite_followup", "Assistant", "Answer", "Citation", "Passage", "ReadSettings", "clean_question", "DEFAULT_K",
           "MAX_QUESTION_CHARS"]
