"""Generated answers: the model writes from the retrieved passages, the check decides what is shown.

Owns: turning an extractive answer (its retrieved passages) into a generated one: the prompt,
the streamed reply, the check of every sentence (qa.support), the citations of the sentences
that survive (each [n] an exact quote, by offsets), the count of removed sentences, and falling
back to the extractive answer with one line saying why (server down, slow, garbage, nothing
supported, the model found no answer). Does not: retrieve, or show anything.
"""
from __future__ import annotations

import dataclasses
import re
import time
from typing import Callable, Sequence

from index import Article
from qa.followup import Turn
from qa.llm import LLMError, LLMSettings, partial_text, reply_text, stream_chat, stream_completion
from index.chunking import split_sentences
from qa.prompt import CANNOT_ANSWER, PromptPassage, build_completion_prompt, build_messages, prompt_passages
from index.terms import STOPWORDS, normalise, words
from qa.support import SentenceCheck, SupportSettings, check_reply
from qa.types import Answer, Citation, Passage

MAX_PROMPT_PASSAGES = 6
COMPLETION_PASSAGES = 4  # a base model reads a short prompt faster, and recites less of it
_MARKER = re.compile(r"\[(\d+)\]")


def removed_note(removed: int) -> str:
    """The line shown under a generated answer when the check removed sentences.

    >>> removed_note(1)
    '1 sentence removed: not supported by the sources'
    """
    return f"{removed} sentence{'s' if removed != 1 else ''} removed: not supported by the sources"


def generate_answer(extractive: Answer, question: str, articles: dict[str, Article], llm: LLMSettings, *,
                    history: Sequence[Turn] = (), on_text: Callable[[str], None] | None = None,
                    support: SupportSettings = SupportSettings()) -> Answer:
    """The generated answer built on an extractive one, or that extractive answer with a note why not.

    Args:
        extractive: the answer `Assistant.ask` composed; its `retrieved` passages are the model's sources.
        question: the question as understood (a follow-up already rewritten).
        articles: the index's articles, for quotes by offsets.
        llm: the model server.
        history: earlier turns, shown to the model as the conversation so far.
        on_text: called with the reply's text so far each time a piece arrives (for streaming to a
            chat): its sentences as read so far, never the raw JSON or numbered lines.
        support: the check's settings.
    """
    started = time.perf_counter()
    if llm.prompt == "completion":
        return _generate_by_passage(extractive, question, articles, llm, on_text=on_text, support=support,
                                    started=started)
    passages = prompt_passages(order_for_prompt(extractive, limit=MAX_PROMPT_PASSAGES), articles)
    messages, sent = build_messages(question, passages, history=history, context_tokens=llm.context,
                                    reply_tokens=llm.max_tokens)
    first_token = None
    reply = ""
    try:
        for piece in stream_chat(messages, llm):
            first_token = first_token or time.perf_counter()
            reply += piece
            shown = partial_text(reply, llm)
            if on_text is not None and shown.strip():
                on_text(shown)
        reply = reply_text(reply, llm)
    except LLMError as e:
        return _fallback(extractive, f"Generated answer unavailable ({e}); showing the extractive answer.",
                         llm, started, first_token)
    written = time.perf_counter()
    if not reply.strip() or CANNOT_ANSWER.rstrip(".").lower() in reply.lower() and not _MARKER.search(reply):
        return _fallback(extractive, "The model found no answer in the passages; showing the extractive answer.",
                         llm, started, first_token)
    checks = check_reply(reply, sent, {p.doc_id: articles[p.doc_id].body for p in sent}, settings=support)
    return _checked_answer(extractive, checks, articles, llm, _timings(extractive, started, first_token, written),
                           started, first_token)


def _checked_answer(extractive: Answer, checks: list[SentenceCheck], articles: dict[str, Article],
                    llm: LLMSettings, timings: dict[str, float], started: float,
                    first_token: float | None) -> Answer:
    """The answer of the sentences that passed the check, or the extractive one saying why none did."""
    kept = [c for c in checks if c.supported]
    removed = len(checks) - len(kept)
    lead = answer_lead(extractive)
    why = ""
    if not kept:
        why = (f"None of the model's {len(checks)} sentences is supported by the sources"
               if checks else "The model's reply has no sentences") + "; showing the extractive answer."
    elif lead and not _lead_words(lead) <= {normalise(w) for c in kept for w in words(c.claim)}:
        why = f"The model's answer leaves out “{lead}”, the answer the passages give; showing the extractive answer."
    if why:
        answer = _fallback(extractive, why, llm, started, first_token)
        answer.supported, answer.removed = [c.to_json() for c in checks], removed
        return answer
    text, citations = cite_sentences(kept, articles)
    return Answer(question=extractive.question, text=text, abstained=False, citations=citations,
                  retrieved=extractive.retrieved, timings_ms=timings, id=extractive.id,
                  understood_as=extractive.understood_as, filters=extractive.filters, titles=extractive.titles,
                  mode="generated", model=llm.model, supported=[c.to_json() for c in checks], removed=removed,
                  note=removed_note(removed) if removed else None, extractive=extractive)


