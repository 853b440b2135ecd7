"""The reader: retrieved passages in, a cited answer out, in one-way stages.

    question analysis (qa.question) -> candidates (qa.candidates) -> scoring (qa.scoring)
    -> choosing statements (here) -> writing (qa.writing) -> verification (qa.verify)

Owns: running those stages in order and choosing the statements: the best sentence, others
nearly as good (near-copies folded into "also reported by"), a denial paired with a claim, and
each statement's lead (its answer span, a surname widened to the article's fullest mention of
the person). Does not: retrieve, embed the question, or follow anything written in an article.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Callable, Sequence

import numpy as np

from index import Article
from qa.candidates import ArticleText
from qa.lexicon import ANAPHORIC_DETERMINERS, CAUSE_BEFORE_TO, CAUSE_WORDS, NAME_TITLES, PERSON_PRONOUNS, same_meaning
from qa.question import Question, stem_of
from qa.scoring import FIGURE_KINDS, ReadSettings, Scored, abstain_reason, says_predicate, score_sentences
from qa.spans import Span, find_spans, fullest_name, resolve_person
from qa.types import Citation, Passage
from qa.verify import verify_answer
from qa.writing import Lead, Statement, lead_is_near, quote_bounds, write_answer

ABSTAIN_TEXT = ("The articles do not answer this. The closest passages found are listed below; "
                "none of them says it.")
_DUPLICATE_OVERLAP = 0.5  # word overlap (Jaccard) above which two sentences count as the same report
_DUPLICATE_COSINE = 0.92  # embedding similarity above which two sentences count as the same report
DENIAL_SIMILARITY = 0.45
DENIAL_MIN_SEMANTIC = 0.25  # a denial from another article must be this close to the question in meaning
SURE_FIT = 0.9  # a span fitting the asked kind this well is shown as a lead beside the best one  # a denial elsewhere is paired with the answer when this similar to it


def read_answer(question: Question, pool: Sequence[Passage], question_vector: np.ndarray, *,
                articles: dict[str, Article], load_articles: Callable[[Sequence[Passage], int], list[ArticleText]],
                embed: Callable[[list[str]], np.ndarray], settings: ReadSettings) -> tuple[str, list[Citation]]:
    """The answer text and citations for a question over the retrieved pool; ("", []) means abstain."""
    texts = load_articles(pool, settings.articles)
    scored = score_sentences(question, texts, question_vector, embed, settings)
    statements = choose_statements(question, scored, settings)
    if not statements:
        return "", []
    text, citations = write_answer(statements, articles, kind=question.kind, asks_denial=question.asks_denial)
    return verify_answer(text, citations, articles)


def choose_statements(question: Question, scored: list[Scored], settings: ReadSettings) -> list[Statement]:
    """The statements to answer with, best first; empty means abstain."""
    embedded = [row for row in scored if row.vector is not None]
    typed = [row for row in embedded if row.span is not None and row.span_score >= settings.min_span]
    if question.strict:
        fitting = typed
    elif typed and embedded and typed[0].score >= settings.prefer_typed_ratio * embedded[0].score:
        # a thing asked for ("what did the rafter use …"): the sentence that names one, over the
        # sentence that only restates the question, when it is nearly as good
        fitting = typed + [row for row in embedded if row not in typed]
    else:
        fitting = embedded
    if question.strict and question.predicates and not question.report_verb and fitting and says_predicate(question, fitting[0]) < 2:
        # "who coaches the British player": the sentence saying "coach" over the one that only
        # names the player (or says it only by a word standing for it, a sentence away), when it
        # is nearly as good; the plainest saying of it first
        near = [fitting[0]] + [row for row in fitting[1:] if row.score >= settings.prefer_predicate_ratio * fitting[0].score
                               and abstain_reason(question, row, settings) is None]
        plainest = max(says_predicate(question, row) for row in near)
        saying = next(row for row in near if says_predicate(question, row) == plainest)
        if saying is not fitting[0]:
            fitting = [saying] + [row for row in fitting if row is not saying]
    if question.asks_denial:
        denying = [is_denial(row) for row in fitting]
        fitting = [row for row, d in zip(fitting, denying) if d] + [row for row, d in zip(fitting, denying) if not d]
    if not fitting or abstain_reason(question, fitting[0], settings) is not None:
        return []
    if question.asks_cause and not gives_cause(fitting[0]):
        # "what reasons did Northway give for closing the depots": the article's sentence giving a
        # cause ("... blamed rising fuel costs"), over the one that restates what happened
        cause = next((row for row in fitting if row.article is fitting[0].article and row.vector is not None
                      and row.score >= settings.min_score and gives_cause(row)), None)
        if cause is not None:
            fitting = [cause] + [row for row in fitting if row is not cause]
    if question.strict and embedded and _answer_elsewhere(question, fitting[0], embedded[0], settings):
        return []
    best = fitting[0]
    statements: list[Statement] = []
    for row in fitting:
        if len(statements) == settings.max_statements or row.score < settings.keep_ratio * best.score:
            break
        if _quoted_already(row, statements):
            continue  # its sentence is inside an earlier statement's quote: quoting it again says nothing new
        if not _fold_duplicate(row, statements):
            role = "denial" if question.asks_denial else "answer"
            statements.append(Statement(row, lead=make_lead(question, row), role=role,
                                        speaker_from=speaker_sentence_start(row)))
    if question.strict and question.kind not in FIGURE_KINDS:
        _add_continuation(question, fitting, statements, settings)
    if question.kind in FIGURE_KINDS:
        _add_other_figures(fitting, statements, settings)
    if not question.asks_denial:
        _add_denial(embedded, statements, settings)
    for row in embedded:  # the same report in other articles, even when it scored lower
        _fold_duplicate(row, statements)
    return statements


def gives_cause(row: Scored) -> bool:
    """Whether a sentence gives a cause: "because", "blamed", "citing", "the reason", "caused by",
    or "due to" / "owing to" / "thanks to" before a noun (not "due to open")."""
    words = row.article.sentence_words(row.sentence)
    for n, word in enumerate(words):
        lemma = stem_of(word.lemma)
        if lemma in CAUSE_WORDS:
            return True
        if (lemma in CAUSE_BEFORE_TO and n + 2 < len(words) and words[n + 1].lemma == "to"
                and words[n + 2].pos not in ("VERB", "AUX")):
            return True
    return False


def _add_continuation(question: Question, rows: list[Scored], statements: list[Statement],
                      settings: ReadSettings) -> None:
    """The sentence right after the first statement's, when it goes on about the asked thing by a
    noun of the question ("is to build a new factory in south Wales. *The plant*, on a former
    steelworks site near Port Talbot, ...") and gives another span of the asked kind: the more
    specific fact is often a line after the sentence restating the question."""
    if not statements or len(statements) == settings.max_statements:
        return
    first = statements[0].main
    words = first.article.words
    stems = question.stems()
    for row in rows:
        sentence = row.sentence
        if (row.article is not first.article or sentence.position != first.sentence.position + 1
                or row.span is None or row.span_score < settings.min_span
                or any(s.main is row for s in statements) or _quoted_already(row, statements)):
            continue
        opening = words[sentence.first:sentence.first + 2]
        if len(opening) < 2 or opening[0].text.lower() not in ANAPHORIC_DETERMINERS or opening[1].pos != "NOUN":
            continue
        noun = stem_of(opening[1].lemma)
        if noun in stems or any(same_meaning(noun, stem) for stem in stems):
            lead = make_lead(question, row)
            # it says more of the thing the first statement is about: its lead is shown beside that one's
            statements.append(Statement(row, lead=lead and dataclasses.replace(lead, sure=True), role="answer",
                                        speaker_from=speaker_sentence_start(row)))
        return


def _quoted_already(row: Scored, statements: list[Statement]) -> bool:
    """Whether the row's sentence lies inside the quote of a statement already chosen (a quote
    widened to the sentence naming its speaker holds that sentence already)."""
    sentence = row.sentence
    for statement in statements:
        if statement.main.sentence.doc_id == sentence.doc_id:
            start, end = quote_bounds(statement)
            if start <= sentence.start and sentence.end <= end:
                return True
    return False


def _answer_elsewhere(question: Question, typed: Scored, best: Scored, settings: ReadSettings) -> bool:
    """Whether the sentence that best matches the question holds no answer of the asked kind,
    and the best sentence that does is a weaker one without the asked relation: a near miss
    ("the administrators have a buyer for the network" names no buyer; a company named further
    on buys nothing). A span named by the question's own noun ("editor Rebekah Wade" for
    "which editor") is kept."""
    if typed is best or not question.predicates or typed.predicate > 0:
        return False
    if typed.score >= settings.elsewhere_ratio * best.score or typed.span is None:
        return False
    words = typed.article.words
    near = words[max(0, typed.span.first - 2):typed.span.first] + words[typed.span.last + 1:typed.span.last + 2]
    heads = set(question.head_words) or ({question.head} if question.head else set())
    return not any(stem_of(w.lemma) in heads or stem_of(w.text) in heads for w in near)


def _add_other_figures(rows: list[Scored], statements: list[Statement], settings: ReadSettings) -> None:
    """Where another article gives a different figure for the same question nearly as well, show it
    too: the answer then says the sources differ, and cites each."""
    best = statements[0].main
    shown = {s.lead.text.lower() for s in statements if s.lead}
    for row in rows:
        if len(statements) >= settings.max_statements or row.score < settings.differ_ratio * best.score:
            break
        if row.sentence.doc_id in {s.main.sentence.doc_id for s in statements} or row.span is None:
            continue
        if row.span.text.lower() not in shown and not _fold_duplicate(row, statements):
            statements.append(Statement(row, lead=Lead(row.span.text, row.span.start, row.span.end), role="answer"))
            shown.add(row.span.text.lower())


_LIST_GLUE = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+)\s*$")
_NAME_LISTED = re.compile(r"(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*")


def listed_with(span: Span, spans: Sequence[Span], body: str) -> Span:
    """The span widened to the list of spans it stands in, joined by commas and "and"
    ("Khost, Kunar, Nuristan, Paktiya and Zabul").

    >>> s = [Span(0, 5, "Khost", 1, 0, 0), Span(7, 12, "Kunar", 1, 2, 2), Span(17, 22, "Zabul", 1, 4, 4)]
    >>> listed_with(s[1], s, "Khost, Kunar and Zabul.").text
    'Khost, Kunar and Zabul'
    >>> listed_with(s[0], s[:1], "Khost, Paktiya and Zabul are named.").text
    'Khost, Paktiya and Zabul'
    """
    ordered = sorted(spans, key=lambda s: s.start)
    if span not in ordered:
        return span
    i = j = ordered.index(span)
    while i > 0 and _LIST_GLUE.fullmatch(body[ordered[i - 1].end:ordered[i].start]):
        i -= 1
    while j + 1 < len(ordered) and _LIST_GLUE.fullmatch(body[ordered[j].end:ordered[j + 1].start]):
        j += 1
    first, end = ordered[i], ordered[j].end
    while (more := _NAME_LISTED.match(body, end)) is not None:  # names spaCy did not tag: "…, Paktiya and Zabul"
        end = more.end()
    if i == j and end == span.end:
        return span
    return Span(first.start, end, body[first.start:end], span.fit, first.first, ordered[j].last)


_NAME_TITLE_BEFORE = re.compile(r"\b(?:" + "|".join(sorted(NAME_TITLES)) + r")\s+$")


def make_lead(question: Question, row: Scored) -> Lead | None:
    """The words the statement leads with: its span, a person's name in full where the article gives it."""
    span = row.span
    if span is None:
        return None
    if question.plural:  # "which five provinces": the whole list the best one stands in
        span = listed_with(span, find_spans(question, row.sentence, row.article), row.article.body)
    if question.kind == "person":
        fuller = fullest_name(row.article, span)
        if fuller is not None and lead_is_near(row.article, row.sentence.position, fuller.start):
            return Lead(fuller.text, fuller.start, fuller.end, sure=span.fit >= SURE_FIT)
        # a peer's or knight's title is part of a name given without a first name ("Lord Ellesmere")
        titled = _NAME_TITLE_BEFORE.search(row.article.body[max(0, span.start - 12):span.start])
        if titled and " " not in span.text.strip():
            start = span.start - len(titled.group(0))
            return Lead(row.article.body[start:span.end], start, span.end, sure=span.fit >= SURE_FIT)
    return Lead(span.text, span.start, span.end, sure=span.fit >= SURE_FIT)


