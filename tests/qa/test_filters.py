"""Search filters: parsing what users type, the rows a filter allows, and the restriction inside the
search (FAISS flat and IVF, BM25), over a real index of dated articles with the real model."""
from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace

import numpy as np
import pytest

import index.store
from index import Article, QuestionError, load_index, update_index
from index.store import RowSubset
from qa import Assistant, FilterError, SearchFilter
from qa.filters import RowFacts, parse_date, split_sources
from tests.qa.dated_articles import SMALL_CHUNKS, dated_index, write_dated_corpus  # noqa: F401 (a fixture)

FLOOD = "What did the council say about the flood defences along the river?"
DATES = {"flood_2020": "2020-10-12", "flood_2021a": "2021-03-04", "flood_2021b": "2021-11-20",
         "flood_2022": "2022-02-14", "ferry_a": "2022-05-02", "ferry_b": "2022-05-03", "flood_undated": None,
         "flood_no_outlet": "2021-06-01"}
IN_2021 = SearchFilter(since=dt.date(2021, 1, 1), until=dt.date(2021, 12, 31))


@pytest.fixture(scope="module")
def assistant(dated_index, embedder) -> Assistant:
    return Assistant(dated_index[1], embedder=embedder)


def doc_ids(passages) -> set[str]:
    return {p.chunk.doc_id for p in passages}


# --- what users type ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "end", "day"), [("2021-03-04", False, dt.date(2021, 3, 4)),
                                                   ("2021-02", True, dt.date(2021, 2, 28)),
                                                   ("2020-02", True, dt.date(2020, 2, 29)),
                                                   ("2021", False, dt.date(2021, 1, 1)),
                                                   ("2021", True, dt.date(2021, 12, 31)),
                                                   (" 2021-3-4 ", False, dt.date(2021, 3, 4)), ("", False, None)])
def test_dates_read_as_days_months_or_years(text, end, day):
    assert parse_date(text, name="--since", end=end) == day


@pytest.mark.parametrize("text", ["2021-13-01", "2021-02-30", "21-03-04", "March 2021", "2021/03/04", "yesterday",
                                  "2021-03-04T10:00", "0000-01-01"])
def test_a_date_that_is_not_one_is_refused_with_the_format_to_use(text):
    with pytest.raises(FilterError, match=r"--until .* is not a date; write YYYY-MM-DD"):
        parse_date(text, name="--until")


def test_since_after_until_is_refused_and_the_error_is_a_question_error():
    with pytest.raises(FilterError, match="since date 2022-01-01 is after the until date 2021-12-31"):
        SearchFilter.parse(since="2022", until="2021")
    assert issubclass(FilterError, QuestionError)  # the command line exits 2, the chat shows a message


def test_outlets_come_repeated_or_as_comma_lists_and_empty_filters_are_none():
    assert split_sources(["Island Post", "island post", "  Harbour   Gazette "]) == ("Island Post", "Harbour Gazette")
    assert SearchFilter.parse(since="", until=None, sources=[" ", ","]) is None
    f = SearchFilter.parse(sources="Island Post,Harbour Gazette")
    assert f.sources == ("Island Post,Harbour Gazette",) and f.describe() == "from outlet Island Post,Harbour Gazette"


def test_the_json_echoes_the_filter_and_where_each_part_came_from():
    given = SearchFilter.parse(since="2021-03", sources=["Island Post", "Valley Times"])
    assert given.to_json() == {"since": "2021-03-01", "until": None, "source": ["Island Post", "Valley Times"],
                               "from": {"since": "option", "source": "option"}}
    assert SearchFilter.parse(sources="Island Post").to_json()["source"] == "Island Post"
    read = SearchFilter(sources=("Island Post",)).with_period(
        SimpleNamespace(since=dt.date(2021, 1, 1), until=dt.date(2021, 1, 31), phrase="in January 2021"))
    assert read.to_json() == {"since": "2021-01-01", "until": "2021-01-31", "source": "Island Post",
                              "from": {"since": "question", "until": "question", "source": "option"},
                              "period": "in January 2021"}


