"""What a chunk is found by besides its own text: its article's title.

Owns: the text the embedding model reads for a chunk (the title, cut to fit the model's window,
then the chunk text), the chunk's BM25 terms (its text's, then its title's as a field of every
chunk of the article), and the key under which an update may reuse a chunk's vector and terms
(title and text together: the same text under another title is another passage).
Does not: change a chunk's text or offsets (citations quote the body by them), embed, or score.
"""
from __future__ import annotations

from index.chunking import Chunk, TokenSpans
from index.terms import terms

# Both change what is stored, so both are in the index settings' fingerprint (index.store).
SEPARATOR = ". "  # between title and chunk text: on SciFact train dense nDCG@10 0.6926 against 0.6895 for "\n"
TITLE_TERM_WEIGHT = 1  # times the title's terms count in a chunk's: 2 and 3 did no better in the full pipeline (README)


def title_settings() -> dict[str, object]:
    """How titles enter the vectors and terms, for the index settings' fingerprint."""
    return {"separator": SEPARATOR, "term_weight": TITLE_TERM_WEIGHT}


def embedding_text(title: str | None, chunk: Chunk, *, token_spans: TokenSpans, limit: int) -> str:
    """The text embedded for `chunk`: its article's title, then the chunk text, in `limit` model tokens.

    Only the title is cut, at a token boundary, when the two do not fit; the chunk text never is.

    Args:
        title: the article's title (None or empty: the chunk text alone).
        chunk: the chunk; its `n_tokens` is used when set, else its text is counted.
        token_spans: the model's tokenizer (character span of every token, no special tokens).
        limit: model tokens the input may hold, special tokens excluded.

    >>> spans = lambda text: [(i, i + 1) for i, c in enumerate(text) if not c.isspace()]  # a letter a token
    >>> chunk = Chunk("a:0", "a", "body", 0, 4, n_tokens=4)
    >>> embedding_text("Title", chunk, token_spans=spans, limit=8)
    'Tit. body'
    """
    title = (title or "").strip()
    if not title:
        return chunk.text
    budget = limit - (chunk.n_tokens or len(token_spans(chunk.text))) - len(token_spans(SEPARATOR))
    spans = token_spans(title)
    if len(spans) > budget:
        if budget <= 0:
            return chunk.text
        title = title[: spans[budget - 1][1]]
    return f"{title}{SEPARATOR}{chunk.text}"


def chunk_terms(title: str | None, text: str) -> list[str]:
    """A chunk's BM25 terms: those of its text, then its title's (TITLE_TERM_WEIGHT times).

    >>> chunk_terms("Volcano erupts", "Lava flowed.")
    ['lava', 'flow', 'volcano', 'erupt']
    """
    return terms(text) + terms(title or "") * TITLE_TERM_WEIGHT


def reuse_key(title: str | None, text: str) -> tuple[str, str]:
    """Chunks with equal keys have the same vector and terms."""
    return ((title or "").strip(), text)