LEAD_MAX_WORDS = 8


def answer_lead(extractive: Answer) -> str:
    """The short answer the extractive reader leads with ("Mike Pompeo", "200 to 500"), or "" when
    it leads with a whole sentence or abstained. A generated answer must contain its words: a
    sentence its passage supports but that leaves out the name or figure asked for does not answer.

    >>> answer_lead(Answer(question="who?", text="Mike Pompeo [1]\\nHerald: Mike Pompeo said so. [1]", abstained=False))
    'Mike Pompeo'
    """
    if extractive.abstained or not extractive.text.strip():
        return ""
    first = " ".join(_MARKER.sub(" ", extractive.text.strip().splitlines()[0]).split())
    quoted = any(first.rstrip(".") and first.rstrip(".") in c.quote and len(first) > 0.8 * len(c.quote)
                 for c in extractive.citations)
    return first if first and not quoted and len(first.split()) <= LEAD_MAX_WORDS and _lead_words(first) else ""


def _lead_words(text: str) -> set[str]:
    """The words of a lead that a generated answer must repeat: its numbers and content words."""
    return {w for w in (normalise(t) for t in words(text))
            if any(ch.isdigit() for ch in w) or (len(w) > 1 and w not in STOPWORDS)}


def _generate_by_passage(extractive: Answer, question: str, articles: dict[str, Article], llm: LLMSettings, *,
                         on_text: Callable[[str], None] | None, support: SupportSettings,
                         started: float) -> Answer:
    """The `completion` style, for small base models: each evidence passage is shown alone, as [1].

    A model of a few hundred million parameters, given four passages, copies one and labels it with
    another's number (README "Generated answers"). Shown one passage at a time, it cannot cite the
    wrong one: each reply is checked against that passage alone, and its [1] becomes the passage's
    number in the answer. The passages are the sentences the extractive answer quotes (the reader
    has already found them; a short passage is copied more faithfully than a chunk). Where the
    reader leads with a short answer (a name, a figure), the line of the passage holding it begins
    with it and the model writes the rest. A reply of "cannot answer" adds nothing and removes nothing.

    When the reader abstained, the model is not asked: the check tells whether a sentence is said
    by its passage, not whether it answers the question, and on the dev set's tune split a small
    model's supported sentence answered a question the articles cannot answer.
    """
    evidence = evidence_passages(extractive, articles)
    if not evidence:
        return _fallback(extractive, "No passage answers the question, so the model was not asked.", llm, started,
                         None)
    lead, seeded = answer_lead(extractive), False
    first_token = None
    checks: list[SentenceCheck] = []
    shown: list[str] = []
    deadline = time.monotonic() + llm.total_timeout
    for passage in evidence:
        alone = dataclasses.replace(passage, n=1)
        prompt, sent = build_completion_prompt(question, [alone], context_tokens=llm.context,
                                               reply_tokens=llm.max_tokens)
        if not sent:
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        prefix = ""
        if lead and lead in passage.text and not seeded:
            prefix, seeded = f"1] {lead}", True  # the reader's answer begins the line; the model ends it
        prompt += prefix
        reply = "[" + prefix  # the prompt ends with the answer's first "["
        try:
            for piece in stream_completion(prompt, dataclasses.replace(llm, total_timeout=remaining)):
                first_token = first_token or time.perf_counter()
                reply += piece
                # a line number alone shows nothing yet, and "[0] I cannot answer" from one passage
                # is not part of the answer
                so_far = " ".join([*shown, "" if reply.startswith("[0") else partial_text(reply, llm)]).strip()
                if on_text is not None and so_far:
                    on_text(so_far)
        except LLMError as e:
            return _fallback(extractive, f"Generated answer unavailable ({e}); showing the extractive answer.",
                             llm, started, first_token)
        text = reply_text(reply, llm)
        if not text.strip() or CANNOT_ANSWER.rstrip(".").lower() in text.lower() and not _MARKER.search(text):
            continue
        shown.append(partial_text(reply, llm))
        body = {alone.doc_id: articles[alone.doc_id].body}
        checks.extend(_renumbered(c, passage.n) for c in check_reply(text, sent, body, settings=support))
    written = time.perf_counter()
    if not checks:
        return _fallback(extractive, "The model found no answer in the passages; showing the extractive answer.",
                         llm, started, first_token)
    return _checked_answer(extractive, checks, articles, llm, _timings(extractive, started, first_token, written),
                           started, first_token)


