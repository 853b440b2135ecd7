"""Article files -> `Article` values: front matter, ids, and one clear `CorpusError` per broken file."""
from __future__ import annotations

from pathlib import Path

import pytest

from index import Article, CorpusError, load_corpus, parse_article
from index.articles import hash_content

GOOD = "A plain article body. It has two sentences.\n"


def test_front_matter_fields_are_parsed_and_the_body_follows_it():
    raw = ("---\ntitle: Floods in Dhaka\nsource: River Post\nurl: https://example.com/floods\n"
           "published: 2020-07-14\nauthor: Rina Das\nlanguage: en\n---\nWater rose overnight.\n").encode()

    article = parse_article(raw, doc_id="floods")

    assert article == Article(doc_id="floods", body="Water rose overnight.\n", title="Floods in Dhaka",
                              source="River Post", url="https://example.com/floods", published="2020-07-14",
                              author="Rina Das", language="en", content_hash=hash_content(raw))


def test_a_file_without_front_matter_is_all_body_with_no_metadata():
    article = parse_article(GOOD.encode(), doc_id="plain")

    assert article.body == GOOD
    assert article.metadata() == dict.fromkeys(("title", "source", "url", "published", "author", "language"))


def test_empty_front_matter_and_missing_fields_are_allowed():
    article = parse_article(b"---\n---\nJust text.", doc_id="x")

    assert (article.body, article.title, article.url) == ("Just text.", None, None)


def test_a_timestamp_in_published_keeps_only_the_date():
    article = parse_article(b"---\npublished: 2021-02-15T10:30:00Z\n---\nBody.", doc_id="x")

    assert article.published == "2021-02-15"


def test_a_utf8_byte_order_mark_does_not_hide_the_front_matter():
    article = parse_article("\ufeff---\ntitle: Café\n---\nBody é.".encode(), doc_id="x")

    assert (article.title, article.body) == ("Café", "Body é.")


def test_crlf_and_cr_line_ends_become_newlines_in_body_and_front_matter():
    raw = b"---\r\ntitle: Windows\r\n---\r\nFirst line.\r\nSecond line.\rThird line.\r\n"

    article = parse_article(raw, doc_id="win")

    assert article.title == "Windows"
    assert article.body == "First line.\nSecond line.\nThird line.\n"
    assert article.content_hash == hash_content(raw)


