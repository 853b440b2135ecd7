"""Question analysis: what a question asks for, and which of its words constrain the answer.

Owns: the expected kind of answer (from the wh-word and the question's head noun, read from
spaCy's parse of the question), the unit a count asks about ("how many *homes*"), the
reporting verb of an attribution question ("who *denied* …"), and the question's content
terms with their weights, split into named entities and the asked relation.
Does not: look at articles, retrieve or score.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Callable, Literal

from index.terms import STOPWORDS, normalise
from qa.lexicon import (CAUSE_NOUNS, FIGURE_NOUNS, FRAMING_VERBS, LIGHT_VERBS, MODAL_VERBS, MONEY_VERBS, ORDER_WORDS, PLACE_LIMIT_PREPOSITIONS, REPORTING_VERBS, SHARE_NOUNS, SUM_VERBS,
                        SORT_NOUNS, SPEECH_VERBS, AnswerKind, american_spelling, denies_by, kind_of_noun)

NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "WORK_OF_ART", "PRODUCT", "LAW"})
"""spaCy's labels of names; a question's dates and figures are not names it must find."""
WH_WORDS = frozenset("who whom whose what which when where why how".split())
_STRICT_KINDS = frozenset({"person", "organisation", "place", "date", "duration", "age", "money", "count", "percent",
                           "quantity", "group"})
_NOT_CONTENT_POS = frozenset({"PUNCT", "DET", "ADP", "AUX", "CCONJ", "SCONJ", "PART", "PRON", "SYM", "SPACE"})


@dataclass(frozen=True)
class Term:
    """A content word of the question: its stem, weight (idf), and whether it is part of a name."""

    stem: str
    text: str
    weight: float
    in_entity: bool


@dataclass(frozen=True)
class Question:
    """A question as the reader understands it."""

    text: str
    kind: AnswerKind
    head: str | None  # stem of the noun naming the kind ("newspaper"), if any
    unit: str | None  # stem of the noun a count or amount is of ("homes" -> "home")
    report_verb: str | None  # stem of the reporting verb of an attribution question ("deny")
    asks_denial: bool
    terms: tuple[Term, ...]
    named: bool = False  # asks for the name of the head noun ("what was the name of the hospital")
    predicates: tuple[str, ...] = ()  # stems of the asked relation's verbs and predicate adjectives ("injured")
    kind_words: tuple[str, ...] = ()  # stems that ask for the kind ("old" of "how old"): no anchor for a span
    subject: tuple[str, ...] = ()  # stems of the main clause's subject ("how old is *Virginie Razzano*, the …")
    role: Literal["agent", "patient"] | None = None  # what the asked-for one does: "who beat X" an agent
    plural: bool = False  # the head noun is plural: "which five *provinces*" asks for a list
    head_words: tuple[str, ...] = ()  # the head noun and the nouns compounded with it ("*television* station")
    unit_names: tuple[str, ...] = ()  # stems of the names a counted noun is qualified by ("how many *Uighur* fighters")
    names: tuple[tuple[str, ...], ...] = ()  # the stems of each name of two words or more ("Melbourne Cup")
    figures: tuple[tuple[str, str], ...] = ()  # (number, unit stem) the question gives ("the *100 metres* butterfly")
    figure_nouns: tuple[tuple[str, str, str], ...] = ()  # (number, unit, noun) stems: "the *100 metres butterfly*"
    places: tuple[str, ...] = ()  # stems of the places the asked fact is limited to ("go on sale *in Australia*")
    describes: tuple[str, ...] = ()  # stems of a description set off after a name ("X, *the new MP for Y*")
    qualifiers: tuple[tuple[str, str], ...] = ()  # (modifier, noun) stems: "the *Conservative* candidate"
    orders: tuple[tuple[str, str], ...] = ()  # (place, noun stem): "the *opening round*" is ("first", "round")
    asks_origin: bool = False  # ends in a stranded "from": "which town does she come *from*?"
    asks_past: bool = False  # asks what happened ("where *did* the bout take place"), not what may
    asks_cause: bool = False  # asks why: "why", "what *reasons*", "what *caused*"
    owner: tuple[str, ...] = ()  # stems of the name owning the head noun: "*Bury's* home ground"

    @property
    def strict(self) -> bool:
        """Whether only a sentence holding a span of the asked kind can answer (a name asked for by
        "the name of …" too)."""
        return self.kind in _STRICT_KINDS or self.named

    @property
    def total_weight(self) -> float:
        return sum(t.weight for t in self.terms) or 1.0

    @property
    def subject_is_named(self) -> bool:
        """Whether the subject is a name alone ("Doug Frost"), not a description ("the boy")."""
        words = [t for t in self.terms if t.stem in self.subject]
        return bool(words) and all(t.in_entity for t in words)

    def stems(self) -> set[str]:
        return {t.stem for t in self.terms}


def analyse_question(text: str, doc, idf: Callable[[str], float]) -> Question:
    """Read a question from its spaCy parse (`doc`); `idf` weighs each content stem.

    The kind comes from the wh-phrase: "how many" a count, "how old" an age, "which newspaper"
    what the lexicon says of "newspaper", "who" a person, and so on; "why", "how" and a bare
    "what" ask for a phrase.
    """
    tokens = [t for t in doc if not t.is_space]
    lower = [t.lower_ for t in tokens]
    kind, head, unit = _kind(tokens, lower, text.lower())
    verb = _report_verb(tokens)
    if verb and kind in ("phrase", "thing") and _wh_start(lower) in ("who", "whom", "which"):
        kind = "person"
    entity_tokens = {t.i for ent in doc.ents for t in ent if ent.label_ in NAME_LABELS}
    entity_tokens |= {t.i for t in tokens if t.pos_ == "PROPN"}
    terms: dict[str, Term] = {}
    for t in tokens:
        if t.pos_ in _NOT_CONTENT_POS or t.lower_ in WH_WORDS or t.lower_ in STOPWORDS or not re.search(r"\w", t.text):
            continue
        stem = stem_of(t.lemma_.lower() if t.pos_ not in ("PROPN",) else t.text)
        if not stem or stem in STOPWORDS:
            continue
        in_entity = t.i in entity_tokens
        weight = idf(stem) * (1.5 if in_entity else 1.0) * (0.5 if stem == head else 1.0)
        if stem not in terms or terms[stem].weight < weight:
            terms[stem] = Term(stem, t.text, weight, in_entity)
    asks_denial = any(denies_by(t.lemma_, t.pos_, *((t.nbor().pos_, t.nbor().text) if t.i + 1 < len(t.doc) else ()))
                      for t in tokens)
    named = head is not None and bool(re.search(r"\b(?:name|names|title) of\b", text.lower()))
    # "were *confirmed* dead", "were *reported* injured": the reporting verb only carries the relation
    predicates = tuple(p for p in _predicates(tokens, terms) if not verb or p != stem_of(verb))
    kind_words = tuple(stem_of(t.lemma_.lower()) for t in tokens if t.i and t.doc[t.i - 1].lower_ == "how")
    origin = asks_origin(text)
    if origin:  # "which town does she *come* from": "Pryce, from Llandeilo" says it
        kind_words += tuple(stem_of(t.lemma_.lower()) for t in tokens
                            if t.pos_ in ("VERB", "AUX") and t.lemma_.lower() in LIGHT_VERBS)
    subject = _subject(tokens, terms)
    return Question(text=text, kind=kind, head=head, unit=unit, report_verb=verb, asks_denial=asks_denial,
                    terms=tuple(terms.values()), named=named, predicates=predicates,
                    kind_words=kind_words, subject=subject, role=wh_role(text),
                    plural=head is not None and any(stem_of(t.lemma_.lower()) == head and t.tag_ in ("NNS", "NNPS")
                                                    for t in tokens),
                    head_words=_head_words(tokens, head), unit_names=_unit_names(tokens, lower, unit),
                    names=_names(tokens, doc, terms), figures=_figures(tokens), figure_nouns=_figure_nouns(tokens),
                    places=_places(tokens) if kind != "place" else (),
                    describes=_description_stems(tokens, terms), qualifiers=_qualifiers(tokens), orders=_orders(tokens),
                    asks_origin=origin, asks_past=asks_past(tokens), asks_cause=asks_cause(tokens, lower, head),
                    owner=_owner(tokens, head))


def _owner(tokens, head: str | None) -> tuple[str, ...]:
    """The stems of the name a possessive sets before the head noun ("what is the name of *Bury's*
    home ground": "bury"); empty where none is."""
    if head is None:
        return ()
    for t in tokens:
        if stem_of(t.lemma_.lower()) != head:
            continue
        for c in t.children:
            if c.dep_ == "poss" and c.pos_ == "PROPN":
                return tuple(stem_of(w.text) for w in c.subtree if w.pos_ == "PROPN")
    return ()


def asks_cause(tokens, lower: list[str], head: str | None) -> bool:
    """Whether a question asks for a cause: "why ...", "what reasons did X give", "what caused X"."""
    if _wh_start(lower) == "why" or (head is not None and head in CAUSE_NOUNS):
        return True
    return any(t.lemma_.lower() == "cause" and t.pos_ == "VERB" and t.dep_ == "ROOT"
               and any(c.lower_ == "what" and c.dep_ == "nsubj" for c in t.children) for t in tokens)


_STRANDED_FROM = re.compile(r"\bfrom\s*[?.!]*\s*$", re.I)


def asks_past(tokens) -> bool:
    """Whether a question asks what happened: its verbs are in the past tense ("where *did* the
    bout take place", "who *won*"), with no modal or plan among them ("who *will* face him", "where
    *is* it *due* to open", "what *would* it cost")."""
    if any(t.lower_ in MODAL_VERBS or t.lemma_.lower() in ("due", "go") or normalise(t.lemma_.lower()) in FRAMING_VERBS
           for t in tokens):
        return False
    # the main verb's tense ("how much does it plan to raise *after its profit fell*" asks no past)
    root = next((t for t in tokens if t.dep_ == "ROOT"), None)
    return root is not None and any(t.tag_ == "VBD" for t in [root, *root.children] if t.pos_ in ("AUX", "VERB"))


def asks_origin(text: str) -> bool:
    """Whether a question asks where someone or something comes from by a stranded "from".

    >>> asks_origin("Which town does the Welsh cyclist come from?")
    True
    >>> asks_origin("Where is Tom Ashworth from ?")
    True
    >>> asks_origin("Who did the club sign from Leeds?")
    False
    """
    return bool(_STRANDED_FROM.search(text))


def _qualifiers(tokens) -> tuple[tuple[str, str], ...]:
    """(modifier, noun) stems of the question's nouns singled out by a nationality, a party or a
    place ("the *Conservative* candidate", "in *British* cinemas"): a sentence about another of them
    ("Labour's candidate", "300 US cinemas") is about something else (qa.scoring.conflicting_qualifier)."""
    found = []
    for t in tokens:
        head = t.head
        if t.dep_ not in ("amod", "compound", "nmod", "poss") or head.pos_ != "NOUN" or head.i <= t.i:
            continue
        stem = stem_of(t.lemma_.lower() if t.pos_ != "PROPN" else t.text)
        if t.ent_type_ in ("NORP", "GPE"):
            found.append((stem, stem_of(head.lemma_.lower())))
    return tuple(found)


def _orders(tokens) -> tuple[tuple[str, str], ...]:
    """(place, noun stem) of the question's nouns placed in a sequence by an order word ("in the
    *opening round*": ("first", "round")); see qa.lexicon.ORDER_WORDS."""
    return tuple((ORDER_WORDS[t.lower_], stem_of(t.head.lemma_.lower())) for t in tokens
                 if t.lower_ in ORDER_WORDS and t.dep_ in ("amod", "compound", "nmod") and t.head.pos_ == "NOUN"
                 and t.head.i > t.i)


def _description_stems(tokens, terms: dict) -> tuple[str, ...]:
    """Stems of a description set off by a comma after a name: "how old is Claire Penhaligon, *the
    new MP for Ashworth and Dale*?" says who she is, not what is asked of her, so a sentence need
    not repeat it ("Ms Penhaligon, 34, ...")."""
    found = []
    for t in tokens:
        if t.dep_ == "appos" and t.head.pos_ == "PROPN" and t.i > t.head.i and any(
                x.text == "," and t.head.i < x.i < t.i for x in tokens):
            found += [stem_of(x.lemma_.lower() if x.pos_ != "PROPN" else x.text) for x in t.subtree]
    return tuple(dict.fromkeys(s for s in found if s in terms))


def _places(tokens) -> tuple[str, ...]:
    """Stems of the named places a preposition puts the asked fact in ("when will it go on sale
    *in Australia*"): an article that names none of them cannot say it."""
    return tuple(dict.fromkeys(
        stem_of(t.text) for t in tokens if t.ent_type_ in ("GPE", "LOC") and t.pos_ == "PROPN"
        and t.head.lower_ in PLACE_LIMIT_PREPOSITIONS and t.dep_ == "pobj"))


_DO_SUPPORT = re.compile(r"^\W*(?:whom?|which|what)\b[^?,]*?\b(?:did|does|do)\s+(?!not\b)\w", re.I)
_PASSIVE_BY = re.compile(r"^\W*(?:who|which|what)\b[^?,]*?\b(?:was|were|is|are|has been|have been)\s+\w+ed\s+by\b", re.I)
_AGENT = re.compile(r"^\W*(?:who|which \w+|which of [^?,]*?)\s+(?!(?:did|does|do|was|were|is|are|am|be|been|has|have|had|"
                    r"will|would|can|could|may|might|must|shall|should)\b)[a-z]+\b", re.I)


def wh_role(text: str) -> Literal["agent", "patient"] | None:
    """Whether the one asked for does the question's action or undergoes it, from English word
    order (the parse of a question is the least reliable): "whom did X beat" and "who was beaten by
    X" ask for whom the action was done to, "who beat X" for who did it.

    >>> wh_role("Whom did Pat Rafter defeat?"), wh_role("Who was defeated by Rafter?"), wh_role("Who defeated Rafter?")
    ('patient', 'patient', 'agent')
    >>> wh_role("Which of the soldiers came from Ohio?"), wh_role("Who is the leader?")
    ('agent', None)
    """
    if _DO_SUPPORT.search(text) or _PASSIVE_BY.search(text):
        return "patient"
    return "agent" if _AGENT.search(text) else None


def _head_words(tokens, head: str | None) -> tuple[str, ...]:
    """The head noun's stem and the stems of the common nouns compounded with it: an article may
    name the thing by either ("which *television station*": "told WNDU *television*")."""
    if head is None:
        return ()
    found = [head]
    for t in tokens:
        if stem_of(t.lemma_.lower()) == head:
            found += [stem_of(c.lemma_.lower()) for c in t.children if c.dep_ == "compound" and c.pos_ == "NOUN"]
    return tuple(dict.fromkeys(found))


@functools.lru_cache(maxsize=1 << 18)
def stem_of(word: str) -> str:
    """The stem a question word and an article word are compared by ("U.S." and "US" alike).

    Remembered per word (an answer asks for the stems of some 5,000 words, mostly the same ones).

    >>> stem_of("U.S."), stem_of("injured"), stem_of("defence") == stem_of("defense")
    ('us', 'injur', True)
    """
    return american_spelling(normalise(word.replace(".", "") if len(word) > 1 else word))


def _subject(tokens, terms: dict) -> tuple[str, ...]:
    """Stems of the main clause's subject without what only describes it (an apposition, a
    relative clause): "How old is *Virginie Razzano*, the French player Monica Seles beat?"."""
    found = []
    for root in (t for t in tokens if t.dep_ == "ROOT"):
        for child in root.children:
            if child.dep_ in ("nsubj", "nsubjpass", "attr") and child.lower_ not in WH_WORDS:
                skip = {t.i for c in child.children if c.dep_ in ("appos", "relcl", "acl", "prep") for t in c.subtree}
                found += [stem_of(t.text if t.pos_ == "PROPN" else t.lemma_.lower()) for t in child.subtree
                          if t.i not in skip]
    if not found:  # a parse that lost the subject: the question's first name stands for it
        first = next((ent for ent in tokens[0].doc.ents if ent.label_ in NAME_LABELS), None) if tokens else None
        found = [stem_of(t.text) for t in first] if first is not None else []
    return tuple(dict.fromkeys(s for s in found if s in terms))


def _predicates(tokens, terms: dict) -> tuple[str, ...]:
    """Stems of the asked relation: the question's main verb and what completes it ("were
    *injured*", "was confirmed *dead*"), light verbs ("be", "have", "go") left out. Verbs of
    clauses that only describe the subject ("the man who *served* …") are not the relation."""
    roots = [t for t in tokens if t.dep_ == "ROOT"]
    found = []
    for root in roots:
        parts = [root] + [c for c in root.children if c.dep_ in ("conj", "xcomp", "acomp", "oprd", "ccomp")
                          and c.pos_ in ("VERB", "ADJ")]
        if root.lemma_.lower() == "be":
            # "how much is the plan *expected* to cost": the parser may hang the participle from the
            # subject ("plan expected", an acl) and leave "is" the root; the participle is the verb
            parts += [v for n in root.children if n.dep_ in ("nsubj", "nsubjpass", "attr")
                      for v in n.children if v.dep_ == "acl" and v.tag_ == "VBN"
                      and any(x.dep_ == "xcomp" for x in v.children)]
            parts += [x for v in parts[1:] if v.dep_ == "acl" for x in v.children if x.dep_ == "xcomp" and x.pos_ == "VERB"]
        # "plead guilty to *destroying*": a verb under a preposition of the main verb
        parts += [g for c in root.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pcomp"]
        parts += [g for c in parts[1:] for g in c.children if g.dep_ in ("acomp", "oprd") and g.pos_ == "ADJ"]
        # "how *old*", "how *long*": the kind, not the relation
        asked = [(t, stem_of(t.lemma_.lower())) for t in parts if t.pos_ in ("VERB", "ADJ")
                 and not any(c.lower_ == "how" for c in t.children)]
        asked = [(t, stem) for t, stem in asked if stem in terms and stem not in LIGHT_VERBS]
        framing = [t for t, stem in asked if stem in FRAMING_VERBS and any(x.dep_ == "xcomp" for x in t.children)]
        if len(asked) > len(framing):  # "is *expected* to cost": the relation is "cost"
            asked = [(t, stem) for t, stem in asked if t not in framing]
        found += [stem for _, stem in asked]
    return tuple(dict.fromkeys(found))


def _wh_start(lower: list[str]) -> str | None:
    """The question's wh-word (after a leading preposition or "according to …," clause)."""
    for word in lower:
        if word in WH_WORDS:
            return word
    return None


def _kind(tokens, lower: list[str], text: str) -> tuple[AnswerKind, str | None, str | None]:
    """(kind, head noun stem, unit stem) from the wh-phrase."""
    joined = " ".join(lower)
    m = re.search(r"\bhow (many|much|old|long|far|high|tall|big|large|deep|wide|fast|heavy|often)\b", joined)
    if m:
        word = m.group(1)
        after = _noun_after(tokens, lower, m.end(), joined)
        if word == "many":
            return "count", None, after
        if word == "much":
            # "how much damage/cash", "how much did he pay": a sum of money
            # "how much will the typical bill be", "how much is the fee": the subject of "be" is a sum
            subject = [t for t in tokens if t.dep_ == "nsubj" and t.head.lemma_ == "be" and t.head.dep_ == "ROOT"]
            money = (after in ("money", "cash") or (after is not None and kind_of_noun(after) == "money")
                     or any(normalise(t.lemma_.lower()) in MONEY_VERBS for t in tokens)
                     or any(kind_of_noun(normalise(t.lemma_.lower())) == "money" for t in subject))
            return ("money" if money else "quantity"), None, after
        determiner = lower[len(joined[:m.end()].split()):][:1]
        if word in ("big", "large") and determiner in (["a"], ["an"]):
            # "how big a reward", "how large a crowd": the kind of the noun after "a"
            noun = _noun_after(tokens, lower, m.end() + 1 + len(determiner[0]), joined)
            if noun is not None and kind_of_noun(noun) in ("money", "count"):
                return kind_of_noun(noun), None, None
            if noun in SHARE_NOUNS:  # "how big a share of the developer"
                return "percent", None, None
            if noun is not None and noun in FIGURE_NOUNS:  # "how big a premium": the premium's figure
                return "quantity", noun, None
        if word == "old":
            return "age", None, None
        if word == "long":
            return "duration", None, None
        if word == "often":
            return "phrase", None, None
        return "quantity", None, None
    if re.search(r"\bwhat (percentage|proportion|percent|share)\b", joined):
        return "percent", None, None
    if re.search(r"\bwhat time\b", joined):
        return "duration", None, None
    if re.search(r"^(?:[a-z]+ )?when\b|\b(?:what|which) (?:year|date|day|month)\b", joined):
        return "date", None, None
    wh = _wh_start(lower)
    if wh == "where":
        return "place", None, None
    if wh in ("who", "whom", "whose"):
        return "person", None, None
    if wh in ("which", "what"):
        head = _head_noun(tokens, lower)
        if head is None:
            # "what did the rafter use …": the object of the question's verb
            if re.search(r"\bwhat (?:did|does|do|will|would|has|have|had|could|can)\b", joined):
                # "what did the spokeswoman say about the river": the words said, not a thing (but
                # "what did he say about *when* they leave" asks the question it embeds)
                embedded = any(w in WH_WORDS for w in lower[lower.index("what") + 1:])
                if not embedded and any(t.pos_ == "VERB" and normalise(t.lemma_.lower()) in SPEECH_VERBS
                                        for t in tokens):
                    return "phrase", None, None
                if _asks_sum(tokens):
                    return "money", None, None
                return "thing", None, None
            return "phrase", None, None
        kind = kind_of_noun(head)
        if head in CAUSE_NOUNS:  # "what reasons did the firm give": why, answered by a sentence
            return "phrase", head, None
        if _SORT_OF.search(joined) and kind != "title":
            # "what kind of attitudes", "what sort of person": how the article describes them (but
            # "which type of aircraft" asks for a model's name)
            return "phrase", head, None
        named = bool(re.search(r"\b(?:name|title)\b", joined.split(head)[0] if head in joined else joined))
        return (kind or ("title" if named else "thing")), head, None
    return "phrase", None, None


def _asks_sum(tokens) -> bool:
    """Whether "what" is the sum of a verb of paying: "what does it cost Bramley to make a pair",
    "what did the club pay for him", "what will she earn" (but "what did they pay *tribute* to"
    has an object of its own)."""
    for t in tokens:
        # the question's main verb (the tagger reads a final "cost" as a noun), or the verb "what" hangs from
        main = t.dep_ == "ROOT" or (t.pos_ == "VERB" and any(c.lower_ == "what" for c in t.children))
        if main and normalise(t.lemma_.lower()) in SUM_VERBS:
            objects = [c for c in t.children if c.dep_ == "dobj" and c.lower_ not in ("what", "which")]
            return normalise(t.lemma_.lower()) != "pay" or not objects
    return False


_SORT_OF = re.compile(r"\b(?:what|which) (?:" + "|".join(sorted(SORT_NOUNS)) + r")\w* of\b")


def _noun_after(tokens, lower: list[str], char_end: int, joined: str) -> str | None:
    """Stem of the noun a "how many/much" phrase counts: the last noun before the verb."""
    at = len(joined[:char_end].split())
    found = None
    for t in tokens[at:]:
        if t.pos_ in ("NOUN", "PROPN"):
            found = t
        elif t.pos_ == "ADJ" or t.dep_ in ("amod", "compound") or t.text in ("-", "–"):  # "al-Qaeda fighters"
            continue
        else:
            break
    return normalise(found.lemma_.lower()) if found is not None else None


def _names(tokens, doc, terms: dict) -> tuple[tuple[str, ...], ...]:
    """The question's names of two words or more, as stem sequences: spaCy's name entities, and
    runs of proper nouns outside them (a hyphen kept inside, a possessive ending one, initials
    and a leading nationality or adjective left out). "the 2001 *Melbourne Cup*" asks about the Cup, not about Melbourne and a cup."""
    spans = [[t for t in ent] for ent in doc.ents if ent.label_ in NAME_LABELS]
    inside = {t.i for span in spans for t in span}
    run: list = []
    for t in tokens + [None]:
        if t is not None and t.pos_ == "PROPN" and t.i not in inside:
            run.append(t)
        elif not (t is not None and run and t.text in ("-", "–")):
            spans.append(run)
            run = []
    found = []
    for span in spans:
        while len(span) > 1 and (span[0].pos_ == "ADJ" or span[0].ent_type_ == "NORP"):
            span = span[1:]  # "*Afghan* Defence Ministry": the article may write "the Defence Ministry"
        stems = [stem_of(t.text) for t in span if t.text not in ("-", "–", "'s", "’s")]
        stems = [s for s in stems if s in terms and len(s) > 1]
        if len(stems) >= 2:
            found.append(tuple(stems))
    return tuple(dict.fromkeys(found))


def _figures(tokens) -> tuple[tuple[str, str], ...]:
    """The figures with a unit the question gives, as (number, unit stem): "in the *100 metres*
    butterfly" -> ("100", "metre"). A sentence giving the same unit with another number only is
    about something else (the 50 metres)."""
    found = []
    for t, nxt in zip(tokens, tokens[1:]):
        if t.like_num and re.fullmatch(r"\d[\d,.]*", t.text) and nxt.pos_ == "NOUN":
            found.append((t.text.replace(",", ""), stem_of(nxt.lemma_.lower())))
    return tuple(found)


FIGURE_NOUN_POS = ("NOUN", "PROPN", "VERB")
"""Tags of the noun after a figure and its unit ("50 metres *breaststroke*"): spaCy tags it a verb at times."""


def _figure_nouns(tokens) -> tuple[tuple[str, str, str], ...]:
    """The nouns a figure with a unit names a kind of, as (number, unit stem, noun stem): "the *100
    metres butterfly*" -> ("100", "metre", "butterfly"). A sentence giving the same figure of another
    noun only ("the 100 metres freestyle") is about something else."""
    return tuple((t.text.replace(",", ""), stem_of(unit.lemma_.lower()), stem_of(noun.lemma_.lower()))
                 for t, unit, noun in zip(tokens, tokens[1:], tokens[2:])
                 if t.like_num and re.fullmatch(r"\d[\d,.]*", t.text) and unit.pos_ == "NOUN" and noun.pos_ in FIGURE_NOUN_POS and noun.is_alpha)


def _unit_names(tokens, lower: list[str], unit: str | None) -> tuple[str, ...]:
    """Stems of the proper nouns between "how many" and the noun it counts ("how many *Al-Qaeda*
    fighters"): a figure of fighters qualified by another name counts other fighters."""
    if unit is None or "how" not in lower:
        return ()
    start = next((i for i in range(len(lower) - 1) if lower[i] == "how" and lower[i + 1] == "many"), None)
    if start is None:
        return ()
    names = []
    for t in tokens[start + 2:]:
        if normalise(t.lemma_.lower()) == unit:
            return tuple(names)
        if t.pos_ == "PROPN":
            names.append(stem_of(t.text))
    return ()


def _head_noun(tokens, lower: list[str]) -> str | None:
    """Stem of the noun a which/what question asks about: "which Italian *module*", "what was the
    name of the *hospital*" ("name of" defers to the noun after it when the lexicon knows that noun)."""
    start = next(i for i, w in enumerate(lower) if w in ("which", "what"))
    rest = tokens[start + 1:]
    # "what is/was the name of the X": the head is X when it names a kind
    # (but "which venue did the *title* bout take place at": a noun before another is a modifier)
    names = [i for i, t in enumerate(rest[:6]) if t.lower_ in ("name", "names", "title")
             and not (i + 1 < len(rest) and rest[i + 1].pos_ == "NOUN")]
    if names:
        after = rest[names[0] + 1:]
        if after and after[0].lower_ == "of":
            return _kind_noun_after_name(after[1:]) or _first_noun(after[1:]) or "name"
        return "name"
    if rest and rest[0].lower_ == "of":  # "which of the three soldiers …"
        rest = rest[1:]
    # "which *Secretary*'s handling …", "which company's shares …": the owner is asked for
    if len(rest) > 1 and rest[0].pos_ in ("NOUN", "PROPN") and rest[1].lower_ in ("'s", "’s"):
        return normalise(rest[0].lemma_.lower())
    # "what kind of attitudes …", "which type of aircraft …": the noun after "of"
    if len(rest) > 2 and normalise(rest[0].lower_) in SORT_NOUNS and rest[1].lower_ == "of":
        return _first_noun(rest[2:]) or normalise(rest[0].lower_)
    # "what is the *codename* of the taskforce", "what was the *cost* of the bridge": past the copula
    if len(rest) > 2 and rest[0].lower_ in ("is", "was", "are", "were") and rest[1].lower_ in ("the", "a", "an"):
        found = _first_noun(rest[2:], past_owner=True)
        if found is not None and kind_of_noun(found) is not None:
            return found
        # "what is the *price* tag on the vessel": a noun of no kind takes the kind of the noun
        # compounded before it
        for t in rest[2:]:
            if normalise(t.lemma_.lower()) == found and t.pos_ == "NOUN":
                kinds = [c for c in t.children if c.dep_ == "compound" and c.pos_ == "NOUN"
                         and kind_of_noun(normalise(c.lemma_.lower())) is not None]
                if kinds:
                    return normalise(kinds[-1].lemma_.lower())
                break
    return _first_noun(rest)


def _kind_noun_after_name(tokens) -> str | None:
    """The kind noun a name modifies after "the title of", where the tagger read it as a verb:
    "the title of the Colin Ashdown *play* the actress will star in" asks for a play, not for
    Ashdown. None where no such noun follows the phrase's first proper nouns."""
    i = 0
    while i < len(tokens) and tokens[i].pos_ == "DET":
        i += 1
    j = i
    while j < len(tokens) and tokens[j].pos_ == "PROPN":
        j += 1
    if j == i or j >= len(tokens) or tokens[j].pos_ not in ("VERB", "NOUN"):
        return None
    stem = normalise(tokens[j].lemma_.lower())
    return stem if kind_of_noun(stem) is not None else None


_MODIFIER_DEPS = ("compound", "npadvmod", "amod", "nmod", "punct")


def _first_noun(tokens, past_owner: bool = False) -> str | None:
    """The stem of the head of the first noun phrase: the last noun of a run of modifiers and nouns.

    A word the tagger took for a verb counts as a noun where the parse puts it in a noun's place
    ("the 6,800 kilogram *bomb*"). With `past_owner`, an owner is passed over ("what was the
    government's *margin* of defeat"; but "which UN team's report" asks for the team).
    """
    found = None
    for t in tokens:
        if past_owner and (t.dep_ == "case" or (t.dep_ == "poss" and t.head.i > t.i)):
            found = None
            continue
        nounlike = t.pos_ == "NOUN" or (t.pos_ in ("VERB", "PROPN") and t.dep_ in ("pobj", "dobj", "nsubj", "nsubjpass",
                                                                                  "attr"))
        if nounlike:
            found = t
            nxt = t.i + 1
            if nxt < len(t.doc) and t.doc[nxt].pos_ == "NOUN":
                continue
            if t.dep_ in _MODIFIER_DEPS and t.head.i > t.i:  # "chart-topping *album*": a modifier of a later noun
                continue
            break
        if t.head.i > t.i and (t.dep_ in _MODIFIER_DEPS or t.text in ("-", "–")):
            continue  # part of a modifier of a later word ("London-based", "-topping")
        if found is not None and t.head.i == found.i and found.head.i > t.i:
            continue  # a word of a modifier noun that qualifies a later one ("their number *one* second album")
        if found is None and (t.pos_ in ("ADJ", "ADV", "DET", "NUM", "PROPN") or t.dep_ in ("amod", "compound", "det", "poss",
                                                                                     "case", "nummod", "nmod")):
            continue
        break
    return normalise(found.lemma_.lower()) if found is not None else None


def _report_verb(tokens) -> str | None:
    """Stem of the question's reporting verb ("who *denied* reports that …"), if it has one."""
    for t in tokens:
        stem = normalise(t.lemma_.lower())
        if t.pos_ == "VERB" and stem in REPORTING_VERBS and t.dep_ in ("ROOT", "relcl", "acl", "ccomp", "conj"):
            return stem
    return None


def inverse_document_frequency(df: dict[str, int], n: int) -> Callable[[str], float]:
    """idf(stem) from the index's chunk document frequencies; an unseen stem gets the highest weight.

    >>> idf = inverse_document_frequency({"ship": 9}, 10)
    >>> round(idf("ship"), 3), idf("ship") < idf("rare")
    (0.769, True)
    """

    def idf(term: str) -> float:
        return math.log(1 + (n + 1) / (df.get(term, 0) + 0.5))

    return idf
