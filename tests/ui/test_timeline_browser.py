"""The Timeline tab in a real headless Chromium: a topic in, dated, ordered, cited entries out."""
from __future__ import annotations

import re

import pytest

from tests.ui.screenshots import save_screenshot
from tests.ui.test_chat_browser import INJECTED, _open_chat

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _timeline(page, topic: str):
    """Open the Timeline tab, ask for a topic's timeline and return the rendered result once shown."""
    page.get_by_role("tab", name="Timeline").click()
    box = page.locator("#timeline-topic textarea")
    box.wait_for(timeout=30_000)
    box.fill(topic)
    box.press("Enter")
    page.wait_for_function(
        "t => { const r = document.querySelector('#timeline-result');"
        " return r && r.innerText.includes('Timeline: ' + t) || /Please give a topic|busy/.test(r && r.innerText); }",
        arg=topic, timeout=60_000)
    return page.locator("#timeline-result")


def test_a_topic_gives_dated_ordered_cited_entries(chat_server, browser):
    context, page, dialogs = _open_chat(browser, chat_server)
    page.set_viewport_size({"width": 1100, "height": 900})
    result = _timeline(page, "northern ferry route")
    entries = [li.inner_text() for li in result.locator("li").all()]
    dates = [DATE.search(text).group(0) for text in entries]
    assert dates == sorted(dates) and len(dates) == 3, entries
    assert "Ferry News" in entries[0] and "review of the northern route" in entries[0]
    assert "120 crew members" in entries[1] and "Also reported by" in entries[1] and "Island Post" in entries[1]
    assert dates[2] == "2022-06-01" and "date given in the sentence" in entries[2] and "2022-06-20" in entries[2]
    link = result.get_by_role("link", name="read it in the article").nth(1)
    assert link.get_attribute("href").startswith("/article/ferry_a?start=0&end=")
    view = context.new_page()
    view.goto(chat_server + link.get_attribute("href"))
    assert "120 crew members" in view.locator("mark#cited").inner_text()
    save_screenshot(page, "timeline")
    assert dialogs == [] and "Traceback" not in page.content()
    context.close()


def test_a_claim_is_shown_with_its_denial(chat_server, browser):
    context, page, _ = _open_chat(browser, chat_server)
    text = _timeline(page, "mining company river pollution").inner_text()
    assert "2023-08-19" in text and "River Courier" in text and "dumped tailings" in text
    assert "Denied by" in text and "Lena Ortiz denied that any waste had entered the river" in text
    context.close()


def test_an_undated_article_is_listed_apart_and_its_text_stays_inert(chat_server, browser):
    context, page, dialogs = _open_chat(browser, chat_server)
    result = _timeline(page, "night market street food stalls")
    text = result.inner_text()
    assert "Undated" in text and "night market" in text
    assert not DATE.search(text.split("Undated")[0])  # no dated entry: nothing guessed
    assert result.locator(INJECTED).count() == 0
    assert page.evaluate("() => document.body.getAttribute('data-pwned')") is None
    assert dialogs == []
    context.close()


def test_an_unrelated_topic_and_an_empty_one_get_plain_messages(chat_server, browser):
    context, page, _ = _open_chat(browser, chat_server)
    assert "No article in the index is about this topic" in _timeline(page, "melting point of tungsten").inner_text()
    page.locator("#timeline-topic textarea").fill("")
    page.get_by_role("button", name="Show timeline").click()
    page.wait_for_function("() => /Please give a topic/.test(document.querySelector('#timeline-result').innerText)",
                           timeout=30_000)
    assert "Traceback" not in page.content()
    context.close()
