"""The chat's filters in a real headless Chromium: dates and an outlet set beside the question box
restrict what the answer cites, and the answer says which filter applied."""
from __future__ import annotations

import re

import pytest

from tests.ui.screenshots import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BOT = ".message.bot, [data-testid='bot']"
DAY = re.compile(r"\b(20\d\d)-\d\d-\d\d\b")


def _open_chat(browser, chat_server):
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    page = context.new_page()
    page.goto(chat_server + "/")
    page.locator("textarea").first.wait_for(timeout=60_000)
    return context, page


def _ask(page, question: str, done: str = "Sources|do not answer|No article matches"):
    """Ask in the chat; the new bot message once complete."""
    before = page.locator(BOT).count()
    box = page.locator("textarea").first
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "([n, done]) => { const m = document.querySelectorAll('.message.bot, [data-testid=\"bot\"]');"
        " return m.length > n && new RegExp(done).test(m[m.length - 1].innerText); }",
        arg=[before, done], timeout=60_000)
    return page.locator(BOT).last


def _set_dates(page, since: str, until: str) -> None:
    page.locator("#filter-since input").fill(since)
    page.locator("#filter-until input").fill(until)


def _choose_outlet(page, name: str) -> None:
    page.locator("#filter-outlet input").click()
    page.get_by_role("option", name=name, exact=True).click()


def _sources_part(text: str) -> str:
    return text.split("Sources", 1)[1] if "Sources" in text else ""


def test_a_date_filter_cites_only_articles_of_that_period(chat_server, browser, tmp_path):
    context, page = _open_chat(browser, chat_server)
    _set_dates(page, "2022-01-01", "2022-12-31")
    text = _ask(page, "What will happen to the ferry crew members?").inner_text()
    assert "Searched only articles published 2022-01-01 to 2022-12-31" in text
    cited_years = {m.group(1) for m in DAY.finditer(_sources_part(text))}
    assert cited_years == {"2022"}, text
    assert "120 crew members" in text
    shown = save_screenshot(page, "filters.png", tmp_path)
    assert shown.stat().st_size > 10_000

    text = _ask(page, "How much did the bridge repairs cost?").inner_text()  # its answer is of 2021
    assert "14 million euros" not in text and "Coastal Herald" not in _sources_part(text)
    _set_dates(page, "", "")
    text = _ask(page, "How much did the bridge repairs cost?").inner_text()
    assert "Searched only" not in text and "14 million euros" in text and "2021-03-04" in _sources_part(text)
    context.close()


def test_an_outlet_filter_leaves_near_copies_of_other_outlets_out(chat_server, browser):
    context, page = _open_chat(browser, chat_server)
    _choose_outlet(page, "Island Post")
    text = _ask(page, "How many crew members will lose their jobs on the ferry?").inner_text()
    assert "Searched only articles from outlet Island Post" in text
    assert "120 crew members" in text and "Island Post" in _sources_part(text)
    assert "Harbour Gazette" not in text and "Also reported by" not in text
    context.close()


def test_a_bad_date_and_a_filter_matching_nothing_get_clear_messages(chat_server, browser):
    context, page = _open_chat(browser, chat_server)
    _set_dates(page, "2021-13-01", "")
    text = _ask(page, "Who denied polluting the river?", done="Please check the filter").inner_text()
    assert "the from date '2021-13-01' is not a date; write YYYY-MM-DD" in text
    _set_dates(page, "2030-01-01", "")
    text = _ask(page, "Who denied polluting the river?").inner_text()
    assert "No article matches the filter (published on or after 2030-01-01)" in text
    assert "Traceback" not in page.content()
    context.close()


def test_a_period_in_the_question_is_applied_and_shown(chat_server, browser):
    context, page = _open_chat(browser, chat_server)
    text = _ask(page, "Who denied polluting the river in 2023?").inner_text()
    assert "Understood as: Who denied polluting the river? — published 2023-01-01 to 2023-12-31" in text
    assert "Lena Ortiz" in text and {m.group(1) for m in DAY.finditer(_sources_part(text))} == {"2023"}
    context.close()
