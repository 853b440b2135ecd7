"""Answer spans: inside one candidate sentence, the words of the kind a question asks for.

Owns: finding spans of each answer kind (entities of the fitting types, figures with their
units, ages, durations, sums, names attached to the question's head noun, the speaker of a
reporting verb) that the question does not already contain, how well each fits, and
widening a name to the fullest mention of the same person in the article. Every span is a
slice of the article body. Does not: score sentences against each other or write answers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.terms import normalise
from qa.candidates import ArticleText, Mention, Sentence, Speech, Word
from qa.lexicon import (CLUB_WORDS, COUNTRIES, CURRENCY_SIGNS, CURRENCY_WORDS, DIFFERENCE_AFTER, DIFFERENCE_BEFORE, DIFFERENCE_NOUNS,
                        DURATION_UNITS, EVENT_WORDS, FIGURE_NOUNS, HONORIFICS, JOB_NOUNS, LIGHT_VERBS, MAGNITUDE_SUFFIXES,
                        MEASURE_UNITS, NAMING_NOUNS, ORGANISATION_NOUNS, PERSON_NOUNS, PERSON_PRONOUNS, PLACE_NOUNS,
                        PLACE_PREPOSITIONS, RELATIVE_NOUNS, SETTLEMENT_NOUNS, SYNONYMS, TITLE_NOUNS, VENUE_PREPOSITIONS,
                        WORKER_NOUNS, kind_of_noun, same_meaning)
from qa.question import Question, stem_of


@dataclass(frozen=True)
class Span:
    """A candidate answer inside a sentence: `body[start:end]`, how well its type fits the asked
    kind (0-1), and its words (indices into the article's words)."""

    start: int
    end: int
    text: str
    fit: float
    first: int
    last: int


NAME_KINDS = frozenset({"person", "organisation", "place", "group", "title", "thing"})
"""Kinds whose answer is a name or a noun phrase (a figure's span holds the noun it counts, which
the question names too)."""

# How well each entity label fits each kind of answer (spaCy's labels are a signal, not the truth).
LABEL_FIT: dict[str, dict[str, float]] = {
    "person": {"PERSON": 1.0, "ORG": 0.35, "NORP": 0.3},
    "organisation": {"ORG": 1.0, "WORK_OF_ART": 0.6, "FAC": 0.6, "NORP": 0.5, "PRODUCT": 0.4, "GPE": 0.3,
                     "PERSON": 0.1},
    "place": {"GPE": 1.0, "LOC": 1.0, "FAC": 0.8, "ORG": 0.3, "NORP": 0.2},
    "group": {"NORP": 1.0, "ORG": 0.4, "GPE": 0.4, "LANGUAGE": 0.3},
    "title": {"WORK_OF_ART": 1.0, "PRODUCT": 1.0, "EVENT": 1.0, "LAW": 1.0, "ORG": 0.5, "FAC": 0.5, "PERSON": 0.3,
              "GPE": 0.2},
    "thing": {"PRODUCT": 0.7, "WORK_OF_ART": 0.7, "EVENT": 0.5, "LAW": 0.5, "ORG": 0.3},
    "date": {"DATE": 1.0, "TIME": 0.8},
    "money": {"MONEY": 1.0},
    "percent": {"PERCENT": 1.0},
    "quantity": {"QUANTITY": 1.0},
}
_NUMBER_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand
thousands million millions billion dozen dozens several a an half""".split())
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_MONTHS = frozenset("""january february march april may june july august september october november december jan feb
mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday""".split())


def find_spans(question: Question, sentence: Sentence, article: ArticleText) -> list[Span]:
    """Spans of the asked kind in the sentence that say something the question does not."""
    words = article.sentence_words(sentence)
    kind = question.kind
    if kind == "phrase":
        return []
    found = _entity_spans(kind, sentence, article)
    if kind == "person":
        attached = _head_attached(question, article, words)
        found += _name_runs(sentence, article, words) + attached
        if question.report_verb:  # who said it: the speaker, not someone the words name
            # (a speaker the asked noun describes fits fully, whatever the verb: "which opposition
            # *spokesman* argued": "The Conservatives' rural affairs *spokesman*, Martin Lisle, said")
            described = {(s.start, s.end) for s in attached}
            found = [_scaled(s, 0.5) for s in found] + [
                Span(s.start, s.end, s.text, max(s.fit, 1.0), s.first, s.last) if (s.start, s.end) in described else s
                for s in speaker_spans(question, sentence, article)]
        found = [_without_role(article, s) for s in found]
        # "the West End musical *Wildfire*": a name a title noun introduces is the work's, no person's
        found = [_scaled(s, 0.3) if _after_title_noun(article, s) else s for s in found]
        # "Halesworth *United*", "the FA *Cup*": a club or a competition, whatever spaCy says of it
        found = [s for s in found if normalise(article.words[s.last].text.lower()) not in CLUB_WORDS | EVENT_WORDS]
        # "knocked out City 2-1 *at a packed Mill Lane*": a name an article introduces after a
        # preposition of place is a venue, whatever spaCy says of it
        found = [_scaled(s, 0.3) if _venue_after_article(article, s) else s for s in found]
        # "the MP *for Ashworth North*", "the coach *of Leeds*": what a role is of, not a person
        found = [_scaled(s, 0.3) if _role_of(article, s) else s for s in found]
        if "runner" in question.stems():  # "who was runner-up": whom the winner finished ahead of
            # (a proper name there, whatever spaCy labels it: "ahead of *Latvian* grandmaster Ivars
            # Berzins" is a nationality, and keeps its own fit)
            found = [(Span(s.start, s.end, s.text, 1.0, s.first, s.last) if _proper_name(article, s) else s)
                     if _AHEAD_OF.search(article.body[max(0, s.start - 50):s.start]) else _scaled(s, 0.5)
                     for s in found]
    elif kind in ("organisation", "place", "title", "thing", "group"):
        found += _head_attached(question, article, words)
        if kind in ("title", "thing"):
            found += _quoted(sentence, article)
        if kind == "title":
            found += _title_runs(sentence, article)
        if question.head in NAMING_NOUNS:  # "what name does he go by": whatever he is called
            found += _called(article, words)
        if question.head:  # "... with their second record. *Northern Skies* sold 94,000 copies"
            found += _named_next(question, sentence, article)
        if kind in ("title", "organisation", "place"):
            # a run a role noun introduces is a person, no organisation or place ("playwright Jim Caddick")
            found += [Span(s.start, s.end, s.text, 0.45, s.first, s.last)
                      for s in _name_runs(sentence, article, words) if s.fit >= 0.5
                      and not (kind != "title" and _after_role(article, s))]
        if kind == "place":
            found += _after_place_words(article, words)
            # "Kestrel Grammar School in *Elwood*": the asked thing's own place, whatever spaCy says of the word
            asked = question.stems()
            found = [Span(s.start, s.end, s.text, max(s.fit, 1.0), s.first, s.last)
                     if _located_after(article, s, asked) else s for s in found]
            if question.head in SETTLEMENT_NOUNS:  # "which city": not a country
                found = [_scaled(s, 0.3) if _is_country(s.text) else _scaled(s, 0.6) if _is_region(article, s) else s
                         for s in found]
            found = [s for s in found if not _names_person(article, s)]
            # "in *November*": a month or a day is never a place, whatever spaCy says
            found = [s for s in found if s.text.lower().removeprefix("the ") not in _MONTHS]
            # "the Test against *India* at Bangalore": who is played against is no place of the event
            found = [_scaled(s, 0.4) if _prev_is(article, s.first, _OPPONENT_WORDS) else s for s in found]
            found = [_with_owned_place(article, s) for s in found]
        if kind == "thing":
            found += _objects(question, article, words)
    elif kind == "count":
        found += _numbers(question, article, words)
    elif kind == "money":
        found += _money(article, words)
    elif kind == "age":
        found += [_scaled(s, OTHER_NAME_FIT / s.fit) if _age_of_someone_else(question, article, s) else s
                  for s in _ages(article, words)]
    elif kind == "duration":
        found += _measures(article, words, DURATION_UNITS, 1.0)
        if re.search(r"\bhow long\b", question.text.lower()):  # a length, as well as a time ("how long was the blaze")
            found += _measures(article, words, MEASURE_UNITS, 0.6)
        found += [s for s in _entity_spans("date", sentence, article) if _is_duration(s.text)]
        # "the 22-year-old" is an age, not a length of time
        found = [s for s in found if not re.match(r"-olds?\b", article.body[s.end:s.end + 5].lower())
                 and not re.search(r"-olds?\b", s.text.lower())]
        found = _joined_durations(article, found)
    elif kind == "quantity":
        found += _measures(article, words, MEASURE_UNITS, 1.0)
        # "to what level", and "by how much did profits rise" (no unit): a rate, a sum or a bare number as well
        if question.head in FIGURE_NOUNS or (question.unit is None and _HOW_MUCH.search(question.text.lower())):
            found += _percents(article, words) + [_scaled(s, 0.9) for s in _money(article, words)]
            if question.head in DIFFERENCE_NOUNS:  # "by what margin": "41 seconds" as well
                found += _measures(article, words, DURATION_UNITS, 1.0)
            found += [_scaled(s, 1.2) for s in _numbers(question, article, words) if s.fit >= 0.3]
    elif kind == "percent":
        found += _percents(article, words)
    elif kind == "date":
        found = [s for s in found if not _is_duration(s.text) or re.search(r"\bago\b", s.text)]
        if _ASKS_YEAR.search(question.text):  # "in what year": a date naming one ("Wednesday" does not)
            found = [s for s in found if _YEAR.search(s.text)]
        # "the games of *the year*": no date at all
        found = [s for s in found if not re.fullmatch(r"the (?:year|month|week|day|season|decade|century)", s.text.lower())]
    if question.named:  # "the name of the hospital": a name attached to "hospital" where the sentence has one
        # (or the one the next sentence gives for the noun the sentence ends with)
        attached = {(s.start, s.end) for s in _head_attached(question, article, words)
                    + (_named_next(question, sentence, article) if question.head else [])}
        found = [s if (s.start, s.end) in attached else _scaled(s, 0.3) for s in found]
    if kind in ("count", "money", "percent", "quantity"):
        found = [_with_magnitude(article, s) for s in found]
        if question.head:  # "how big a premium": "a *premium of* 31%", not the "185p a share" before it
            found = [_scaled(s, HEAD_OF_FIT) if _figure_of_head(article, s, question.head) else s for s in found]
        elif _BY_HOW.search(question.text):  # "by how many votes did they win": "a *majority of* 2,318",
            # not the figure things come to ("brings the number of MPs *to 56*")
            found = [_scaled(s, HEAD_OF_FIT) if any(_figure_of_head(article, s, d) for d in DIFFERENCE_WORDS)
                     else s if written_as_difference(article, s) else _scaled(s, 0.5) for s in found]
        if _ASKS_TOTAL.search(question.text):
            # "how much has it taken in total": the running total ("have now reached £11.7m since it
            # opened"), not a period's figure ("taking £3.4m over the weekend")
            found = [s if _CUMULATIVE.search(sentence.text) else _scaled(s, 0.2) for s in found]
        found = _earlier_values(article, found) if _ASKS_OLD_VALUE.search(question.text) else _resulting_values(article, found)
    if question.head and kind in ("organisation", "title"):
        # "NRL side Canterbury Bulldogs", "US publisher Vantage Interactive": the name before the noun
        # that titles another name only says what kind of side or publisher it is
        modifiers = _titling_modifiers(question, article, words)
        found = [_scaled(s, 0.5) if s.last in modifiers else s for s in found]
    if question.head and kind in ("organisation", "place", "title", "thing"):
        found = [_named_by_head(question, article, s) for s in found]
    if kind in NAME_KINDS:
        found = [_scaled(s, DESCRIBED_FIT) if _named_as_described(question, article, s) else s for s in found]
    if kind == "title":
        found = [_with_title_owner(article, s) for s in found]
    return _new_information(question, article, _best_per_place([_with_long_form(article, s) for s in found]))


def _named_by_head(question: Question, article: ArticleText, span: Span) -> Span:
    """A capitalised name ending in the asked noun is a name of that kind ("which university":
    "Australian National *University*"); a name joining two with "for the" is cut to the first
    ("the Australian National University for the New South Wales Bureau")."""
    words = article.words
    for i in range(span.first + 1, span.last):
        if words[i].text.lower() in ("for", "to", "with") and words[i + 1].text.lower() == "the":
            span = _span_of(article, span.first, i - 1, span.fit)
            break
    last = words[span.last]
    if span.last > span.first and last.text[:1].isupper() and stem_of(last.text) == question.head:
        return Span(span.start, span.end, span.text, max(span.fit, 1.0), span.first, span.last)
    return span


_CHANGE_FROM = frozenset({"from", "by"})
# a question about the value before a change: "by how much", "from what", "the previous year's"
_ASKS_TOTAL = re.compile(r"\b(?:in total|altogether|in all|so far|to date)\b", re.I)  # not "overall": "the overall rate"
_CUMULATIVE = re.compile(r"\b(?:in total|altogether|in all|so far|to date|total|since|now reached|cumulative)\b", re.I)
_ASKS_OLD_VALUE = re.compile(r"\b(?:from|by|previous|previously|before|earlier|prior|former|formerly|originally|"
                             r"initially|used to)\b", re.I)


def _earlier_values(article: ArticleText, spans: list[Span]) -> list[Span]:
    """For a question about the value before a change ("the previous year's profit"), the value
    after "from" of "up from 2.4 billion" fits best; the others fit less when there is one."""
    words = article.words
    earlier = [s for s in spans if s.first and words[s.first - 1].text.lower() == "from"]
    if not earlier:
        return spans
    return [s if s in earlier else _scaled(s, 0.6) for s in spans]


def _resulting_values(article: ArticleText, spans: list[Span]) -> list[Span]:
    """Of "from 110 kilometres an hour to 80" or "by a quarter-point to 1.75 per cent", the value
    after "to" is what the thing now is: it fits as well as the old value (whose unit it shares),
    and the old value and the change fit less, unless the question asks for them ("from what",
    "by how much")."""
    words = article.words

    def led_by(s: Span, leads: frozenset[str]) -> bool:
        return bool({w.text.lower() for w in words[max(0, s.first - 2):s.first]} & leads)

    after_to = [s for s in spans if led_by(s, frozenset({"to"}))]
    changed = [s for s in spans if led_by(s, _CHANGE_FROM) and s not in after_to]
    if not after_to or not changed:
        return spans
    best_old = max(s.fit for s in changed)
    return [_scaled(s, 0.6) if s in changed else (Span(s.start, s.end, s.text, max(s.fit, best_old), s.first, s.last)
                                                  if s in after_to else s) for s in spans]


def _with_long_form(article: ArticleText, span: Span) -> Span:
    """An acronym in brackets widened to the name it abbreviates: "(MJC)" is "Muttahida Jihad
    Council (MJC)"."""
    words = article.words
    if not (span.first == span.last and span.text.isupper() and len(span.text) >= 2
            and span.first >= 2 and span.last + 1 < len(words)
            and words[span.first - 1].text == "(" and words[span.last + 1].text == ")"
            and words[span.first - 2].pos == "PROPN"):
        return span
    first, _ = _propn_run(article, span.first - 2)
    if words[first].text.lower() == "the":
        first += 1
    return Span(words[first].start, words[span.last + 1].end, article.body[words[first].start:words[span.last + 1].end],
                span.fit, first, span.last + 1)


def _with_title_owner(article: ArticleText, span: Span) -> Span:
    """A title's name widened back over a possessive that begins it with "The": "Daughter" of
    "The Lamplighter's Daughter" is the whole title (a title begun with "The" names no owner;
    "Kid Vega's Concrete Halo", without "The", stays "Concrete Halo")."""
    words = article.words
    at = span.first - 1
    if at < 2 or words[at].text not in ("'s", "’s") or words[at].start != words[at - 1].end:
        return span
    first = at - 1
    while first > 0 and words[first].pos == "PROPN" and words[first - 1].pos == "PROPN":
        first -= 1
    if words[first].pos != "PROPN" or first < 1 or words[first - 1].text != "The":
        return span
    first -= 1
    return Span(words[first].start, span.end, article.body[words[first].start:span.end], span.fit, first, span.last)


_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


_LOCATING = frozenset({"in", "at", "near"})


def _located_after(article: ArticleText, span: Span, asked: set[str]) -> bool:
    """Whether a place follows "in", "at" or "near" right after a word of the question: the place
    of the asked thing itself ("a teacher at Kestrel Grammar School in *Elwood*", "a new factory
    at *Port Talbot*")."""
    i = span.first - 1
    if i < 1 or article.words[i].text.lower() not in _LOCATING:
        return False
    before = article.words[i - 1]
    return stem_of(before.lemma) in asked or stem_of(before.text.lower()) in asked


def _with_owned_place(article: ArticleText, span: Span) -> Span:
    """A place widened over the place it owns: "London" of "London's Hyde Park" is "London's Hyde
    Park" (the place the sentence gives is the park; the city says where it is)."""
    words = article.words
    at = span.last + 1
    if at + 1 >= len(words) or words[at].text not in ("'s", "’s") or words[at].start != span.end:
        return span
    owned = next((m for m in article.mentions if m.label in _PLACE_LABELS and m.first == at + 1), None)
    if owned is None:
        return span
    return Span(span.start, owned.end, article.body[span.start:owned.end], span.fit, span.first, owned.last)


def _without_role(article: ArticleText, span: Span) -> Span:
    """A name without the role words written before it ("Striker Marcus Webb" -> "Marcus Webb")."""
    first = span.first
    while first < span.last - 1 and normalise(article.words[first].text.lower()) in PERSON_NOUNS:
        first += 1
    return span if first == span.first else _span_of(article, first, span.last, span.fit)


def _role_of(article: ArticleText, span: Span) -> bool:
    """Whether a name follows "for" or "of" after a noun naming a person by role ("the MP for
    Ashworth North"): the place or body the role is of."""
    i = span.first
    if i < 2 or article.words[i - 1].text.lower() not in ("for", "of"):
        return False
    role = article.words[i - 2]
    return _is_role_noun(role) and not {normalise(role.text.lower()), normalise(role.lemma)} & RELATIVE_NOUNS


def _is_role_noun(word: Word) -> bool:
    """Whether a word names a person by role ("playwright", "MPs")."""
    return normalise(word.lemma) in PERSON_NOUNS or normalise(word.text.lower()) in PERSON_NOUNS


def _plural(word: Word) -> bool:
    """Whether a noun is written in the plural ("economists", "MPs"; its lemma is shorter)."""
    text = word.text.lower()
    return word.pos == "NOUN" and text != word.lemma.lower() and text.endswith("s")


def _after_title_noun(article: ArticleText, span: Span) -> bool:
    """Whether a name comes right after a noun naming a kind of work or thing ("the musical
    *Wildfire*", "the film *Grey Harbour*"), not after a role ("playwright Jim Caddick")."""
    if span.first < 1:
        return False
    before = article.words[span.first - 1]
    # the tagger reads "musical" before a name as an adjective
    return before.pos in ("NOUN", "ADJ") and normalise(before.lemma) in TITLE_NOUNS and before.text[:1].islower()


def _venue_after_article(article: ArticleText, span: Span) -> bool:
    """Whether a name follows a preposition of place and an article, with adjectives between them
    or none ("at *a packed* Mill Lane", "inside the new Kestrel Arena"): English gives a person's
    name no article there ("the late Frank Hollis" has no preposition before it)."""
    words = article.words
    i = span.first - 1
    # adjectives, and participles used as them ("a *packed* Mill Lane"), written in lower case
    while i >= 0 and words[i].pos in ("ADJ", "VERB") and words[i].text[:1].islower() and words[i].dep == "amod":
        i -= 1
    if i < 1 or words[i].pos != "DET" or words[i].text.lower() not in ("a", "an", "the"):
        return False
    return words[i - 1].text.lower() in VENUE_PREPOSITIONS


def _titles_next(article: ArticleText, h: int) -> bool:
    """Whether a capitalised proper name starts right after word h, a space apart ("publisher *Vantage*")."""
    if h + 1 >= len(article.words):
        return False
    nxt = article.words[h + 1]
    return nxt.pos == "PROPN" and nxt.text[:1].isupper() and nxt.start > article.words[h].end


def _scaled(span: Span, factor: float) -> Span:
    return Span(span.start, span.end, span.text, span.fit * factor, span.first, span.last)


def _entity_spans(kind: str, sentence: Sentence, article: ArticleText) -> list[Span]:
    """The sentence's entities of labels that fit the kind; a sum keeps its currency sign ("$5")."""
    fits = LABEL_FIT.get(kind, {})
    spans = []
    for m in sentence.mentions:
        if m.label in fits and not (kind in NAME_KINDS and _uncapitalised(m.text)):
            # a name is capitalised: "non-Aboriginal" and "Non-league" are no organisation, whatever spaCy says
            start = m.start - 1 if m.label == "MONEY" and article.body[m.start - 1:m.start] in CURRENCY_SIGNS else m.start
            if m.label == "MONEY" and not _names_currency(article.body[start:m.end]):
                continue  # "the deputy emir (#2 overall)": a rank, whatever spaCy says
            end, last = m.end, m.last
            score = _SCORE_END.search(article.body[start:end])
            if kind in NAME_KINDS and score and m.last - m.first >= 3:
                # "First Division Rotherfield City 2-1": a result after a team's name is no part of it
                while last > m.first and article.words[last].start >= start + score.start():
                    last -= 1
                end = article.words[last].end
            spans.append(Span(start, end, article.body[start:end], fits[m.label], m.first, last))
    return spans


_SCORE_END = re.compile(r"\s\d+\s?[-–]\s?\d+$")


def _uncapitalised(text: str) -> bool:
    """Whether a mention is written as no name is: begun in lower case ("non-Aboriginal", but "the
    Taliban" is a name), or one hyphenated word whose last part is ("Non-league")."""
    if text[:1].islower() and not text.startswith("the "):
        return True
    parts = text.split("-")
    return " " not in text and len(parts) > 1 and parts[-1][:1].islower()


def _names_currency(text: str) -> bool:
    """Whether a sum's text shows its currency: a sign, a currency word, or pence ("187p").

    >>> [_names_currency(t) for t in ("$5", "14 million euros", "187p", "#2", "2 million")]
    [True, True, True, False, False]
    """
    return (any(c in CURRENCY_SIGNS for c in text) or bool(re.search(r"\d+p\b", text))
            or any(normalise(w) in CURRENCY_WORDS for w in re.findall(r"[A-Za-z]+", text)))


OTHER_NOUN_FIT = 0.35  # a figure counting another noun than the one asked about (a bare figure fits 0.5)
OTHER_NAME_FIT = 0.2  # the asked noun, qualified by other names only: below min_span, so never the answer
# adjectives that only ever place what follows them: "left for *nearby* Mittagong"
_PLACE_ADJECTIVES = frozenset("nearby neighbouring neighboring".split())


def _names_person(article: ArticleText, span: Span) -> bool:
    """Whether a span overlaps a person's name of two words or more: "to President Joe Biden" is
    no place (a one-word "person" may be a town spaCy mislabelled)."""
    return any(m.label == "PERSON" and m.last > m.first and m.first <= span.last and span.first <= m.last
               for m in article.mentions)


def _is_region(article: ArticleText, span: Span) -> bool:
    """Whether spaCy calls the span a location that is no settlement (LOC: a region, mountains, a
    river), as opposed to a city, town or state (GPE)."""
    return any(m.label == "LOC" and m.first == span.first and m.last == span.last for m in article.mentions)


def _is_country(text: str) -> bool:
    """Whether a place span names a country (the lexicon's list), not a town or city.

    >>> _is_country("the United States"), _is_country("the Islamic Republic of Afghanistan"), _is_country("Kabul")
    (True, True, False)
    """
    name = re.sub(r"^the ", "", text.lower().strip())
    name = re.sub(r"^(?:[a-z]+ )?(?:republic|kingdom|state|commonwealth|federation|emirate) of (?:the )?", "", name)
    return name in COUNTRIES


def _after_place_words(article: ArticleText, words: list[Word]) -> list[Span]:
    """Proper nouns right after "in", "at", "near", "from", "to" (an adjective may come between) or
    after "nearby": places, whatever spaCy labelled them ("the museum in *Kent*")."""
    spans = []
    for k, w in enumerate(words[:-1]):
        nxt = words[k + 1]
        # "to *nearby* Mittagong", "in *northern* Kent": a lower-case adjective may come between
        if nxt.pos == "ADJ" and nxt.text.islower() and k + 2 < len(words) and (
                w.text.lower() in PLACE_PREPOSITIONS or nxt.text in _PLACE_ADJECTIVES):
            nxt = words[k + 2]
        elif w.text.lower() not in PLACE_PREPOSITIONS:
            continue
        if nxt.pos == "PROPN" and nxt.text[:1].isupper():
            first, last = _propn_run(article, article.index_of(nxt))
            if article.words[first].text != "The":
                spans.append(_span_of(article, first, last, 0.7))
    return spans


_HOW_MUCH = re.compile(r"\bhow much\b")
_ASKS_YEAR = re.compile(r"\b(?:what|which) year\b", re.I)
_YEAR = re.compile(r"\b(?:1[0-9]|20)\d\d(?:s|’s|'s)?\b")
DESCRIBED_FIT = 0.5  # a name the question already describes, by a noun of its own that is not the asked one


def _named_as_described(question: Question, article: ArticleText, span: Span) -> bool:
    """Whether the name comes right after a noun of the question other than the asked one (and, in
    a question without a head noun, other than its subject): "which company bought the mobile
    phone maker": "mobile phone *maker* Siemens Mobile" is the company bought, not the buyer; "who
    replaced the sacked manager": not "sacked *manager* Bob Jones"; "which band's album": not
    "album *X&Y*". "Who is the spokesman" asks for the one the noun describes: its noun is the
    subject, so the rule leaves it."""
    i = span.first - 1
    words = article.words
    if i >= 0 and words[i].text == ",":
        i -= 1
    if i < 0 or words[i].pos != "NOUN":
        return False
    stem = stem_of(words[i].lemma)
    # the subject is what "who is the spokesman" asks about; a question with a head noun asks for
    # that noun only ("which band's album": the album is described, the band asked for)
    described = question.stems() - set(question.head_words) - {question.head}
    if question.head is None:
        described -= set(question.subject)
    # "who coaches her": the asked verb's own noun ("her *coach*, Peter Haig") names the doer
    described -= set(question.predicates)
    return stem in described


# "by how many votes", "by how much": a difference is asked for, as by "what margin"
_BY_HOW = re.compile(r"\bby how (?:many|much)\b", re.I)
DIFFERENCE_WORDS = DIFFERENCE_NOUNS | {other for d in DIFFERENCE_NOUNS for other in SYNONYMS.get(d, ())}
FULLY_DESCRIBED_FIT = 1.1  # a name after the asked noun and the question's compound before it ("pub group Castlegate")
HEAD_OF_FIT = 1.3  # a figure the asked noun introduces by "of" ("a premium of 31%")


def written_as_difference(article: ArticleText, span: Span) -> bool:
    """Whether a figure is written as a difference: "*by* 41 seconds", "41 seconds *off*"."""
    words = article.words
    before = words[span.first - 1].text.lower() if span.first else ""
    after = words[span.last + 1].text.lower() if span.last + 1 < len(words) else ""
    return before in DIFFERENCE_BEFORE or after in DIFFERENCE_AFTER


def _figure_of_head(article: ArticleText, span: Span, head: str) -> bool:
    """Whether the asked noun introduces the figure by "of": "a *premium of* 31%", "a *fee of*
    about £6m", "a *margin of* 41 seconds"."""
    words = article.words
    i = span.first - 1
    while i >= 0 and words[i].pos in ("DET", "ADV", "ADJ") and i > span.first - 4:
        i -= 1  # "of about £6m", "of some 41 seconds"
    if i < 1 or words[i].text.lower() != "of":
        return False
    return stem_of(words[i - 1].lemma) == head or normalise(words[i - 1].text.lower()) == head


def _with_magnitude(article: ArticleText, span: Span) -> Span:
    """A figure's span widened over the abbreviated magnitude written against it ("£790" of
    "£790m" is "£790m"), which spaCy splits off as a word of its own (with the full stop of a
    sentence's end: "m."), and over a currency sign right before it."""
    words = article.words
    after = span.last + 1
    if span.start and article.body[span.start - 1] in CURRENCY_SIGNS:  # "£3.4m" asked as "how much has it taken"
        span = Span(span.start - 1, span.end, article.body[span.start - 1:span.end], span.fit, span.first, span.last)
    if after < len(words) and words[after].start == span.end:
        suffix = words[after].text.removesuffix(".")
        if suffix.lower() in MAGNITUDE_SUFFIXES:
            end = words[after].start + len(suffix)
            return Span(span.start, end, article.body[span.start:end], span.fit, span.first, after)
    return span


def _best_per_place(spans: list[Span]) -> list[Span]:
    """One span per stretch of text: where spans overlap, the best fitting (then the longest) stays."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-s.fit, -(s.end - s.start))):
        if not any(span.start < k.end and k.start < span.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def _new_information(question: Question, article: ArticleText, spans: list[Span]) -> list[Span]:
    """The spans whose words are not all in the question (the answer is what the question lacks),
    nor spell out one of its acronyms ("United Nations" for "UN")."""
    asked = question.stems() | {normalise(w) for w in re.findall(r"[\w'’-]+", question.text)}
    acronyms = {w.replace(".", "") for w in re.findall(r"\b(?:[A-Z]\.?){2,}\b", question.text)}
    kept = []
    for span in spans:
        content = [normalise(w) for w in re.findall(r"[\w'’]+", span.text) if w.lower() not in ("the", "a", "an", "of")]
        initials = "".join(w[0] for w in re.findall(r"[\w'’]+", span.text) if w[0].isupper() and w != "The")
        if len(initials) >= 2 and initials in acronyms:
            continue  # "the United Nations" for "which UN team": the question's own UN
        if content and not all(_asked(c, asked) for c in content):
            # a span holding a question word restates part of it ("the Harbour *Museum*" for
            # "in which county is the museum"): less likely the answer than one that does not
            # (the head noun inside a name is a good sign: "Australian National *University*")
            restates = (question.kind in NAME_KINDS and content[-1] != question.head
                        and any(c in question.stems() and c != question.head for c in content))
            kept.append(_scaled(span, 0.6) if restates else span)
    return kept


def _asked(stem: str, asked: set[str]) -> bool:
    """Whether the question has this word, or a word it extends or is extended by ("Afghan" and
    "Afghanistan", "Iraq" and "Iraqi")."""
    return stem in asked or any(len(a) >= 4 and len(stem) >= 4 and (stem.startswith(a) or a.startswith(stem))
                                for a in asked)


def _span_of(article: ArticleText, first: int, last: int, fit: float) -> Span:
    """The span of words first..last, never ending inside a hyphenated word ("Al" of "Al-Qaeda")."""
    words = article.words
    while last + 2 < len(words) and words[last + 1].text == "-" and words[last + 1].start == words[last].end \
            and words[last + 2].start == words[last + 1].end:
        last += 2
    start, end = words[first].start, words[last].end
    return Span(start, end, article.body[start:end], fit, first, last)


def _name_runs(sentence: Sentence, article: ArticleText, words: list[Word]) -> list[Span]:
    """Runs of proper nouns that no entity of another type covers: names spaCy may have missed.

    A run of two or more words, or one word after an honorific, fits a person better than a
    single capitalised word (which is as often a place or a team).
    """
    other = [(m.first, m.last) for m in sentence.mentions if m.label not in ("PERSON", "ORG")]
    organisations = [(m.first, m.last) for m in sentence.mentions if m.label == "ORG"]
    runs, current = [], []
    for w_index in range(sentence.first, sentence.last):
        w = article.words[w_index]
        # a capitalised number word belongs to the name it stands in ("*Million* Dollar Baby")
        named = w.pos == "PROPN" or (w.pos == "NUM" and w.text.isalpha())
        if (named and w.text[:1].isupper() and w.text not in HONORIFICS) or w.text.startswith("@"):
            current.append(w_index)
            continue
        if current:
            runs.append(current)
        current = []
    if current:
        runs.append(current)
    # a run of number words alone is a figure ("Three people died"), not a name
    runs = [run for run in runs if any(article.words[i].pos != "NUM" for i in run)]
    spans = []
    for run in runs:
        if any(a <= run[0] <= b or a <= run[-1] <= b for a, b in other):
            continue
        before = article.words[run[0] - 1].text if run[0] > 0 else ""
        handle = article.words[run[0]].text.startswith("@")
        fit = 0.6 if len(run) > 1 or handle else (0.55 if before in HONORIFICS else 0.25)
        if any(a <= run[0] <= b or a <= run[-1] <= b for a, b in organisations):
            # spaCy called it an organisation: believe it where a word of it names one ("Sanctions
            # Monitoring Team"), or it is one word; a plain two-word name may still be a person
            stems = {normalise(article.words[i].text.lower()) for i in run}
            if len(run) < 2 or stems & (ORGANISATION_NOUNS | PLACE_NOUNS):
                continue
            fit = 0.5
        spans.append(_span_of(article, run[0], run[-1], fit))
    return spans


_TITLE_JOINS = frozenset({"of", "the", "'s", "’s"})
_TITLE_LABELS = frozenset({"WORK_OF_ART", "PRODUCT", "EVENT", "LAW"})


def _title_runs(sentence: Sentence, article: ArticleText) -> list[Span]:
    """Capitalised runs written the way titles are: begun with "The" inside a sentence, or holding
    a small word between capitals ("for *The Lamplighter's Daughter*", "for *Songs of the
    Valleys*"). A name spaCy labelled as something else, or split, is still a title candidate;
    a run that is one of spaCy's people, places or organisations as a whole is left to them."""
    words = article.words
    spans = []
    i = sentence.first
    while i < sentence.last:
        w = words[i]
        starts = w.text[:1].isupper() and w.pos in ("PROPN", "NOUN", "DET") and (
            w.text != "The" or i > sentence.first)
        if not starts or w.text in HONORIFICS:
            i += 1
            continue
        last, j = i, i + 1
        while j < sentence.last:
            t = words[j]
            if t.text[:1].isupper() and t.pos in ("PROPN", "NOUN", "ADJ", "NUM"):
                last, j = j, j + 1
            elif t.text in _TITLE_JOINS and j + 1 < sentence.last and (
                    words[j + 1].text[:1].isupper() or words[j + 1].text == "the"):
                j += 1
            else:
                break
        inner = [x.text for x in words[i:last + 1]]
        titled = (w.text == "The" and last > i + 1) or any(x in _TITLE_JOINS for x in inner[1:-1])
        whole = [m for m in sentence.mentions if m.first == i + (w.text == "The") and m.last == last]
        if titled and last > i and not any(m.label not in _TITLE_LABELS for m in whole):
            spans.append(_span_of(article, i, last, 0.5))
        i = last + 1
    return spans


def _asked_heads(question: Question) -> set[str]:
    """The head noun, the nouns compounded with it, and the words that stand for them ("which
    album": "their second *record*, Glass Harbour")."""
    heads = set(question.head_words) or {question.head}
    return heads | {other for h in heads for other in SYNONYMS.get(h, ())}


def _head_attached(question: Question, article: ArticleText, words: list[Word]) -> list[Span]:
    """Names attached to the question's head noun where the sentence uses it: "the *Mirwais*
    hospital", "the module *Raffaello*", "the provinces of *Khost, Kunar and Zabul*", "a bomb
    known as the *Daisy Cutter*"."""
    if not question.head:
        return []
    heads = _asked_heads(question)
    spans = []
    for w in words:
        if normalise(w.lemma) not in heads and normalise(w.text.lower()) not in heads:
            continue
        if w.pos in ("VERB", "AUX") and w.text.lower() != w.lemma.lower():
            continue  # "has *played* Peggy Rourke": the verb, not the noun "play" asked about
        h = article.index_of(w)
        if _titles_next(article, h):
            # the noun titles the name that follows it ("US publisher *Vantage Interactive*",
            # "Hollywood action film *Dead Reckoning*"): that name is the one, not the modifier before;
            # with the question's own compound before the noun ("which *pub* company": "*pub* group
            # Castlegate") it is the one described in full, over any name of the asked kind
            compounded = len(heads) > 1 and h and normalise(article.words[h - 1].lemma) in heads - {normalise(w.lemma)}
            named = _list_span(article, h + 1, FULLY_DESCRIBED_FIT if compounded else 0.95)
            if compounded and named.first <= h:  # "Defense Minister Carla Munro": the name after the noun
                named = _span_of(article, h + 1, named.last, named.fit)
            spans.append(named)
            continue
        named = article.words[h].head
        if article.words[h].dep == "appos" and named < h and article.words[named].pos == "PROPN":
            # the noun is set off after the name it describes ("Foxglove Pictures, a small London
            # *distributor*"): that name is the one, not a place or name modifying the noun
            spans.append(_list_span(article, named, 0.95))
            continue
        for i in _dependents(article, h, ("compound", "appos", "nmod", "amod", "npadvmod", "poss")):
            if article.words[i].pos == "PROPN":
                # "the *UK* album chart": a place or nationality before the noun says where it is
                # from, no name of it (unless a place or a people is asked for)
                where = question.kind not in ("place", "group") and any(
                    m.label in ("GPE", "NORP", "LOC") and m.first <= i <= m.last for m in article.mentions)
                # "*City* economists", "Labour MPs": a name before people in the plural says which
                # people, and names none of them
                group = question.kind == "person" and i < h and _plural(article.words[h])
                spans.append(_list_span(article, i, 0.3 if where or group else 0.95))
        for p in _dependents(article, h, ("prep",)):
            if article.words[p].lemma == "of":
                for i in _dependents(article, p, ("pobj",)):
                    if article.words[i].pos == "PROPN":
                        spans.append(_list_span(article, i, 0.95))
        spans += _set_off(article, h)
    for i, w in enumerate(words):
        naming = w if w.text.lower() != "as" else (words[i - 1] if i else w)
        named_noun = article.words[naming.head]
        if not (normalise(named_noun.lemma) == question.head or (
                i >= 2 and normalise(words[i - 1 if w.text.lower() != "as" else i - 2].lemma) == question.head)):
            continue  # "an area called Dismal Swamp" names an area, not the pilot asked about
        if w.text.lower() in ("called", "named", "dubbed", "nicknamed", "codenamed", "code-named", "titled",
                              "entitled") or (
                w.text.lower() == "as" and i and words[i - 1].text.lower() == "known"):
            j = i + 1
            while j < len(words) and words[j].pos == "DET":
                j += 1
            if j < len(words) and (words[j].pos == "PROPN" or words[j].text[:1] in "\"'“‘"):
                first, last = _propn_run(article, article.index_of(words[j]))
                spans.append(_span_of(article, first, last, 0.9))
    return spans


def _after_role(article: ArticleText, span: Span) -> bool:
    """Whether a noun naming a person by role comes right before the span ("playwright *Jim Caddick*")."""
    if span.first < 1:
        return False
    before = article.words[span.first - 1]
    return before.pos == "NOUN" and _is_role_noun(before)


def _titling_modifiers(question: Question, article: ArticleText, words: list[Word]) -> set[int]:
    """Indices of the last word of a name right before a noun of the asked kind that titles the
    name after it ("*NRL* side Canterbury Bulldogs")."""
    kind = kind_of_noun(question.head)
    heads = set(question.head_words) or {question.head}
    found = set()
    for w in words:
        h = article.index_of(w)
        if h < 1 or w.pos != "NOUN" or article.words[h - 1].pos != "PROPN" or not _titles_next(article, h):
            continue
        if normalise(w.lemma) in heads or kind_of_noun(normalise(w.lemma)) == kind:
            found.add(h - 1)
    return found


def _set_off(article: ArticleText, h: int) -> list[Span]:
    """A noun phrase set off by commas right after the asked noun, which names it whatever the
    parse says ("the bacteria, *pseudomonas*, was", "his yacht, *Kontrol*."): one to three nouns
    or adjectives between a comma and a comma or full stop."""
    words = article.words
    if h + 2 >= len(words) or words[h + 1].text != ",":
        return []
    # a title may begin with "The" and hold a possessive ("a new stage play, *The Widow's Garden*,")
    start = h + 3 if words[h + 2].text == "The" else h + 2
    j = start
    while j < len(words) and j - start < 3 and (words[j].pos in ("NOUN", "PROPN", "ADJ") or (
            words[j].text in ("'s", "’s") and j > start and words[j - 1].pos == "PROPN"
            and j + 1 < len(words) and words[j + 1].pos == "PROPN")):
        j += 1
    if j == start or j >= len(words) or words[j].text not in (",", ".", ";") or words[j - 1].pos == "ADJ":
        return []
    if start > h + 2 and words[start].pos != "PROPN":
        return []  # "the team, the youngest ...": no name
    return [_span_of(article, h + 2, j - 1, 0.9)]


def _dependents(article: ArticleText, h: int, labels: tuple[str, ...], reach: int = 8) -> list[int]:
    """Words within `reach` of word h whose syntactic head is h, with one of these labels."""
    return [i for i in range(max(0, h - reach), min(len(article.words), h + reach + 1))
            if i != h and article.words[i].head == h and article.words[i].dep in labels]


def _list_span(article: ArticleText, i: int, fit: float) -> Span:
    """The proper-noun run at word i, extended over a list joined to it ("Khost, Kunar and Zabul")."""
    first, last = _propn_run(article, i)
    for j in _dependents(article, i, ("conj",), reach=30):
        if j > last and article.words[j].pos == "PROPN":
            gap = article.words[last + 1:j]
            if all(g.pos in ("PUNCT", "CCONJ", "PROPN") for g in gap):
                last = _propn_run(article, j)[1]
    return _span_of(article, first, last, fit)


def _propn_run(article: ArticleText, i: int) -> tuple[int, int]:
    """The run of proper nouns around word i, across "of", "and" or "for" between capitalised
    words ("Analytical Support and Sanctions Monitoring Team"), with a capitalised "The" before it."""
    words = article.words
    first = last = i
    while first > 0 and (words[first - 1].pos == "PROPN" or (
            first > 1 and words[first - 1].text in _NAME_JOINS and words[first - 2].pos == "PROPN")):
        first -= 1
    while last + 1 < len(words) and (words[last + 1].pos == "PROPN" or (
            last + 2 < len(words) and words[last + 1].text in _NAME_JOINS and words[last + 2].pos == "PROPN"
            and words[last + 2].text[:1].isupper())):
        last += 1
    if first > 0 and words[first - 1].text == "The" and (first < 2 or words[first - 2].text not in ".!?\n"):
        first -= 1
    return first, last


_NAME_JOINS = frozenset({"of", "and", "for", "&"})


_CALLED = re.compile(r"(?:\bcalls? (?:himself|herself|itself|themselves)|\bgoes by|\bknown as|\bcalled|\bnamed|"
                     r"\bdubbed|\bnicknamed|\bcode-?named|\bunder the name(?: of)?)\s+(?:the\s+)?$", re.I)


def _named_next(question: Question, sentence: Sentence, article: ArticleText) -> list[Span]:
    """The name the next sentence opens with, as its subject, where this sentence ends with the
    asked noun and names none for it: "The Harbour Lights have gone straight to number one with
    their second *record*. *Northern Skies* sold 94,000 copies in its first week"."""
    words = article.words
    heads = _asked_heads(question)
    nouns = [i for i in range(sentence.first, sentence.last) if words[i].pos in ("NOUN", "PROPN")]
    if not nouns or normalise(words[nouns[-1]].lemma) not in heads or any(
            j != nouns[-1] and words[j].head == nouns[-1] and words[j].pos == "PROPN" and words[j].dep in ("compound", "appos")
            for j in range(sentence.first, sentence.last)):
        return []
    if sentence.position + 1 >= len(article.sentences):
        return []
    after = article.sentences[sentence.position + 1]
    first = last = after.first
    if not words[first].text[:1].isupper() or words[first].pos not in ("PROPN", "DET"):
        return []
    while last + 1 < after.last and words[last + 1].text[:1].isupper() and words[last + 1].pos in ("PROPN", "NOUN"):
        last += 1
    if last == first and words[first].pos == "DET":
        return []
    head = next((i for i in range(first, last + 1) if not first <= words[i].head <= last), last)
    if words[head].dep not in ("nsubj", "nsubjpass"):
        return []
    return [_span_of(article, first, last, 0.7)]


def _called(article: ArticleText, words: list[Word]) -> list[Span]:
    """The proper nouns a naming phrase introduces: "the man who calls himself *Abu Mohammad*",
    "known as *the Butcher*"."""
    spans = []
    for k, w in enumerate(words):
        if w.pos == "PROPN" and w.text[:1].isupper() and (k == 0 or words[k - 1].pos != "PROPN"):
            before = article.body[max(0, w.start - 40):w.start]
            if _CALLED.search(before):
                first, last = _propn_run(article, article.index_of(w))
                spans.append(_span_of(article, first, last, 0.9))
    return spans


def _quoted(sentence: Sentence, article: ArticleText) -> list[Span]:
    spans = []
    # a quote opens after no letter and closes before none: the apostrophe of "the show's" and the
    # closing mark of "devastated" hold no quote between them
    for m in re.finditer(r"(?<!\w)[\"“‘']([^\"”’'“‘]{2,60})[\"”’'](?!\w)", sentence.text):
        start = sentence.start + m.start(1)
        end = sentence.start + m.end(1)
        first, last = _word_range(article, start, end)
        if first is not None and len(m.group(1).split()) <= 8:
            spans.append(Span(start, end, article.body[start:end], 0.7, first, last))
    return spans


def _word_range(article: ArticleText, start: int, end: int) -> tuple[int | None, int | None]:
    inside = [i for i, w in enumerate(article.words) if start <= w.start and w.end <= end]
    return (inside[0], inside[-1]) if inside else (None, None)


def _objects(question: Question, article: ArticleText, words: list[Word]) -> list[Span]:
    """Noun phrases in object places of a verb the question uses ("the device *contained* TATP")."""
    stems = question.stems()
    spans = []
    for w in words:
        if w.pos != "VERB" or normalise(w.lemma) not in stems:
            continue
        v = article.index_of(w)
        for i in range(max(0, v - 12), min(len(article.words), v + 12)):
            o = article.words[i]
            if o.head == v and o.dep in ("dobj", "attr", "oprd", "nsubjpass") and o.pos in ("NOUN", "PROPN"):
                first = i
                while first > 0 and article.words[first - 1].head == i and article.words[first - 1].dep in (
                        "compound", "amod", "nummod"):
                    first -= 1
                spans.append(_span_of(article, first, i, 0.6))
    return spans


def _is_number_word(w: Word) -> bool:
    return bool(_NUMBER.fullmatch(w.text)) or w.text.lower() in _NUMBER_WORDS or w.pos == "NUM"


def _number_run(article: ArticleText, i: int, sentence_words: list[Word]) -> tuple[int, int]:
    """Word i widened over the words that belong to one figure ("400 to 600", "1.5 million")."""
    words = article.words
    first, last = i, i
    lo, hi = article.index_of(sentence_words[0]), article.index_of(sentence_words[-1])
    while last + 1 <= hi and (_is_number_word(words[last + 1]) or (
            words[last + 1].text.lower() in ("to", "-", "–", "and", "or") and last + 2 <= hi
            and _NUMBER.fullmatch(words[last + 2].text) and _NUMBER.fullmatch(words[last].text))):
        last += 1
    while last > i and words[last].text.lower() in ("a", "an"):  # "£1,113 *a* year": the rate's article
        last -= 1
    while first - 1 >= lo and _is_number_word(words[first - 1]) and words[first - 1].text.lower() not in ("a", "an"):
        first -= 1
    return first, last


def _counts_same(noun: str, asked: str) -> bool:
    """Whether a figure counting `noun` answers a question counting `asked`: the same word or a
    synonym, jobs for the workers who hold them ("how many workers will lose their jobs":
    "640 jobs"), or people for persons of any sort ("how many residents": "8,306 people").

    >>> _counts_same("job", "worker"), _counts_same("home", "worker"), _counts_same("people", "resident")
    (True, False, True)
    """
    return same_meaning(noun, asked) or (stem_of(noun) in JOB_NOUNS and stem_of(asked) in WORKER_NOUNS) or (
        stem_of(noun) in ("people", "person") and kind_of_noun(stem_of(asked)) == "person")


def _numbers(question: Question, article: ArticleText, words: list[Word]) -> list[Span]:
    """Figures, best when attached to the noun the question counts ("*Fourteen* homes")."""
    spans = []
    seen = set()
    unit_seen = False  # a figure of the sentence counts the question's noun
    previous_unit, previous_first = None, 0  # the noun the sentence's last figure counted, and where that figure starts
    for w in words:
        if not (_NUMBER.fullmatch(w.text) or (w.text.lower() in _NUMBER_WORDS - {"a", "an", "half"})):
            continue
        i = article.index_of(w)
        if i in seen:
            continue
        first, last = _number_run(article, i, words)
        seen.update(range(first, last + 1))
        text = article.body[article.words[first].start:article.words[last].end]
        if _looks_like_year(text) or _next_is(article, last, _MONTHS) or _prev_is(article, first, _MONTHS):
            continue
        unit = _unit_after(article, last, words)
        bare = unit is None or (article.words[last + 1].pos == "ADP" and article.words[last + 1].text.lower() != "of")
        joined = article.words[first - 1].text.lower() if first > 0 else ""
        # ("to" joins a result, "by 15 votes to eight", not a change, "from 110 kilometres an hour to 80")
        elided = bare and previous_unit is not None and (joined in ("and", "but", "while") or (
            joined == "to" and not (previous_first and article.words[previous_first - 1].text.lower() == "from")))
        if elided:  # "11,842 people voted against the proposal *and 8,306* in favour", "15 votes *to eight*"
            unit = previous_unit
        previous_unit, previous_first = unit, first
        fit, counted, noun = 0.5, None, unit
        if _proportion(article, first, last):
            fit = 0.2  # "fewer than *one in four* residents": a share of them, no count
        elif question.unit and unit is not None and (_counts_same(normalise(article.words[unit].lemma), question.unit) or (
                normalise(article.words[unit].lemma) == "vote" and "vote" in question.predicates)):
            # (votes count the voters where the question asks who voted: "how many members voted
            # against": "passed by 15 votes to eight")
            fit, counted = 1.0, (None if elided else _noun_run_end(article, unit))
            unit_seen = True
        elif question.unit and unit is not None and article.words[unit].lemma in ("other", "more") and unit_seen:
            fit, counted = 1.0, unit  # "destroyed 40 homes and damaged 300 others": homes too
        elif question.unit and (attached := _attached_to(article, first, last, question.unit)) is not None:
            fit, counted, noun = 0.95, (attached if last < attached <= last + 4 else None), attached
        elif unit is not None and normalise(article.words[unit].lemma) in DURATION_UNITS | MEASURE_UNITS:
            fit = 0.2
        elif "%" in article.body[article.words[last].end:article.words[last].end + 1] or (
                unit is not None and article.words[unit].lemma in ("percent", "cent")):
            fit = 0.2
        elif question.unit and unit is not None and article.words[unit].pos == "NOUN":
            fit = OTHER_NOUN_FIT  # "*one* step closer", "15 *votes*" for "how many members": it counts something else
        if noun is not None and fit > OTHER_NAME_FIT and _other_names_qualify(question, article, last, noun):
            fit = OTHER_NAME_FIT  # "600 Al-Qaeda fighters" for "how many Uighur fighters": other fighters
        spans.append(_span_of(article, first, counted if counted is not None else last,
                              fit * _verb_fit(question, article, first)))
    return spans


def _proportion(article: ArticleText, first: int, last: int) -> bool:
    """Whether the figure at words first..last is a term of a proportion: "one in four", "nine
    out of ten"."""
    words = article.words
    before = [w.text.lower() for w in words[max(0, first - 3):first]]
    after = last + 2 < len(words) and words[last + 1].text.lower() in ("in", "out") and (
        _is_number_word(words[last + 2]) or words[last + 2].text.lower() == "of")
    return after or (len(before) >= 2 and before[-1] in ("in", "of") and (
        _is_number_word(words[first - 2]) or (before[-2] == "out" and len(before) == 3 and _is_number_word(words[first - 3]))))


def _other_names_qualify(question: Question, article: ArticleText, last: int, unit: int) -> bool:
    """Whether the question counts things of a name ("how many Uighur fighters") and the figure's
    noun is qualified by other names only ("600 Al-Qaeda fighters")."""
    if not question.unit_names:
        return False
    # an acronym is a name however it is tagged ("six other *AQIS* members")
    names = {stem_of(w.text) for w in article.words[last + 1:unit] if w.pos == "PROPN" or _acronym(w.text)}
    return bool(names) and not names & set(question.unit_names)


def _verb_fit(question: Question, article: ArticleText, i: int) -> float:
    """How well the verb a figure belongs to fits the question's: 1 for the asked verb (or one
    standing for it), 0.7 for another content verb ("damaged 300" for "how many were destroyed"),
    1 where there is no verb to tell."""
    if not question.predicates:
        return 1.0
    h = i
    for _ in range(4):
        h = article.words[h].head
        w = article.words[h]
        if w.pos in ("VERB", "ADJ") and w.dep not in ("amod", "compound"):
            stem = normalise(w.lemma)
            if any(same_meaning(p, stem) or stem.startswith(p) or p.startswith(stem) for p in question.predicates):
                return 1.0
            return 0.7 if w.pos == "VERB" and stem not in LIGHT_VERBS else 1.0
        if article.words[h].head == h:
            break
    return 1.0


def _noun_run_end(article: ArticleText, i: int) -> int:
    """The last noun of the compound that starts at word i ("crew *members*")."""
    while i + 1 < len(article.words) and article.words[i + 1].pos == "NOUN" and article.words[i].dep == "compound":
        i += 1
    return i


def _looks_like_year(text: str) -> bool:
    return bool(re.fullmatch(r"(?:1[89]|20)\d\d", text))


_OPPONENT_WORDS = frozenset({"against", "versus", "vs"})
def _proper_name(article: ArticleText, span: Span) -> bool:
    """Whether every word of the span is a proper noun, as spaCy tags it."""
    return all(w.pos == "PROPN" for w in article.words[span.first:span.last + 1])


_AHEAD_OF = re.compile(r"\bahead of\b[^.,;:]*$")


def _next_is(article: ArticleText, i: int, words: frozenset[str]) -> bool:
    return i + 1 < len(article.words) and article.words[i + 1].text.lower().strip(".") in words


def _prev_is(article: ArticleText, i: int, words: frozenset[str]) -> bool:
    return i > 0 and article.words[i - 1].text.lower().strip(".") in words


def _unit_after(article: ArticleText, last: int, sentence_words: list[Word]) -> int | None:
    """The noun a figure counts: the first noun within four words after it, past the names that
    only qualify it ("600 Al-Qaeda *fighters*", "six other AQIS *members*", an acronym however
    it is tagged)."""
    end = sentence_words[-1].end
    for i in range(last + 1, min(len(article.words), last + 5)):
        w = article.words[i]
        if w.start >= end:
            break
        if (w.pos == "NOUN" and not _acronym(w.text)) or (w.pos in ("NOUN", "PROPN") and not _qualifies_noun(article, i)):
            return i
        if (w.pos not in ("ADJ", "ADP", "DET", "NUM", "PUNCT", "PROPN") and not _acronym(w.text)) or w.text in (",", ";") or (
                w.pos == "ADP" and w.text.lower() != "of"):
            break  # "2,318 *after* a campaign" counts no campaigns; "600 *of* the fighters" does
    return None


def _acronym(text: str) -> bool:
    """Whether a word is written as an acronym ("AQIS", "NHS").

    >>> _acronym("AQIS"), _acronym("A"), _acronym("Police")
    (True, False, False)
    """
    return len(text) > 1 and text.isupper() and text.isalpha()


def _qualifies_noun(article: ArticleText, i: int) -> bool:
    """Whether a noun only qualifies a common noun after it ("600 *Al-Qaeda* fighters")."""
    head = article.words[i].head
    return article.words[i].dep == "compound" and i < head <= i + 4 and article.words[head].pos == "NOUN"


def _attached_to(article: ArticleText, first: int, last: int, unit: str) -> int | None:
    """The noun counted, where the figure's syntactic head (up to two steps) is it; else None."""
    for i in range(first, last + 1):
        h = article.words[i].head
        for _ in range(2):
            if same_meaning(normalise(article.words[h].lemma), unit):
                return h
            h = article.words[h].head
    return None


def _money(article: ArticleText, words: list[Word]) -> list[Span]:
    spans = []
    for w in words:
        if re.fullmatch(r"\d[\d,]*(?:\.\d+)?p", w.text):  # pence: "245p a share"
            i = article.index_of(w)
            spans.append(_span_of(article, i, i, 0.9))
            continue
        if not _NUMBER.fullmatch(w.text) and w.text.lower() not in _NUMBER_WORDS - {"a", "an"}:
            continue
        i = article.index_of(w)
        first, last = _number_run(article, i, words)
        before = article.body[max(0, article.words[first].start - 2):article.words[first].start]
        after = article.words[last + 1] if last + 1 < len(article.words) else None
        sign = any(c in CURRENCY_SIGNS for c in before)
        word = after is not None and normalise(after.lemma) in CURRENCY_WORDS
        if sign or word:
            start = article.words[first].start - (1 if before[-1:] in CURRENCY_SIGNS else 0)
            end = after.end if word else article.words[last].end
            spans.append(Span(start, end, article.body[start:end], 0.95, first, last + (1 if word else 0)))
    return spans


def _ages(article: ArticleText, words: list[Word]) -> list[Span]:
    """Ages: "33-year-old", "Razzano, 18,", "aged 40", "40 years old"."""
    spans = []
    for k, w in enumerate(words):
        i = article.index_of(w)
        text = w.text
        if re.fullmatch(r"\d{1,3}-year-old", text):
            spans.append(_span_of(article, i, i, 1.0))
        elif re.fullmatch(r"\d{1,3}", text):
            nxt = " ".join(x.text for x in words[k + 1:k + 5]).lower()
            prev = words[k - 1].text.lower() if k else ""
            if re.match(r"(?:-\s*)?years?\s*(?:-\s*)?old\b|-year-old", nxt) or prev in ("aged", "age"):
                spans.append(_span_of(article, i, i, 1.0))
            elif prev == "," and k + 1 < len(words) and words[k + 1].text in (",", ")") and k >= 2 and \
                    words[k - 2].pos == "PROPN":
                spans.append(_span_of(article, i, i, 0.9))
    return spans


def _age_of_someone_else(question: Question, article: ArticleText, span: Span) -> bool:
    """Whether an age set off after a name ("Karen Doyle, 44,") is of a person other than the one the
    question names ("how old is Peter Gosling"): no word of that name is the question's."""
    named = {t.stem for t in question.terms if t.in_entity}
    if not named or span.first < 2 or article.words[span.first - 1].text != ",":
        return False
    before = article.words[span.first - 2]
    owner = next((m for m in article.mentions if m.label == "PERSON" and m.first <= span.first - 2 <= m.last), None)
    if owner is None:
        return False
    words = article.words[owner.first:owner.last + 1]
    return before.pos == "PROPN" and not any(stem_of(w.text.lower()) in named or stem_of(w.lemma) in named
                                             for w in words)


_FUSED_UNIT = re.compile(r"\d[\d,]*(?:\.\d+)?([a-z]+(?:/[a-z]+)?)")


def _measures(article: ArticleText, words: list[Word], units: frozenset[str], fit: float) -> list[Span]:
    """A figure followed by a unit ("30 kilometres", "14-year", "three months")."""
    spans = []
    for k, w in enumerate(words):
        i = article.index_of(w)
        m = re.fullmatch(r"(\d[\d,.]*|[a-z]+)-([a-z]+)(?:-[a-z]+)?", w.text.lower())
        if m and (m.group(1)[0].isdigit() or m.group(1) in _NUMBER_WORDS) and normalise(m.group(2)) in units:
            spans.append(_span_of(article, i, i, fit))
            continue
        fused = _FUSED_UNIT.fullmatch(w.text.lower())  # "186mph", "300km"
        if fused and normalise(fused.group(1)) in units:
            spans.append(_span_of(article, i, i, fit))
            continue
        if not (_NUMBER.fullmatch(w.text) or w.text.lower() in _NUMBER_WORDS):
            continue
        j = k + 1
        while j < len(words) and (words[j].text in ("-",) or _is_number_word(words[j])):
            j += 1
        if j < len(words) and normalise(words[j].lemma) in units | {normalise(u) for u in units}:
            if w.text.lower() in ("a", "an") and k and _is_number_word(words[k - 1]):
                continue
            if w.text.lower() in ("a", "an") and words[j].text.lower() == "second":
                continue  # "a second-round match", "a second week": an ordinal, not a second of time
            spans.append(_span_of(article, i, article.index_of(words[j]), fit))
    return spans


def _percents(article: ArticleText, words: list[Word]) -> list[Span]:
    """Figures followed by "%", "per cent" or "percent", in digits or in words ("Twenty per cent")."""
    spans = []
    for k, w in enumerate(words):
        spelled = _is_spelled_figure(w.text)
        if not (_NUMBER.fullmatch(w.text) or spelled):
            continue
        first = k
        while spelled and first and _is_spelled_figure(words[first - 1].text):  # "forty five per cent"
            first -= 1
        start, i = words[first].start, article.index_of(words[first])
        rest = article.body[w.end:w.end + 9].lower()
        if rest.startswith("%"):
            spans.append(Span(start, w.end + 1, article.body[start:w.end + 1], 1.0, i, article.index_of(w)))
        elif re.match(r"\s*(?:per ?cent|percent)", rest):
            end = w.end + re.match(r"\s*(?:per ?cent|percent)", rest).end()
            spans.append(Span(start, end, article.body[start:end], 1.0, i, article.index_of(w) + 1))
    return spans


def _is_spelled_figure(text: str) -> bool:
    """A number written as a word, hyphenated or not ("twenty", "Twenty-five"); not "a" or "several".

    >>> _is_spelled_figure("Twenty-five"), _is_spelled_figure("several"), _is_spelled_figure("5")
    (True, False, False)
    """
    parts = text.lower().split("-")
    return all(p in _NUMBER_WORDS - {"a", "an", "several", "half", "dozens", "hundreds", "thousands", "millions"}
               for p in parts) and bool(parts[0])


def _joined_durations(article: ArticleText, spans: list[Span]) -> list[Span]:
    """Lengths of time written one after another joined into one ("four hours and 12 minutes",
    "one hour 48 minutes and 23 seconds"), kept beside their parts."""
    ordered = sorted(spans, key=lambda s: s.start)
    joined = []
    for k, span in enumerate(ordered):
        end = span
        for nxt in ordered[k + 1:]:
            if nxt.start < end.end:
                continue  # the same length found twice
            if not re.fullmatch(r"\s*(?:,|and|,\s*and)?\s*", article.body[end.end:nxt.start]):
                break
            end = nxt
        if end is not span:
            joined.append(Span(span.start, end.end, article.body[span.start:end.end], max(span.fit, end.fit),
                               span.first, end.last))
    return spans + joined


def _is_duration(text: str) -> bool:
    """Whether a date expression is a length of time with a figure ("three years", "14-year"),
    not an age ("the 22-year-old").

    >>> _is_duration("three years"), _is_duration("14-year"), _is_duration("22-year-old"), _is_duration("six-week")
    (True, True, False, True)
    """
    if re.search(r"-olds?\b", text.lower()):
        return False
    words = [normalise(w) for w in re.findall(r"[a-z]+", text.lower())]
    figure = bool(re.search(r"\d", text)) or any(w in _NUMBER_WORDS - {"a", "an"} for w in re.findall(r"[a-z]+", text.lower()))
    return figure and any(w in DURATION_UNITS for w in words) and not any(w in _MONTHS for w in words)


def speaker_spans(question: Question, sentence: Sentence, article: ArticleText) -> list[Span]:
    """Who a reporting verb attributes the sentence's words to, resolved to a name.

    The verb the question asks about ("denied") fits best, another reporting verb less (a
    denial question takes any verb of a sentence that denies). A sentence with no reporting verb
    of its own takes the speaker of the sentence before or after it, for less: a quote that runs
    over two sentences names its speaker once. A speaker given as a pronoun or a role ("he
    said", "the spokesman said") is resolved to the nearest person the article names.
    """
    own = _speakers(question, sentence, article, 1.0)
    if own or not article.sentences:
        return own
    near = [article.sentences[p] for p in (sentence.position + 1, sentence.position - 1)
            if 0 <= p < len(article.sentences)]
    return [s for other in near for s in _speakers(question, other, article, 0.7)]


def _speakers(question: Question, sentence: Sentence, article: ArticleText, factor: float) -> list[Span]:
    spans = []
    denies = question.asks_denial and article.denies(sentence.first, sentence.last)
    for speech in sentence.speeches:
        if speech.speaker is None:
            speech = _shared_subject(article, speech)
            if speech.speaker is None:
                continue
        verb_fit = factor * (1.0 if denies or same_meaning(normalise(speech.lemma), question.report_verb) else 0.6)
        start, end = speech.speaker
        inside = [m for m in article.mentions if start <= m.start and m.end <= end]
        people = [m for m in inside if m.label == "PERSON"]
        groups = [m for m in inside if m.label in ("ORG", "NORP")]
        dates = [m for m in inside if m.label in ("DATE", "TIME")]
        names = [s for s in _name_runs_between(article, start, end) if not any(
            m.start <= s.start < m.end for m in groups + dates) and s.text.lower() not in _MONTHS]
        if people:
            spans.append(_mention_span(people[0], verb_fit))
        elif names:
            spans.append(_scaled(names[-1], verb_fit * 0.85 / names[-1].fit))
        elif groups:
            spans.append(_mention_span(groups[0], verb_fit * 0.5))
        else:
            text = article.body[start:end].lower()
            # the pronoun after a quote is not anyone the quote names ("'Kelby will wait,' she said")
            resolved = resolve_person(article, sentence, start, pronoun=text in PERSON_PRONOUNS, outside=speech.content)
            if resolved is not None:
                spans.append(_mention_span(resolved, verb_fit * (0.8 if text in PERSON_PRONOUNS else 0.7)))
    return spans


def _shared_subject(article: ArticleText, speech: Speech) -> Speech:
    """A reporting verb joined to an earlier verb shares its subject ("Raz talked about it and
    *accused* the Taliban ..."): the speech with that subject's span, or unchanged."""
    at = next((i for i, w in enumerate(article.words) if w.start == speech.verb[0]), None)
    if at is None or article.words[at].dep != "conj":
        return speech
    head = article.words[at].head
    for i in range(max(0, head - 25), head):
        w = article.words[i]
        if w.head == head and w.dep in ("nsubj", "nsubjpass"):
            # the subject's phrase runs from its first word to the shared verb ("Afghanistan's
            # Permanent Representative to the United Nations Adela Raz talked …")
            first = min((j for j in range(max(0, i - 12), i + 1) if _governed_by(article, j, i)), default=i)
            return Speech(speech.verb, speech.lemma, (article.words[first].start, article.words[head - 1].end),
                          speech.content)
    return speech


def _governed_by(article: ArticleText, j: int, i: int) -> bool:
    """Whether word j is word i or depends on it (within a few steps)."""
    for _ in range(6):
        if j == i:
            return True
        parent = article.words[j].head
        if parent == j:
            return False
        j = parent
    return False


def _name_runs_between(article: ArticleText, start: int, end: int) -> list[Span]:
    """Handles (@name) and runs of proper nouns between two body offsets."""
    spans, run = [], []
    for i, w in enumerate(article.words):
        if w.start < start:
            continue
        if w.end > end:
            break
        if (w.pos == "PROPN" and w.text[:1].isupper() and w.text not in HONORIFICS) or w.text.startswith("@"):
            run.append(i)
            continue
        if run:
            spans.append(_span_of(article, run[0], run[-1], 0.7))
        run = []
    if run:
        spans.append(_span_of(article, run[0], run[-1], 0.7))
    return spans


def _mention_span(m: Mention, fit: float) -> Span:
    return Span(m.start, m.end, m.text, fit, m.first, m.last)


def resolve_person(article: ArticleText, sentence: Sentence, at: int, *, pronoun: bool,
                   outside: tuple[int, int] | None = None) -> Mention | None:
    """The person a pronoun or a role at `at` most likely refers to: the nearest person mention
    before it in this or the two sentences before; for a role, also the next sentence. Mentions
    inside `outside` (body offsets: the words a speaker says) are not candidates."""
    people = [m for m in article.mentions if m.label == "PERSON"
              and not (outside is not None and outside[0] <= m.start and m.end <= outside[1])]
    before = [m for m in people if m.end <= at and m.start >= _sentence_start(article, sentence.position - 2)]
    if before:
        return before[-1]
    if not pronoun:
        after = [m for m in people if m.start > at and m.start < _sentence_end(article, sentence.position + 1)]
        if after:
            return after[0]
    return None


def _sentence_start(article: ArticleText, position: int) -> int:
    return article.sentences[max(0, position)].start if article.sentences else 0


def _sentence_end(article: ArticleText, position: int) -> int:
    if not article.sentences:
        return 0
    return article.sentences[min(len(article.sentences) - 1, position)].end


def _without_role_words(article: ArticleText, m: Mention) -> Mention:
    """A person mention without the role words spaCy took into it ("Producer Adrian Saltash")."""
    first = m.first
    while first < m.last and normalise(article.words[first].text.lower()) in PERSON_NOUNS:
        first += 1
    if first == m.first:
        return m
    start = article.words[first].start
    return Mention(start, m.end, article.body[start:m.end], m.label, first, m.last)


def fullest_name(article: ArticleText, span: Span) -> Mention | None:
    """The longest person mention of the article that ends with the span's last word ("Rich" ->
    "Jodee Rich"), or None when the span is already the fullest."""
    parts = span.text.replace("’", "'").removesuffix("'s").split()
    if not parts:
        return None
    surname = parts[-1]
    best = None
    for m in article.mentions:
        if m.label != "PERSON":
            continue
        m = _without_role_words(article, m)
        words = m.text.replace("’", "'").removesuffix("'s").split()
        if words and words[-1] == surname and len(words) > len([p for p in parts if p not in HONORIFICS]):
            if best is None or len(m.text) > len(best.text):
                best = m
    return best if best is not None and len(best.text.split()) > len(parts) - (parts[0] in HONORIFICS) else None
