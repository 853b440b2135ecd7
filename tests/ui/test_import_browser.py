"""The Add articles tab in a real headless Chromium: upload an HTML page and a Markdown file, see them
indexed, ask about each in the Chat tab and see them cited; remove one and see it gone; a bad
upload gets one clear line. The server has a corpus and index of its own, so other tests see none of it."""
from __future__ import annotations

import re

import pytest

from tests.index.test_importer import PAGE
from tests.ui.conftest import ARTICLES, build_index, start_chat, stop
from tests.ui.screenshots import save_screenshot
from tests.ui.test_chat_browser import _ask

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GLASS = """---
title: "Glass museum: a \\"record\\" summer"
source: "Kosta Courier"
published: 2023-09-01
---
The glass museum in Kosta counted 41,000 visitors over the summer, a record for the town.

Its director, Sofia Lund, said the new workshop for children drew most of them.
"""
RUNNING = ("job => { const t = document.querySelector('#add-status').innerText;"
           " return t.startsWith(job) && t.includes('…') && t.includes('The chat keeps answering'); }")
DONE = ("job => new RegExp('^' + job + '[^\\n]*: (done|the index could not|nothing changed|failed)', 'm')"
        ".test(document.querySelector('#add-status').innerText)")


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory):
    """(base URL, root) of `ui.py` over a corpus of two fixture articles that the tests add to."""
    root = tmp_path_factory.mktemp("desk")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in ("harbour.md", "orchard.md"):
        (corpus / name).write_text(ARTICLES[name], encoding="utf-8")
    build_index(corpus, root / "index")
    server, url = start_chat(root)
    yield url, root
    stop(server)


def _open_tab(browser, url: str):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url + "/")
    page.locator("textarea").first.wait_for(timeout=60_000)
    page.get_by_role("tab", name="Add articles").click()
    return context, page, dialogs


def _upload_and_add(page, paths: list) -> str:
    """Choose the files, wait for them to upload, press Add and wait for the import to finish; the status text."""
    page.locator("#add-files input[type=file]").set_input_files([str(p) for p in paths])
    for path in paths:
        page.locator(f"#add-files td.filename[aria-label='{path.name}']").wait_for(timeout=30_000)
    page.get_by_role("button", name="Add", exact=True).click()
    page.wait_for_function(RUNNING, arg="Adding", timeout=30_000)  # the progress shows while it works
    page.wait_for_function(DONE, arg="Adding", timeout=180_000)
    return page.locator("#add-status").inner_text()


def _to_chat(page) -> None:
    page.get_by_role("tab", name="Chat").click()
    page.locator("textarea").first.wait_for(state="visible", timeout=10_000)


