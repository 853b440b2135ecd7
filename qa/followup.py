"""Rewrite a follow-up question ("what did he say about it?") from the conversation, offline.

Owns: deciding whether a question leans on the previous turn, and adding that turn's subject
(its question and the names its answer led with) so retrieval and scoring see it.
Does not: call any model, or change questions that stand on their own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from index.terms import terms
from qa.types import Answer

_ANAPHORA = re.compile(r"\b(?:he|she|him|her|his|hers|they|them|their|theirs|it|its|this|that|these|those|there|"
                       r"then|the same|the group|the report|the raid|the figure|the claim)\b", re.I)
_CONTINUATION = re.compile(r"^\s*(?:and|also|but|so|what about|how about|what else|who else|why|how so|"
                           r"in which|which ones|where else)\b", re.I)
_MARKER = re.compile(r"\s*\[\d+\]")
MAX_CONTEXT_CHARS = 300


@dataclass(frozen=True)
class Turn:
    """One earlier exchange: the question as it was understood, and its answer."""

    understood: str
    answer: Answer


def is_followup(question: str) -> bool:
    """Whether a question needs the previous turn to make sense.

    >>> is_followup("What did he say about it?"), is_followup("And in which provinces?")
    (True, True)
    >>> is_followup("Who leads the UN monitoring team?")
    False
    """
    return bool(_ANAPHORA.search(question) or _CONTINUATION.match(question) or len(terms(question)) <= 1)


def rewrite_followup(question: str, history: Sequence[Turn]) -> str:
    """The question with the last turn's subject appended when it is a follow-up; else unchanged.

    >>> prior = Turn("Who coordinates the UN team?", Answer("q", "Edmund Fitton-Brown [1]\\nsource: … [1]", False))
    >>> rewrite_followup("What did he say about al-Qaeda?", [prior])
    'What did he say about al-Qaeda? (Edmund Fitton-Brown; Who coordinates the UN team?)'
    """
    if not history or not is_followup(question):
        return question
    last = history[-1]
    answer = last.answer.extractive or last.answer  # a generated answer's lead is the extractive one's
    parts = []
    if not answer.abstained and answer.text:
        lead = _MARKER.sub("", answer.text.splitlines()[0])
        if ": " not in lead:  # a lead line (names, figures), not a quote line
            parts.append(lead.strip())
    parts.append(_strip_context(last.understood))
    context = "; ".join(p for p in parts if p)[:MAX_CONTEXT_CHARS]
    return f"{question} ({context})"


def _strip_context(understood: str) -> str:
    """The earlier question without the context an earlier rewrite appended."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", understood)
