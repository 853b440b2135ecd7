"""`Assistant.ask` on a real index of three unrelated fixture articles (real model, real FAISS).

Checks behaviour a user relies on, not the composer's tuning: a clear question is answered from the
right article with verbatim, resolvable citations; an absent topic is an abstention; bad questions
are refused; retrieve-only ranks; a newer index is picked up without a restart.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

import pytest

import index.update
from index import IndexMismatchError, IndexNotFoundError, QuestionError, update_index
from qa import MAX_QUESTION_CHARS, Answer, Assistant, clean_question

SPACE = ("---\ntitle: Probe reaches Jupiter\nsource: Orbit Daily\n---\n"
         "The Juno probe entered orbit around Jupiter after a five year journey. "
         "Engineers in Pasadena cheered when the engine burn ended on time.\n")
ANSWERABLE = [
    ("Who won the world chess championship?", "chess", "Carlsen"),
    ("Which volcano erupted on the Reykjanes peninsula?", "volcano", "Fagradalsfjall"),
    ("How many croissants did the bakery in Lyon sell?", "sub/bakery", "four thousand"),
]
ABSENT = ["What is the capital of Australia?", "Who won the football World Cup in 2018?",
          "What did the central bank decide about interest rates?"]


@pytest.fixture(scope="module")
def assistant(topic_index, embedder) -> Assistant:
    return Assistant(topic_index[1], embedder=embedder)


def article_file_text(corpus: Path, doc_id: str) -> str:
    [path] = [p for p in corpus.glob(doc_id + ".*") if p.is_file()]
    return path.read_bytes().decode("utf-8")  # as stored: no newline translation


def assert_citations_resolve(answer: Answer, assistant: Assistant, corpus: Path) -> None:
    """Every [n] has its citation, and every quote is the indexed body's slice and the file's own text."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    numbers = [c.n for c in answer.citations]
    assert len(numbers) == len(set(numbers)) and markers <= set(numbers)
    assert bool(markers) == bool(numbers)
    for citation in answer.citations:
        article = assistant.article(citation.doc_id)
        assert citation.quote and article.body[citation.start:citation.end] == citation.quote
        assert citation.quote in article_file_text(corpus, citation.doc_id)
        assert (citation.title, citation.source, citation.url, citation.published) == (
            article.title, article.source, article.url, article.published)


@pytest.mark.parametrize(("question", "doc_id", "fact"), ANSWERABLE)
def test_a_clearly_answerable_question_is_answered_from_the_right_article(assistant, topic_index, question, doc_id, fact):
    answer = assistant.ask(question)

    assert not answer.abstained
    assert fact in answer.text
    assert answer.citations and answer.citations[0].doc_id == doc_id and fact in answer.citations[0].quote
    assert answer.retrieved[0].chunk.doc_id == doc_id
    assert_citations_resolve(answer, assistant, topic_index[0])


@pytest.mark.parametrize("question", ABSENT)
def test_a_question_about_something_absent_is_an_abstention(assistant, question):
    answer = assistant.ask(question)

    assert answer.abstained
    assert answer.citations == [] and not re.search(r"\[\d+\]", answer.text)
    assert answer.retrieved  # the closest passages are still shown


def test_the_answer_json_has_the_contract_fields(assistant, topic_index):
    answer = assistant.ask("Who won the world chess championship?", qid="q7")

    row = answer.to_json()

    assert list(row)[:7] == ["id", "question", "answer", "abstained", "citations", "retrieved", "timings_ms"]
    assert row["id"] == "q7" and row["question"] == "Who won the world chess championship?"
    assert set(row["citations"][0]) >= {"n", "doc_id", "title", "source", "url", "published", "quote", "start",
                                        "end", "score"}
    assert row["citations"][0]["url"] is None and row["citations"][0]["published"] == "2021-12-10"
    assert set(row["retrieved"][0]) >= {"doc_id", "chunk_id", "score", "text"}
    assert set(row["timings_ms"]) == {"retrieve", "answer", "total"}
    assert row["timings_ms"]["total"] >= row["timings_ms"]["retrieve"] >= 0
    assert "id" not in assistant.ask("Who won the world chess championship?").to_json()


def test_retrieve_only_returns_k_ranked_passages_and_no_citations(assistant):
    answer = assistant.ask("Where did lava flow after the eruption?", k=2, retrieve_only=True)

    assert answer.citations == [] and not answer.abstained and answer.text == ""
    assert [p.rank for p in answer.retrieved] == [0, 1]
    assert answer.retrieved[0].chunk.doc_id == "volcano"
    assert answer.retrieved[0].score >= answer.retrieved[1].score


def test_retrieving_more_than_the_index_holds_returns_every_chunk_once(assistant):
    answer = assistant.ask("croissants", k=50, retrieve_only=True)

    assert sorted(p.chunk.chunk_id for p in answer.retrieved) == sorted(c.chunk_id for c in assistant.index.chunks)


def test_k_below_one_is_refused(assistant):
    with pytest.raises(QuestionError, match="k must be at least 1, got 0"):
        assistant.ask("Who won?", k=0)


def test_only_indexed_articles_are_served(assistant):
    assert assistant.article("chess").title == "Carlsen keeps his chess crown"
    assert assistant.article("sub/bakery") is not None
    assert assistant.article("../../etc/passwd") is None and assistant.article(3) is None  # type: ignore[arg-type]


