"""Word-level text features the answer composer scores with: terms, stopwords, answer types.

Owns: how a question or sentence becomes comparable terms, and what kind of answer a question
expects (a person, a number, a date, a place). Does not: retrieve, embed or format.
"""
from __future__ import annotations

import re

_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off
on once only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which
while who whom whose why will with would you your yours yourself yourselves said say says according tell told
many much kind name named did does happen happened there's what's who's
""".split())


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def words(text: str) -> list[str]:
    """The words of a text, in order, as written; hashtag-style joins are split.

    >>> words("#alQaeda told @CBSNews it's 9/11")
    ['al', 'Qaeda', 'told', 'CBS', 'News', "it's", '9', '11']
    """
    return [part for word in _WORD.findall(text) for part in _CAMEL.split(word) if part]


def normalise(word: str) -> str:
    """A crude, stable stem: lower case, no possessive, no plural -s, no -ed/-ing.

    >>> [normalise(w) for w in ("Denied", "rejects", "killing", "Taliban’s", "provinces")]
    ['deny', 'reject', 'kill', 'taliban', 'province']
    """
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith(("ies", "ied")):
        return w[:-3] + "y"
    if len(w) > 5 and w.endswith("ing"):
        return w[:-3]
    if len(w) > 4 and w.endswith("ed") and not w.endswith("eed"):
        return w[:-2] if w[-3] != "e" or w.endswith("ssed") else w[:-1]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


# News verbs and nouns that stand for one another when matching a question to a sentence.
_SYNONYM_GROUPS = [
    "deny denial reject refute dismiss untrue false refuse dispute rebuff",
    "claim say assert allege state insist maintain",
    "kill dead death die slain",
    "lead leader head chief coordinator chair",
    "fighter militant combatant jihadist",
    "troop soldier force",
    "talk negotiation meeting",
    "number estimate figure",
]


def _synonym_table() -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    for group in _SYNONYM_GROUPS:
        stems = frozenset(normalise(w) for w in group.split())
        for stem in stems:
            table[stem] = table.get(stem, frozenset()) | stems
    return table


SYNONYMS = _synonym_table()


def matches(term: str, sentence_terms: set[str]) -> bool:
    """Whether a question term, or a word that stands for it, is among a sentence's terms."""
    return term in sentence_terms or bool(SYNONYMS.get(term, frozenset()) & sentence_terms)


def terms(text: str) -> list[str]:
    """Content terms of a text: normalised words that are not stopwords."""
    return [normalise(w) for w in words(text) if w.lower() not in STOPWORDS and normalise(w) not in STOPWORDS]


def expected_answer(question: str) -> str:
    """What kind of answer a question asks for: 'number', 'date', 'person', 'place' or 'any'.

    >>> expected_answer("How many fighters are there?"), expected_answer("Who denied it?")
    ('number', 'person')
    """
    q = question.lower().strip()
    if re.search(r"\bhow (?:many|much)\b|\bwhat (?:number|percentage|share)\b|\bhow large\b", q):
        return "number"
    if re.search(r"^when\b|\bwhat (?:year|date|day|month)\b|\bon what date\b|\bin what year\b", q):
        return "date"
    if re.search(r"^(?:who|whom)\b|\bwhich (?:person|official|spokesm[ae]n|leader|commander)\b|\bwhat (?:is|was) the name\b", q):
        return "person"
    if re.search(r"^where\b|\bwhich (?:province|country|countries|city|district|region)", q):
        return "place"
    return "any"
