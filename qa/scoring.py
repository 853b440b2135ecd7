"""Scoring: how well each candidate sentence answers the question, and whether any does.

Owns: a sentence's coverage of the question's content (weighted stems; names count most; the
sentence's neighbours and its article's headline count for less), its similarity in meaning
(embedding cosine, for a shortlist), its best answer span (fit of type times closeness to the
matched question words), the combined score, and the abstention test: the question's names must
be in the article, its asked relation near the sentence, and a span of the asked kind there.
Does not: find spans (qa.spans), read annotations (qa.candidates) or write the answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from index.terms import STOPWORDS, words as split_words
from qa.candidates import ArticleText, Sentence
from qa.lexicon import (DIFFERENCE_NOUNS, FRAMING_VERBS, HEDGE_WORDS, JOB_LOSS_MEANS, JOB_LOSS_VERBS, JOB_NOUNS, LASTING_VERBS, POSSIBILITY_MODALS,
                        ORDER_WORDS, ORIGIN_PREPOSITIONS, ORIGIN_WORDS, REPORTING_VERBS, SYNONYMS,
                        agent_nouns, derived_forms, same_meaning)
from qa.question import FIGURE_NOUN_POS, Question, stem_of
from qa.spans import Span, find_spans, written_as_difference


OUTSIDE_CLOSENESS = 0.0  # a speaker named in another sentence: only its fit counts (0.3 and 0.5 did worse on tune)
WRONG_ROLE = 0.4  # a span doing what the question's one undergoes, or the reverse (chosen on tune)
FIGURE_KINDS = frozenset({"count", "money", "percent", "quantity", "age", "duration"})


@dataclass(frozen=True)
class ReadSettings:
    """Knobs of the reader (chosen on the tune splits of the gold sets; see README).

    Attributes:
        articles: how many of the best-ranked articles to read every sentence of.
        shortlist: sentences embedded to compare meaning (embedding is most of an answer's time).
        coverage_weight / semantic_weight / span_weight / retrieval_weight: the combined score.
        context_share: credit for a question word found in a neighbouring sentence instead.
        title_share: credit for a question word found in the article's headline.
        article_share: credit for a name of the question found elsewhere in the sentence's article
            (a sentence about "the survey" is about the survey the article names once).
        closeness: words at which a span's closeness to the matched question words halves.
        min_entities: share of the question's names (by weight) the article must hold.
        min_relation: share of the question's other content words the sentence and its
            neighbours must hold.
        min_predicate: for a question asking for a figure, the share of its predicates (its main
            verb other than a light one, and a predicate adjective such as "injured") the sentence
            and its neighbours must hold.
        paraphrase_semantic: a sentence this close in meaning may say the predicate in other words.
        relation_semantic: a sentence this close in meaning may say the question's other words in
            other words ("who is in charge of the airport": "the airport's managing director").
        min_span: an answer span must fit at least this well for a typed question.
        min_semantic: a best sentence less similar than this in meaning makes the reader abstain,
            unless it covers at least `covered` of the question's words (0.85 chosen on tune: every
            value from 0.65 to 0.89 answers the runner-up of bbc-style b3-u31 and changes nothing
            else there; the highest was taken).
        min_score: a best sentence scoring below this makes the reader abstain.
        keep_ratio: further sentences must score at least this share of the best one.
        differ_ratio: a different figure from another article is shown when its sentence scores
            at least this share of the best one.
        prefer_typed_ratio: for a question whose answer may be a phrase ("what did they use"), a
            sentence holding a span of the asked kind is preferred when it scores at least this
            share of the best sentence.
        max_statements: most statements (and citations) in one answer.
        elsewhere_ratio: a typed question abstains when the sentence best matching it has no span
            of the asked kind, and the best that has one scores below this share of it and lacks
            the asked relation (see qa.reader). 1.0 (chosen on tune, with closeness 4: three more
            near misses abstain, no answer lost) holds every such weaker sentence to the relation.
        prefer_predicate_ratio: for a typed question with an asked verb ("who coaches her"), a
            sentence with a span of the asked kind that says the verb ("her coach, Peter Haig") is
            preferred over a better one that does not, when it scores at least this share of it
            (0.85 chosen on tune: 0.9 loses the coach of bbc-style b4-q32, 0.75 has the near
            miss b4-q26 answered wrongly). It applies where the best sentence says the verb
            nowhere, or only by a word standing for it in a neighbour ("business leaders", for
            "who chaired"), and puts first the sentence saying it most plainly (see
            `says_predicate`). Not for attribution questions: the verb of what was said is no
            word the speaker's sentence need hold.
        date_relation: a date question is held to its predicate as a figure question is (see
            `min_predicate`) where the sentence and its neighbours hold less than this share of the
            question's other words (0.5 chosen on tune: bbc-style b4-q12 has 0.09 and abstains;
            b3-u47, "begin its run": "a six-week run from 3 May", has 0.61 and answers).
    """

    articles: int = 5
    shortlist: int = 14
    coverage_weight: float = 0.45
    semantic_weight: float = 0.35
    span_weight: float = 0.3
    retrieval_weight: float = 0.05
    context_share: float = 0.5
    title_share: float = 0.3
    article_share: float = 0.85
    closeness: float = 4.0
    min_entities: float = 0.5
    min_relation: float = 0.1
    min_predicate: float = 0.5
    paraphrase_semantic: float = 0.8
    relation_semantic: float = 0.6
    min_span: float = 0.3
    min_semantic: float = 0.15
    covered: float = 0.85
    min_score: float = 0.3
    keep_ratio: float = 0.85
    differ_ratio: float = 0.75
    prefer_typed_ratio: float = 0.7
    max_statements: int = 3
    elsewhere_ratio: float = 1.0
    prefer_predicate_ratio: float = 0.85
    date_relation: float = 0.5


@dataclass
class Scored:
    """A sentence with its score parts and its best answer span."""

    sentence: Sentence
    article: ArticleText
    coverage: float
    local: float  # coverage of the sentence alone
    entities: float  # share of the question's names in the article
    relation: float  # share of the other content words near the sentence
    predicate: float = 1.0  # share of the question's predicates (verbs, "injured") its article holds
    plain_predicate: bool = True  # whether it or a neighbour says a predicate by its own root, not a synonym
    subject_here: bool = True  # the question's subject is named in the sentence itself
    semantic: float = 0.0
    span: Span | None = None
    span_score: float = 0.0
    score: float = 0.0
    vector: np.ndarray | None = field(default=None, repr=False)
    stems: frozenset[str] = frozenset()
    place_here: bool = True  # the article names the places the question limits its fact to


def stems_of(article: ArticleText, first: int, last: int) -> set[str]:
    """The stems of words first..last-1 (lemma and surface form both); words saying jobs go
    ("340 posts will go") stand for "job" and "cut" too."""
    found = set()
    for w in article.words[first:last]:
        if re.search(r"\w", w.text):
            found.add(stem_of(w.lemma))
            found.add(stem_of(w.text.lower()))
            if w.text in ("US", "U.S.", "USA"):
                found.add("usa")  # the country, never the pronoun (see qa.lexicon.NATION_GROUPS)
    if found & JOB_NOUNS and found & JOB_LOSS_VERBS:
        found |= JOB_LOSS_MEANS
    return found


_ACRONYM_GLUE = frozenset({"of", "and", "for", "the", "&"})


def spelled_acronyms(article: ArticleText, first: int, last: int, wanted: frozenset[str] = frozenset()) -> set[str]:
    """The acronyms that runs of capitalised words spell ("United Nations" -> "un", "European
    Union's" -> "eu"), in lower case, so that a question's "UN" finds an article's name. A run
    joined by "of", "and", "for" spells both the whole ("Support and Sanctions Team" -> "sst")
    and its parts. Of the acronyms `wanted` (a question's, in lower case), those of three letters
    or more that words in any case spell one after another count too ("consumer prices index"
    -> "cpi")."""
    found: set[str] = set()
    words = [w.text for w in article.words[first:last]]
    for acronym in wanted:
        n = len(acronym)
        if n < 3:
            continue  # two words in a row spell "un" or "uk" far too often
        if any(all(len(x) > 1 and x[0].lower() == c and x.isalpha() for x, c in zip(words[i:i + n], acronym))
               for i in range(len(words) - n + 1)):
            found.add(acronym)
    run: list[str] = []
    part: list[str] = []

    def close(letters: list[str]) -> None:
        if 2 <= len(letters) <= 6:
            found.add("".join(letters))

    for w in article.words[first:last] + [None]:
        if w is not None and w.text[:1].isupper() and w.text.isalpha() and w.text.lower() != "the":
            run.append(w.text[0].lower())
            part.append(w.text[0].lower())
            continue
        if w is not None and run and w.text.lower() in _ACRONYM_GLUE:
            close(part)
            part = []
            continue
        close(run)
        close(part)
        run, part = [], []
    return found


def _matched(stem: str, stems: set[str]) -> bool:
    return stem in stems or bool(SYNONYMS.get(stem, frozenset()) & stems)


def _same_root(stem: str, stems: set[str]) -> bool:
    """Whether a stem or a word of its root (one beginning with the other: "chair", "chairwoman")
    is among the stems; no synonym counts."""
    return stem in stems or any(len(s) >= 4 and (s.startswith(stem) or stem.startswith(s))
                                for s in stems if len(stem) >= 3)


def _related(stem: str, stems: set[str]) -> bool:
    """Whether a stem, a word standing for it, or a word of the same root is among the stems
    ("recover" and "recovery", "lead" and "leader")."""
    return _matched(stem, stems) or _same_root(stem, stems)


def score_sentences(question: Question, articles: Sequence[ArticleText], question_vector: np.ndarray,
                    embed: Callable[[list[str]], np.ndarray], settings: ReadSettings) -> list[Scored]:
    """Every sentence of the articles scored, best first."""
    total = question.total_weight
    name_weight = sum(t.weight for t in question.terms if t.in_entity)
    # the asked noun names the answer's kind ("in which *suburb*"): the answer stands for it, so
    # it is not a word of the relation the sentence must hold
    kind_noun = {question.head} if question.head else set()
    # a description set off after a name ("X, the new MP for Y") says who is asked about: counted
    # where the sentence has it, never required of it
    kind_noun |= set(question.describes)
    other_weight = sum(t.weight for t in question.terms if not t.in_entity and t.stem not in kind_noun)
    # a question whose only other word is the one after "how" ("how *old* is the MP Robert
    # Hallam?") asks no relation beyond its names: "Mr Hallam, 52, ..." answers it
    if all(t.stem in question.kind_words for t in question.terms if not t.in_entity and t.stem not in kind_noun):
        other_weight = 0.0
    # the question's acronyms ("CPI"), looked for as words spelling them in any case
    acronyms = frozenset(a.lower() for a in re.findall(r"\b[A-Z]{2,5}\b", question.text))
    rows: list[Scored] = []
    for article in articles:
        own = [stems_of(article, s.first, s.last) | spelled_acronyms(article, s.first, s.last, acronyms)
               for s in article.sentences]
        whole = set().union(*own) if own else set()
        title = {stem_of(w) for w in re.findall(r"[\w'’-]+", (article.title or "").lower())}
        whole_with_title = whole | title
        # a name of two words counts only where the article writes it: "Melbourne Cup" is not
        # "Melbourne" and "World Cup"
        written = _written_stems(article) if question.names else None
        unnamed = {stem for name in question.names if not _writes(article, written, name) for stem in name}
        place_here = all(_matched(p, whole_with_title) for p in question.places)
        for n, sentence in enumerate(article.sentences):
            near = own[n] | (own[n - 1] if n else set()) | (own[n + 1] if n + 1 < len(own) else set())
            coverage = local = relation = names = extra = 0.0
            # a sentence naming no one ("The 27-year-old is on board ...") is about whom the one before names
            told = own[n] | (own[n - 1] if n and not any(m.label == "PERSON" for m in sentence.mentions) else set())
            subject_here = [_matched(t.stem, told) for t in question.terms if t.stem in question.subject]
            for term in question.terms:
                here = _matched(term.stem, own[n])
                credit = 1.0 if here else (settings.context_share if _matched(term.stem, near) else (
                    settings.title_share if _matched(term.stem, title) else 0.0))
                if term.in_entity and not here and _matched(term.stem, whole_with_title):
                    credit = max(credit, settings.article_share)
                coverage += term.weight * credit
                local += term.weight * here
                if term.in_entity:
                    names += term.weight * (_matched(term.stem, whole_with_title) and term.stem not in unnamed)
                elif term.stem not in kind_noun:
                    # a word of the same root counts ("performed": "its final performance")
                    relation += term.weight * (_matched(term.stem, near) or bool(derived_forms(term.stem) & near))
                elif _matched(term.stem, own[n]):  # the asked noun, where the sentence has it ("a fee of £6.5m")
                    relation += term.weight
                    extra += term.weight
            predicate = (sum(_related(p, near) for p in question.predicates) / len(question.predicates)
                         if question.predicates else 1.0)
            plain = not question.predicates or any(_same_root(p, near) for p in question.predicates)
            rows.append(Scored(sentence, article, coverage / total, local / total,
                               names / name_weight if name_weight else 1.0,
                               relation / (other_weight + extra) if other_weight else 1.0, predicate=predicate, plain_predicate=plain,
                               subject_here=not subject_here or any(subject_here),
                               stems=frozenset(own[n]), place_here=place_here))
    asked_years = set(_YEAR.findall(question.text))
    for row in rows:
        row.span, row.span_score = best_span(question, row, settings)
        if row.span is not None and question.qualifiers and conflicting_qualifier(question, row):
            row.span, row.span_score = None, 0.0  # "Labour's candidate" does not answer for the Conservative one
        if row.span is not None and question.figures and _other_figure(question, row):
            row.span, row.span_score = None, 0.0  # the 50 metres' time does not answer for the 100 metres
        if row.span is not None and question.figure_nouns and _other_figure_noun(question, row):
            row.span, row.span_score = None, 0.0  # the 50 metres backstroke's winner is not the breaststroke's
        if row.span is not None and question.orders and _other_order(question, row):
            row.span, row.span_score = None, 0.0  # whom he beat in the final round is not whom he played in the opening one
        if row.span is not None and asked_years and _other_year(asked_years, row):
            row.span, row.span_score = None, 0.0  # what is due "in the spring of 2006" is not what was "in 2004"
    short = sorted(rows, key=lambda r: -(r.coverage + 0.3 * r.span_score + settings.retrieval_weight * r.sentence.retrieval))
    short = short[: settings.shortlist]
    if short:
        vectors = embed([r.sentence.text for r in short])
        for row, vector in zip(short, vectors):
            row.vector = vector
            row.semantic = float(vector @ question_vector)
    for row in rows:
        row.score = (settings.coverage_weight * row.coverage + settings.semantic_weight * row.semantic
                     + settings.span_weight * row.span_score + settings.retrieval_weight * row.sentence.retrieval)
        if row.vector is None:
            row.score -= 1.0  # never embedded: never the answer
    return sorted(rows, key=lambda r: -r.score)


def says_predicate(question: Question, row: Scored) -> int:
    """How plainly the sentence says one of the question's predicates: 4 by the word or one of
    its root in the sentence itself ("chaired": "the group's chairwoman"), 3 by a word standing
    for it there ("dropped": "fell"), 2 by its root in a neighbouring sentence, 1 only by a word
    standing for it there ("chaired": "business leaders"), 0 not at all."""
    stems = set(row.stems)
    if any(_same_root(p, stems) for p in question.predicates):
        return 4
    if any(_related(p, stems) for p in question.predicates):
        return 3
    if row.plain_predicate:
        return 2
    return 1 if row.predicate > 0 else 0


def conflicting_qualifier(question: Question, row: Scored) -> bool:
    """Whether the sentence has a noun the question singles out by a nationality, party or place
    with another such name, and never the question's own: "Labour's candidate" for "the
    Conservative candidate", "300 US cinemas" for "British cinemas". The asked noun is left out
    ("which Indian newspaper": the answer names it)."""
    words = row.article.words
    asked = {question.head, stem_of(question.head or ""), *question.head_words}
    for modifier, noun in question.qualifiers:
        if _matched(modifier, set(row.stems)) or {noun, stem_of(noun)} & asked:
            continue  # "which Indian newspaper": the answer names the newspaper ("The Hindustan Times newspaper")
        for i in range(row.sentence.first, row.sentence.last):
            if words[i].pos != "NOUN" or stem_of(words[i].lemma) != noun:
                continue
            if question.role and row.span is not None and _describes_span(words, i, row.span):
                # "who coaches the British player": "Peter Haig, a former *Davis Cup player*" describes
                # the one asked for, not the other party the question qualifies
                continue
            for j in range(max(row.sentence.first, i - 6), i):
                w = words[j]
                if w.head != i or w.dep not in ("amod", "compound", "nmod", "poss"):
                    continue
                other = stem_of(w.lemma if w.pos != "PROPN" else w.text)
                if other[:4] == modifier[:4] or same_meaning(modifier, "usa" if w.text in ("US", "U.S.") else other):
                    continue  # "Norwegian" for "Norway's"
                if any(m.label in ("NORP", "GPE", "ORG") and m.first <= j <= m.last for m in row.sentence.mentions):
                    return True
    return False


def _describes_span(words, noun: int, span: Span) -> bool:
    """Whether a noun is set off after a span ("Peter Haig, a former Davis Cup *player*") or
    before it ("the *coach*, Peter Haig"): it says what the span's one is."""
    w = words[noun]
    if w.dep == "appos" and span.first <= w.head <= span.last:
        return True
    return any(words[j].dep == "appos" and words[j].head == noun for j in range(span.first, span.last + 1))


def _other_figure(question: Question, row: Scored) -> bool:
    """Whether the sentence gives a unit of the question's figures ("metres") with other numbers
    only: "won the 50 metres in 24.21 seconds" is not about "the 100 metres"."""
    words = row.article.words
    for number, unit in question.figures:
        given = {words[i].text.replace(",", "") for i in range(row.sentence.first, row.sentence.last - 1)
                 if stem_of(words[i + 1].lemma) == unit and re.fullmatch(r"\d[\d,.]*", words[i].text)}
        if given and number not in given:
            return True
    return False


def _other_order(question: Question, row: Scored) -> bool:
    """Whether the sentence places the question's noun elsewhere in its sequence and never where
    the question does: "in the *final* round" for "in the *opening* round"."""
    words = row.article.words
    for place, noun in question.orders:
        given = {ORDER_WORDS[w.text.lower()] for w in words[row.sentence.first:row.sentence.last]
                 if w.text.lower() in ORDER_WORDS and stem_of(words[w.head].lemma) == noun
                 and w.dep in ("amod", "compound", "nmod")}
        if given and place not in given:
            return True
    return False


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def _other_year(asked: set[str], row: Scored) -> bool:
    """Whether the date nearest the span is of another year than the question's: "the ship ... is
    due to enter service in the spring of 2006" says nothing of "the first half of 2004"; "a profit
    of £62.5m in the year to 31 December, up from £54.8m in 2003" is dated by its own date first."""
    span = row.span
    dates = [m for m in row.sentence.mentions if m.label == "DATE"]
    if span is None or not dates:
        return False
    nearest = min(dates, key=lambda m: m.first - span.last if m.first > span.last else span.first - m.last)
    given = set(_YEAR.findall(nearest.text))
    return bool(given) and not given & asked


def _other_figure_noun(question: Question, row: Scored) -> bool:
    """Whether the sentence gives a figure of the question's ("50 metres") of another noun only:
    "the 50 metres *backstroke*" is not "the 50 metres *breaststroke*"."""
    words = row.article.words
    for number, unit, noun in question.figure_nouns:
        given = {stem_of(words[i + 2].lemma) for i in range(row.sentence.first, row.sentence.last - 2)
                 if words[i].text.replace(",", "") == number and stem_of(words[i + 1].lemma) == unit
                 and words[i + 2].pos in FIGURE_NOUN_POS and words[i + 2].text.isalpha()}
        if given and not any(g == noun or same_meaning(noun, g) for g in given):
            return True
    return False


def _written_stems(article: ArticleText) -> tuple[list[list[str]], list[str]]:
    """The article's stems once for `_writes`: the headline's and the body's content stems in
    order ("@CBSNews" split into "CBS News"), and each word's stem (row i for word i)."""
    sequences = [split_words(article.title or ""), [part for w in article.words for part in split_words(w.text)]]
    content = [[stem for stem in map(stem_of, seq) if len(stem) > 1 and stem not in STOPWORDS] for seq in sequences]
    return content, [stem_of(w.text) for w in article.words]


def _writes(article: ArticleText, written: tuple[list[list[str]], list[str]], name: tuple[str, ...]) -> bool:
    """Whether the article may be about a name of two words or more: it writes the words in a row
    (initials, stopwords, hyphens and possessives aside; "@CBSNews" is "CBS News"), or it has the
    name's last word other than as the end of another name. "Melbourne Cup" is not in an article
    whose only cups are the "World Cup" and the "Hopman Cup"; "the Defence Ministry" may be the
    "Afghan Defence Ministry". `written` is the article's `_written_stems`."""
    sequences, word_stems = written
    n = len(name)
    for seq in sequences:
        for i, stem in enumerate(seq):
            if stem == name[0] and tuple(seq[i:i + n]) == name:
                return True
    words = article.words
    for i, stem in enumerate(word_stems):
        if stem == name[-1]:
            before = words[i - 1] if i else None
            if before is None or before.pos != "PROPN" or word_stems[i - 1] == name[-2]:
                return True
    return False


_ACCORDING_TO = re.compile(r"\s*according to ([^,?]+),", re.I)


def source_stems(question: str) -> set[str]:
    """The stems of the source a question opens with ("According to X, ..."): not words of the
    relation an answer span is held near.

    >>> sorted(source_stems("According to Solomon Lew, what share of the market does Qantas hold?"))
    ['lew', 'solomon']
    >>> source_stems("What share of the market does Qantas hold, according to Lew?")
    set()
    """
    source = _ACCORDING_TO.match(question)
    return {stem_of(w) for w in re.findall(r"[\w'’-]+", source.group(1).lower())} if source else set()


def best_span(question: Question, row: Scored, settings: ReadSettings) -> tuple[Span | None, float]:
    """The sentence's span of the asked kind that fits best and sits nearest the question's words."""
    spans = find_spans(question, row.sentence, row.article)
    if not spans:
        return None, 0.0
    article = row.article
    anchors = []
    # the asked relation's and the subject's words count double: the figure of "revised its forecast
    # to 30" is the revised one, the age of "how old is Razzano, whom Seles beat" is Razzano's
    # "According to Solomon Lew, what share ...": the source of the claim is no word of its relation,
    # so the figure nearest "Mr Lew said" is not the one he gives for the share
    told_by = source_stems(question.text)
    stems = {t.stem: t.weight * (2.0 if t.stem in question.predicates or t.stem in question.subject else 1.0)
             for t in question.terms if t.stem not in question.kind_words and t.stem not in told_by}
    # "who chaired the campaign": "the group's *chairwoman*, Sunita Dhar" names the one who did it
    doers = {noun: stems[p] for p in question.predicates if p in stems for noun in agent_nouns(p)}
    for i in range(row.sentence.first, row.sentence.last):
        w = article.words[i]
        for stem in (stem_of(w.lemma), stem_of(w.text.lower())):
            weight = (stems.get(stem) or next((v for s, v in stems.items() if same_meaning(s, stem)), None)
                      or (doers.get(stem) if w.pos == "NOUN" else None))
            if weight:
                anchors.append((i, weight))
                break
    best, best_score = None, 0.0
    matched = sum(weight for _, weight in anchors) or 1.0
    inside = range(row.sentence.first, row.sentence.last)
    for span in spans:
        if span.first not in inside:  # a speaker named in the sentence before or after
            close = OUTSIDE_CLOSENESS
        elif anchors:  # near the most (weighted) question words, not merely near one of them;
            # the verb whose subject or object the span is counts as next to it ("Thirty per cent
            # of firms plan to hire ..., while 12 per cent expect ...": plan's figure is thirty)
            governors = subject_sharing_verbs(article, clause_verb(article, span), span)
            close = sum(weight / (1.0 + (0 if i in governors else _distance(span, i)) / settings.closeness)
                        for i, weight in anchors) / matched
        else:
            close = 0.3
        score = span.fit * (0.5 + 0.5 * close)
        if question.role and not question.report_verb and span.first in inside:
            role = span_role(article, span, question)
            # "whom did Rafter beat": not who beat someone, nor whom someone else beat
            if role is not None and (role[0] != question.role or _other_named(article, role[1], role[0], question)):
                score *= WRONG_ROLE
        if question.asks_origin and question.kind in ("place", "organisation") and _not_origin(article, span):
            score *= WRONG_ROLE  # "which town does he come from": not where he broke the record
        if question.owner and span.first in inside and owned_by_other(question, article, span):
            score *= WRONG_ROLE  # "Bury's home ground": not "beating Bury 2-1 at *their* Flaxley Lane ground"
        if question.asks_past and span.first in inside and hypothetical(article, span):
            score *= WRONG_ROLE  # "where did the bout take place": not where one may be held
        if score > best_score:
            best, best_score = span, score
    return best, best_score


def owned_by_other(question: Question, article: ArticleText, span: Span, most_steps: int = 6) -> bool:
    """Whether the asked noun the span names belongs to another than the question's owner: for
    "Bury's home ground", "Selby beat Bury 2-1 at *their* Flaxley Lane ground" (a possessive pronoun
    stands for the subject of its clause, Selby) or "at *Selby's* Flaxley Lane ground"."""
    words = article.words
    heads = {question.head, *question.head_words}
    h = span_head(article, span)
    noun = h if stem_of(words[h].lemma) in heads else words[h].head
    if stem_of(words[noun].lemma) not in heads:
        return False
    owner = next((j for j in range(max(0, noun - 8), noun) if words[j].head == noun and words[j].dep == "poss"), None)
    if owner is None:
        return False
    if words[owner].pos == "PRON":
        i = noun
        for _ in range(most_steps):  # up to the nearest verb with a subject of its own
            subject = next((j for j in range(max(0, i - 30), i) if words[j].head == i and words[j].dep in ("nsubj", "nsubjpass")), None)
            if subject is not None or words[i].head == i:
                break
            i = words[i].head
        if subject is None:
            return False
        owner = subject
    named = {stem_of(words[j].text) for j in range(max(0, owner - 4), owner + 1)
             if words[j].pos == "PROPN" and (j == owner or words[j].head == owner)}
    return bool(named) and not named & set(question.owner)


def hypothetical(article: ArticleText, span: Span, most_steps: int = 6) -> bool:
    """Whether the span is given as a possibility, not a fact: on its way up the parse a verb
    frames it with a hope or a plan, takes a modal of possibility, or a hedge qualifies it ("he
    *hoped* to arrange a title fight, *possibly* in Cardiff", "the final *could* be held at Wembley")."""
    words = article.words
    low, high = max(0, span.first - 40), min(len(words), span.last + 40)
    i = span_head(article, span)
    for _ in range(most_steps):
        w = words[i]
        if w.pos == "VERB" and stem_of(w.lemma) in FRAMING_VERBS:
            return True
        for j in range(low, high):
            c = words[j]
            if c.head == i and j != i and ((c.dep == "aux" and c.text.lower() in POSSIBILITY_MODALS)
                                           or (c.dep == "advmod" and c.text.lower() in HEDGE_WORDS)):
                return True
        if w.head == i or (w.pos in ("VERB", "AUX") and w.dep != "xcomp"):
            return False  # up to the clause's own verb, through the infinitives it frames ("hoped to arrange")
        i = w.head
    return False


def _not_origin(article: ArticleText, span: Span) -> bool:
    """Whether a place follows a preposition that does not give an origin: "at the Manchester
    Velodrome", not "from Carmarthen", "of Leeds" or "born in Hull"."""
    words = article.words
    i = span.first - 1
    while i >= 0 and words[i].lemma in ("the", "a", "an") and words[i].pos == "DET":
        i -= 1
    if i < 0 or words[i].pos != "ADP":
        return False
    preposition = words[i].text.lower()
    if preposition in ORIGIN_PREPOSITIONS:
        return False
    return not (i and words[i - 1].text.lower() in ORIGIN_WORDS)


def _other_named(article: ArticleText, verb: int, role: str, question: Question) -> bool:
    """Whether the verb's other party (its subject for a patient, its object for an agent) is a
    name the question does not give."""
    stems = question.stems()
    for j in range(max(0, verb - 30), min(len(article.words), verb + 30)):
        w = article.words[j]
        if w.head == verb and j != verb and w.pos == "PROPN" and (
                (role == "patient" and w.dep == "nsubj") or (role == "agent" and w.dep == "dobj")):
            named = {stem_of(x.text) for x in article.words[max(0, j - 3):j + 1] if x.pos == "PROPN"}
            return not named & stems
    return False


def span_role(article: ArticleText, span: Span, question: Question) -> tuple[str, int] | None:
    """Whether a span does ("agent") or undergoes ("patient") the action of a verb the question
    asks about, from the parse: a subject does, an object or a passive subject undergoes, "by X"
    of a passive does. None when the span hangs from no verb of the question."""
    words = article.words
    w = words[span_head(article, span)]
    if w.dep == "pobj" and words[w.head].dep == "agent":
        role, verb = "agent", words[w.head].head
    elif w.dep == "nsubj":
        role, verb = "agent", w.head
    elif w.dep in ("nsubjpass", "dobj"):
        role, verb = "patient", w.head
    else:
        return None
    asked = {t.stem for t in question.terms if not t.in_entity}
    v = words[verb]
    if v.pos != "VERB" or not any(_related(stem, {stem_of(v.lemma)}) for stem in asked):
        return None
    return role, verb


def span_head(article: ArticleText, span: Span) -> int:
    """The word index of the span's own head: the word of it whose head lies outside it."""
    i = span.last
    while article.words[i].head != i and span.first <= article.words[i].head <= span.last:
        i = article.words[i].head
    return i


def clause_verb(article: ArticleText, span: Span, most_steps: int = 4) -> int | None:
    """The word index of the verb a span hangs from (its subject, object or a phrase of either),
    or None when no verb is found within a few steps up the parse."""
    i = span_head(article, span)
    for _ in range(most_steps):
        head = article.words[i].head
        if head == i:
            return None
        i = head
        if article.words[i].pos in ("VERB", "AUX"):
            return i
    return None


def subject_sharing_verbs(article: ArticleText, verb: int | None, span: Span) -> set[int]:
    """The verb a span hangs from and, where the span is its subject, the verbs that take the
    same subject without naming one of their own: an infinitive ("Pike rose ... *to head* in a
    corner", "she went on *to win*"). Not a conjoined verb: the parser hangs "and wing Euan
    Dalgleish scored" from the verb of the name before, without a subject of its own."""
    if verb is None:
        return set()
    words = article.words
    head = span_head(article, span)
    verbs = {verb}
    if words[head].dep != "nsubj" or words[head].head != verb:
        return verbs
    low, high = max(0, verb - 40), min(len(words), verb + 40)
    for j in range(low, high):
        w = words[j]
        if w.head != verb or j == verb or w.pos != "VERB":
            continue
        own_subject = any(words[k].head == j and words[k].dep in ("nsubj", "nsubjpass") for k in range(low, high))
        infinitive = w.dep == "xcomp" or (w.dep == "advcl" and any(
            words[k].head == j and words[k].dep == "aux" and words[k].lemma == "to" for k in range(low, high)))
        if infinitive and not own_subject:
            verbs.add(j)
    return verbs


def _distance(span: Span, i: int) -> int:
    if span.first <= i <= span.last:
        return 0
    return span.first - i if i < span.first else i - span.last


def abstain_reason(question: Question, best: Scored, settings: ReadSettings) -> str | None:
    """Why the best sentence may not answer, or None when it may.

    It may when its article holds the question's names, the sentence and its neighbours hold the
    asked relation (its predicates and enough of its other words), a typed question finds a span
    of its kind there, and the sentence is close enough in meaning and score.
    """
    if best.entities < settings.min_entities:
        return "the article lacks the names the question gives"
    if not best.place_here:  # "when will the PSP go on sale in Australia": an article about Europe
        return "the article does not name the place the question asks about"
    # a figure means nothing without its relation ("4 injured" is not "4 killed"); names answer
    # relations that news paraphrases freely, so only figures are held to the question's verb
    # (unless the question asks for the figure by a noun the sentence has: "what speed *limit* have
    # police imposed" is answered by "police have reduced the speed limit ... to 80")
    # (a date too, unless the sentence holds much of the question's other words: "in what year
    # was the housebuilder *established*" is not answered by the year its sales fell, where "begin
    # its run in north London" is by "transfer to the Tricycle Theatre in north London for a
    # six-week run from 3 May")
    unrelated = ((question.kind in FIGURE_KINDS or (question.kind == "date" and best.relation < settings.date_relation))
                 and best.predicate < settings.min_predicate
                 and best.semantic < settings.paraphrase_semantic
                 and not (question.head is not None and question.head in best.stems)
                 and not (question.kind == "duration" and lasts(question, best))
                 and not (question.head in DIFFERENCE_NOUNS and best.span is not None
                          and written_as_difference(best.article, best.span)))
    if (best.relation < settings.min_relation and best.semantic < settings.relation_semantic) or unrelated:
        return "the passage does not say what the question asks about its subject"
    # an age is a person's: "the champion 19-year-old" a sentence after "coach Doug Frost" is
    # someone else's age, so the sentence giving an age must name whom the question asks about
    if question.kind == "age" and question.subject_is_named and not best.subject_here:
        return "the passage gives an age but not of the person asked about"
    if question.strict and (best.span is None or best.span_score < settings.min_span):
        return f"no {question.kind} of the kind asked for is given there"
    # "whom did Fraser play in the opening round": a sentence with none of the asked relation's
    # words near it ("finished half a point ahead of Oleg Pavlenko") names no one who was played
    if question.kind == "person" and question.role and best.predicate == 0 and best.relation == 0:
        return "the passage does not say what the question asks about its subject"
    # "who has been appointed to lead the inquiry" is not answered by "Plaid Cymru's spokesman,
    # Dafydd Ellis, said the case raised questions": one who only speaks there does not do what
    # is asked, unless the question's own nouns name him ("Chief executive Paul Batchelor said"); a
    # question naming a kind of person ("which councillor attacked the trial") asks for a speaker
    # as often as not ("Councillor Mark Danvers said the money would be better spent ...")
    if (question.kind == "person" and question.head is None and question.predicates and not question.report_verb
            and best.predicate == 0
            and best.span is not None and only_speaks(best.article, best.span) and not _introduced(question, best)):
        return "the passage names only someone speaking, not who did what the question asks"
    # "who was the Conservative candidate": a sentence that does not say "candidate" (or a word for
    # it) does not say who was one, however many of the question's names it has (only a noun a
    # qualifier picks out: a plain "who is the author of the drama" is answered by "written by X")
    described = [noun for _, noun in question.qualifiers if noun in question.subject]
    if (question.kind == "person" and not question.predicates and not question.report_verb and described
            and not any(_matched(noun, set(best.stems)) for noun in described)):
        return "the passage does not name the one the question describes"
    # a sentence holding nearly all the question's words ("Fraser finished half a point ahead of
    # Oleg Pavlenko" for "who was runner-up at the Hastings congress") answers however far its
    # embedding is from the question's
    covered = best.coverage >= settings.covered and best.score >= settings.min_score
    if (best.semantic < settings.min_semantic or best.score < settings.min_score) and not (
            _introduced(question, best) or covered):
        return "the closest passage is not close enough"
    return None


def lasts(question: Question, row: Scored) -> bool:
    """Whether the span says how long a thing the question names goes on: "a consultation ...
    will *run for 12 weeks*" for "how long do people have to respond to the consultation"."""
    if row.span is None or row.span.first < row.sentence.first or row.span.last >= row.sentence.last:
        return False
    words = row.article.words
    verb = clause_verb(row.article, row.span)
    if verb is None or stem_of(words[verb].lemma) not in LASTING_VERBS:
        return False
    asked = {t.stem for t in question.terms}
    return any(w.head == verb and w.dep in ("nsubj", "nsubjpass") and stem_of(w.lemma) in asked
               for w in words[row.sentence.first:row.sentence.last])


def only_speaks(article: ArticleText, span: Span) -> bool:
    """Whether the span is the subject of a reporting verb ("X said", "said X", "his spokesman,
    X, said") or the source of "according to X", and so is named as a speaker."""
    words = article.words
    w = words[span_head(article, span)]
    if w.dep == "appos":
        w = words[w.head]
    if w.dep == "nsubj":
        verb = words[w.head]
        return verb.pos == "VERB" and stem_of(verb.lemma) in REPORTING_VERBS
    if w.dep == "pobj":
        to = words[w.head]
        return to.text.lower() == "to" and words[to.head].text.lower() == "according"
    return False


def _introduced(question: Question, row: Scored) -> bool:
    """Whether the span comes right after the question's own words for it ("who is the chief
    executive of AMP": "Chief executive *Paul Batchelor* said ..."), so the sentence answers
    however little the rest of it is about the question."""
    if row.span is None:
        return False
    asked = [t.stem for t in question.terms if not t.in_entity and t.stem not in question.kind_words]
    before = row.article.words[max(0, row.span.first - 2):row.span.first]
    nouns = [w for w in before if w.pos == "NOUN"]
    return bool(asked) and bool(nouns) and all(stem_of(w.lemma) in asked or stem_of(w.text) in asked for w in nouns)
