"""Sentences and chunks, checked with the model's real tokenizer: offsets, budget, coverage, overlap."""
from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from index import (Article, Chunk, ChunkSettings, CorpusError, chunk_article, load_token_counter, parse_article,
                   split_sentences)

TOKEN_SPANS = load_token_counter()

NEWS = (
    "The city council met on Tuesday. Mr. Okafor, the mayor, opened the session at 9 a.m. sharp.\n"
    "Residents complained about the new bus routes! Several asked why the No. 7 line was cut.\n\n"
    "Dr. Ana Silva of the U.S. transit agency said ridership fell by 40 percent. "
    "\"We had no choice,\" she said. The agency will review the plan in Sept. next year.\n"
    "Critics were not convinced. They said older people depend on the bus to reach the clinic, "
    "the market and the library, and that the cuts hit the poorest districts hardest. "
    "A petition signed by 12,000 people was handed to the council. "
    "The mayor promised an answer within a month. Then the meeting ended.\n"
)


def sentences_of(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def assert_sentences_covered(body: str, chunks: list[Chunk], settings: ChunkSettings) -> None:
    """A sentence within budget lies whole in one chunk; every token of a longer one lies in some chunk."""
    for start, end in split_sentences(body):
        tokens = [(start + s, start + e) for s, e in TOKEN_SPANS(body[start:end])]
        if not tokens:
            continue
        if len(tokens) <= settings.max_tokens:
            first, last = tokens[0][0], tokens[-1][1]
            assert any(c.start <= first and last <= c.end for c in chunks), body[start:end]
        else:
            assert all(any(c.start <= s and e <= c.end for c in chunks) for s, e in tokens), body[start:end]


def check_chunks(article: Article, chunks: list[Chunk], settings: ChunkSettings) -> None:
    """The invariants every chunking must keep, whatever the text."""
    body = article.body
    for number, chunk in enumerate(chunks):
        assert body[chunk.start:chunk.end] == chunk.text
        assert chunk.text and chunk.text == chunk.text.strip()
        assert (chunk.chunk_id, chunk.doc_id) == (f"{article.doc_id}#{number}", article.doc_id)
        assert chunk.n_tokens == len(TOKEN_SPANS(chunk.text)) <= settings.max_tokens
    for before, after in zip(chunks, chunks[1:]):
        assert before.start < after.start and before.end < after.end


# --- sentences ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Mr. Smith spoke. He left at 5 p.m. today! New line",
     ["Mr. Smith spoke.", "He left at 5 p.m. today!", "New line"]),
    ("The U.S. Army said so. Officials agreed.", ["The U.S. Army said so.", "Officials agreed."]),
    ("Dr. Jones met Gen. Miller in Jan. 2020. They talked.", ["Dr. Jones met Gen. Miller in Jan. 2020.", "They talked."]),
    ("J. R. Tolkien wrote, e.g. novels. Books sold.", ["J. R. Tolkien wrote, e.g. novels.", "Books sold."]),
    ("Version 2.0 shipped. It cost $5. Done?! Yes…  Fine.",
     ["Version 2.0 shipped.", "It cost $5.", "Done?!", "Yes…", "Fine."]),
    ('He said "Stop." Then he left. (It rained.) Later.', ['He said "Stop."', "Then he left.", "(It rained.)", "Later."]),
    ("A sentence. lowercase continues it.", ["A sentence. lowercase continues it."]),
])
def test_split_sentences_keeps_abbreviations_and_initials_inside_a_sentence(text: str, expected: list[str]):
    assert sentences_of(text) == expected


def test_a_line_break_always_ends_a_sentence_and_blank_lines_vanish():
    text = "  Headline without a period\n\nFirst line, no stop\r\nsecond line starts low. Next one.\n  \n"

    assert sentences_of(text) == ["Headline without a period", "First line, no stop", "second line starts low.",
                                  "Next one."]


def test_sentence_spans_are_trimmed_ordered_and_disjoint():
    spans = split_sentences(NEWS)

    assert all(NEWS[s:e] == NEWS[s:e].strip() and s < e for s, e in spans)
    assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:]))
    assert "".join("".join(NEWS[s:e].split()) for s, e in spans) == "".join(NEWS.split())  # nothing lost


