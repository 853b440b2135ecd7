"""Find, inside a quoted sentence, the phrase that answers the question: a name, figure or date.

Owns: extracting answer phrases (always verbatim spans of the sentence), denial words, and the
speaker a pronoun refers to. Does not: choose sentences or format answers.
"""
from __future__ import annotations

import re

from qa.text import normalise, terms, words

_MONTH = (r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|Aug(?:ust|\.)?|"
          r"Sep(?:t(?:ember)?|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)")
_DATE = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b|\b\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?\b|"
    rf"\b(?:early |late |mid-)?{_MONTH}(?:\s+\d{{4}})?\b(?! \d)|\b(?:1[89]|20)\d\d\b|"
    r"\b(?:last|this|next) (?:year|month|week|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|"
    r"\b(?:on )?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_NUMBER_WORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                r"fifty|hundreds?|thousands?|dozens?|several)")
_AMOUNT = rf"(?:\d[\d,]*(?:\.\d+)?|{_NUMBER_WORD})"
_NUMBER = re.compile(
    rf"(?:about |around |approximately |some |nearly |more than |at least |up to |an estimated )?"
    rf"\b{_AMOUNT}(?:\s*(?:to|-|–|and|or)\s*{_AMOUNT})?(?:\s*(?:million|billion|thousand|percent|per cent|%))?"
    rf"(?:\s+(?:[A-Za-z][\w-]*\s+){{0,2}}?(?:fighters|troops|soldiers|people|members|rounds|provinces|years|months|days|"
    rf"tonnes|euros|dollars|cables|stalls|cases|patients))?\b", re.I)
_NAME = re.compile(r"@\w+|(?:[A-Z][\w’'-]*\.?)(?:\s+(?:(?:al|bin|de|van|von|der|ul)-?\s*)?[A-Z][\w’'-]*\.?)*")
_SKIP_NAMES = frozenset("The A An However But And According In On At For Of This That These Those It He She They "
                        "We I There Thus Also Still Moreover Meanwhile Nevertheless Even If Now Early Late".split())
DENIAL_STEMS = frozenset(normalise(w) for w in
                         "deny denies denied denial reject rejects rejected refute refuted dismiss dismissed untrue "
                         "false baseless refuse refused dispute disputed rebuff rebuffed".split())
_PRONOUN_SPEECH = re.compile(r"\b(?:he|she|they|the (?:official|spokesman|spokeswoman|commander))\s+"
                             r"(?:said|says|added|told|noted|stated|explained)\b", re.I)


def is_denial(text: str) -> bool:
    """Whether a sentence denies or rejects something (by its words, not its meaning).

    >>> is_denial("The spokesman rejected the claim"), is_denial("He accepted it")
    (True, False)
    """
    return any(normalise(w) in DENIAL_STEMS for w in words(text))


def find_numbers(sentence: str, question: str = "") -> list[str]:
    """Number phrases of the sentence that the question does not already state.

    >>> find_numbers("there are an estimated 400 to 600 Al-Qaeda fighters in 11 provinces")
    ['an estimated 400 to 600 Al-Qaeda fighters', '11 provinces']
    """
    asked = set(re.findall(r"\d[\d,]*", question))
    dates = [d.span() for d in _DATE.finditer(sentence)]
    found = []
    for m in _NUMBER.finditer(sentence):
        phrase = m.group(0).strip()
        if any(s < m.end() and m.start() < e for s, e in dates) and not re.search(r"\d\s*(?:to|-|–)\s*\d", phrase):
            continue
        digits = set(re.findall(r"\d[\d,]*", phrase))
        if phrase and (not digits or not digits <= asked) and not re.fullmatch(r"(?:1[89]|20)\d\d", phrase):
            found.append(phrase)
    return found


_CURRENCY = re.compile(r"[$€£¥]|\b(?:euros?|dollars?|pounds|yuan|yen|rupees?|francs?|afghanis?|roubles?|rubles?|dinars?|"
                       r"riyals?|dirhams?|lira|pesos?|USD|EUR|GBP)\b", re.I)


def find_money(sentence: str, question: str = "") -> list[str]:
    """Number phrases of the sentence that are sums of money (a currency word or sign at or just before them).

    >>> find_money("The repairs took eight months and cost 14 million euros.")
    ['14 million euros']
    """
    found = []
    for phrase in find_numbers(sentence, question):
        at = sentence.find(phrase)
        if _CURRENCY.search(phrase) or _CURRENCY.search(sentence[max(0, at - 2) : at]):
            found.append(phrase if not _CURRENCY.fullmatch(sentence[max(0, at - 1) : at]) else sentence[at - 1] + phrase)
    return found


