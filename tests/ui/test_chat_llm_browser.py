"""The chat with generated answers in a real headless Chromium, against the real local model server.

`ui.py --llm URL` talks to llama.cpp's server (Gemma 3 270M, tests/llm_server.py) with the
settings `make chat LLM=local` uses. The reader sees the model's sentences as they come, marked
unchecked (never raw JSON or numbered lines), then the checked answer with its sources, or the
extractive answer with one line saying why. `QA_SCREENSHOT_DIR=docs` retakes docs/generated.png.
"""
from __future__ import annotations

import re

import pytest

from tests.llm_server import CHAT_ENV, server_state, start_llm_server
from tests.ui.conftest import start_chat, stop
from tests.ui.screenshots import save_screenshot
from tests.ui.test_chat_browser import _open_chat

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BOT = ".message.bot, [data-testid='bot']"
UNCHECKED = "not yet checked against the sources"
FALLBACK = "showing the extractive answer"


@pytest.fixture(scope="module")
def llm_chat(chat_index, tmp_path_factory):
    """(base URL of `ui.py --llm` over the fixture corpus, that of the real model server behind it)."""
    model, url = start_llm_server(tmp_path_factory.mktemp("llm") / "server.log")
    try:
        chat, chat_url = start_chat(chat_index, "--llm", url, "--read-only", env=CHAT_ENV)
        try:
            yield chat_url, url
        finally:
            stop(chat)
    finally:
        stop(model)


def test_the_answer_streams_then_the_checked_answer_or_the_fallback_replaces_it(llm_chat, browser, tmp_path):
    chat_url, model_url = llm_chat
    context, page, dialogs = _open_chat(browser, chat_url)
    box = page.locator("textarea").first
    box.fill("What did the mining company spokeswoman say about the river?")
    box.press("Enter")
    # The streamed draft, or (where the server failed before its first words) the final answer at once.
    streamed = page.wait_for_function(
        "s => { const m = document.querySelectorAll('.message.bot, [data-testid=\"bot\"]');"
        " const t = m.length ? m[m.length - 1].innerText : '';"
        " return (t.includes(s) || /Sources|do not answer/.test(t)) && t; }",
        arg=UNCHECKED, timeout=300_000).json_value()
    assert UNCHECKED in streamed, f"no draft was streamed; the chat showed:\n{streamed}\n{server_state(model_url)}"
    written = streamed.split("Writing…")[0].strip()
    assert written, streamed
    assert not re.search(r"[{}]|^\s*\[\d+\]", written, re.M), f"raw model output shown: {streamed!r}"
    page.wait_for_function(
        "s => { const m = document.querySelectorAll('.message.bot, [data-testid=\"bot\"]');"
        " const t = m.length ? m[m.length - 1].innerText : '';"
        " return !t.includes(s) && /Sources|do not answer/.test(t); }",
        arg=UNCHECKED, timeout=300_000)
    final = page.locator(BOT).last.inner_text()
    assert "Sources" in final and "[1]" in final
    if FALLBACK in final:  # the check removed everything, or the model found no answer: one line why
        why = [line for line in final.splitlines() if FALLBACK in line]
        assert len(why) == 1 and any(s in why[0] for s in ("None of the model's", "found no answer", "leaves out")), final
        assert "Lena Ortiz denied that any waste had entered the river" in final  # the extractive quote
    else:  # generated: every sentence shown cites a source, and a removed one is counted
        body = final.split("Sources")[0]
        claims = [s for s in re.split(r"(?<=\])\s+", body) if s.strip() and not s.startswith(("Understood", "*"))]
        assert claims and all(re.search(r"\[\d+\]", s) for s in claims), final
    assert "Traceback" not in final and dialogs == []
    shown = save_screenshot(page, "generated.png", tmp_path, element=".gradio-container")
    assert shown.stat().st_size > 10_000
    context.close()
