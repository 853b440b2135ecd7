"""Article files -> `Article` values: front matter, ids, and one clear `CorpusError` per broken file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from index import Article, CorpusError, QAError, load_corpus, parse_article
from index.articles import decode_article_text, find_article_files, hash_content

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
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file (a NUL byte at byte 8)"),
    (b"Text\x01\x02\x03 with \x04\x05\x06 controls \x07\x08\x0e everywhere", "binary file (9 of 40 characters"),
    (b"\xff\xfeA\x00\x00\xd8", "UTF-16 byte order mark but is not valid UTF-16"),
    (b"---\ntitle: Nothing below\n---\n  \n\n", "body is empty"),
    (b"", "the file is empty (0 bytes)"),
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
        "utf16.md": "UTF-16 text without a byte order mark.".encode("utf-16-le"),
        "binary.md": bytes(range(256)),
        "empty.md": "",
        "script.md": "---\nurl: javascript:alert(1)\n---\nBody.",
        "date.md": "---\npublished: '2021-13-01'\n---\nBody.",
        "zz_last.md": "The last good file.",
    })

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["good", "zz_last"]
    broken = {p.path.name: p.reason for p in loaded.problems}
    assert sorted(broken) == sorted(["bad_yaml.md", "unclosed.md", "unknown.md", "utf16.md", "binary.md",
                                     "empty.md", "script.md", "date.md"])
    assert all(p.path.parent == corpus for p in loaded.problems)
    assert "byte order mark" in broken["utf16.md"] and "binary" in broken["binary.md"]


def test_two_files_with_the_same_id_are_reported_and_the_first_kept(make_corpus):
    corpus = make_corpus({"a.md": "From markdown.", "a.txt": "From text."})

    loaded = load_corpus(corpus)

    assert [(a.doc_id, a.body) for a in loaded.articles] == [("a", "From markdown.")]
    [problem] = loaded.problems
    assert problem.path == corpus / "a.txt"
    assert problem.reason == (f"has the same id 'a' as {corpus / 'a.md'}, which is indexed instead; "
                              f"rename or remove one of them")


def test_doc_ids_are_relative_posix_paths_without_extension(make_corpus):
    corpus = make_corpus({"top.md": GOOD, "sub/x.md": GOOD, "sub/deeper/y.v2.markdown": GOOD, "UPPER.TXT": GOOD})

    assert sorted(a.doc_id for a in load_corpus(corpus).articles) == ["UPPER", "sub/deeper/y.v2", "sub/x", "top"]


def test_hidden_files_folders_and_other_suffixes_are_skipped(make_corpus):
    corpus = make_corpus({"seen.md": GOOD, ".draft.md": GOOD, ".git/HEAD.md": GOOD, "sub/.cache/z.txt": GOOD,
                          "notes.rst": GOOD, "image.png": b"\x89PNG\x00"})

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["seen"]
    assert loaded.problems == []


def test_article_files_are_listed_in_path_order_as_pathlib_sorts_them(make_corpus):
    names = ["a-b/x.md", "a/x.md", "a b.md", "A.md", "a.md", "a.txt", "sub/z.txt", "sub/deeper/y.markdown", "ä.md"]
    corpus = make_corpus({name: GOOD for name in names} | {".hidden/q.md": GOOD, "sub/skip.rst": GOOD})
    (corpus / "link.md").symlink_to(corpus / "a.md")

    listed = find_article_files(corpus)

    assert listed == sorted(corpus / name for name in [*names, "link.md"])  # "a/x.md" before "a-b/x.md"


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


def test_the_size_limit_comes_from_the_environment_or_the_argument(make_corpus, monkeypatch):
    corpus = make_corpus({"big.md": "word " * 40, "small.md": GOOD})

    monkeypatch.setenv("QA_MAX_ARTICLE_BYTES", "100")
    from_variable = load_corpus(corpus)
    from_argument = load_corpus(corpus, max_bytes=1_000)

    assert [a.doc_id for a in from_variable.articles] == ["small"]
    assert "too large" in from_variable.problems[0].reason and "QA_MAX_ARTICLE_BYTES" in from_variable.problems[0].reason
    assert [a.doc_id for a in from_argument.articles] == ["big", "small"]


@pytest.mark.parametrize("value", ["ten", "0", "-5", "1e6"])
def test_a_size_limit_variable_that_is_not_a_number_is_refused_with_the_value(make_corpus, monkeypatch, value: str):
    monkeypatch.setenv("QA_MAX_ARTICLE_BYTES", value)

    with pytest.raises(QAError, match=f"QA_MAX_ARTICLE_BYTES must be a positive number of bytes, got '{value}'"):
        load_corpus(make_corpus({"a.md": GOOD}))


def test_a_ten_megabyte_file_is_refused_without_reading_it_all(make_corpus):
    corpus = make_corpus({"huge.md": b"All work and no play. " * 480_000, "small.md": GOOD})

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["small"]
    [problem] = loaded.problems
    assert problem.path.name == "huge.md"
    assert problem.reason.startswith("is too large: 10,560,000 bytes, over the 5,000,000-byte limit for one article")


# --- other encodings ----------------------------------------------------------------------------------

TEXT = "---\ntitle: Café crème\n---\nThe naïve café served crème brûlée – at 5 €.\n"


@pytest.mark.parametrize(("encoding", "note"), [
    ("utf-8", None),
    ("utf-8-sig", None),
    ("utf-16", "read as UTF-16 (it starts with a byte order mark)"),
    ("utf-32", "read as UTF-32 (it starts with a byte order mark)"),
    ("cp1252", "not UTF-8 (byte 14 is 0xe9), read as Windows-1252; check its accented letters and re-save it as UTF-8"),
])
def test_a_file_in_another_encoding_is_read_and_the_encoding_noted(make_corpus, encoding: str, note: str | None):
    corpus = make_corpus({"cafe.md": TEXT.encode(encoding)})

    loaded = load_corpus(corpus)

    [article] = loaded.articles
    assert (article.title, article.body) == ("Café crème", "The naïve café served crème brûlée – at 5 €.\n")
    assert loaded.problems == []
    assert [str(n) for n in loaded.notes] == ([] if note is None else [f"{corpus / 'cafe.md'}: {note}"])


def test_bytes_windows_1252_lacks_fall_back_to_latin_1_and_a_stray_control_character_is_kept():
    raw = b"Caf\xe9 \x81 " + b"and a long sentence after it. " * 5

    text, note = decode_article_text(raw)

    assert text == raw.decode("latin-1") and "read as Latin-1" in note


# --- links and odd entries ---------------------------------------------------------------------------

def test_a_link_to_a_folder_outside_the_corpus_is_refused_and_not_followed(make_corpus, tmp_path: Path):
    outside = make_corpus({"secret.md": GOOD}, name="outside")
    corpus = make_corpus({"inside.md": GOOD, "sub/deeper.md": GOOD})
    (corpus / "escape").symlink_to(outside, target_is_directory=True)
    (corpus / "again.md").symlink_to(corpus / "sub", target_is_directory=True)  # inside: not followed, not reported

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["inside", "sub/deeper"]
    [problem] = loaded.problems
    assert problem.path == corpus / "escape" and "folder outside the corpus" in problem.reason


def test_a_dangling_link_is_named(make_corpus):
    corpus = make_corpus({"inside.md": GOOD})
    (corpus / "gone.md").symlink_to(corpus / "deleted.md")

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["inside"]
    [problem] = loaded.problems
    assert problem.path.name == "gone.md" and "which does not exist" in problem.reason


def test_a_named_pipe_with_an_article_suffix_is_refused_without_blocking(make_corpus):
    corpus = make_corpus({"inside.md": GOOD})
    os.mkfifo(corpus / "pipe.md")

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["inside"]
    assert "not a regular file" in loaded.problems[0].reason


def test_a_folder_named_like_an_article_is_searched_not_reported(make_corpus):
    corpus = make_corpus({"2021.md/inner.md": GOOD})

    loaded = load_corpus(corpus)

    assert [a.doc_id for a in loaded.articles] == ["2021.md/inner"] and loaded.problems == []


# --- properties: whatever the bytes, a loaded article or a CorpusError --------------------------------

_FRONT = st.sampled_from(["", "---\n", "---\ntitle: T\n---\n", "---\npublished: 2021-02-30\n---\n", "\ufeff---\n",
                          "---\n[[[[[[[[\n---\n", "---\n? [a]\n: b\n---\n", "---\ntitle: !!python/name:os.system\n---\n",
                          "---\nurl: " + "9" * 5000 + "\n---\n", "---\r\nauthor: &a [*a]\r\n---\r\n"])


def check_loaded_or_reported(raw: bytes) -> None:
    try:
        article = parse_article(raw, doc_id="any", path="corpus/any.md")
    except CorpusError as e:
        assert e.path == Path("corpus/any.md") and e.reason
        return
    assert article.body.strip() and article.content_hash == hash_content(raw)
    assert "\r" not in article.body
    assert all(value is None or isinstance(value, str) for value in article.metadata().values())


@hypothesis_settings(max_examples=300)
@given(raw=st.binary(max_size=400))
def test_property_any_bytes_load_or_raise_only_corpus_error(raw: bytes):
    check_loaded_or_reported(raw)


@hypothesis_settings(max_examples=300)
@given(front=_FRONT, text=st.text(max_size=300), encoding=st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1"]))
def test_property_any_text_in_any_encoding_loads_or_raises_only_corpus_error(front: str, text: str, encoding: str):
    check_loaded_or_reported((front + text).encode(encoding, errors="replace"))


@hypothesis_settings(max_examples=200)
@given(text=st.text(st.characters(blacklist_categories=["Cc", "Cs"]), min_size=1, max_size=300))
def test_property_utf8_text_without_front_matter_is_the_body_as_written(text: str):
    raw = text.encode("utf-8")
    if text.startswith(("---\n", "---\r", "\ufeff")) or not text.strip():
        return
    article = parse_article(raw, doc_id="t")

    assert article.body == text.replace("\r\n", "\n").replace("\r", "\n")


@hypothesis_settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.dictionaries(st.from_regex(r"[a-z]{1,3}\.(md|txt)", fullmatch=True), st.binary(max_size=200), max_size=6))
def test_property_load_corpus_accounts_for_every_file(tmp_path_factory, files: dict[str, bytes]):
    corpus = tmp_path_factory.mktemp("corpus")
    for name, raw in files.items():
        (corpus / name).write_bytes(raw)

    loaded = load_corpus(corpus)

    named = [corpus / f"{a.doc_id}{s}" for a in loaded.articles for s in (".md", ".txt") if (corpus / f"{a.doc_id}{s}").exists()]
    reported = [p.path for p in loaded.problems]
    assert sorted(set(named) | set(reported)) == sorted(corpus / n for n in files)
    assert len({a.doc_id for a in loaded.articles}) == len(loaded.articles)


# --- the command line ----------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_index_command_names_each_bad_file_on_one_line_and_indexes_the_rest(run_module, make_corpus, tmp_path):
    corpus = make_corpus({"good.md": GOOD, "latin.txt": "Caf\xe9 au lait. Served hot.".encode("cp1252"),
                          "a.md": GOOD, "a.txt": GOOD, "empty.md": b"", "binary.md": b"\x89PNG\x00\x00\x01",
                          "yaml.md": "---\ntitle: [x\n---\nBody."})
    (corpus / "escape.md").symlink_to(tmp_path / "elsewhere.md")

    result = run_module("index", "--corpus", str(corpus), "--index-dir", str(tmp_path / "index"), "--quiet")

    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert sorted(line.split(": ")[0] for line in lines) == sorted(
        [f"skipped {corpus / n}" for n in ("a.txt", "empty.md", "binary.md", "yaml.md", "escape.md")]
        + [f"note {corpus / 'latin.txt'}"])
    assert "3 added" in result.stdout and "3 articles" in result.stdout
    again = run_module("index", "--corpus", str(corpus), "--index-dir", str(tmp_path / "index"), "--quiet")
    assert again.returncode == 0 and "up to date" in again.stdout
    assert sorted(again.stderr.strip().splitlines()) == sorted(lines)  # said again while the files stay as they are
