"""The chat in a real headless Chromium: ask, see the cited answer, follow the source, see the highlight."""
from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _ask(page, question: str):
    """Ask in the chat and return the new bot message once it is complete (with its sources)."""
    selector = ".message.bot, [data-testid='bot']"
    before = page.locator(selector).count()  # an earlier answer must not pass for this one
    box = page.locator("textarea").first
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "n => { const m = document.querySelectorAll('.message.bot, [data-testid=\"bot\"]');"
        " return m.length > n && /Sources|do not answer/.test(m[m.length - 1].innerText); }",
        arg=before, timeout=60_000)
    return page.locator(selector).last


def _open_chat(browser, chat_server):
    """A fresh browser context on the chat page, and the list every dialog (alert) is recorded in."""
    context = browser.new_context()
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(chat_server + "/")
    page.locator("textarea").first.wait_for(timeout=60_000)
    return context, page, dialogs


def test_ask_see_citation_follow_link_and_see_highlight(chat_server, browser):
    context, page, dialogs = _open_chat(browser, chat_server)
    answer = _ask(page, "How much did the bridge repairs cost?")
    text = answer.inner_text()
    assert "14 million euros" in text and "[1]" in text
    assert "Coastal Herald" in text and "2021-03-04" in text
    assert "HACKED" not in text  # the "ignore all previous instructions" line of another article changes nothing
    link = answer.get_by_role("link", name="read it in the article").first
    href = link.get_attribute("href")
    assert href.startswith("/article/harbour?") and href.endswith("#cited")
    with context.expect_page() as opened:
        link.click()
    article = opened.value
    article.wait_for_load_state()
    mark = article.locator("mark#cited")
    assert "14 million euros" in mark.inner_text()
    assert mark.is_visible()
    in_view = article.evaluate(
        "() => { const r = document.getElementById('cited').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }")
    assert in_view
    assert dialogs == []
    context.close()


def test_answer_text_shows_quotes_ampersands_and_markdown_characters_exactly_as_written(chat_server, browser):
    context, page, dialogs = _open_chat(browser, chat_server)
    question = "What did the quarry's owners say about the expansion's cost?"
    answer = _ask(page, question)
    text = answer.inner_text()
    written = r"""The quarry's owners said the expansion is "on hold" & will cost <roughly> #2 million, a *first* for the_firm, filed under C:\plans\quarry."""
    assert written in text, text
    assert "O'Brien & Sons' Weekly" in text and 'Quarry\'s expansion "on hold" after vote' in text
    assert "&#" not in text and "&amp;" not in text and "&lt;" not in text
    asked = page.locator(".message.user, [data-testid='user']").last.inner_text()
    assert question in asked, asked
    assert dialogs == []
    context.close()


def test_example_questions_come_from_the_index_and_fill_the_box(chat_server, browser):
    context, page, dialogs = _open_chat(browser, chat_server)
    examples = page.locator("button.gallery-item")
    examples.first.wait_for(timeout=30_000)
    shown = examples.all_inner_texts()
    assert len(shown) == 3 and all(text.startswith("What") for text in shown), shown
    assert "Musa Qala" not in page.inner_text("body")   # nothing of another collection
    newest = examples.filter(has_text=re.compile("mining company", re.I))   # the newest fixture headline
    newest.first.click()
    page.wait_for_function("() => /mining company/i.test(document.querySelector('textarea').value)", timeout=10_000)
    assert dialogs == []
    context.close()


# Everything a hostile article could make a browser do: run script, load an element, navigate away.
INJECTED = "script, img, svg, iframe, object, embed, meta[http-equiv], [onerror], [onload], a[href^='javascript']"


def test_hostile_article_text_stays_inert(chat_server, browser):
    context, page, dialogs = _open_chat(browser, chat_server)
    answer = _ask(page, "How many stalls sell street food at the night market?")
    text = answer.inner_text()
    assert "forty stalls" in text
    assert "onerror" in text  # shown as text, not turned into an element
    assert page.evaluate("() => document.body.getAttribute('data-pwned')") is None
    assert answer.locator(INJECTED).count() == 0
    href = answer.get_by_role("link", name="read it in the article").first.get_attribute("href")
    view = context.new_page()
    view.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    view.goto(chat_server + href)
    assert "<script>" in view.locator("h1").inner_text()
    assert view.locator("body script, body img").count() == 0
    assert view.evaluate("() => document.body.getAttribute('data-pwned')") is None
    assert dialogs == []
    context.close()


@pytest.mark.parametrize("highlight", ["", "?start=0&end=40", "?start=999999&end=5"])
def test_the_hostile_article_view_runs_nothing_and_injects_nothing(chat_server, browser, highlight):
    context = browser.new_context()
    view = context.new_page()
    dialogs, requests = [], []
    view.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    view.on("request", lambda r: requests.append(r.url))
    url = chat_server + "/article/hostile" + highlight
    view.goto(url)
    view.wait_for_timeout(1500)  # time for an onerror, onload or meta refresh to fire, if any could

    assert dialogs == [] and view.url == url
    assert view.locator(INJECTED).count() == 0
    assert view.evaluate("() => document.body.getAttribute('data-pwned')") is None
    assert requests == [url]  # not even the article's image or iframe was fetched
    shown = view.locator("body").inner_text()
    assert "<script>alert('xss')</script>" in shown and "<svg onload=alert('author')></svg>" in shown
    assert "</mark></div><script>alert('break')</script>" in shown  # a closing tag in the text closes nothing
    context.close()


def test_an_unanswerable_question_gets_a_plain_abstention(chat_server, browser):
    context, page, _ = _open_chat(browser, chat_server)
    reply = _ask(page, "What is the melting point of tungsten?")
    assert "do not answer" in reply.inner_text() and "Closest passages" in reply.inner_text()
    assert "Traceback" not in page.content()
    context.close()


def test_near_copies_show_one_passage_also_reported_by(chat_server, browser):
    context, page, _ = _open_chat(browser, chat_server)
    text = _ask(page, "How many crew members will lose their jobs on the ferry?").inner_text()
    assert "120 crew members" in text
    assert "Also reported by" in text
    outlets = [name for name in ("Harbour Gazette", "Island Post") if name in text]
    assert len(outlets) == 2                       # one cited, the other listed as also reporting
    # the same passage from the second outlet is folded into the first, not quoted again
    assert ("said Monday that 120" in text) != ("said on Monday that 120" in text)
    context.close()


def test_denial_question_names_who_denied_what(chat_server, browser):
    context, page, _ = _open_chat(browser, chat_server)
    text = _ask(page, "Who denied that the mining company polluted the river?").inner_text()
    assert "Lena Ortiz" in text.splitlines()[0] or text.lstrip().startswith("Lena Ortiz")
    assert "denied that any waste had entered the river" in text
    assert "River Courier" in text
    context.close()


def test_follow_up_question_resolves_against_the_previous_turn(chat_server, browser):
    context, page, _ = _open_chat(browser, chat_server)
    first = _ask(page, "Which city engineer talked about the harbour bridge repairs?").inner_text()
    assert "Tomas Berg" in first
    follow = _ask(page, "How much did he say they cost?").inner_text()
    assert "Understood as" in follow
    assert "14 million euros" in follow
    context.close()