@pytest.mark.parametrize(("raw", "problem"), [
    (b"---\ntitle: [unclosed\n---\nBody.", "not valid YAML"),
    (b"---\ntitle: Open\nBody without a closing line.\n", "no closing '---'"),
    (b"---\n- just\n- a list\n---\nBody.", "YAML mapping"),
    (b"---\ntitle: T\nsummary: extra\n---\nBody.", "unknown front matter field(s) ['summary']"),
    (b"---\ntitle: [a, b]\n---\nBody.", "'title' must be text"),
    (b"Caf\xe9 au lait.", "not UTF-8 (byte 3 is 0xe9)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"---\ntitle: Nothing below\n---\n  \n\n", "body is empty"),
    (b"", "body is empty"),
    (b"---\nurl: javascript:alert(1)\n---\nBody.", "url must start with http:// or https://"),
    (b"---\nurl: ftp://example.com/a\n---\nBody.", "url must start with http:// or https://"),
    (b"---\npublished: 15/02/2021\n---\nBody.", "published must be an ISO date"),
    (b"---\npublished: yesterday\n---\nBody.", "published must be an ISO date"),
    (b"---\npublished: '2021-02-30'\n---\nBody.", "published must be an ISO date"),
])
def test_a_broken_article_raises_corpus_error_naming_file_and_problem(raw: bytes, problem: str):
    with pytest.raises(CorpusError) as caught:
        parse_article(raw, doc_id="bad", path=Path("corpus/bad.md"))

    assert caught.value.path == Path("corpus/bad.md")
    assert problem in caught.value.reason
    assert str(caught.value).startswith("corpus/bad.md: ")


def test_a_published_value_with_trailing_garbage_is_rejected():
    with pytest.raises(CorpusError, match="published must be an ISO date"):
        parse_article(b"---\npublished: 2021-02-15 or maybe later\n---\nBody.", doc_id="x")


IMPOSSIBLE_DATE_BUG = ("an unquoted date YAML reads as a timestamp but that does not exist (2021-02-30) makes PyYAML "
                       "raise ValueError, not YAMLError; _split_front_matter lets it escape instead of a CorpusError")


def test_an_unquoted_impossible_date_is_a_corpus_error():
    with pytest.raises(CorpusError, match="bad.md"):
        parse_article(b"---\npublished: 2021-02-30\n---\nBody.", doc_id="bad", path="corpus/bad.md")


def test_an_unquoted_impossible_date_does_not_stop_the_other_files(make_corpus):
    corpus = make_corpus({"a.md": GOOD, "b.md": "---\npublished: 2021-13-01\n---\nBody.", "c.md": GOOD})

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["a", "c"]
    assert [p.path.name for p in loaded.problems] == ["b.md"]


def test_load_corpus_reports_each_broken_file_and_loads_the_others(make_corpus):
    corpus = make_corpus({
        "good.md": GOOD,
        "bad_yaml.md": "---\ntitle: [oops\n---\nBody.",
        "unclosed.md": "---\ntitle: x\nBody.",
        "unknown.md": "---\nheadline: x\n---\nBody.",
        "latin1.txt": "Caf\xe9".encode("latin-1"),
        "binary.md": bytes(range(256)),
        "empty.md": "",
        "script.md": "---\nurl: javascript:alert(1)\n---\nBody.",
        "date.md": "---\npublished: '2021-13-01'\n---\nBody.",
        "zz_last.md": "The last good file.",
    })

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["good", "zz_last"]
    broken = {p.path.name: p.reason for p in loaded.problems}
    assert sorted(broken) == sorted(["bad_yaml.md", "unclosed.md", "unknown.md", "latin1.txt", "binary.md",
                                     "empty.md", "script.md", "date.md"])
    assert all(p.path.parent == corpus for p in loaded.problems)
    assert "UTF-8" in broken["latin1.txt"] and "binary" in broken["binary.md"]


def test_two_files_with_the_same_id_are_reported_and_the_first_kept(make_corpus):
    corpus = make_corpus({"a.md": "From markdown.", "a.txt": "From text."})

    loaded = load_corpus(corpus)

    assert [(a.doc_id, a.body) for a in loaded.articles] == [("a", "From markdown.")]
    [problem] = loaded.problems
    assert problem.path == corpus / "a.txt"
    assert "'a'" in problem.reason and "rename" in problem.reason


def test_doc_ids_are_relative_posix_paths_without_extension(make_corpus):
    corpus = make_corpus({"top.md": GOOD, "sub/x.md": GOOD, "sub/deeper/y.v2.markdown": GOOD, "UPPER.TXT": GOOD})

    assert sorted(a.doc_id for a in load_corpus(corpus).articles) == ["UPPER", "sub/deeper/y.v2", "sub/x", "top"]


def test_hidden_files_folders_and_other_suffixes_are_skipped(make_corpus):
    corpus = make_corpus({"seen.md": GOOD, ".draft.md": GOOD, ".git/HEAD.md": GOOD, "sub/.cache/z.txt": GOOD,
                          "notes.rst": GOOD, "image.png": b"\x89PNG\x00"})

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["seen"]
    assert loaded.problems == []


def test_load_corpus_of_a_missing_folder_raises_corpus_error(tmp_path: Path):
    with pytest.raises(CorpusError, match="corpus folder not found"):
        load_corpus(tmp_path / "nowhere")


def test_content_hash_changes_with_any_byte_and_only_then(make_corpus):
    first = load_corpus(make_corpus({"a.md": "Same text."}, name="one")).articles[0]
    same = load_corpus(make_corpus({"a.md": "Same text."}, name="two")).articles[0]
    edited = load_corpus(make_corpus({"a.md": "Same text!"}, name="three")).articles[0]

    assert first.content_hash == same.content_hash != edited.content_hash


def test_a_link_to_a_file_outside_the_corpus_is_refused(make_corpus, tmp_path: Path):
    outside = tmp_path / "secret.md"
    outside.write_text("Not part of the corpus.", encoding="utf-8")
    corpus = make_corpus({"inside.md": GOOD})
    (corpus / "escape.md").symlink_to(outside)
    (corpus / "alias.md").symlink_to(corpus / "inside.md")

    loaded = load_corpus(corpus)

    assert sorted(a.doc_id for a in loaded.articles) == ["alias", "inside"]
    [problem] = loaded.problems
    assert problem.path.name == "escape.md" and "outside the corpus" in problem.reason


def test_an_oversized_file_is_refused_with_the_limit(make_corpus, monkeypatch):
    monkeypatch.setattr("index.articles.MAX_ARTICLE_BYTES", 100)
    corpus = make_corpus({"big.md": "word " * 40, "small.md": GOOD})

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["small"]
    assert "200 bytes, over the 100-byte limit" in loaded.problems[0].reason
