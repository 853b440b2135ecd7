"""`Assistant.timeline` on a real index of dated fixture articles (real model, real FAISS, real spaCy).

A story about a ferry route told by several outlets over weeks (two of them near-copies, one
article dated only by a sentence, one with no date at all, a claim and a denial of it in two
articles), a mining claim denied in its own article, and an unrelated volcano article.
"""
from __future__ import annotations

import json

import pytest

from index import QuestionError
from qa import MAX_TOPIC_CHARS, Assistant, Timeline

FERRY_TOPIC = "northern ferry route closure"


def _article(title: str, source: str, published: str | None, body: str) -> str:
    date = f"published: {published}\n" if published else ""
    return f"---\ntitle: \"{title}\"\nsource: \"{source}\"\n{date}---\n{body}\n"


ARTICLES = {
    "review.md": _article("Operator reviews ferry routes", "Island Post", "2022-04-10",
                          "The ferry operator began a review of its northern ferry route on Sunday.\n\n"
                          "The northern ferry route has lost passengers for three winters in a row.\n\n"
                          "A decision on the northern route closure is expected within weeks."),
    "close_a.md": _article("Northern ferry route to close", "Harbour Gazette", "2022-05-02",
                           "The ferry operator said on Monday that 120 crew members will lose their jobs "
                           "when the northern ferry route closes in June."),
    "close_b.md": _article("Ferry operator confirms job cuts", "Coast Daily", "2022-05-03",
                           "Union leaders called the decision a betrayal of the island communities.\n\n"
                           "The ferry operator said Monday that 120 crew members will lose their jobs "
                           "when the northern ferry route closes in June."),
    "claim.md": _article("Operator blames losses", "Business Wire Weekly", "2022-05-20",
                         "The ferry operator claimed the northern ferry route loses money on every crossing."),
    "denial.md": _article("Union disputes figures", "Labour Voice", "2022-05-25",
                          "The union denied that the northern ferry route loses money on every crossing."),
    "last_sailing.md": _article("A last look back", "Harbour Gazette", "2022-06-20",
                                "On 1 June 2022, the last ferry sailed the northern route before its closure."),
    "protest.md": _article("Islanders protest", "Community Newsletter", None,
                           "Islanders protested against the northern ferry route closure outside the town hall."),
    "harbour_master.md": _article("Harbour master speaks", "Quay Weekly", "2022-05-10",
                                  "Harbour master Anna Lindqvist spoke to reporters at the quay on Tuesday.\n\n"
                                  "The northern ferry route closure will leave the island cut off all winter, she said."),
    "mine.md": _article("Mining company accused of polluting river", "River Courier", "2023-08-19",
                        "Environmental groups said the mining company dumped tailings into the Sava river "
                        "last spring.\n\nCompany spokeswoman Lena Ortiz denied that any waste had entered the "
                        "river and called the reports false."),
    "volcano.md": _article("Volcano erupts near Reykjavik", "Nordic Herald", "2021-03-20",
                           "The Fagradalsfjall volcano erupted on the Reykjanes peninsula late on Friday night. "
                           "Lava flowed slowly into an empty valley."),
}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, embedder) -> Assistant:
    from index import update_index
    from tests.conftest import write_files

    root = tmp_path_factory.mktemp("timeline")
    corpus = write_files(root / "corpus", ARTICLES)
    update_index(corpus, root / "index", embedder=embedder, progress=False)
    return Assistant(root / "index", embedder=embedder)


@pytest.fixture(scope="module")
def ferry(assistant) -> Timeline:
    return assistant.timeline(FERRY_TOPIC)


def _entry(timeline: Timeline, doc_id: str):
    [entry] = [e for e in timeline.entries + timeline.undated if e.doc_id == doc_id]
    return entry


def test_entries_are_in_date_order_and_about_the_topic(ferry):
    dates = [e.date for e in ferry.entries]
    assert dates == sorted(dates) and all(dates)
    shown = {e.doc_id for e in ferry.entries}
    assert {"review", "close_a", "claim", "denial", "last_sailing"} <= shown
    assert "volcano" not in shown and "volcano" not in {e.doc_id for e in ferry.undated}


