"""A client for any OpenAI-compatible chat endpoint (llama.cpp, Ollama, vLLM, a hosted API).

Owns: the endpoint's settings (`QA_LLM_URL`, `QA_LLM_MODEL`, `QA_LLM_API_KEY`, `QA_LLM_CONTEXT`,
`QA_LLM_PROMPT`, `QA_LLM_JSON`, and the timeouts `QA_LLM_CONNECT_TIMEOUT`, `QA_LLM_CHUNK_TIMEOUT`,
`QA_LLM_TOTAL_TIMEOUT`), one streamed `/chat/completions` or `/completions` request (server-sent
events) with a timeout on connecting, on each streamed chunk and on the whole reply, reading a
reply in the shape asked for (plain, JSON, or numbered lines) into sentences with [n] markers,
also while it is still arriving, and turning every way it can fail into `LLMError` with a
one-line reason. Does not: build prompts, check what the model wrote, or retry.
"""
from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, replace
from typing import Iterator

import httpx

from index import QAError

URL_VARIABLE, MODEL_VARIABLE, KEY_VARIABLE, CONTEXT_VARIABLE = ("QA_LLM_URL", "QA_LLM_MODEL", "QA_LLM_API_KEY",
                                                                 "QA_LLM_CONTEXT")
JSON_VARIABLE, PROMPT_VARIABLE = "QA_LLM_JSON", "QA_LLM_PROMPT"
TIMEOUT_VARIABLES = {"connect_timeout": "QA_LLM_CONNECT_TIMEOUT", "chunk_timeout": "QA_LLM_CHUNK_TIMEOUT",
                     "total_timeout": "QA_LLM_TOTAL_TIMEOUT"}
# "chat": messages to /chat/completions, for instruction-tuned models. "completion": one few-shot text
# to /completions that a base model (no chat template, such as the packaged Gemma 3 270M) continues;
# its reply is numbered lines, "[n] sentence", read by `lines_to_sentences`.
PROMPT_STYLES = ("chat", "completion")
# With `json_reply`, the reply is held to this shape by the server's constrained decoding (llama.cpp's
# `response_format` with a schema): a base model such as Gemma 3 270M otherwise only continues the prompt.
REPLY_SCHEMA = {"type": "object", "required": ["sentences"], "properties": {"sentences": {
    "type": "array", "minItems": 1, "maxItems": 4, "items": {"type": "object", "required": ["text", "sources"], "properties": {
        "text": {"type": "string", "maxLength": 300},
        "sources": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "integer"}}}}}}}