# --- the question -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "message"), [
    ("", "the question is empty"),
    ("  \n\t ", "the question is empty"),
    ("\x00\x07\u200b", "the question is empty"),
    ("x" * (MAX_QUESTION_CHARS + 1), f"is {MAX_QUESTION_CHARS + 1:,} characters long; keep it under"),
    (None, "the question must be text, got NoneType"),
    (42, "the question must be text, got int"),
    (["who?"], "the question must be text, got list"),
])
def test_clean_question_refuses_unusable_questions(question, message):
    with pytest.raises(QuestionError) as caught:
        clean_question(question)

    assert message in str(caught.value)


def test_clean_question_removes_control_characters_and_collapses_whitespace():
    cleaned = clean_question("  Who\x00 won\x07 the\tchess\u200b\r\n match?\x1b[31m  ")

    assert not any(unicodedata.category(ch).startswith("C") for ch in cleaned)
    assert cleaned == "Who won the chess match? [31m"


def test_clean_question_keeps_ordinary_text_and_accepts_the_longest_allowed():
    assert clean_question("Où est le café ? 東京") == "Où est le café ? 東京"
    assert clean_question(b"who won?") == "who won?"
    assert clean_question("y" * MAX_QUESTION_CHARS) == "y" * MAX_QUESTION_CHARS


def test_ask_refuses_an_empty_question(assistant):
    with pytest.raises(QuestionError):
        assistant.ask("   ")


# --- the index behind it ---------------------------------------------------------------------------------

def test_a_missing_index_is_index_not_found(tmp_path, embedder):
    with pytest.raises(IndexNotFoundError):
        Assistant(tmp_path / "nothing", embedder=embedder)


def test_refresh_picks_up_a_newer_index_version(make_corpus, topic_articles, tmp_path, embedder):
    corpus, index_dir = make_corpus(topic_articles), tmp_path / "index"
    update_index(corpus, index_dir, embedder=embedder, progress=False)
    assistant = Assistant(index_dir, embedder=embedder)
    first = assistant.index.path
    assert assistant.refresh() is False and assistant.article("space") is None

    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    update_index(corpus, index_dir, embedder=embedder, progress=False)

    assert assistant.refresh() is True
    assert assistant.index.path != first and assistant.article("space").title == "Probe reaches Jupiter"
    answer = assistant.ask("Which probe entered orbit around Jupiter?")
    assert not answer.abstained and "Juno" in answer.text and answer.citations[0].doc_id == "space"
    assert_citations_resolve(answer, assistant, corpus)
    assert assistant.refresh() is False


def test_refresh_refuses_an_index_of_another_model_and_keeps_the_old_one(
        make_corpus, topic_articles, tmp_path, embedder, monkeypatch):
    corpus, index_dir = make_corpus(topic_articles), tmp_path / "index"
    update_index(corpus, index_dir, embedder=embedder, progress=False)
    assistant = Assistant(index_dir, embedder=embedder)
    first = assistant.index.path
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    other = dataclasses.replace(index.store.model_identity(), weights_sha256="f" * 64)
    monkeypatch.setattr(index.store, "model_identity", lambda backend=None: other)
    update_index(corpus, index_dir, embedder=embedder, progress=False)

    with pytest.raises(IndexMismatchError, match="model.weights_sha256"):
        assistant.refresh()
    assert assistant.index.path == first and not assistant.ask("Who won the chess match?").abstained


def test_a_refresh_during_ask_does_not_mix_index_versions(make_corpus, topic_articles, tmp_path, embedder):
    corpus, index_dir = make_corpus(topic_articles), tmp_path / "index"
    update_index(corpus, index_dir, embedder=embedder, progress=False)
    assistant = Assistant(index_dir, embedder=embedder)
    asked_on = assistant.index
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")
    (corpus / "chess.md").write_text("Breaking news from Dubai today.\n" + topic_articles["chess.md"].split("---\n")[2],
                                     encoding="utf-8")
    update_index(corpus, index_dir, embedder=embedder, progress=False)

    class RefreshingEmbedder:
        """The session model, but another request's refresh() lands while the question is embedded."""

        def __init__(self) -> None:
            self.refreshed = False
            self.backend = embedder.backend

        def embed_queries(self, texts):
            if not self.refreshed:
                self.refreshed = True
                assert assistant.refresh() is True
            return embedder.embed_queries(texts)

    assistant.embedder = RefreshingEmbedder()
    answer = assistant.ask("Who won the world chess championship?")

    assert assistant.index is not asked_on  # the refresh happened mid-question
    assert all(p.chunk in asked_on.chunks for p in answer.retrieved)
    assert not answer.abstained and answer.citations
    for citation in answer.citations:
        assert asked_on.articles[citation.doc_id].body[citation.start:citation.end] == citation.quote


def test_a_follow_up_near_the_length_limit_is_still_answered(assistant):
    from qa import Turn

    first = assistant.ask("Who won the world chess championship match in Dubai?")
    long_follow_up = "And what did he do then? " + "Please say. " * ((MAX_QUESTION_CHARS - 40) // 12)
    assert len(clean_question(long_follow_up)) <= MAX_QUESTION_CHARS

    answer = assistant.ask(long_follow_up, history=[Turn(first.understood_as or first.question, first)])

    assert answer.understood_as != answer.question          # the context was added
    assert len(answer.understood_as) > MAX_QUESTION_CHARS     # and took it past the limit for typed questions
