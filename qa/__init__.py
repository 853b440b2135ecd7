"""The answering stage: retrieve passages from the index, compose a cited answer, or abstain;
and a topic's timeline across the archive.

    >>> from qa import Assistant
    >>> Assistant().ask("who denied al-Qaeda's presence?").text   # doctest: +SKIP
    >>> Assistant().timeline("Taliban al-Qaeda ties").to_json()   # doctest: +SKIP
"""
from __future__ import annotations

from qa.assistant import DEFAULT_K, MAX_QUESTION_CHARS, Assistant, clean_question
from qa.filters import FilterError, SearchFilter
from qa.followup import Turn, rewrite_followup
from qa.llm import LLMError, LLMSettings
from qa.scoring import ReadSettings
from qa.timeline import MAX_TOPIC_CHARS, NO_ENTRIES_TEXT, Entry, Timeline, TimelineSettings, clean_topic
from qa.types import Answer, Citation, Passage

__all__ = ["LLMError", "LLMSettings", "FilterError", "SearchFilter", "Turn", "rewrite_followup", "Assistant", "Answer", "Citation", "Passage",
           "ReadSettings", "clean_question", "DEFAULT_K", "MAX_QUESTION_CHARS", "Timeline", "TimelineSettings", "Entry",
           "clean_topic", "MAX_TOPIC_CHARS", "NO_ENTRIES_TEXT"]