DEFAULT_CONTEXT = 4096
# A small model that is not instruction-tuned goes on to write the next passage or question.
STOP = ("<passage", "Passages:", "Question:")
# A completion ends with its answer: a blank line, or the next example's first line.
COMPLETION_STOP = ("\n\n", "\nPassages:", "\nQuestion:", "\nAnswer:")
_LINE = re.compile(r"^\s*\[(\d+)\]\s*(?:\((?:[^()]|\([^()]*\))*\)\s*)?(.*)$")
COMPLETION_MAX_TOKENS = 120  # a few short lines; a base model that recites passages is cut off sooner
_OPEN_STRING = re.compile(r'"text"\s*:\s*"((?:[^"\\]|\\.)*)')


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
        connect_timeout: seconds to connect (`QA_LLM_CONNECT_TIMEOUT`).
        chunk_timeout: seconds to wait for each streamed chunk, the first of which waits for the
            prompt to be read (`QA_LLM_CHUNK_TIMEOUT`).
        total_timeout: seconds for the whole reply (`QA_LLM_TOTAL_TIMEOUT`).
        temperature: sampling temperature; 0 is the most likely reply, the same every time.
        json_reply: ask for REPLY_SCHEMA (`QA_LLM_JSON=1`, chat prompts only); see reply_text.
        prompt: "chat" or "completion" (`QA_LLM_PROMPT`); see PROMPT_STYLES.
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
    json_reply: bool = False
    prompt: str = "chat"

    @classmethod
    def from_env(cls, url: str | None = None, **overrides: object) -> LLMSettings:
        """Settings from the QA_LLM_* variables, `url` (a --llm flag) winning over QA_LLM_URL.

        Raises:
            LLMError: no URL, a URL that is not http(s), a context or timeout that is not a
                positive number, or a prompt style that is not one of PROMPT_STYLES.
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
        prompt = os.environ.get(PROMPT_VARIABLE) or "chat"
        if prompt not in PROMPT_STYLES:
            raise LLMError(f"{PROMPT_VARIABLE} must be one of {', '.join(PROMPT_STYLES)}, got {prompt!r}")
        timeouts = {field: _seconds(variable) for field, variable in TIMEOUT_VARIABLES.items()
                    if os.environ.get(variable)}
        settings = cls(url=url.rstrip("/"), model=os.environ.get(MODEL_VARIABLE) or "default",
                       api_key=os.environ.get(KEY_VARIABLE) or None, context=context_tokens,
                       json_reply=os.environ.get(JSON_VARIABLE, "") not in ("", "0"), prompt=prompt, **timeouts)
        return replace(settings, **overrides) if overrides else settings


def settings_help() -> str:
    """The QA_LLM_* variables for a command's --help, with their defaults."""
    d = LLMSettings(url="")
    return (f"also ${MODEL_VARIABLE}, ${KEY_VARIABLE}, ${CONTEXT_VARIABLE} (default {d.context} tokens), "
            f"${PROMPT_VARIABLE} ({' or '.join(PROMPT_STYLES)}; completion for a base model such as make llm's), "
            f"${JSON_VARIABLE}=1 (a reply held to a JSON schema), and in seconds "
            f"${TIMEOUT_VARIABLES['connect_timeout']} (default {d.connect_timeout:g}), "
            f"${TIMEOUT_VARIABLES['chunk_timeout']} (each streamed chunk, default {d.chunk_timeout:g}), "
            f"${TIMEOUT_VARIABLES['total_timeout']} (the whole reply, default {d.total_timeout:g})")


def _seconds(variable: str) -> float:
    value = os.environ[variable]
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise LLMError(f"{variable} must be a number of seconds above 0, got {value!r}")
    return seconds


def stream_chat(messages: list[dict], settings: LLMSettings) -> Iterator[str]:
    """The reply to `messages`, piece by piece as the server streams it.

    Raises:
        LLMError: the server cannot be reached, stalls, answers with an error, or sends text
            that is not the OpenAI stream format.
    """
    body = {"model": settings.model, "messages": messages, "stream": True, "temperature": settings.temperature,
            "max_tokens": settings.max_tokens}
    if settings.json_reply:
        body["response_format"] = {"type": "json_object", "schema": REPLY_SCHEMA}
    else:
        body["stop"] = list(STOP)
    yield from _stream("chat/completions", body, settings)


def stream_completion(prompt: str, settings: LLMSettings) -> Iterator[str]:
    """The continuation of `prompt` (`/completions`, for base models), piece by piece as it streams.

    Raises:
        LLMError: as stream_chat.
    """
    body = {"model": settings.model, "prompt": prompt, "stream": True, "temperature": settings.temperature,
            "max_tokens": min(settings.max_tokens, COMPLETION_MAX_TOKENS), "stop": list(COMPLETION_STOP)}
    yield from _stream("completions", body, settings)


