"""Word-level text features the answer composer scores with: terms, stopwords, answer types.

Owns: how a question or sentence becomes comparable terms, and what kind of answer a question
expects (a person, a number, a date, a place). Does not: retrieve, embed or format.
"""
from __future__ import annotations

import re

from index.terms import STOPWORDS, normalise, terms, words  # noqa: F401  (re-exported)

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


_PERSON_NOUNS = frozenset("""person people official spokesman spokeswoman spokesperson leader commander senator
president minister chief coordinator analyst veteran journalist reporter engineer expert diplomat envoy general officer
head emir member lawmaker politician author writer scientist researcher doctor judge lawyer candidate ambassador
secretary director chair chairman chairwoman founder activist ceo governor mayor king queen prince cleric negotiator
adviser advisor representative deputy manager ranger teacher nurse worker farmer resident witness soldier pilot
economist professor student owner executive prosecutor priest imam councillor councilor volunteer survivor coach
player singer actor artist captain inspector commissioner investigator""".split())
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


_MONEY_WORDS = re.compile(r"\b(?:cost|costs|price|prices|pay|paid|pays|spend|spent|worth|budget|fund|funds|funding|"
                          r"raised|fine|fined|charge|charged|salary|owed|loan|ransom|compensation|sum)\b")


def asks_money(question: str) -> bool:
    """Whether a 'how much' question asks for a sum of money ("How much did the repairs cost?").

    >>> asks_money("How much did the repairs cost?"), asks_money("How much land was flooded?")
    (True, False)
    """
    q = question.lower()
    return bool(re.search(r"\bhow much\b", q) and _MONEY_WORDS.search(q))


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
