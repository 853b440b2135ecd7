"""Split article bodies into sentence-aware, token-budgeted, overlapping chunks.

Owns: sentence boundaries, the token budget (counted with the embedder's own tokenizer, so no
chunk is ever truncated by the model), overlap, and the `Chunk` value whose offsets point into
the article body: `article.body[chunk.start:chunk.end] == chunk.text`, always.
Does not: embed, store, or know anything about questions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from index.articles import Article

TokenSpans = Callable[[str], list[tuple[int, int]]]

# Words after which a period does not end a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sen rep gen col lt maj capt sgt gov pres st jr sr vs etc inc ltd co corp "
    "jan feb mar apr jun jul aug sep sept oct nov dec no u.s u.k u.n e.g i.e a.m p.m".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)")
_PARAGRAPH = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class ChunkSettings:
    """Everything that decides where chunks start and end (copied into the index manifest).

    Attributes:
        max_tokens: most model tokens in one chunk (no special tokens); must fit the model.
        overlap_sentences: sentences repeated from the end of one chunk at the start of the next.
        overlap_max_tokens: an overlap longer than this is dropped.
        version: bumped whenever the splitting logic changes, so old indexes rebuild.
    """

    max_tokens: int = 128
    overlap_sentences: int = 1
    overlap_max_tokens: int = 48
    version: int = 1

    def __post_init__(self) -> None:
        if self.max_tokens < 16:
            raise ValueError(f"max_tokens must be at least 16, got {self.max_tokens}")
        if self.overlap_sentences < 0:
            raise ValueError(f"overlap_sentences must be 0 or more, got {self.overlap_sentences}")
        if not 0 <= self.overlap_max_tokens < self.max_tokens:
            raise ValueError(f"overlap_max_tokens must be in [0, max_tokens), got {self.overlap_max_tokens}")


@dataclass(frozen=True)
class Chunk:
    """A passage of one article: `article.body[start:end] == text`."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    n_tokens: int = 0
    n_llm_tokens: int = 0


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    n_tokens: int


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, whitespace trimmed; a line break always ends one.

    >>> text = "Mr. Smith spoke. He left at 5 p.m. today! New line"
    >>> [text[s:e] for s, e in split_sentences(text)]
    ['Mr. Smith spoke.', 'He left at 5 p.m. today!', 'New line']
    """
    spans = []
    for paragraph in _PARAGRAPH.finditer(text):
        spans.extend(_split_paragraph(text, paragraph.start(), paragraph.end()))
    return spans


def _split_paragraph(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    begin = start
    for match in _BOUNDARY.finditer(text, start, end):
        if _is_abbreviation(text, begin, match.start()) or not _next_starts_sentence(text, match.end(), end):
            continue
        yield from _trimmed(text, begin, match.end())
        begin = match.end()
    yield from _trimmed(text, begin, end)


def _is_abbreviation(text: str, begin: int, period: int) -> bool:
    if text[period] != ".":
        return False
    word = re.search(r"[\w.]*$", text[begin:period]).group(0).lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _next_starts_sentence(text: str, position: int, end: int) -> bool:
    rest = text[position:end].lstrip()
    return bool(rest) and (rest[0].isupper() or rest[0].isdigit() or rest[0] in "\"'“‘(#@[")


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        left = start + len(piece) - len(piece.lstrip())
        yield left, left + len(stripped)


def chunk_article(article: Article, *, settings: ChunkSettings, token_spans: TokenSpans,
                  count_llm_tokens: Callable[[str], int] | None = None) -> list[Chunk]:
    """Cut one article into chunks of at most `settings.max_tokens` model tokens.

    Sentences are packed whole; a sentence longer than the budget is cut at word boundaries.
    Consecutive chunks share up to `settings.overlap_sentences` sentences.
    """
    spans = [piece for s, e in split_sentences(article.body)
             for piece in _fit_sentence(article.body, s, e, settings.max_tokens, token_spans)]
    chunks = []
    for number, group in enumerate(_pack(spans, settings)):
        start, end = group[0].start, group[-1].end
        text = article.body[start:end]
        chunks.append(Chunk(
            chunk_id=f"{article.doc_id}#{number}", doc_id=article.doc_id, text=text, start=start, end=end,
            n_tokens=len(token_spans(text)), n_llm_tokens=count_llm_tokens(text) if count_llm_tokens else 0,
        ))
    return chunks


def _fit_sentence(body: str, start: int, end: int, limit: int, token_spans: TokenSpans) -> Iterator[_Span]:
    """The sentence as one span, or as pieces of at most `limit` tokens each when it is longer.

    A piece's tokens are counted again on its own text: a cut inside a word turns the rest of
    the word into new tokens, so the count before cutting is not trusted.
    """
    while start < end:
        tokens = [(start + s, start + e) for s, e in token_spans(body[start:end])]
        if not tokens:
            return
        if len(tokens) <= limit:
            yield _Span(tokens[0][0], tokens[-1][1], len(tokens))
            return
        cut = _word_boundary(body, tokens, limit)
        while cut > 1 and len(token_spans(body[tokens[0][0]:tokens[cut - 1][1]])) > limit:
            cut -= 1
        piece_end = tokens[cut - 1][1]
        yield _Span(tokens[0][0], piece_end, len(token_spans(body[tokens[0][0]:piece_end])))
        start = tokens[cut][0]


def _word_boundary(body: str, tokens: list[tuple[int, int]], limit: int) -> int:
    """The largest cut <= limit that falls before a token preceded by whitespace (else limit)."""
    for cut in range(limit, limit // 2, -1):
        if body[tokens[cut][0] - 1].isspace():
            return cut
    return limit


def _pack(spans: list[_Span], settings: ChunkSettings) -> Iterator[list[_Span]]:
    group: list[_Span] = []
    size = 0
    fresh = 0  # sentences in the group that are not overlap from the previous chunk
    for span in spans:
        if group and size + span.n_tokens > settings.max_tokens:
            if fresh:
                yield group
            group = _overlap(group, settings) if fresh else []
            size = sum(s.n_tokens for s in group)
            if size + span.n_tokens > settings.max_tokens:
                group, size = [], 0
            fresh = 0
        group.append(span)
        size += span.n_tokens
        fresh += 1
    if fresh:
        yield group


def _overlap(group: list[_Span], settings: ChunkSettings) -> list[_Span]:
    tail = group[-settings.overlap_sentences:] if settings.overlap_sentences else []
    return tail if sum(s.n_tokens for s in tail) <= settings.overlap_max_tokens else []