def _stream(path: str, body: dict, settings: LLMSettings) -> Iterator[str]:
    timeout = httpx.Timeout(connect=settings.connect_timeout, read=settings.chunk_timeout,
                            write=settings.chunk_timeout, pool=settings.connect_timeout)
    headers = {"Accept": "text/event-stream"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    deadline = time.monotonic() + settings.total_timeout
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            with client.stream("POST", f"{settings.url}/{path}", json=body, headers=headers) as response:
                if response.status_code != 200:
                    detail = " ".join(response.read().decode("utf-8", "replace").split())[:120]
                    raise LLMError(f"the model server answered HTTP {response.status_code}: {detail or 'no detail'}")
                yield from _read_events(response.iter_lines(), deadline, settings.total_timeout)
    except httpx.ConnectTimeout as e:
        raise LLMError(f"the model server at {settings.url} did not accept a connection within "
                       f"{settings.connect_timeout:g} s ({TIMEOUT_VARIABLES['connect_timeout']})") from e
    except httpx.ConnectError as e:
        raise LLMError(f"the model server at {settings.url} cannot be reached ({_short(e)})") from e
    except httpx.TimeoutException as e:
        raise LLMError(f"the model server at {settings.url} sent nothing for {settings.chunk_timeout:g} s "
                       f"({TIMEOUT_VARIABLES['chunk_timeout']} waits longer)") from e
    except httpx.HTTPError as e:
        raise LLMError(f"the model server at {settings.url} failed: {_short(e)}") from e


def reply_text(reply: str, settings: LLMSettings) -> str:
    """The reply as sentences with [n] markers; a JSON or numbered-lines reply is turned into them.

    >>> reply_text('{"sentences": [{"text": "Ferries stop.", "sources": [2]}]}', LLMSettings("http://x", json_reply=True))
    'Ferries stop. [2]'

    Raises:
        LLMError: a JSON reply that is not of REPLY_SCHEMA's shape.
    """
    if settings.prompt == "completion":
        return lines_to_sentences(reply)
    if not settings.json_reply:
        return reply
    parsed = _json(reply)
    try:
        return " ".join(f"{s['text'].strip()} " + "".join(f"[{int(n)}]" for n in s["sources"])
                        for s in parsed["sentences"] if s["text"].strip())
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise LLMError("the model's JSON reply is not {\"sentences\": [{\"text\", \"sources\"}]}") from e


def partial_text(reply: str, settings: LLMSettings) -> str:
    """What a reader is shown of a reply still arriving: its sentences so far, never raw JSON.

    >>> partial_text('{"sentences": [{"text": "Ferries stop.", "sources": [2]}, {"text": "Fares st',
    ...              LLMSettings("http://x", json_reply=True))
    'Ferries stop. Fares st'
    """
    if settings.prompt == "completion":
        return " ".join(_LINE.sub(r"\2", line).strip() for line in reply.splitlines() if line.strip())
    if not settings.json_reply:
        return reply
    return " ".join(_unescape(m.group(1)).strip() for m in _OPEN_STRING.finditer(reply))


def lines_to_sentences(reply: str) -> str:
    """A numbered-lines reply ("[n] sentence. sentence.") as sentences each ending in [n].

    A line's number is its source for every sentence on it; a line without one, or numbered 0
    (the prompt's "no passage answers"), stays uncited, and a leading "(outlet, date)" copied
    from the passage list is dropped.

    >>> lines_to_sentences("[2] (Island Post (web)) The ferry stops. Fares stay.\\n[1] It was denied.\\nUnsure.")
    'The ferry stops [2]. Fares stay [2]. It was denied [1]. Unsure.'
    """
    from qa.support import split_reply  # the check's own sentence splitter, so both agree

    out = []
    for line in reply.splitlines():
        found = _LINE.match(line)
        if not found:
            out += [line.strip()] if line.strip() else []
            continue
        n, text = found.groups()
        if int(n) == 0:
            out += [text.strip()] if text.strip() else []
            continue
        for sentence in split_reply(text):
            bare = sentence.rstrip()
            end = bare[-1] if bare[-1:] in ".!?" else ""
            out.append(f"{bare[:len(bare) - len(end)].rstrip()} [{n}]{end}")
    return " ".join(out)


def _unescape(fragment: str) -> str:
    """A JSON string's text so far (a trailing half escape is left out)."""
    try:
        return json.loads(f'"{fragment.rstrip(chr(92))}"')
    except ValueError:
        return fragment.replace('\\"', '"')


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
        if "text" in choice:  # /completions
            return choice["text"] or ""
        return choice.get("delta", {}).get("content") or ""
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        if isinstance(event, dict) and "error" in event:
            raise LLMError(f"the model server reported an error: {str(event['error'])[:120]}") from e
        raise LLMError("the model server's stream is not in the OpenAI format (no choices[0].delta)") from e


def _whole_reply(event: object) -> str:
    try:
        choice = event["choices"][0]
        return (choice["text"] if "text" in choice else choice["message"]["content"]) or ""
    except (KeyError, TypeError, IndexError) as e:
        raise LLMError("the model server's reply is not in the OpenAI format (no choices[0].message)") from e


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:100] or type(error).__name__