def test_dates_given_win_over_a_period_read_from_the_question():
    given = SearchFilter.parse(until="2020")
    period = SimpleNamespace(since=dt.date(2021, 1, 1), until=dt.date(2021, 1, 31), phrase="in January 2021")
    assert given.with_period(period) is given
    assert SearchFilter().with_period(None) is None


# --- the rows a filter allows ---------------------------------------------------------------------------------

def facts_for(dates: dict[str, str | None], outlets: dict[str, str | None], rows_per_doc: int = 2) -> RowFacts:
    articles = {d: Article(doc_id=d, body="x", title=None, source=outlets.get(d), url=None, published=p)
                for d, p in dates.items()}
    chunks = [SimpleNamespace(doc_id=d) for d in dates for _ in range(rows_per_doc)]
    return RowFacts(chunks, articles)


def test_allowed_rows_follow_dates_inclusively_outlets_case_insensitively_and_leave_out_undated():
    facts = facts_for({"a": "2021-01-01", "b": "2021-01-31", "c": "2021-02-01", "d": None},
                      {"a": "Island Post", "b": "island  post", "c": "Valley Times", "d": "Island Post"})
    january = SearchFilter.parse(since="2021-01", until="2021-01")
    assert list(facts.allowed(january).rows) == [0, 1, 2, 3]
    assert list(facts.allowed(SearchFilter.parse(until="2021-12-31")).rows) == [0, 1, 2, 3, 4, 5]  # not d
    assert list(facts.allowed(SearchFilter.parse(sources="ISLAND POST")).rows) == [0, 1, 2, 3, 6, 7]  # d too
    assert list(facts.allowed(SearchFilter.parse(sources="valley times, Island Post", since="2021-01-31")).rows) == \
        [2, 3, 4, 5]
    assert facts.outlet_names == ["Island Post", "Valley Times"] and facts.newest == dt.date(2021, 2, 1)


def test_an_outlet_whose_name_holds_a_comma_is_matched_whole():
    facts = facts_for({"a": "2021-01-01", "b": "2021-01-02"}, {"a": "Smith, Jones & Co", "b": "Smith"})
    assert list(facts.allowed(SearchFilter.parse(sources="smith, jones & co")).rows) == [0, 1]
    assert list(facts.allowed(SearchFilter.parse(sources="Smith, Nobody")).rows) == [2, 3]


def test_a_filter_matching_nothing_names_itself_and_the_outlets_there_are():
    facts = facts_for({"a": "2021-01-01"}, {"a": "Island Post"})
    nothing = SearchFilter.parse(sources="Daily Planet", since="2021")
    assert len(facts.allowed(nothing)) == 0
    text = facts.no_match_text(nothing)
    assert "No article matches the filter (published on or after 2021-01-01, from outlet Daily Planet)" in text
    assert "No article's outlet is 'Daily Planet'; the outlets are: Island Post." in text


