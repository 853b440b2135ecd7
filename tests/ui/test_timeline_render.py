"""The Timeline tab's Markdown without a browser: every piece of article text stays inert."""
from __future__ import annotations

import re

from qa import Entry, Timeline
from qa.types import Report
from ui import ChatBackend, article_link, render_timeline

HOSTILE = "<img src=x onerror=alert(1)> [x](javascript:alert(2)) **bold** # head"


def _entry(**overrides) -> Entry:
    fields = dict(doc_id="d", quote=HOSTILE, start=3, end=40, relevance=0.8, date="2021-02-03",
                  date_from="published", title="<b>T</b>", source="Outlet [o](javascript:x)",
                  url="javascript:alert(1)", article_published="2021-02-03")
    return Entry(**(fields | overrides))


def test_entries_show_date_outlet_title_escaped_quote_and_link():
    md = render_timeline(Timeline("topic <i>", [_entry()]))
    assert "**2021\\-02\\-03**" in md and article_link("d", 3, 40) in md
    assert "<" not in md.replace("&lt;", "") and "](javascript" not in md and "**bold**" not in md
    assert "original source" not in md  # a javascript: URL is never a link
    assert "Undated" not in md


def test_a_sentence_date_is_marked_with_the_publication_date_beside_it():
    md = render_timeline(Timeline("t", [_entry(date="2021-01-15", date_from="sentence")]))
    assert "**2021\\-01\\-15** *(date given in the sentence; published 2021\\-02\\-03)*" in md


def test_copies_denials_and_the_undated_are_shown_with_links():
    copy = Report(doc_id="c", quote="q", start=0, end=1, source="Other <b>", published="2021-02-04")
    denial = Report(doc_id="n", quote="They denied <it>.", start=5, end=22, source="Third")
    md = render_timeline(Timeline("t", [_entry(also_reported_by=[copy], denied_by=[denial])],
                                  undated=[_entry(doc_id="u", date=None, date_from=None, article_published=None)]))
    assert f"Also reported by: [Other &lt;b&gt; (2021\\-02\\-04)]({article_link('c', 0, 1)})" in md
    assert f"Denied by [Third]({article_link('n', 5, 22)}): “They denied &lt;it&gt;\\.”" in md
    undated = md.split("#### Undated", 1)[1]
    assert article_link("u", 3, 40) in undated and not re.search(r"\*\*\d", undated)


def test_an_empty_timeline_says_so():
    assert "No article in the index is about this topic" in render_timeline(Timeline("nothing"))


def test_the_tab_reply_never_raises(tmp_path):
    backend = ChatBackend(tmp_path / "no-index")
    assert "no index yet" in backend.timeline_reply("ferry")
