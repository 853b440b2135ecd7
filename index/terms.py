"""Passage and question terms: the words BM25 and the answer composer compare.

Owns: splitting text into words (hashtag joins split), a crude stable stem, and stopwords.
Both stages use it: the index stores each chunk's terms, the answering stage matches questions
against them. Does not: know anything about questions' meaning.
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


def terms(text: str) -> list[str]:
    """Content terms of a text: normalised words that are not stopwords."""
    return [normalise(w) for w in words(text) if w.lower() not in STOPWORDS and normalise(w) not in STOPWORDS]
