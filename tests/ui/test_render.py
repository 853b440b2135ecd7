"""The chat's Markdown rendering and replies, without a browser: untrusted text stays inert."""
from __future__ import annotations

import re

from index import Chunk
from qa.types import Answer, Citation, Passage
from ui import ChatBackend, article_link, escape_markdown, render_answer


def _citation(**overrides) -> Citation:
    fields = dict(n=1, doc_id="d", quote="Quote [x](javascript:alert(1)) <script>x</script>", start=0, end=10,
                  score=0.9, title="<b>Title</b>", source="Outlet", url="javascript:alert(1)", published=None)
    return Citation(**(fields | overrides))


def test_escape_markdown_leaves_no_live_html_or_link():
    out = escape_markdown('<img src=x onerror=alert(1)> [a](javascript:b) ![i](http://x/p.png) **bold**')
    assert "<" not in out and ">" not in out.replace("&gt;", "")
    assert "](" not in out and "![" not in out and "**" not in out


def test_render_answer_escapes_quote_and_title_and_drops_unsafe_urls():
    answer = Answer(question="q", text="Quote <script>x</script> [1]", abstained=False, citations=[_citation()])
    md = render_answer(answer)
    assert "<script>" not in md and "<b>" not in md
    assert "javascript" not in re.sub(r"javascript\\:", "", md)   # only as escaped text, never a link target
    assert "original source" not in md and "unknown" not in md   # no link, and no placeholder either
    assert article_link("d", 0, 10) in md


def test_source_line_shows_only_what_is_known():
    md = render_answer(Answer(question="q", text="x [1]", abstained=False,
                              citations=[_citation(source=None, published=None, url=None, title="T")]))
    assert "unknown" not in md and "**T**  \n" in md
    md = render_answer(Answer(question="q", text="x [1]", abstained=False,
                              citations=[_citation(source="Outlet", published="2021-02-03", title="T")]))
    assert "**T** — Outlet · 2021\\-02\\-03" in md


def test_apostrophes_and_quotes_are_not_turned_into_entities():
    md = render_answer(Answer(question="q", text="FDD's \"Long War\" & <co> [1]", abstained=False,
                              citations=[_citation(source="FDD's Long War Journal")]))
    assert "&#" not in md and "&quot;" not in md
    assert "FDD's Long War Journal" in md and "&amp; &lt;co&gt;" in md


def test_render_answer_links_http_originals():
    md = render_answer(Answer(question="q", text="x [1]", abstained=False,
                              citations=[_citation(url="https://example.org/a")]))
    assert "[original source](https://example.org/a)" in md


def test_render_abstention_lists_closest_passages():
    chunk = Chunk(chunk_id="d#0", doc_id="d", text="Nearby text", start=5, end=16)
    md = render_answer(Answer(question="q", text="The articles do not answer this.", abstained=True,
                              retrieved=[Passage(chunk, 0.1, 0)], titles={"d": "T"}))
    assert "Closest passages" in md and article_link("d", 5, 16) in md


def test_article_link_encodes_the_id():
    assert article_link("a/b c", 1, 2) == "/article/a%2Fb%20c?start=1&end=2#cited"


def test_backend_without_index_explains_how_to_build_it(tmp_path):
    backend = ChatBackend(tmp_path / "no-index")
    reply = backend.reply("anything?")
    assert "python \\-m index" in reply or "make index" in reply
    assert "Traceback" not in reply
    assert backend.article_page("d", 0, 1) is None