def _renumbered(check: SentenceCheck, n: int) -> SentenceCheck:
    """A check made against one passage shown as [1], with that passage's number in the answer."""
    refs = tuple(n if r == 1 else r for r in check.refs)
    return dataclasses.replace(check, text=re.sub(r"\[1\]", f"[{n}]", check.text), refs=refs,
                               quotes=tuple(dataclasses.replace(q, n=n) for q in check.quotes))


def evidence_passages(extractive: Answer, articles: dict[str, Article], *,
                      limit: int = COMPLETION_PASSAGES) -> list[PromptPassage]:
    """The passages a small model reads one by one: the whole sentences each extractive quote lies
    in, in the answer's order, numbered from 1; none when the answer abstained.

    >>> from index import Chunk
    >>> body = "The ferry stops in June. Fares stay. The mayor left."
    >>> answer = Answer(question="q", text="t", abstained=False, citations=[Citation(1, "a", "Fares", 25, 30, 1.0)],
    ...                 retrieved=[Passage(Chunk("a#0", "a", body, 0, len(body)), 0.9, 0)])
    >>> [p.text for p in evidence_passages(answer, {"a": Article(doc_id="a", body=body)})]
    ['Fares stay.']
    """
    if extractive.abstained:
        return []
    spans: list[tuple[str, int, int]] = []
    for c in extractive.citations:
        body = articles[c.doc_id].body
        inside = [(s, e) for s, e in split_sentences(body) if s < c.end and c.start < e]
        start, end = (inside[0][0], inside[-1][1]) if inside else (c.start, c.end)
        if not any(d == c.doc_id and s < end and start < e for d, s, e in spans):
            spans.append((c.doc_id, start, end))
    rows = []
    for n, (doc_id, start, end) in enumerate(spans[:limit], start=1):
        a = articles[doc_id]
        rows.append(PromptPassage(n, doc_id, start, end, a.body[start:end], a.title, a.source, a.published))
    return rows


def order_for_prompt(extractive: Answer, *, limit: int = MAX_PROMPT_PASSAGES) -> list[Passage]:
    """The passages the model is shown: those holding the extractive answer's quotes first, in its
    order, then the rest by rank; a passage whose text repeats one already chosen is left out.

    The extractive reader has already found the sentences that answer best; a small model reads
    the first passages most, so they go first. An abstained answer keeps the retrieval order.
    """
    cited = [] if extractive.abstained else extractive.citations
    first = [p for c in cited for p in extractive.retrieved
             if p.chunk.doc_id == c.doc_id and p.chunk.start <= c.start and c.end <= p.chunk.end]
    chosen: list[Passage] = []
    seen: set[str] = set()
    for p in [*first, *extractive.retrieved]:
        text = " ".join(p.chunk.text.split())
        if text not in seen:
            seen.add(text)
            chosen.append(p)
    return chosen[:limit]


def cite_sentences(kept: Sequence[SentenceCheck], articles: dict[str, Article]) -> tuple[str, list[Citation]]:
    """The answer text of the supported sentences, each [n] renumbered to a citation of its exact quote.

    Two sentences citing the same passage share a number only when the same sentence of it supports both.
    """
    numbers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    lines = []
    for check in kept:
        marks = []
        for quote in check.quotes:
            key = (quote.doc_id, quote.start, quote.end)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                a = articles[quote.doc_id]
                citations.append(Citation(n=numbers[key], doc_id=a.doc_id, quote=a.body[quote.start:quote.end],
                                          start=quote.start, end=quote.end, score=check.coverage, title=a.title,
                                          source=a.source, url=a.url, published=a.published))
            marks.append(f"[{numbers[key]}]")
        lines.append(f"{check.claim.rstrip()} {''.join(dict.fromkeys(marks))}")
    return " ".join(lines), citations


def _fallback(extractive: Answer, why: str, llm: LLMSettings, started: float, first_token: float | None) -> Answer:
    """A copy of the extractive answer with the line saying why; the original keeps its own timings."""
    return dataclasses.replace(extractive, note=why, model=llm.model, extractive=extractive,
                               timings_ms=_timings(extractive, started, first_token, time.perf_counter()))


def _timings(extractive: Answer, started: float, first_token: float | None, written: float) -> dict[str, float]:
    base = dict(extractive.timings_ms)
    before = base.get("total", 0.0)
    done = time.perf_counter()
    base |= {"first_token": before + ((first_token or done) - started) * 1000,
             "generate": (written - started) * 1000, "check": (done - written) * 1000,
             "total": before + (done - started) * 1000}
    return base