def test_whitespace_only_text_has_no_sentences():
    assert split_sentences(" \n\t\n ") == [] and split_sentences("") == []


# --- chunks ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings", [
    ChunkSettings(max_tokens=24, overlap_sentences=1, overlap_max_tokens=12),
    ChunkSettings(max_tokens=40, overlap_sentences=2, overlap_max_tokens=30),
    ChunkSettings(max_tokens=40, overlap_sentences=0, overlap_max_tokens=0),
    ChunkSettings(),
])
def test_chunks_round_trip_fit_the_budget_and_cover_every_sentence(settings: ChunkSettings):
    article = Article(doc_id="council", body=NEWS)

    chunks = chunk_article(article, settings=settings, token_spans=TOKEN_SPANS)

    check_chunks(article, chunks, settings)
    assert_sentences_covered(NEWS, chunks, settings)


@pytest.mark.parametrize("overlap", [0, 1, 2])
def test_consecutive_chunks_share_at_most_the_configured_sentences(overlap: int):
    settings = ChunkSettings(max_tokens=40, overlap_sentences=overlap, overlap_max_tokens=39)
    chunks = chunk_article(Article(doc_id="c", body=NEWS), settings=settings, token_spans=TOKEN_SPANS)

    shared_counts = []
    for before, after in zip(chunks, chunks[1:]):
        shared = [(s, e) for s, e in split_sentences(NEWS) if after.start <= s and e <= before.end]
        assert len(shared) <= overlap
        assert after.start >= before.end or shared, "chunks overlap only by whole sentences"
        shared_counts.append(len(shared))
    assert len(chunks) >= 4
    assert max(shared_counts) == overlap  # the overlap is used, not just allowed


def test_an_overlap_over_its_token_limit_is_dropped():
    settings = ChunkSettings(max_tokens=40, overlap_sentences=2, overlap_max_tokens=0)
    chunks = chunk_article(Article(doc_id="c", body=NEWS), settings=settings, token_spans=TOKEN_SPANS)

    assert all(after.start >= before.end for before, after in zip(chunks, chunks[1:]))


def test_a_huge_sentence_is_cut_at_word_boundaries_within_budget():
    words = [f"word{i % 97}" if i % 5 else "elephant" for i in range(2000)]
    body = "Intro sentence. " + " ".join(words) + " and that is all"
    article = Article(doc_id="huge", body=body)
    settings = ChunkSettings(max_tokens=64, overlap_sentences=1, overlap_max_tokens=20)

    chunks = chunk_article(article, settings=settings, token_spans=TOKEN_SPANS)

    check_chunks(article, chunks, settings)
    assert len(chunks) >= len(TOKEN_SPANS(body)) // 64
    for chunk in chunks:
        assert chunk.start == 0 or body[chunk.start - 1].isspace()
        assert chunk.end == len(body) or body[chunk.end].isspace()
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(body) if not ch.isspace())


def test_llm_token_counts_are_recorded_when_asked():
    article = Article(doc_id="c", body=NEWS)

    chunks = chunk_article(article, settings=ChunkSettings(), token_spans=TOKEN_SPANS, count_llm_tokens=len)

    assert [c.n_llm_tokens for c in chunks] == [len(c.text) for c in chunks]


def test_a_body_without_tokens_gives_no_chunks():
    assert chunk_article(Article(doc_id="e", body=" \n \n"), settings=ChunkSettings(), token_spans=TOKEN_SPANS) == []


def test_a_long_word_cut_in_the_middle_still_fits_the_budget():
    # One 53-character word of 26 word pieces; with max_tokens=16 no whitespace falls in the cut window.
    body = "qxxqxqxqxationqxxqxingqxlylyqxqxlyunzzxingunabzzingab end."
    settings = ChunkSettings(max_tokens=16, overlap_sentences=0, overlap_max_tokens=0)

    chunks = chunk_article(Article(doc_id="w", body=body), settings=settings, token_spans=TOKEN_SPANS)

    assert all(c.n_tokens <= settings.max_tokens for c in chunks), [c.n_tokens for c in chunks]


# --- properties over generated bodies -------------------------------------------------------------------

