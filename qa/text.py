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


_PERSON_NOUNS = frozenset("""person people official spokesman spokeswoman spokesperson leader commander senator
president minister chief coordinator analyst veteran journalist reporter engineer expert diplomat envoy general officer
head emir member lawmaker politician author writer scientist researcher doctor judge lawyer candidate ambassador
secretary director chair chairman chairwoman founder activist ceo governor mayor king queen prince cleric negotiator
adviser advisor representative deputy""".split())
_PLACE_NOUNS = frozenset("""province country countries city cities district region town village state area place capital
location border island county neighbourhood neighborhood airport base""".split())
_VERBISH = re.compile(r"(?:did|does|do|is|was|were|are|has|have|had|will|would|can|could|should|may|might|said|says|"
                      r"told|[a-z]+ed)$")


def _which_head(question: str) -> str | None:
    """The noun a 'which …' question asks about: 'Which city engineer talked …' -> 'engineer'."""
    m = re.search(r"\bwhich\s+((?:[\w'’-]+\s+){0,4})", question, re.I)
    if not m:
        return None
    head = None
    for word in m.group(1).split():
        bare = word.lower().strip(",;:")
        if _VERBISH.fullmatch(bare) or bare in STOPWORDS:
            break
        head = bare
        if word.endswith((",", ";", ":")):
            break
    return head


def question_focus(question: str) -> str | None:
    """The stem of the noun a 'which …' question is about ('Which city engineer …' -> 'engineer')."""
    head = _which_head(question.lower())
    return normalise(head) if head else None


def kind_is_strict(question: str) -> bool:
    """Whether a sentence without the kind of answer asked for cannot answer the question.

    'Who …', 'How many …', 'When …' need a name, figure or date; 'Which official …' may be
    answered by a role ("the shadow governor"), so there the kind only picks the lead.
    """
    head = _which_head(question.lower())
    return head is None or not (head in _PERSON_NOUNS or normalise(head) in _PERSON_NOUNS) or bool(
        re.search(r"^(?:who|whom|when|where)\b|\bhow (?:many|much)\b", question.lower().strip()))


def expected_answer(question: str) -> str:
    """What kind of answer a question asks for: 'number', 'date', 'person', 'place' or 'any'.

    >>> [expected_answer(q) for q in ("How many fighters are there?", "Who denied it?",
    ...  "Which city engineer talked about it?", "Which five provinces did it name?", "Which group said so?")]
    ['number', 'person', 'person', 'place', 'any']
    """
    q = question.lower().strip()
    if re.search(r"\bhow (?:many|much)\b|\bwhat (?:number|percentage|share)\b|\bhow large\b", q):
        return "number"
    if re.search(r"^when\b|\bwhat (?:year|date|day|month)\b|\bon what date\b|\bin what year\b", q):
        return "date"
    if re.search(r"^(?:who|whom)\b|\bwhat (?:is|was) the name\b", q):
        return "person"
    if re.search(r"^where\b", q):
        return "place"
    head = _which_head(q)
    if head and (head in _PERSON_NOUNS or normalise(head) in _PERSON_NOUNS):
        return "person"
    if head and (head in _PLACE_NOUNS or normalise(head) in _PLACE_NOUNS):
        return "place"
    return "any"
