"""The one entry point every front end uses: question in, cited `Answer` out.

Owns: validating the question, retrieving passages from the live index, composing the answer,
timings, and picking up a newer index without a restart. The command line, the eval suite and
the chat UI all call `Assistant.ask`. Does not: print, serve HTTP or read article files.
"""
from __future__ import annotations

import threading
import time
import unicodedata
from pathlib import Path
from typing import Callable, NamedTuple, Sequence

import faiss
import numpy as np

from index import Article, Embedder, QuestionError, load_index, model_identity, resolve_index_dir
from index.embedding import BACKENDS, default_backend
from index.store import IndexVersion, current_version_path, read_manifest
from index.annotate import load_pipeline
from qa.candidates import ArticleText, gather_articles
from qa.examples import MAX_EXAMPLES, example_questions
from qa.followup import Turn, rewrite_followup
from qa.question import analyse_question, inverse_document_frequency
from qa.reader import ABSTAIN_TEXT, read_answer, with_kind_of
from qa.retrieve import KeywordIndex, Retrieval, RetrieveSettings, hybrid_search
from qa.scoring import ReadSettings
from qa.timeline import Timeline, TimelineSettings, build_timeline, clean_topic
from qa.types import Answer, Passage

MAX_QUESTION_CHARS = 1000
DEFAULT_K = 8


def clean_question(question: object) -> str:
    """The question as text, control characters removed, whitespace collapsed.

    Raises:
        QuestionError: not text, empty, or longer than MAX_QUESTION_CHARS.
    """
    if isinstance(question, bytes):
        question = question.decode("utf-8", errors="replace")
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, got {type(question).__name__}")
    if len(question) > 20 * MAX_QUESTION_CHARS:  # too long whatever cleaning removes: refuse before the work
        raise QuestionError(f"the question is {len(question):,} characters long; keep it under {MAX_QUESTION_CHARS:,}")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty; type a question about the articles")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(text):,} characters long; keep it under {MAX_QUESTION_CHARS:,}")
    return text


class Snapshot(NamedTuple):
    """One index version with what is derived from it, taken together so a reload cannot mix them."""

    index: IndexVersion
    idf: Callable[[str], float]
    keywords: KeywordIndex
    rows_of: dict[str, list[int]]  # each article's chunk rows, in body order

    def load_articles(self, pool: Sequence[Passage], max_articles: int) -> list[ArticleText]:
        """The annotated text of the best-ranked articles of a retrieved pool."""
        return gather_articles(pool, rows_of=self.rows_of, chunks=self.index.chunks, articles=self.index.articles,
                               annotate=self.index.annotations, max_articles=max_articles)