_WORD = st.one_of(
    st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=10),
    st.sampled_from(["Mr.", "U.S.", "e.g.", "Dr.", "3.5", "a.m.", "“Quoted”", "(aside)", "naïve", "東京", "🙂", "--"]),
)
_END = st.sampled_from(["", ".", "!", "?", "…", "...", ".\"", "?)", ";", ":"])
_GAP = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", "\t", " \n "])
_SENTENCE = st.tuples(st.lists(_WORD, min_size=1, max_size=30), _END).map(lambda p: " ".join(p[0]) + p[1])
_BODY = st.lists(st.tuples(_SENTENCE, _GAP), min_size=1, max_size=25).map(lambda parts: "".join(s + g for s, g in parts))
_SETTINGS = st.builds(ChunkSettings, max_tokens=st.integers(32, 160), overlap_sentences=st.integers(0, 3),
                      overlap_max_tokens=st.integers(0, 31))


@hypothesis_settings(max_examples=150)
@given(body=_BODY, settings=_SETTINGS)
def test_property_generated_news_like_bodies_round_trip_and_fit_the_budget(body: str, settings: ChunkSettings):
    article = Article(doc_id="gen", body=body)

    chunks = chunk_article(article, settings=settings, token_spans=TOKEN_SPANS)

    check_chunks(article, chunks, settings)
    assert_sentences_covered(body, chunks, settings)


@hypothesis_settings(max_examples=150)
@given(body=st.text(min_size=1, max_size=600), max_tokens=st.integers(16, 64))
def test_property_any_text_at_all_gives_offsets_that_round_trip(body: str, max_tokens: int):
    article = Article(doc_id="any", body=body)

    chunks = chunk_article(article, settings=ChunkSettings(max_tokens=max_tokens, overlap_max_tokens=8),
                           token_spans=TOKEN_SPANS)

    for chunk in chunks:
        assert body[chunk.start:chunk.end] == chunk.text
        assert 0 <= chunk.start < chunk.end <= len(body)
    for start, end in split_sentences(body):
        assert body[start:end] == body[start:end].strip() and "\n" not in body[start:end]



@hypothesis_settings(max_examples=100)
@given(raw=st.one_of(_BODY.map(str.encode), st.binary(max_size=600),
                     st.tuples(st.sampled_from(["---\ntitle: T\n---\n", "\ufeff", "---\r\nsource: S\r\n---\r\n"]),
                               _BODY).map(lambda p: (p[0] + p[1]).encode("utf-8"))),
       settings=_SETTINGS)
def test_property_a_loaded_file_chunks_the_same_way_every_time_whatever_its_metadata(raw: bytes,
                                                                                     settings: ChunkSettings):
    """What incremental updates rely on: chunks depend only on the body and the settings."""
    try:
        article = parse_article(raw, doc_id="file")
    except CorpusError:
        return
    chunks = chunk_article(article, settings=settings, token_spans=TOKEN_SPANS)
    again = chunk_article(dataclasses.replace(article, title="Other", source="Other", content_hash="x"),
                          settings=settings, token_spans=TOKEN_SPANS)

    check_chunks(article, chunks, settings)
    assert again == chunks
    assert [c.chunk_id for c in chunks] == [f"file#{n}" for n in range(len(chunks))]

# --- settings ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("options", "message"), [
    ({"max_tokens": 15}, "max_tokens must be at least 16, got 15"),
    ({"max_tokens": 32, "overlap_max_tokens": 32}, "overlap_max_tokens must be in [0, max_tokens), got 32"),
    ({"overlap_max_tokens": -1}, "overlap_max_tokens must be in [0, max_tokens), got -1"),
])
def test_chunk_settings_refuse_impossible_values_with_the_value(options: dict, message: str):
    with pytest.raises(ValueError) as caught:
        ChunkSettings(**options)

    assert str(caught.value) == message


def test_chunk_settings_are_frozen_and_compare_by_value():
    settings = ChunkSettings(max_tokens=64)

    with pytest.raises(AttributeError):
        settings.max_tokens = 10  # type: ignore[misc]
    assert settings == ChunkSettings(max_tokens=64) != ChunkSettings(max_tokens=65)


def test_chunk_settings_refuse_a_negative_overlap():
    with pytest.raises(ValueError, match="overlap_sentences"):
        ChunkSettings(overlap_sentences=-1)