def test_upload_html_and_markdown_ask_about_each_then_remove_one(desk_server, browser, tmp_path):
    url, root = desk_server
    (tmp_path / "dam.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "glass.md").write_text(GLASS, encoding="utf-8")
    (tmp_path / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 40)
    context, page, dialogs = _open_tab(browser, url)

    status = _upload_and_add(page, [tmp_path / "dam.html", tmp_path / "glass.md", tmp_path / "photo.md"])

    assert re.search(r"^Adding 3 article files: done, 1 of 3 refused \(\d+ s\)$", status, re.M), status
    assert "imported dam.html as dam-spillway-rebuilt-ahead-of-spring-floods-" in status
    assert "imported glass.md as glass-museum-a-record-summer-" in status
    [refusal] = [line for line in status.splitlines() if line.startswith("refused")]
    assert refusal.strip() == ("refused photo.md: looks like a binary file (a NUL byte at byte 8), not an article; "
                               "article files must be text, best UTF-8 (UTF-16 needs its byte order mark)")
    listing = page.locator("#article-list").inner_text()
    assert "4 articles in the index" in listing and 'Glass museum: a "record" summer — Kosta Courier' in listing
    assert "Dam spillway rebuilt ahead of spring floods — River Gazette · 2022-02-14" in listing
    save_screenshot(page, "add-articles.png", tmp_path)

    _to_chat(page)
    dam = _ask(page, "How much did the spillway work at the Lindholm dam cost?").inner_text()
    glass = _ask(page, "How many visitors did the glass museum in Kosta count over the summer?").inner_text()
    assert "9.5 million euros" in dam and "River Gazette" in dam and "[1]" in dam
    assert "41,000 visitors" in glass and "Kosta Courier" in glass
    assert page.evaluate("() => document.body.getAttribute('data-pwned')") is None

    page.get_by_role("tab", name="Add articles").click()
    page.locator("#remove-choice input").click()
    page.locator("#remove-choice input").fill("Dam spillway")
    page.get_by_role("option", name="Dam spillway", exact=False).first.click()
    page.get_by_role("button", name="Remove").click()
    page.wait_for_function(DONE, arg="Removing", timeout=180_000)

    status = page.locator("#add-status").inner_text()
    assert "removed dam-spillway-rebuilt-ahead-of-spring-floods-" in status and "refused" not in status
    page.wait_for_function("() => /3 articles in the index/.test(document.querySelector('#article-list').innerText)",
                           timeout=30_000)
    assert "Dam spillway" not in page.locator("#article-list").inner_text()
    assert not list((root / "corpus").glob("dam-spillway-*"))
    _to_chat(page)
    after = _ask(page, "How much did the spillway work at the Lindholm dam cost?").inner_text()
    assert "9.5 million euros" not in after and "River Gazette" not in after
    assert dialogs == [] and "Traceback" not in page.content()
    context.close()


def test_a_bad_upload_gets_one_clear_line_and_adds_nothing(desk_server, browser, tmp_path):
    url, root = desk_server
    (tmp_path / "menu.html").write_text("<html><body><nav><a href='/'>Home</a> | <a>News</a></nav>"
                                        "<script>alert('x')</script></body></html>", encoding="utf-8")
    before = sorted(p.name for p in (root / "corpus").iterdir())
    context, page, dialogs = _open_tab(browser, url)

    status = _upload_and_add(page, [tmp_path / "menu.html"])

    lines = [line.strip() for line in status.splitlines() if line.strip()]
    assert re.fullmatch(r"Adding 1 article file: done, 1 of 1 refused \(\d+ s\)", lines[0])
    [refusal] = lines[1:]
    assert re.fullmatch(r"refused menu\.html: no article text found in this page \(\d+ characters outside navigation "
                        r"and markup\); save the article's own page as HTML, or paste its text in as \.txt", refusal)
    assert sorted(p.name for p in (root / "corpus").iterdir()) == before
    assert dialogs == [] and "Traceback" not in page.content()
    context.close()


def test_a_file_over_the_upload_limit_is_refused_with_a_message_before_it_is_sent(desk_server, browser, tmp_path):
    from ui import MAX_UPLOAD_BYTES

    url, root = desk_server
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (MAX_UPLOAD_BYTES + 1))
    context, page, _ = _open_tab(browser, url)

    page.locator("#add-files input[type=file]").set_input_files([str(big)])

    page.get_by_text('File(s) exceed the maximum allowed size of 10.0 Mb: "big.txt"').wait_for(timeout=30_000)
    assert page.locator("#add-files td.filename").count() == 0  # nothing was taken
    context.close()


def test_pasted_text_without_a_title_is_refused_in_one_line(desk_server, browser):
    url, root = desk_server
    context, page, _ = _open_tab(browser, url)
    page.get_by_role("button", name="Paste an article").click()
    page.get_by_label("Article text").fill("Some text that has no title.")

    page.get_by_role("button", name="Add", exact=True).click()

    status = page.locator("#add-status")
    status.get_by_text("needs a title").wait_for(timeout=30_000)
    assert status.inner_text().strip() == "The pasted article needs a title; type one above its text."
    context.close()