def speaker_sentence_start(row: Scored) -> int | None:
    """Where the quote must start to name a speaker the sentence gives only as a pronoun."""
    for speech in row.sentence.speeches:
        if speech.speaker is None:
            continue
        said = row.article.body[speech.speaker[0]:speech.speaker[1]].lower()
        if said in PERSON_PRONOUNS:
            person = resolve_person(row.article, row.sentence, speech.speaker[0], pronoun=True)
            if person is not None and person.start < row.sentence.start:
                return next(s.start for s in row.article.sentences if s.start <= person.start < s.end)
    return None


def is_denial(row: Scored) -> bool:
    """Whether the sentence denies or rejects something (by its words: "denied", not "space refuse")."""
    return row.article.denies(row.sentence.first, row.sentence.last)


def _fold_duplicate(row: Scored, statements: list[Statement]) -> bool:
    """Attach `row` to the statement that says the same; True when it was one."""
    for statement in statements:
        others = [statement.main, *statement.duplicates]
        if any(same_report(row, other) for other in others):
            if row.sentence.doc_id not in {o.sentence.doc_id for o in others}:
                statement.duplicates.append(row)
            return True
    return False


def same_report(a: Scored, b: Scored) -> bool:
    """Whether two sentences are the same report: the same figures, and most words or nearly the
    same meaning in common (a near-copy printed by another outlet)."""
    if (a.sentence.doc_id, a.sentence.start) == (b.sentence.doc_id, b.sentence.start):
        return True
    if _figures(a.sentence.text) != _figures(b.sentence.text):
        return False  # different figures are different reports, however alike the wording
    if a.stems and b.stems and len(a.stems & b.stems) / len(a.stems | b.stems) >= _DUPLICATE_OVERLAP:
        return True
    return a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= _DUPLICATE_COSINE


