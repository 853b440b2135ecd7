"""A model server that is down, stalls or answers garbage: the extractive answer and one line why.

The real llama.cpp server cannot be made to misbehave on cue, so these use a tiny stub HTTP
server in a thread (tests/qa/test_llm_server.py talks to the real one).
"""
from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from index import Article, Chunk
from qa.generate import generate_answer
from qa.llm import LLMError, LLMSettings, stream_chat
from qa.types import Answer, Citation, Passage

BODY = ("A UN report says there are 200 to 500 al-Qaeda fighters in 11 provinces. "
        "The spokesman said the reports were untrue.")
ARTICLES = {"a": Article(doc_id="a", body=BODY, title="Ties", source="Herald")}
EXTRACTIVE_TEXT = "Herald: A UN report says there are 200 to 500 al-Qaeda fighters in 11 provinces. [1]"


def extractive() -> Answer:
    quote = BODY[:73]
    return Answer(question="how many fighters?", text=EXTRACTIVE_TEXT, abstained=False,
                  citations=[Citation(1, "a", quote, 0, 73, 1.0, title="Ties", source="Herald")],
                  retrieved=[Passage(Chunk("a#0", "a", BODY, 0, len(BODY)), 0.9, 0)])


def sse(*pieces: str) -> bytes:
    events = [f"data: {json.dumps({'choices': [{'delta': {'content': p}}]})}\n\n" for p in pieces]
    return ("".join(events) + "data: [DONE]\n\n").encode()


def sse_text(*pieces: str) -> bytes:
    """A `/completions` stream: each event's piece is in choices[0].text."""
    events = [f"data: {json.dumps({'choices': [{'text': p, 'index': 0}]})}\n\n" for p in pieces]
    return ("".join(events) + "data: [DONE]\n\n").encode()