class Assistant:
    """Answers questions from one index folder; loads the model and index once, reloads on change."""

    def __init__(self, index_dir: Path | str | None = None, *, embedder: Embedder | None = None,
                 settings: ReadSettings | None = None, retrieval: RetrieveSettings | None = None) -> None:
        self.index_dir = resolve_index_dir(index_dir)
        self.embedder = embedder  # made to match the index's backend on first refresh when not given
        self.settings = settings or ReadSettings()
        self._nlp = load_pipeline()
        self.retrieval = retrieval or RetrieveSettings()
        self._lock = threading.Lock()
        # One query at a time is searched far faster on one thread: with every core, FAISS's OpenMP
        # threads wait on each other (32 ms against 0.7 ms for 11,000 vectors on 2 busy cores).
        faiss.omp_set_num_threads(1)
        self._live: Snapshot | None = None
        self._examples: tuple[Snapshot, list[str]] | None = None
        self.refresh()

    def refresh(self) -> bool:
        """Switch to a newer index version if one went live; True when it switched.

        The new version is loaded and checked completely before it replaces the old one. Questions
        are embedded by the backend that built the index (its manifest says which).
        """
        live = current_version_path(self.index_dir)
        if self._live is not None and live == self._live.index.path:
            return False
        manifest = read_manifest(self.index_dir) or {}
        backend = manifest.get("model", {}).get("backend")
        backend = backend if backend in BACKENDS else default_backend()
        index = load_index(self.index_dir, expect_model=model_identity(backend))
        idf = inverse_document_frequency(index.keywords.document_frequencies(), len(index.chunks))
        keywords = KeywordIndex(index.keywords)
        embedder = self.embedder if self.embedder is not None and self.embedder.backend == backend else Embedder(backend)
        rows_of: dict[str, list[int]] = {}
        for row, chunk in enumerate(index.chunks):
            rows_of.setdefault(chunk.doc_id, []).append(row)
        with self._lock:
            self._live, self.embedder = Snapshot(index, idf, keywords, rows_of), embedder
        return True

    def examples(self, limit: int = MAX_EXAMPLES) -> list[str]:
        """Example questions about the newest articles of the live index, worked out once per version."""
        snapshot = self.snapshot()
        cached = self._examples
        if cached is None or cached[0] is not snapshot:
            cached = self._examples = (snapshot, example_questions(snapshot.index.articles, self._nlp, limit))
        return list(cached[1])

    @property
    def index(self) -> IndexVersion:
        return self._live.index

    def article(self, doc_id: str) -> Article | None:
        """An article of the live index, or None (only indexed documents are ever served)."""
        return self._live.index.articles.get(doc_id) if isinstance(doc_id, str) else None

    def snapshot(self) -> Snapshot:
        """The live index with its keyword index and idf, taken together so a reload cannot mix them."""
        with self._lock:
            return self._live

    def retrieve(self, question: str, *, k: int = DEFAULT_K) -> tuple[Retrieval, np.ndarray]:
        """The k best passages for a question, best first, the answer pool, and the question's vector.

        Raises:
            QuestionError: the question is empty, too long or not text, or k is below 1.
        """
        return self._retrieve(clean_question(question), k=k, snapshot=self.snapshot())

    def _retrieve(self, question: str, *, k: int,
                  snapshot: Snapshot) -> tuple[Retrieval, np.ndarray]:
        """`retrieve` for a question already cleaned (a follow-up may exceed the typed-length limit)."""
        if k < 1:
            raise QuestionError(f"k must be at least 1, got {k}")
        index, keywords = snapshot.index, snapshot.keywords
        vector = self.embedder.embed_queries([question])[0]
        return hybrid_search(index, keywords, question, vector, k, self.retrieval), vector

    def ask(self, question: str, *, k: int = DEFAULT_K, retrieve_only: bool = False, qid: str | None = None,
            history: Sequence[Turn] = ()) -> Answer:
        """Answer a question with cited quotes, or abstain when the articles do not support one.

        Args:
            question: the question as typed.
            k: passages to return in `retrieved`.
            retrieve_only: rank passages only, compose no answer.
            qid: an id echoed in the answer JSON.
            history: earlier turns of a conversation; a follow-up question is rewritten from the last.

        Raises:
            QuestionError: the question is empty, too long or not text.
        """
        started = time.perf_counter()
        asked = clean_question(question)
        question = rewrite_followup(asked, history)
        snapshot = self.snapshot()
        index, idf = snapshot.index, snapshot.idf
        found, vector = self._retrieve(question, k=k, snapshot=snapshot)
        retrieved_at = time.perf_counter()
        answer = Answer(question=asked, understood_as=question, text="", abstained=False, retrieved=found.passages, id=qid,
                        titles={p.chunk.doc_id: index.articles[p.chunk.doc_id].title for p in found.passages})
        if not retrieve_only:
            understood = analyse_question(question, self._nlp(question), idf)
            if asked != question:
                understood = with_kind_of(understood, analyse_question(asked, self._nlp(asked), idf))
            answer.text, answer.citations = read_answer(
                understood, found.pool, vector, articles=index.articles, load_articles=snapshot.load_articles,
                embed=self.embedder.embed_queries, settings=self.settings)
            if not answer.citations:
                answer.text, answer.abstained = ABSTAIN_TEXT, True
        done = time.perf_counter()
        answer.timings_ms = {"retrieve": (retrieved_at - started) * 1000, "answer": (done - retrieved_at) * 1000,
                             "total": (done - started) * 1000}
        return answer

    def timeline(self, topic: str, *, k: int | None = None, settings: TimelineSettings | None = None) -> Timeline:
        """The statements about a topic across the archive, one per article, in date order.

        Args:
            topic: what the timeline is about, a few words ("ferry job cuts").
            k: passages retrieved (default: the settings' k); every article among them is read.
            settings: see TimelineSettings.

        Raises:
            QuestionError: the topic is empty, too long or not text, or k is below 1.
        """
        started = time.perf_counter()
        topic = clean_topic(topic)
        settings = settings or TimelineSettings()
        snapshot = self.snapshot()
        found, vector = self._retrieve(topic, k=settings.k if k is None else k, snapshot=snapshot)
        retrieved_at = time.perf_counter()
        question = analyse_question(topic, self._nlp(topic), snapshot.idf)
        timeline = build_timeline(topic, question, vector, found.passages, load_articles=snapshot.load_articles,
                                  articles=snapshot.index.articles, embed=self.embedder.embed_queries,
                                  settings=settings)
        done = time.perf_counter()
        timeline.timings_ms = {"retrieve": (retrieved_at - started) * 1000, "read": (done - retrieved_at) * 1000,
                               "total": (done - started) * 1000}
        return timeline