def find_dates(sentence: str, question: str = "") -> list[str]:
    """Date expressions of the sentence that the question does not already state.

    >>> find_dates("A report issued on January 20 by the United Nations")
    ['January 20']
    """
    q = question.lower()
    return [m.group(0).strip() for m in _DATE.finditer(sentence) if m.group(0).strip().lower() not in q]


def find_names(sentence: str, question: str = "") -> list[str]:
    """Capitalised names and @handles in the sentence that the question does not mention.

    >>> find_names("Taliban spokesman @Zabehulah_M33 rejected the claim, said Edmund Fitton-Brown.", "Who rejected it?")
    ['Taliban', '@Zabehulah_M33', 'Edmund Fitton-Brown']
    """
    asked = {normalise(w) for w in words(question)}
    names = []
    for m in _NAME.finditer(sentence):
        name = m.group(0).rstrip(".")
        parts = name.split()
        while parts and parts[0] in _SKIP_NAMES:
            parts = parts[1:]
        name = " ".join(parts)
        if name and not all(normalise(w) in asked for w in words(name)) and name not in names:
            names.append(name)
    return names


def answer_phrase(kind: str, sentence: str, question: str) -> str | None:
    """The phrase of `sentence` that answers a question of this kind, verbatim, or None.

    A person is a handle or a capitalised name that is not an acronym or a date word; of several,
    the one nearest a word the question uses ("…said Edmund Fitton-Brown, the coordinator…" for
    "who is the coordinator?"). A place is extended over a list of names that follows it.

    >>> answer_phrase("person", "The report was led by the UN, said Edmund Fitton-Brown, the coordinator.",
    ...               "Who is the coordinator?")
    'Edmund Fitton-Brown'
    """
    if kind == "number":
        found = find_numbers(sentence, question)
    elif kind == "money":
        found = find_money(sentence, question)
    elif kind == "date":
        found = find_dates(sentence, question)
    elif kind == "person":
        found = _by_closeness([n for n in find_names(sentence, question) if _is_person(n)], sentence, question)
    elif kind == "place":
        places = [n for n in find_names(sentence, question) if not _DATE.fullmatch(_bare(n))]
        found = [_name_list(sentence, n) for n in _by_closeness(places, sentence, question)]
    else:
        return None
    return found[0] if found else None


_LIST_TAIL = re.compile(r"(?:\s*,\s*|,?\s+and\s+)[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")


def _name_list(sentence: str, name: str) -> str:
    """`name` extended over a list that follows it ("Khost, Kunar and Zabul"), verbatim.

    >>> _name_list("mainly in Khost, Kunar, Nuristan and Zabul.", "Khost")
    'Khost, Kunar, Nuristan and Zabul'
    """
    at = sentence.find(name)
    end = at + len(name)
    while m := _LIST_TAIL.match(sentence, end):
        end = m.end()
    return sentence[at:end]


def _by_closeness(names: list[str], sentence: str, question: str) -> list[str]:
    """`names` ordered by their distance from the nearest word of the sentence the question also uses."""
    asked = set(terms(question))
    anchors = [m.start() for m in re.finditer(r"[\w’'-]+", sentence) if normalise(m.group(0)) in asked]

    def distance(name: str) -> int:
        at = sentence.find(name)
        return min((abs(at - a) for a in anchors), default=0)

    return sorted(names, key=distance)


def _bare(name: str) -> str:
    """The name without a possessive 's."""
    return re.sub(r"['’]s$", "", name)


def _is_person(name: str) -> bool:
    """A handle or a capitalised name that is not an acronym (UN, AQIS) or a date word: a person more often than not."""
    bare = _bare(name)
    return name.startswith("@") or not (bare.replace(" ", "").isupper() or _DATE.fullmatch(bare))


def is_full_name(name: str) -> bool:
    """An @handle or a name of several words: who a speaker most likely is.

    >>> is_full_name("@Zabehulah_M33"), is_full_name("Lena Ortiz"), is_full_name("Taliban")
    (True, True, False)
    """
    return name.startswith("@") or len(name.split()) > 1


def satisfies(kind: str, sentence: str, question: str) -> bool:
    """Whether a sentence holds the kind of thing the question asks for, beyond what it already says."""
    return kind == "any" or answer_phrase(kind, sentence, question) is not None


def speaker_sentence_needed(sentence: str) -> bool:
    """Whether a quoted sentence names its speaker only by a pronoun ("…,” he said)."""
    return bool(_PRONOUN_SPEECH.search(sentence))
