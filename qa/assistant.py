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

from index import (Article, Embedder, IndexMismatchError, QuestionError, load_index, model_identity,
                   resolve_index_dir)
from index.backend import StoreConfig, open_store
from index.embedding import BACKENDS, default_backend
from index.store import IndexVersion, RowSubset, current_version_path, read_manifest
from index.annotate import load_pipeline
from qa.candidates import ArticleText, gather_articles
from qa.examples import MAX_EXAMPLES, example_questions
from qa.filters import MilvusRowFacts, RowFacts, SearchFilter
from qa.followup import Turn, rewrite_followup
from qa.generate import generate_answer
from qa.llm import LLMSettings
from qa.periods import read_period, without_period
from qa.question import analyse_question, inverse_document_frequency
from qa.reader import ABSTAIN_TEXT, read_answer, with_kind_of
from qa.retrieve import KeywordIndex, MilvusKeywordIndex, Retrieval, RetrieveSettings, hybrid_search
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
    facts: RowFacts  # each row's publication day and outlet, for filters

    def load_articles(self, pool: Sequence[Passage], max_articles: int) -> list[ArticleText]:
        """The annotated text of the best-ranked articles of a retrieved pool."""
        return gather_articles(pool, rows_of=self.rows_of, chunks=self.index.chunks, articles=self.index.articles,
                               annotate=self.index.annotations, max_articles=max_articles)