def test_one_entry_per_article(ferry):
    seen = [e.doc_id for e in ferry.entries + ferry.undated]
    seen += [r.doc_id for e in ferry.entries + ferry.undated for r in e.also_reported_by]
    assert len(seen) == len(set(seen))
    quote = _entry(ferry, "review").quote  # of its three sentences on the route, one
    assert "northern" in quote and quote.count(".") == 1


def test_a_full_date_in_the_sentence_places_the_entry_there(ferry):
    entry = _entry(ferry, "last_sailing")
    assert (entry.date, entry.date_from, entry.article_published) == ("2022-06-01", "sentence", "2022-06-20")
    others = [e for e in ferry.entries if e.date_from == "published"]
    assert others and all(e.date == e.article_published for e in others)


def test_an_article_with_no_date_is_listed_apart_never_guessed(ferry):
    assert [e.doc_id for e in ferry.undated] == ["protest"]
    assert ferry.undated[0].date is None and ferry.undated[0].date_from is None
    assert "protest" not in {e.doc_id for e in ferry.entries}


def test_near_copies_are_folded_into_the_earliest_with_also_reported_by(ferry):
    entry = _entry(ferry, "close_a")
    assert [(r.doc_id, r.source, r.published) for r in entry.also_reported_by] == [
        ("close_b", "Coast Daily", "2022-05-03")]
    assert "close_b" not in {e.doc_id for e in ferry.entries}


def test_a_denial_is_shown_with_the_claim_it_answers(ferry):
    denial, claim = _entry(ferry, "denial"), _entry(ferry, "claim")
    assert denial.denial and denial.answers is not None and denial.answers.doc_id == "claim"
    assert [d.doc_id for d in claim.denied_by] == ["denial"]


def test_a_claim_denied_in_its_own_article_carries_the_denial(assistant):
    timeline = assistant.timeline("mining company river pollution")
    entry = _entry(timeline, "mine")
    assert "dumped tailings" in entry.quote
    assert [d.quote for d in entry.denied_by] == [
        "Company spokeswoman Lena Ortiz denied that any waste had entered the river and called the reports false."]


def test_a_quote_that_names_its_speaker_only_as_she_starts_where_she_is_named(ferry):
    entry = _entry(ferry, "harbour_master")
    assert entry.quote.startswith("Harbour master Anna Lindqvist") and entry.quote.endswith("she said.")


def test_every_quote_is_the_article_body_at_its_offsets(assistant, ferry):
    for entry in ferry.entries + ferry.undated:
        body = assistant.article(entry.doc_id).body
        assert entry.quote and body[entry.start:entry.end] == entry.quote
        for r in entry.also_reported_by + entry.denied_by + ([entry.answers] if entry.answers else []):
            assert assistant.article(r.doc_id).body[r.start:r.end] == r.quote


@pytest.mark.parametrize("topic", ["melting point of tungsten", "football world cup final", "interest rates"])
def test_an_unrelated_topic_gives_an_empty_timeline_with_a_message(assistant, topic):
    timeline = assistant.timeline(topic)
    assert timeline.empty and timeline.entries == [] and timeline.undated == []
    assert "No article" in timeline.to_json()["message"]


def test_the_json_has_the_contract_fields(ferry):
    row = json.loads(json.dumps(ferry.to_json()))
    assert row["topic"] == FERRY_TOPIC and isinstance(row["undated"], list)
    for entry in row["entries"] + row["undated"]:
        assert list(entry)[:8] == ["published", "doc_id", "title", "source", "quote", "start", "end", "date_from"]
    assert [e["published"] for e in row["entries"]] == sorted(e["published"] for e in row["entries"])
    assert {e["date_from"] for e in row["entries"]} == {"published", "sentence"}


@pytest.mark.parametrize(("topic", "message"), [("", "topic is empty"), (" \t\n", "topic is empty"),
                                                ("x" * (MAX_TOPIC_CHARS + 1), "keep it under"),
                                                (None, "must be text")])
def test_a_bad_topic_is_refused_with_a_clear_message(assistant, topic, message):
    with pytest.raises(QuestionError, match=message):
        assistant.timeline(topic)


def test_k_below_one_is_refused(assistant):
    with pytest.raises(QuestionError, match="k must be at least 1"):
        assistant.timeline(FERRY_TOPIC, k=0)