def _figures(text: str) -> set[str]:
    return set(re.findall(r"\d[\d,.]*\d|\d", text))


def _add_denial(rows: list[Scored], statements: list[Statement], settings: ReadSettings) -> None:
    """Pair the answer with a denial of it: a denying sentence of the same article that shares the
    question's words, or one from any article that says nearly the same as the answer."""
    if not statements:
        return
    best = statements[0].main
    answer_docs = {s.main.sentence.doc_id for s in statements}
    for row in rows:
        if not is_denial(row) or _fold_duplicate(row, statements):
            continue
        close = row.vector is not None and float(row.vector @ best.vector) >= DENIAL_SIMILARITY
        beside = row.sentence.doc_id in answer_docs and row.local > 0
        if (close and row.semantic >= DENIAL_MIN_SEMANTIC) or beside:
            statements.append(Statement(row, lead=None, role="denial", speaker_from=speaker_sentence_start(row)))
            return


def with_kind_of(question: Question, asked: Question) -> Question:
    """The understood question's words with the asked question's kind (a follow-up's added context
    must not change what is asked for)."""
    return dataclasses.replace(question, kind=asked.kind, head=asked.head, unit=asked.unit, named=asked.named, kind_words=asked.kind_words, subject=asked.subject,
                               report_verb=asked.report_verb, asks_denial=asked.asks_denial)