def test_allowed_rows_over_100000_chunks_take_about_a_millisecond_and_are_cached():
    n_docs = 20_000
    dates = {f"d{i}": (dt.date(2015, 1, 1) + dt.timedelta(days=i % 3000)).isoformat() for i in range(n_docs)}
    outlets = {f"d{i}": f"Outlet {i % 40}" for i in range(n_docs)}
    facts = facts_for(dates, outlets, rows_per_doc=5)
    assert len(facts.days) == 100_000
    f = SearchFilter.parse(since="2018-01-01", until="2019-06-30", sources=["Outlet 3", "Outlet 7"])
    started = time.perf_counter()
    subset = facts.allowed(f)
    first_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    again = facts.allowed(SearchFilter.parse(since="2018-01-01", until="2019-06-30", sources=["outlet 7", "outlet 3"]))
    cached_ms = (time.perf_counter() - started) * 1000
    assert again is subset and cached_ms < 1
    assert first_ms < 25, first_ms  # about 1 ms on the 2-core machine; room for a busy one
    expected = [row for row in range(100_000) if (row // 5) % 40 in (3, 7)
                and "2018-01-01" <= dates[f"d{row // 5}"] <= "2019-06-30"]
    assert list(subset.rows) == expected


# --- the restriction inside the search ------------------------------------------------------------------------

def test_a_filtered_search_still_returns_k_passages_all_allowed(assistant, dated_index):
    version = load_index(dated_index[1])
    allowed_rows = [r for r, c in enumerate(version.chunks) if (DATES[c.doc_id] or "").startswith("2021")]
    assert len(allowed_rows) >= 6
    unfiltered, _ = assistant.retrieve(FLOOD, k=6)
    assert doc_ids(unfiltered.passages) - {"flood_2021a", "flood_2021b", "flood_no_outlet"}  # others rank high too

    found, _ = assistant.retrieve(FLOOD, k=6, filters=IN_2021)
    assert len(found.passages) == 6
    assert doc_ids(found.passages) <= {"flood_2021a", "flood_2021b", "flood_no_outlet"}
    assert doc_ids(found.pool) <= {"flood_2021a", "flood_2021b", "flood_no_outlet"}


def test_faiss_and_bm25_each_return_only_allowed_rows(assistant, dated_index):
    snapshot = assistant.snapshot()
    subset = snapshot.facts.allowed(SearchFilter.parse(sources="Island Post"))
    vector = assistant.embedder.embed_queries([FLOOD])
    _, rows = snapshot.index.search(vector, 5, within=subset)
    assert {r for r in rows[0] if r >= 0} <= set(subset.rows) and (rows[0] >= 0).sum() == min(5, len(subset))
    sparse = snapshot.keywords.search(FLOOD, 5, within=subset)
    assert sparse and {row for row, _ in sparse} <= set(subset.rows)
    assert snapshot.keywords.search(FLOOD, 5, within=RowSubset.from_mask(np.zeros(len(subset.bitmap) * 8, bool))) == []


def test_the_ivf_index_is_searched_within_the_filter_too(tmp_path, embedder, monkeypatch):
    monkeypatch.setattr(index.store, "EXACT_MAX_CHUNKS", 5)  # these few chunks get the large-archive index
    monkeypatch.setattr(index.store, "SCAN_MAX_CHUNKS", 5)  # and IVF, not the float16 scan
    monkeypatch.setattr(index.store, "_nlist", lambda n: 4)
    update_index(write_dated_corpus(tmp_path / "corpus"), tmp_path / "index", settings=SMALL_CHUNKS,
                 embedder=embedder, progress=False)
    ivf = Assistant(tmp_path / "index", embedder=embedder)
    assert ivf.index.manifest["faiss"]["type"] == "IVF4,SQ8"

    found, _ = ivf.retrieve(FLOOD, k=6, filters=IN_2021)
    assert len(found.passages) == 6 and doc_ids(found.passages) <= {"flood_2021a", "flood_2021b", "flood_no_outlet"}
    # probing every list, FAISS's selector alone finds them: the exact fallback is not needed
    index.store.faiss.extract_index_ivf(ivf.index.vectors).nprobe = 4
    monkeypatch.setattr(index.store, "_exact_within", lambda *a: pytest.fail("IVF fell back to exact search"))
    in_2021 = ivf.snapshot().facts.allowed(IN_2021)
    _, rows = ivf.index.search(ivf.embedder.embed_queries([FLOOD]), 6, within=in_2021)
    assert (rows[0] >= 0).all() and set(rows[0]) <= set(in_2021.rows)
    monkeypatch.undo()
    # one article's few rows: IVF's probed lists may hold fewer than k of them, and every one still comes back
    one = ivf.snapshot().facts.allowed(SearchFilter.parse(since="2020-10-12", until="2020-10-12"))
    index.store.faiss.extract_index_ivf(ivf.index.vectors).nprobe = 1
    _, rows = ivf.index.search(ivf.embedder.embed_queries(["the ferry crew"]), 10, within=one)
    assert sorted(r for r in rows[0] if r >= 0) == list(one.rows)


# --- what the answer sees -------------------------------------------------------------------------------------

def test_a_near_copy_outside_the_filter_is_not_cited_as_also_reported(assistant):
    question = "How many crew members will lose their jobs?"
    unfiltered = assistant.ask(question)
    reporters = {r.source for c in unfiltered.citations for r in c.also_reported_by} | \
        {c.source for c in unfiltered.citations}
    assert {"Island Post", "Harbour Gazette"} <= reporters  # the near-copies are folded together unfiltered

    only = assistant.ask(question, filters=SearchFilter.parse(sources="island post"))
    assert only.citations and {c.source for c in only.citations} == {"Island Post"}
    assert [r for c in only.citations for r in c.also_reported_by] == []
    assert "120 crew members" in only.text and only.to_json()["filters"]["source"] == "island post"


def test_a_filter_matching_no_article_is_a_clear_abstention(assistant):
    answer = assistant.ask(FLOOD, filters=SearchFilter.parse(since="2030-01-01"))
    assert answer.abstained and answer.citations == [] and answer.retrieved == []
    assert answer.text.startswith("No article matches the filter (published on or after 2030-01-01)")
    assert answer.to_json()["filters"] == {"since": "2030-01-01", "until": None, "source": None,
                                           "from": {"since": "option"}}


def test_a_period_in_the_question_filters_and_is_shown_in_understood_as(assistant):
    answer = assistant.ask("How much will the flood wall cost in 2021?")
    assert answer.understood_as == "How much will the flood wall cost? — published 2021-01-01 to 2021-12-31"
    assert answer.filters.period == "in 2021" and answer.to_json()["filters"]["from"]["since"] == "question"
    assert answer.understood_question() == "How much will the flood wall cost?"  # what a follow-up builds on
    assert "nine million euros" in answer.text
    assert {c.published[:4] for c in answer.citations} == {"2021"}
    assert all((DATES[p.chunk.doc_id] or "").startswith("2021") for p in answer.retrieved)


def test_last_year_counts_back_from_the_newest_article_not_from_today(assistant):
    answer = assistant.ask("What did the council decide about the flood defences last year?")
    assert (answer.filters.since, answer.filters.until) == (dt.date(2021, 1, 1), dt.date(2021, 12, 31))  # newest: 2022


def test_an_explicit_date_filter_wins_over_the_questions_period(assistant):
    answer = assistant.ask("What happened to the homes in 2021?", filters=SearchFilter.parse(since="2020", until="2020"))
    assert answer.filters.period is None and answer.filters.since == dt.date(2020, 1, 1)
    assert doc_ids(answer.retrieved) == {"flood_2020"}


def test_a_period_matching_no_article_says_so_and_still_lists_the_closest_passages(assistant):
    answer = assistant.ask("How many volcanoes erupted near the river in 2019?")
    assert answer.abstained and "No article matches the filter (published 2019-01-01 to 2019-12-31)" in answer.text
    assert answer.retrieved  # without the question's period


@pytest.mark.parametrize("question", [
    "How much will the flood wall cost in 2020?",  # 2020 has an article, which does not say
    "How much will the flood wall cost in 2019?",  # 2019 has none
])
def test_a_period_whose_articles_do_not_answer_is_searched_again_over_every_date_and_says_so(assistant, question):
    # "in 2020" may say when something happened, not when it was reported
    answer = assistant.ask(question)
    assert not answer.abstained and "nine million euros" in answer.text, answer.text
    assert answer.filters is None and {c.published for c in answer.citations} == {"2021-11-20"}
    year = question[-5:-1]
    assert answer.note == (f"No article published {year}-01-01 to {year}-12-31 answers this, so articles of every "
                           f"date were searched (\"in {year}\" may say when it happened, not when it was reported).")
    assert answer.to_json()["note"] == answer.note


def test_questions_without_a_clear_period_are_not_filtered(assistant):
    for question in ("What did the mayor say in May?", "Who won the 2020 election?", "What was last year's flood?",
                     "Since when has the river wall stood?"):
        assert assistant.ask(question, retrieve_only=True).filters is None, question


def test_filters_must_be_a_search_filter(assistant):
    with pytest.raises(QuestionError, match="filters must be a qa.SearchFilter"):
        assistant.ask(FLOOD, filters={"since": "2021"})