class Assistant:
    """Answers questions from one index folder (or the Milvus store `store` names); loads the model
    and index once, reloads on change."""

    def __init__(self, index_dir: Path | str | None = None, *, embedder: Embedder | None = None,
                 settings: ReadSettings | None = None, retrieval: RetrieveSettings | None = None,
                 store: StoreConfig | None = None) -> None:
        self.index_dir = resolve_index_dir(index_dir)
        self.store = store or StoreConfig.from_options()  # the FAISS files unless $QA_STORE says milvus
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
        if self.store.kind == "milvus":
            return self._refresh_milvus()
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
        facts = RowFacts(index.chunks, index.articles)
        with self._lock:
            self._live, self.embedder = Snapshot(index, idf, keywords, rows_of, facts), embedder
        return True

    def _refresh_milvus(self) -> bool:
        """refresh() for the Milvus store: reload when its manifest row's token changed."""
        store = open_store(self.store, self.index_dir)
        manifest = store.meta()
        if manifest is None:
            raise store.not_built()
        if self._live is not None and manifest.get("token") == self._live.index.token:
            return False
        index = store.load()
        backend = index.manifest.get("model", {}).get("backend")
        backend = backend if backend in BACKENDS else default_backend()
        built, wanted = index.manifest.get("model", {}), model_identity(backend).as_dict()
        if built != wanted:
            raise IndexMismatchError(self.index_dir, {f"model.{k}": (built.get(k), v) for k, v in wanted.items()
                                                      if built.get(k) != v})
        idf = inverse_document_frequency(index.document_frequencies(), len(index.chunks))
        embedder = self.embedder if self.embedder is not None and self.embedder.backend == backend else Embedder(backend)
        rows_of: dict[str, list[int]] = {}
        for row, chunk in enumerate(index.chunks):
            rows_of.setdefault(chunk.doc_id, []).append(row)
        facts = MilvusRowFacts(index.chunks, index.articles)
        with self._lock:
            self._live = Snapshot(index, idf, MilvusKeywordIndex(index), rows_of, facts)
            self.embedder = embedder
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

    def outlets(self) -> list[str]:
        """The outlets (article `source` names) of the live index, sorted, each spelled as first seen."""
        return list(self.snapshot().facts.outlet_names)

    def snapshot(self) -> Snapshot:
        """The live index with its keyword index and idf, taken together so a reload cannot mix them."""
        with self._lock:
            return self._live

    def retrieve(self, question: str, *, k: int = DEFAULT_K,
                 filters: SearchFilter | None = None) -> tuple[Retrieval, np.ndarray]:
        """The k best passages for a question, best first, the answer pool, and the question's vector.

        Raises:
            QuestionError: the question is empty, too long or not text, or k is below 1.
        """
        snapshot = self.snapshot()
        within = snapshot.facts.allowed(filters) if filters is not None and not filters.is_empty() else None
        return self._retrieve(clean_question(question), k=k, snapshot=snapshot, within=within)

    def _retrieve(self, question: str, *, k: int, snapshot: Snapshot,
                  within: RowSubset | None = None) -> tuple[Retrieval, np.ndarray]:
        """`retrieve` for a question already cleaned (a follow-up may exceed the typed-length limit)."""
        if k < 1:
            raise QuestionError(f"k must be at least 1, got {k}")
        index, keywords = snapshot.index, snapshot.keywords
        vector = self.embedder.embed_queries([question])[0]
        return hybrid_search(index, keywords, question, vector, k, self.retrieval, within=within), vector

    def ask(self, question: str, *, k: int = DEFAULT_K, retrieve_only: bool = False, qid: str | None = None,
            history: Sequence[Turn] = (), filters: SearchFilter | None = None, llm: LLMSettings | None = None,
            on_text: Callable[[str], None] | None = None) -> Answer:
        """Answer a question with cited quotes, or abstain when the articles do not support one.

        Args:
            question: the question as typed.
            k: passages to return in `retrieved`.
            retrieve_only: rank passages only, compose no answer.
            qid: an id echoed in the answer JSON.
            history: earlier turns of a conversation; a follow-up question is rewritten from the last.
            filters: only articles of these dates and outlets are searched and read. Without dates of
                its own, a period the question names ("in January 2021", "last week") is applied;
                where no article of that period answers, every date is searched and `note` says so.
            llm: a model server to write the answer in plain sentences from the retrieved passages
                (`mode` "generated"); every sentence is checked against what it cites, and the
                extractive answer is kept, with a `note` saying why, when none survives or the
                server fails.
            on_text: with `llm`, called with the model's reply so far as it streams (unchecked).

        Raises:
            QuestionError: the question is empty, too long or not text.
        """
        answer = self._ask_extractive(question, k=k, retrieve_only=retrieve_only, qid=qid, history=history,
                                      filters=filters)
        if llm is None or retrieve_only or not answer.retrieved:
            return answer
        return generate_answer(answer, answer.understood_question(), self.snapshot().index.articles, llm,
                               history=history, on_text=on_text)

    def _ask_extractive(self, question: str, *, k: int, retrieve_only: bool, qid: str | None,
                        history: Sequence[Turn], filters: SearchFilter | None) -> Answer:
        answer = self._ask_within(question, k=k, retrieve_only=retrieve_only, qid=qid, history=history,
                                  filters=filters)
        read = answer.filters
        if retrieve_only or not answer.abstained or read is None or read.period is None:
            return answer
        # a year or month in the question may say when something happened, not when it was reported
        # ("what profit did the airline make in 2004": the results come out in 2005), so a question
        # whose own period holds no answer is asked again over every date, and says so
        anywhere = self._ask_within(question, k=k, retrieve_only=False, qid=qid, history=history,
                                    filters=filters, read_period=False)
        if anywhere.abstained:
            return answer
        dates = SearchFilter(since=read.since, until=read.until).describe()
        anywhere.note = (f"No article {dates} answers this, so articles of every date were searched "
                         f"(\"{read.period}\" may say when it happened, not when it was reported).")
        anywhere.timings_ms["total"] += answer.timings_ms.get("total", 0.0)
        return anywhere

    def _ask_within(self, question: str, *, k: int, retrieve_only: bool, qid: str | None,
                    history: Sequence[Turn], filters: SearchFilter | None, read_period: bool = True) -> Answer:
        started = time.perf_counter()
        asked = clean_question(question)
        snapshot = self.snapshot()
        searched, search_filter = read_filters(asked, filters, snapshot.facts) if read_period else (asked, filters)
        question = rewrite_followup(searched, history)
        understood_as = f"{question} — {search_filter.describe()}" if search_filter and search_filter.period else question
        within = snapshot.facts.allowed(search_filter) if search_filter is not None else None
        if within is not None and not len(within):
            return self._no_match(asked, question, understood_as, filters, search_filter, k=k, qid=qid,
                                  snapshot=snapshot, started=started)
        index, idf = snapshot.index, snapshot.idf
        found, vector = self._retrieve(question, k=k, snapshot=snapshot, within=within)
        retrieved_at = time.perf_counter()
        answer = Answer(question=asked, understood_as=understood_as, text="", abstained=False, retrieved=found.passages,
                        id=qid, filters=search_filter,
                        titles={p.chunk.doc_id: index.articles[p.chunk.doc_id].title for p in found.passages})
        if not retrieve_only:
            understood = analyse_question(question, self._nlp(question), idf)
            if searched != question:
                understood = with_kind_of(understood, analyse_question(searched, self._nlp(searched), idf))
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
    def _no_match(self, asked: str, question: str, understood_as: str, given: SearchFilter | None,
                  search_filter: SearchFilter, *, k: int, qid: str | None, snapshot: Snapshot,
                  started: float) -> Answer:
        """The answer when a filter allows no article: it says so and names the filter. When the dates
        were read from the question, the closest passages without them are still listed."""
        retrieved: list[Passage] = []
        if search_filter.period is not None:
            within = snapshot.facts.allowed(given) if given is not None else None
            if within is None or len(within):
                retrieved = self._retrieve(question, k=k, snapshot=snapshot, within=within)[0].passages
        done = (time.perf_counter() - started) * 1000
        return Answer(question=asked, understood_as=understood_as, text=snapshot.facts.no_match_text(search_filter),
                      abstained=True, retrieved=retrieved, id=qid, filters=search_filter,
                      titles={p.chunk.doc_id: snapshot.index.articles[p.chunk.doc_id].title for p in retrieved},
                      timings_ms={"retrieve": done, "answer": 0.0, "total": done})


def read_filters(asked: str, given: SearchFilter | None, facts: RowFacts) -> tuple[str, SearchFilter | None]:
    """The question to search with and the filter to apply: the one given, with the period the
    question names as its dates when it has none of its own (and the index has dated articles);
    the period's words are then taken out of the question.

    Raises:
        QuestionError: `given` is not a SearchFilter.
    """
    if given is not None and not isinstance(given, SearchFilter):
        raise QuestionError(f"filters must be a qa.SearchFilter, got {type(given).__name__}")
    period = None
    if not (given and given.dated) and facts.newest is not None:
        period = read_period(asked, newest=facts.newest)
    search_filter = (given or SearchFilter()).with_period(period)
    if period is None or search_filter is None or search_filter.period is None:
        return asked, search_filter
    searched = without_period(asked, period)
    return (searched if any(ch.isalnum() for ch in searched) else asked), search_filter
