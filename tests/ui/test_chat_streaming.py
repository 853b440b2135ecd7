"""The chat with a model server: the reply streams in, marked unchecked, then the checked answer replaces it."""
from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import ui


class SlowBackend:
    llm = object()

    def reply(self, message, turns, since, until, outlet, on_text):
        for text in ("The ferry", "The ferry stops [1]."):
            on_text(text)
            time.sleep(0.4)
        return "The ferry stops on Sundays. \\[1\\]\n\n**Sources**"


def test_the_reply_streams_then_the_checked_answer_replaces_it():
    respond = ui._streaming(None, SlowBackend(), ui.AnswerGate(ui.ChatLimits()))

    async def collect():
        return [step async for step in respond("when does the ferry stop?", [], [])]

    # a thread of its own: a browser test earlier in the session may hold this thread's event loop
    with ThreadPoolExecutor(1) as pool:
        steps = pool.submit(asyncio.run, collect()).result(timeout=60)
    shown = [history[-1]["content"] for history, _, _ in steps]
    assert any(s.endswith(ui.STREAM_NOTE) and "The ferry" in s for s in shown[:-1])
    assert shown[-1].startswith("The ferry stops on Sundays.") and ui.STREAM_NOTE not in shown[-1]
    assert steps[-1][0][0] == {"role": "user", "content": "when does the ferry stop?"} and steps[-1][1] == ""


def test_a_note_from_the_check_is_shown_under_the_answer():
    from qa import Answer

    answer = Answer("q", "Ferries stop. [1]", False, note="1 sentence removed: not supported by the sources")
    assert f"*{ui.escape_markdown(answer.note)}*" in ui.render_answer(answer)