class Stub(BaseHTTPRequestHandler):
    mode = "ok"
    requests: list[tuple[str, dict]] = []  # (path, body) of every request, for the tests to read

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.requests.append((self.path, json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))))
        if self.mode == "stall":
            time.sleep(5)
            return
        body = {"ok": sse("A UN report says there are ", "200 to 500 al-Qaeda fighters in 11 provinces [1]. ",
                          "The spokesman said the reports were true [1]."),
                "garbage": b"<html>Bad gateway</html>",
                "nocite": sse("The Taliban are very strong and control everything."),
                "cannot": sse("I cannot answer from these articles."),
                "json": sse('{"sentences": [{"text": "There are 200 to 500 al-Qaeda fighters in 11 provinces.", ',
                            '"sources": [1]}, {"text": "There are 900 fighters.", "sources": [1]}]}'),
                "badjson": sse('{"answer": "200 to 500"}'),
                "lines": sse_text("1] (Herald) There are 200 to 500 al-Qaeda ", "fighters in 11 provinces.\n",
                                  "[1] There are 900 fighters."),
                "nothing": sse_text("0] I cannot answer from these articles."),
                "rest": sse_text(" al-Qaeda fighters are in 11 provinces, ", "a UN report says."),
                "error": b'{"error": "model not loaded"}'}[self.mode]
        self.send_response(500 if self.mode == "error" else 200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def stub() -> Iterator[callable]:
    servers = []

    def serve(mode: str) -> LLMSettings:
        handler = type("Handler", (Stub,), {"mode": mode, "requests": []})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        serve.requests = handler.requests
        return LLMSettings(url=f"http://127.0.0.1:{server.server_address[1]}/v1", chunk_timeout=1.0,
                           total_timeout=5.0)

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_streamed_reply_is_checked_and_what_is_wrong_removed_and_counted(stub):
    seen: list[str] = []
    answer = generate_answer(extractive(), "how many fighters?", ARTICLES, stub("ok"), on_text=seen.append)
    assert answer.mode == "generated" and len(seen) == 3 and seen[-1].endswith("true [1].")
    assert answer.text == "A UN report says there are 200 to 500 al-Qaeda fighters in 11 provinces. [1]"
    assert answer.removed == 1 and answer.note == "1 sentence removed: not supported by the sources"
    row = answer.to_json()
    assert row["mode"] == "generated" and [s["supported"] for s in row["supported"]] == [True, False]
    assert all(BODY[c["start"]:c["end"]] == c["quote"] for c in row["citations"])


@pytest.mark.parametrize("mode, why", [
    ("garbage", "not JSON"),
    ("error", "HTTP 500"),
    ("nocite", "None of the model's 1 sentences is supported"),
    ("cannot", "found no answer"),
])
def test_garbage_gives_the_extractive_answer_and_one_line(stub, mode, why):
    answer = generate_answer(extractive(), "how many fighters?", ARTICLES, stub(mode))
    assert answer.mode == "extractive" and answer.text == EXTRACTIVE_TEXT
    assert why in answer.note and "\n" not in answer.note
    assert answer.to_json()["mode"] == "extractive"


def test_a_json_reply_is_read_as_sentences_with_their_sources(stub):
    settings = dataclasses.replace(stub("json"), json_reply=True)
    answer = generate_answer(extractive(), "how many fighters?", ARTICLES, settings)
    assert answer.mode == "generated" and answer.removed == 1
    assert answer.text == "There are 200 to 500 al-Qaeda fighters in 11 provinces. [1]"


def test_a_json_reply_of_another_shape_gives_the_extractive_answer(stub):
    settings = dataclasses.replace(stub("badjson"), json_reply=True)
    answer = generate_answer(extractive(), "how many fighters?", ARTICLES, settings)
    assert answer.mode == "extractive" and "JSON reply is not" in answer.note


def test_a_server_that_stalls_is_given_up_on_after_the_chunk_timeout(stub):
    started = time.monotonic()
    answer = generate_answer(extractive(), "how many fighters?", ARTICLES, stub("stall"))
    assert time.monotonic() - started < 4
    assert answer.mode == "extractive" and "sent nothing for 1 s" in answer.note


def test_a_server_that_is_down_gives_the_extractive_answer_at_once():
    settings = LLMSettings(url=f"http://127.0.0.1:{closed_port()}/v1")
    started = time.monotonic()
    answer = generate_answer(extractive(), "how many fighters?", ARTICLES, settings)
    assert time.monotonic() - started < 3
    assert answer.text == EXTRACTIVE_TEXT and "cannot be reached" in answer.note


def test_the_client_raises_one_typed_error():
    with pytest.raises(LLMError, match="cannot be reached"):
        list(stream_chat([{"role": "user", "content": "hi"}], LLMSettings(url=f"http://127.0.0.1:{closed_port()}/v1")))


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("QA_LLM_URL", "http://127.0.0.1:11434/v1/")
    monkeypatch.setenv("QA_LLM_MODEL", "llama3.2")
    monkeypatch.setenv("QA_LLM_CONTEXT", "8192")
    settings = LLMSettings.from_env()
    assert (settings.url, settings.model, settings.context) == ("http://127.0.0.1:11434/v1", "llama3.2", 8192)
    monkeypatch.delenv("QA_LLM_URL")
    with pytest.raises(LLMError, match="--llm URL"):
        LLMSettings.from_env()
    with pytest.raises(LLMError, match="http://"):
        LLMSettings.from_env("127.0.0.1:8080")


def test_a_json_reply_streams_as_its_sentences_never_as_raw_json(stub):
    seen: list[str] = []
    settings = dataclasses.replace(stub("json"), json_reply=True)
    generate_answer(extractive(), "how many fighters?", ARTICLES, settings, on_text=seen.append)
    assert seen and not any(ch in text for text in seen for ch in '{}[]"')
    assert seen[0] == "There are 200 to 500 al-Qaeda fighters in 11 provinces."
    assert seen[-1] == "There are 200 to 500 al-Qaeda fighters in 11 provinces. There are 900 fighters."


def test_a_completion_prompt_is_continued_line_by_line_and_checked(stub):
    seen: list[str] = []
    settings = dataclasses.replace(stub("lines"), prompt="completion")
    answer = generate_answer(extractive(), "how many fighters?", ARTICLES, settings, on_text=seen.append)
    path, body = stub.requests[-1]
    assert path == "/v1/completions" and body["prompt"].endswith("Question: how many fighters?\nAnswer:\n[")
    assert "\n[1] (Herald) " + BODY[:72] + "\nQuestion:" in body["prompt"]  # the quoted sentence, alone
    assert "untrue" not in body["prompt"] and "\n\n" in body["stop"] and body["temperature"] == 0
    assert answer.mode == "generated" and answer.removed == 1
    assert answer.text == "There are 200 to 500 al-Qaeda fighters in 11 provinces. [1]"
    assert all(BODY[c.start:c.end] == c.quote for c in answer.citations)
    assert seen[-1] == "There are 200 to 500 al-Qaeda fighters in 11 provinces. There are 900 fighters."
    assert all(text.strip() for text in seen)  # never an empty "Writing…" (the line's number alone)


def test_a_completion_reads_each_quoted_sentence_alone_and_cites_it_by_its_own_number(stub):
    two = extractive()
    two.citations.append(Citation(2, "a", BODY[73:], 73, len(BODY), 0.9, title="Ties", source="Herald"))
    answer = generate_answer(two, "how many fighters?", ARTICLES,
                             dataclasses.replace(stub("lines"), prompt="completion"))
    prompts = [body["prompt"].rsplit("Passages:\n", 1)[1] for _, body in stub.requests]  # after the examples
    assert len(prompts) == 2 and all(p.startswith("[1] (Herald) ") and "\n[2] " not in p for p in prompts)
    assert "provinces.\nQuestion:" in prompts[0] and "untrue.\nQuestion:" in prompts[1]
    # the same two lines came back for both: the 200-to-500 line holds for passage 1 only, 900 for neither
    assert answer.removed == 3 and [s["cites"] for s in answer.supported] == [[1], [1], [2], [2]]
    assert answer.text == "There are 200 to 500 al-Qaeda fighters in 11 provinces. [1]"
    assert [(c.start, c.end) for c in answer.citations] == [(0, 72)]


def test_a_completion_line_begins_with_the_readers_short_answer_and_the_model_ends_it(stub):
    led = dataclasses.replace(extractive(), text="200 to 500 [1]\n" + EXTRACTIVE_TEXT)
    answer = generate_answer(led, "how many fighters?", ARTICLES, dataclasses.replace(stub("rest"), prompt="completion"))
    assert stub.requests[-1][1]["prompt"].endswith("Question: how many fighters?\nAnswer:\n[1] 200 to 500")
    assert answer.mode == "generated" and answer.removed == 0
    assert answer.text == "200 to 500 al-Qaeda fighters are in 11 provinces, a UN report says. [1]"


def test_a_generated_answer_without_the_readers_short_answer_is_not_shown(stub):
    led = dataclasses.replace(extractive(), text="The spokesman [1]\n" + EXTRACTIVE_TEXT)  # not in the quote
    answer = generate_answer(led, "who?", ARTICLES, dataclasses.replace(stub("lines"), prompt="completion"))
    assert not stub.requests[-1][1]["prompt"].endswith("The spokesman")
    assert answer.mode == "extractive" and answer.text == led.text
    assert answer.note == ("The model's answer leaves out “The spokesman”, the answer the passages give; "
                           "showing the extractive answer.")
    assert [s["supported"] for s in answer.supported] == [True, False] and answer.removed == 1


def test_a_small_model_is_not_asked_when_the_reader_abstained(stub):
    abstained = dataclasses.replace(extractive(), abstained=True, text="I could not find this.", citations=[])
    answer = generate_answer(abstained, "who?", ARTICLES, dataclasses.replace(stub("lines"), prompt="completion"))
    assert stub.requests == [] and answer.mode == "extractive" and answer.abstained
    assert answer.note == "No passage answers the question, so the model was not asked."


def test_a_completion_that_finds_no_answer_gives_the_extractive_answer(stub):
    seen: list[str] = []
    answer = generate_answer(extractive(), "how many fighters?", ARTICLES,
                             dataclasses.replace(stub("nothing"), prompt="completion"), on_text=seen.append)
    assert answer.mode == "extractive" and "found no answer" in answer.note
    assert seen == []  # "I cannot answer" is not streamed as if it were the answer


def test_timeouts_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("QA_LLM_CONNECT_TIMEOUT", "0.5")
    monkeypatch.setenv("QA_LLM_CHUNK_TIMEOUT", "12")
    monkeypatch.setenv("QA_LLM_TOTAL_TIMEOUT", "40")
    monkeypatch.setenv("QA_LLM_PROMPT", "completion")
    settings = LLMSettings.from_env("http://127.0.0.1:8080/v1")
    assert (settings.connect_timeout, settings.chunk_timeout, settings.total_timeout) == (0.5, 12.0, 40.0)
    assert settings.prompt == "completion"


@pytest.mark.parametrize("variable, value, message", [
    ("QA_LLM_CHUNK_TIMEOUT", "soon", "QA_LLM_CHUNK_TIMEOUT must be a number of seconds above 0, got 'soon'"),
    ("QA_LLM_CONNECT_TIMEOUT", "0", "QA_LLM_CONNECT_TIMEOUT must be a number of seconds above 0, got '0'"),
    ("QA_LLM_PROMPT", "raw", "QA_LLM_PROMPT must be one of chat, completion, got 'raw'"),
])
def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(LLMError) as caught:
        LLMSettings.from_env("http://127.0.0.1:8080/v1")
    assert str(caught.value) == message


def test_the_chunk_timeout_from_the_environment_is_the_one_waited(stub, monkeypatch):
    monkeypatch.setenv("QA_LLM_CHUNK_TIMEOUT", "0.5")
    settings = LLMSettings.from_env(stub("stall").url)
    started = time.monotonic()
    answer = generate_answer(extractive(), "how many fighters?", ARTICLES, settings)
    assert time.monotonic() - started < 3
    assert "sent nothing for 0.5 s (QA_LLM_CHUNK_TIMEOUT waits longer)" in answer.note


def test_a_server_that_never_accepts_the_connection_is_given_up_on_after_the_connect_timeout():
    with socket.socket() as listener:  # a full backlog: the kernel leaves further connections unanswered
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        waiting = []
        for _ in range(8):
            try:
                waiting.append(socket.create_connection(("127.0.0.1", port), timeout=0.3))
            except OSError:
                break
        else:
            pytest.skip("this kernel accepts connections beyond a full backlog; no connect timeout to provoke")
        started = time.monotonic()
        answer = generate_answer(extractive(), "how many fighters?", ARTICLES,
                                 LLMSettings(url=f"http://127.0.0.1:{port}/v1", connect_timeout=0.5))
        elapsed = time.monotonic() - started
        for s in waiting:
            s.close()
    assert elapsed < 3 and answer.mode == "extractive"
    assert "did not accept a connection within 0.5 s (QA_LLM_CONNECT_TIMEOUT)" in answer.note
