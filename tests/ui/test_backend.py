"""The chat's server side without a server: the answer gate's limits and a live index swap under load."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

import qa.assistant
from tests.conftest import TOPIC_ARTICLES
from ui import AnswerGate, ChatBackend, ChatLimits

NEW_ARTICLE = ("---\ntitle: Probe reaches Jupiter\nsource: Orbit Daily\n---\n"
               "The Juno probe entered orbit around Jupiter after a five year journey.\n")


def blocking_answer(release: threading.Event, started: list[str]):
    def answer(name: str) -> str:
        started.append(name)
        release.wait(10)
        return f"answer {name}"

    return answer


def test_the_gate_runs_workers_lets_some_wait_and_turns_the_rest_away_at_once():
    async def scenario():
        gate = AnswerGate(ChatLimits(workers=1, waiting=1, max_wait_s=10))
        release, started = threading.Event(), []
        answer = blocking_answer(release, started)
        first = asyncio.create_task(gate.run(answer, "a"))
        second = asyncio.create_task(gate.run(answer, "b"))
        await asyncio.sleep(0.2)
        began = time.perf_counter()
        third = await gate.run(answer, "c")            # one working, one waiting: no room
        turned_away_in = time.perf_counter() - began
        assert started == ["a"]                        # the waiting one has not started
        release.set()
        return await first, await second, third, turned_away_in, started

    first, second, third, turned_away_in, started = asyncio.run(scenario())

    assert (first, second, third) == ("answer a", "answer b", None)
    assert turned_away_in < 0.1 and started == ["a", "b"]


def test_a_question_that_waits_too_long_is_told_the_chat_is_busy():
    async def scenario():
        gate = AnswerGate(ChatLimits(workers=1, waiting=5, max_wait_s=0.3))
        release, started = threading.Event(), []
        answer = blocking_answer(release, started)
        first = asyncio.create_task(gate.run(answer, "a"))
        await asyncio.sleep(0.1)
        late = await gate.run(answer, "b")
        release.set()
        after = await gate.run(answer, "c")           # the slot came back: the gate is not stuck
        return await first, late, after

    assert asyncio.run(scenario()) == ("answer a", None, "answer c")


def test_a_cancelled_question_gives_its_place_back():
    async def scenario():
        gate = AnswerGate(ChatLimits(workers=1, waiting=1, max_wait_s=10))
        release, started = threading.Event(), []
        answer = blocking_answer(release, started)
        first = asyncio.create_task(gate.run(answer, "a"))
        await asyncio.sleep(0.1)
        waiting = asyncio.create_task(gate.run(answer, "b"))
        await asyncio.sleep(0.1)
        waiting.cancel()                              # the asker closed the page
        await asyncio.gather(waiting, return_exceptions=True)
        room = asyncio.create_task(gate.run(answer, "c"))
        await asyncio.sleep(0.1)
        release.set()
        return await first, await room, started

    assert asyncio.run(scenario()) == ("answer a", "answer c", ["a", "c"])


def test_limits_refuse_nonsense():
    with pytest.raises(Exception, match="workers >= 1"):
        ChatLimits(workers=0)


@pytest.mark.slow
def test_questions_during_index_updates_are_answered_from_a_whole_index(make_corpus, build, embedder, tmp_path):
    corpus = make_corpus(TOPIC_ARTICLES)
    index_dir = tmp_path / "index"
    build(corpus, index_dir)
    backend = ChatBackend(index_dir, embedder=embedder)
    replies: list[str] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            replies.append(backend.reply("Who won the world chess championship?"))

    askers = [threading.Thread(target=keep_asking) for _ in range(2)]
    for asker in askers:
        asker.start()
    for number in range(3):  # add, change, delete: each a new index version going live mid-question
        (corpus / f"extra{number}.md").write_text(NEW_ARTICLE.replace("five", str(number + 5)), encoding="utf-8")
        if number:
            (corpus / f"extra{number - 1}.md").unlink()
        build(corpus, index_dir)
        time.sleep(0.3)
    stop.set()
    for asker in askers:
        asker.join(timeout=60)

    assert len(replies) >= 3
    assert all("Carlsen" in text and "**Sources**" in text for text in replies), [t[:200] for t in replies]
    assert "Juno" in backend.reply("Which probe entered orbit around Jupiter?")
    assert backend.article_page("extra2", None, None) is not None and backend.article_page("extra0", None, None) is None


@pytest.mark.slow
def test_while_a_new_index_loads_questions_are_answered_from_the_old_one(make_corpus, build, embedder, tmp_path,
                                                                         monkeypatch):
    corpus = make_corpus(TOPIC_ARTICLES)
    index_dir = tmp_path / "index"
    build(corpus, index_dir)
    backend = ChatBackend(index_dir, embedder=embedder)
    (corpus / "space.md").write_text(NEW_ARTICLE, encoding="utf-8")
    build(corpus, index_dir)
    loading, slow_load = threading.Event(), qa.assistant.load_index

    def load_slowly(*args, **kwargs):
        loading.set()
        time.sleep(3)
        return slow_load(*args, **kwargs)

    monkeypatch.setattr(qa.assistant, "load_index", load_slowly)
    reloading = threading.Thread(target=backend.reply, args=("Who won the world chess championship?",))
    reloading.start()
    assert loading.wait(10)
    began = time.perf_counter()
    during = backend.reply("Which probe entered orbit around Jupiter?")
    waited = time.perf_counter() - began
    reloading.join(timeout=30)
    after = backend.reply("Which probe entered orbit around Jupiter?")

    assert waited < 2.5                    # not held up by the load in progress
    assert "Juno" not in during            # the old index, whole: it has no such article
    assert "Juno" in after and "**Sources**" in after
