"""Example questions drawn from the archive itself: the chat shows them under the question box.

Owns: choosing the newest articles with a headline and turning each headline into a question a
reader could ask of it. Does not: check that the question is answered (the reader does that when
it is asked), or know any particular collection: every example comes from the index it is given.

A headline names its story in its subject ("Harbour bridge reopens after repairs"): the example
asks what happened with that subject. A headline's leading attribution ("UN: ...") is not its
subject. When the headline has no noun subject the parse can find, the example asks about the
headline as a whole.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, Mapping

from index import Article

MAX_EXAMPLES = 3
MAX_TOPIC_WORDS = 6
_ATTRIBUTION = re.compile(r"^[^:]{1,40}:\s+(?=\S)")  # "UN: ...", "Report: ..."


def newest_first(articles: Iterable[Article]) -> list[Article]:
    """Articles with a title, newest publication date first; undated ones after, last indexed first.

    >>> a = [Article("a", "x", title="A", published="2020-01-02"), Article("b", "x", title="B"),
    ...      Article("c", "x", title="C", published="2021-05-01"), Article("d", "x")]
    >>> [x.doc_id for x in newest_first(a)]
    ['c', 'a', 'b']
    """
    titled = [a for a in articles if a.title and a.title.strip()]
    dated = sorted((a for a in titled if a.published), key=lambda a: a.published, reverse=True)
    return dated + [a for a in reversed(titled) if not a.published]


def headline_topic(doc, body: str = "") -> str | None:
    """The subject of a parsed headline as it reads inside a sentence, or None when the parse finds
    no noun subject and the headline names no entity.

    The noun phrase of the root's subject comes first; failing that, the headline's first named
    entity. A common noun loses the capital only the headline gave it and gets "the": a word the
    article's own text writes in lower case is a common noun there ("the ferry operator").
    """
    for token in doc:
        if token.dep_ in ("nsubj", "nsubjpass") and token.head.dep_ == "ROOT" and token.pos_ in ("NOUN", "PROPN"):
            words = [t for t in token.subtree if t.dep_ != "punct" and not t.is_space]
            if words and len(words) <= MAX_TOPIC_WORDS:
                return _as_topic(doc[words[0].i:words[-1].i + 1], body)
    for entity in getattr(doc, "ents", ()):
        if len(entity) <= MAX_TOPIC_WORDS and entity.label_ not in ("DATE", "TIME", "CARDINAL", "ORDINAL"):
            end = entity.end  # a headline's capitals run on past the name: "Al-Qaeda Maintains"
            while end - entity.start > 1 and _common_in(doc[end - 1].text, body):
                end -= 1
            return doc[entity.start:end].text
    return None


def _common_in(word: str, body: str) -> bool:
    """Whether the article writes `word` in lower case more often than capitalised.

    >>> _common_in("Maintains", "It maintains ties."), _common_in("Labor", "Labor won; labor laws")
    (True, False)
    """
    lower = len(re.findall(rf"\b{re.escape(word.lower())}\b", body))
    return word.istitle() and lower > len(re.findall(rf"\b{re.escape(word)}\b", body))


def _as_topic(span, body: str) -> str:
    first = span[0].text
    if span[0].pos_ not in ("DET", "NUM") and _common_in(first, body):
        return "the " + first.lower() + span.text[len(first):]
    return span.text


def example_questions(articles: Mapping[str, Article] | Iterable[Article], parse: Callable[[str], object],
                      limit: int = MAX_EXAMPLES) -> list[str]:
    """Up to `limit` questions about the newest titled articles, one per article, none repeated."""
    found: list[str] = []
    pool = articles.values() if isinstance(articles, Mapping) else articles
    for article in newest_first(pool):
        title = " ".join(article.title.split())
        headline = _ATTRIBUTION.sub("", title)
        topic = headline_topic(parse(headline), article.body)
        question = f"What happened with {topic}?" if topic else f"What do the articles say about “{title}”?"
        if _key(question) not in {_key(q) for q in found}:
            found.append(question)
        if len(found) == limit:
            break
    return found


def _key(question: str) -> str:
    """Questions that differ only in case, spacing or punctuation are the same example.

    >>> _key("What happened with Al-Qaeda?") == _key("What happened with al Qaeda?")
    True
    """
    return re.sub(r"\W+", "", question.lower())
