"""A client for any OpenAI-compatible chat endpoint (llama.cpp, Ollama, vLLM, a hosted API).

Owns: the endpoint's settings (`QA_LLM_URL`, `QA_LLM_MODEL`, `QA_LLM_API_KEY`, `QA_LLM_CONTEXT`),
one streamed `/chat/completions` request (server-sent events) with a timeout on connecting, on
each streamed chunk and on the whole reply, and turning every way it can fail into `LLMError`
with a one-line reason. Does not: build prompts, check what the model wrote, or retry.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from typing import Iterator

import httpx

from index import QAError

URL_VARIABLE, MODEL_VARIABLE, KEY_VARIABLE, CONTEXT_VARIABLE = ("QA_LLM_URL", "QA_LLM_MODEL", "QA_LLM_API_KEY",
                                                                 "QA_LLM_CONTEXT")
JSON_VARIABLE = "QA_LLM_JSON"
# With `json_reply`, the reply is held to this shape by the server's constrained decoding (llama.cpp's
# `response_format` with a schema): a base model such as Gemma 3 270M otherwise only continues the prompt.
REPLY_SCHEMA = {"type": "object", "required": ["sentences"], "properties": {"sentences": {
    "type": "array", "minItems": 1, "maxItems": 4, "items": {"type": "object", "required": ["text", "sources"], "properties": {
        "text": {"type": "string", "maxLength": 300},
        "sources": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "integer"}}}}}}}
DEFAULT_CONTEXT = 4096
# A small model that is not instruction-tuned goes on to write the next passage or question.
STOP = ("<passage", "Passages:", "Question:")


class LLMError(QAError):
    """The model server could not give an answer: down, slow, refused, or sent something unreadable."""


@dataclass(frozen=True)
class LLMSettings:
    """Where the model is and how long to wait for it.

    Args:
        url: the API base, e.g. http://127.0.0.1:8080/v1 (`/chat/completions` is added).
        model: the model name sent (Ollama and hosted APIs need one; llama.cpp takes any).
        api_key: sent as a Bearer token when given.
        context: the model's context window in tokens; the prompt and the reply must fit in it.
        max_tokens: the longest reply asked for.
        connect_timeout: seconds to connect.
        chunk_timeout: seconds to wait for each streamed chunk (the first waits for the prompt to be read).
        total_timeout: seconds for the whole reply.
    """

    url: str
    model: str = "default"
    api_key: str | None = None
    context: int = DEFAULT_CONTEXT
    max_tokens: int = 300
    connect_timeout: float = 3.0
    chunk_timeout: float = 30.0
    total_timeout: float = 90.0
    temperature: float = 0.0
    json_reply: bool = False  # ask for REPLY_SCHEMA (QA_LLM_JSON=1); see reply_text

    @classmethod
    def from_env(cls, url: str | None = None, **overrides: object) -> LLMSettings:
        """Settings from the QA_LLM_* variables, `url` (a --llm flag) winning over QA_LLM_URL.

        Raises:
            LLMError: no URL, a URL that is not http(s), or a context that is not a number.
        """
        url = url or os.environ.get(URL_VARIABLE)
        if not url:
            raise LLMError(f"no model server given; pass --llm URL or set {URL_VARIABLE} "
                           "(e.g. http://127.0.0.1:8080/v1 for `make llm`)")
        if not url.startswith(("http://", "https://")):
            raise LLMError(f"the model server URL must start with http:// or https://, got {url!r}")
        context = os.environ.get(CONTEXT_VARIABLE, str(DEFAULT_CONTEXT))
        try:
            context_tokens = int(context)
        except ValueError as e:
            raise LLMError(f"{CONTEXT_VARIABLE} must be a whole number of tokens, got {context!r}") from e
        settings = cls(url=url.rstrip("/"), model=os.environ.get(MODEL_VARIABLE) or "default",
                       api_key=os.environ.get(KEY_VARIABLE) or None, context=context_tokens,
                       json_reply=os.environ.get(JSON_VARIABLE, "") not in ("", "0"))
        return replace(settings, **overrides) if overrides else settings


def stream_chat(messages: list[dict], settings: LLMSettings) -> Iterator[str]:
    """The reply to `messages`, piece by piece as the server streams it.

    Raises:
        LLMError: the server cannot be reached, stalls, answers with an error, or sends text
            that is not the OpenAI stream format.
    """
    timeout = httpx.Timeout(connect=settings.connect_timeout, read=settings.chunk_timeout,
                            write=settings.chunk_timeout, pool=settings.connect_timeout)
    headers = {"Accept": "text/event-stream"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    body = {"model": settings.model, "messages": messages, "stream": True, "temperature": settings.temperature,
            "max_tokens": settings.max_tokens}
    if settings.json_reply:
        body["response_format"] = {"type": "json_object", "schema": REPLY_SCHEMA}
    else:
        body["stop"] = list(STOP)
    deadline = time.monotonic() + settings.total_timeout
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            with client.stream("POST", f"{settings.url}/chat/completions", json=body, headers=headers) as response:
                if response.status_code != 200:
                    detail = " ".join(response.read().decode("utf-8", "replace").split())[:120]
                    raise LLMError(f"the model server answered HTTP {response.status_code}: {detail or 'no detail'}")
                yield from _read_events(response.iter_lines(), deadline, settings.total_timeout)
    except httpx.ConnectError as e:
        raise LLMError(f"the model server at {settings.url} cannot be reached ({_short(e)})") from e
    except httpx.TimeoutException as e:
        raise LLMError(f"the model server at {settings.url} sent nothing for {settings.chunk_timeout:g} s") from e
    except httpx.HTTPError as e:
        raise LLMError(f"the model server at {settings.url} failed: {_short(e)}") from e


def reply_text(reply: str, settings: LLMSettings) -> str:
    """The reply as sentences with [n] markers; a JSON reply (`json_reply`) is turned into them.

    >>> reply_text('{"sentences": [{"text": "Ferries stop.", "sources": [2]}]}', LLMSettings("http://x", json_reply=True))
    'Ferries stop. [2]'

    Raises:
        LLMError: a JSON reply that is not of REPLY_SCHEMA's shape.
    """
    if not settings.json_reply:
        return reply
    parsed = _json(reply)
    try:
        return " ".join(f"{s['text'].strip()} " + "".join(f"[{int(n)}]" for n in s["sources"])
                        for s in parsed["sentences"] if s["text"].strip())
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise LLMError("the model's JSON reply is not {\"sentences\": [{\"text\", \"sources\"}]}") from e


def _read_events(lines: Iterator[str], deadline: float, total: float) -> Iterator[str]:
    """The text deltas of an event stream; a server that ignored `stream` may send one JSON body."""
    other: list[str] = []
    for line in lines:
        if time.monotonic() > deadline:
            raise LLMError(f"the model server did not finish its answer within {total:g} s")
        line = line.strip()
        if not line or line.startswith(":"):
            continue
        if not line.startswith("data:"):
            other.append(line)
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        piece = _delta(_json(payload))
        if piece:
            yield piece
    if other:
        yield _whole_reply(_json("\n".join(other)))


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError as e:
        raise LLMError(f"the model server sent something that is not JSON: {' '.join(text.split())[:60]!r}") from e


def _delta(event: object) -> str:
    try:
        choice = event["choices"][0] if event["choices"] else {}
        return choice.get("delta", {}).get("content") or ""
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        if isinstance(event, dict) and "error" in event:
            raise LLMError(f"the model server reported an error: {str(event['error'])[:120]}") from e
        raise LLMError("the model server's stream is not in the OpenAI format (no choices[0].delta)") from e


def _whole_reply(event: object) -> str:
    try:
        return event["choices"][0]["message"]["content"] or ""
    except (KeyError, TypeError, IndexError) as e:
        raise LLMError("the model server's reply is not in the OpenAI format (no choices[0].message)") from e


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:100] or type(error).__name__
