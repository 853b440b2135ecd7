"""The chat: a Gradio page that asks the assistant and shows each answer with its sources.

Owns: turning an `Answer` into safe Markdown (article text is untrusted: every piece of it is
escaped), the article view that highlights a cited passage, serving both on one port, how much
work the chat takes on at once (the rest is told it is busy), and who may use it (loopback by
default; another address needs --allow-remote and logins).
Does not: retrieve, read article files or compose answers; all of that is `qa.Assistant`.

    .venv/bin/python ui.py            # http://127.0.0.1:7860
    QA_CHAT_AUTH=ana:secret .venv/bin/python ui.py --host 0.0.0.0 --allow-remote
Honours GRADIO_SERVER_NAME, GRADIO_SERVER_PORT, QA_INDEX_DIR and QA_CHAT_AUTH.
"""
from __future__ import annotations

import argparse
import asyncio
import html
import ipaddress
import logging
import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import quote as url_quote

from starlette.requests import Request

from index import Embedder, IndexNotFoundError, QAError, QuestionError, set_offline_mode
from qa import Answer, Assistant, FilterError, SearchFilter, Turn

log = logging.getLogger("ui")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:])")
_UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
MAX_TURNS = 8
SHOWN_QUESTION_CHARS = 1000
BUSY_TEXT = "The assistant is busy answering other questions. Please try again in a moment."
AUTH_VARIABLE = "QA_CHAT_AUTH"
EXAMPLES = ["Who denied al-Qaeda's presence?", "What happened in Musa Qala?", "How many al-Qaeda fighters are there?"]


def escape_markdown(text: str) -> str:
    """Text shown literally by a Markdown renderer: no HTML, links, images or emphasis survive.

    >>> escape_markdown("<b>[x](javascript:y)</b>")
    '&lt;b&gt;\\\\[x\\\\]\\\\(javascript\\\\:y\\\\)&lt;/b&gt;'
    >>> print(escape_markdown("FDD's 'war' & co"))
    FDD's 'war' &amp; co
    """
    # Only &, < and > become entities: quotes are plain text in Markdown, and an entity such as
    # &#x27; would have its # backslash-escaped below and show as written ("FDD&#x27;s").
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("\n", "  \n")


def article_link(doc_id: str, start: int, end: int) -> str:
    """The in-app link that opens an article with [start:end] highlighted and scrolled into view."""
    return f"/article/{url_quote(doc_id, safe='')}?start={start}&end={end}#cited"


def _safe_url(url: str | None) -> str | None:
    if url and re.match(r"^https?://[^\s<>\"'()]+$", url, re.I):
        return url
    return None


def render_answer(answer: Answer) -> str:
    """An answer as Markdown: the text with [n] markers, then each numbered source."""
    lines = []
    if answer.understood_as and answer.understood_as != answer.question:
        lines += [f"*Understood as: {escape_markdown(answer.understood_as)}*", ""]
    lines += [escape_markdown(answer.text), ""]
    if answer.abstained:
        if answer.retrieved:
            lines.append("**Closest passages**")
        for p in answer.retrieved[:3]:
            title = answer.titles.get(p.chunk.doc_id) or p.chunk.doc_id
            excerpt = p.chunk.text if len(p.chunk.text) <= 300 else p.chunk.text[:300] + "…"
            lines.append(f"- *{escape_markdown(title)}*: “{escape_markdown(excerpt)}” "
                         f"([open]({article_link(p.chunk.doc_id, p.chunk.start, p.chunk.end)}))")
        return "\n".join(lines)
    lines.append("**Sources**")
    for c in answer.citations:
        meta = " · ".join(escape_markdown(x) for x in (c.source, c.published) if x)  # only what is known
        original = _safe_url(c.url)
        links = [f"[read it in the article]({article_link(c.doc_id, c.start, c.end)})"]
        if original:
            links.append(f"[original source]({original})")
        lines.append(f"\\[{c.n}\\] **{escape_markdown(c.title or c.doc_id)}**{' — ' + meta if meta else ''}  \n"
                     f"“{escape_markdown(c.quote)}”  \n{' · '.join(links)}")
        if c.also_reported_by:
            others = ", ".join(f"[{escape_markdown(r.source or r.title or r.doc_id)}]({article_link(r.doc_id, r.start, r.end)})"
                               for r in c.also_reported_by)
            lines.append(f"Also reported by: {others}")
        lines.append("")
    return "\n".join(lines).rstrip()


def filter_line(answer: Answer) -> str:
    """The line above an answer that names the filter its search applied: '' for none, and for dates
    read from the question, which the "Understood as" line names with the rest of the filter."""
    if answer.filters is None or answer.filters.period:
        return ""
    return f"*Searched only articles {escape_markdown(answer.filters.describe())}.*\n\n"


@dataclass(frozen=True)
class ChatLimits:
    """How much work the chat takes on at once. The defaults are chosen for a 2-core machine.

    Attributes:
        workers: answers computed at the same time. Answering is CPU-bound (the embedding model
            runs on every core), and on 2 cores 1, 2 and 3 at a time measured the same throughput
            (about 4 answers/s with the onnx-int8 model, 2.6 with torch-fp32); more only makes every
            answer slower. 2 rather than 1, so one slow question does not hold up everyone.
        waiting: questions that may wait for a worker. At 2.5 to 4 answers/s, 64 waiting is 16 to
            25 s, about as long as one waits for a chat answer. The next question gets BUSY_TEXT
            at once, rather than waiting longer or hanging in a queue it cannot see.
        max_wait_s: a question that has not started after this long gets BUSY_TEXT, for when
            answers are slower than planned (a bigger index, a busier machine).
    """

    workers: int = 2
    waiting: int = 64
    max_wait_s: float = 30.0

    def __post_init__(self) -> None:
        if self.workers < 1 or self.waiting < 0 or self.max_wait_s <= 0:
            raise QAError(f"chat limits must be workers >= 1, waiting >= 0 and max_wait_s > 0, got {self}")


class AnswerGate:
    """Runs at most `workers` answers at once with at most `waiting` in line; tells the rest it is busy.

    It lives on the server's event loop: a waiting question costs no thread, and the answer runs in
    a worker thread so the loop stays free to turn others away.
    """

    def __init__(self, limits: ChatLimits) -> None:
        self.limits = limits
        self._workers = asyncio.Semaphore(limits.workers)
        self._admitted = 0

    async def run(self, answer: Callable[..., str], *args: object) -> str | None:
        """`answer(*args)` in a worker thread, or None when the chat is too busy to take it."""
        import anyio

        if self._admitted >= self.limits.workers + self.limits.waiting:
            return None
        self._admitted += 1
        try:
            try:
                async with asyncio.timeout(self.limits.max_wait_s):
                    await self._workers.acquire()
            except TimeoutError:
                return None
            try:  # a cancelled request still waits for its thread, so the worker count stays true
                return await anyio.to_thread.run_sync(answer, *args)
            finally:
                self._workers.release()
        finally:
            self._admitted -= 1


class ChatBackend:
    """Holds the assistant for the chat; picks up a new index on the next question, never a half one."""

    def __init__(self, index_dir: Path | str | None = None, *, embedder: Embedder | None = None) -> None:
        self.index_dir = index_dir
        self._embedder = embedder
        self._assistant: Assistant | None = None
        self._lock = threading.Lock()
        self.load_error: str | None = None
        self._load()

    def _load(self) -> None:
        """Create the assistant, or switch it to a newer index version if one went live.

        While one thread loads, the others go on with the version they have: `Assistant.refresh`
        swaps in a new version only once it is completely loaded and checked.
        """
        if not self._lock.acquire(blocking=self._assistant is None):
            return
        try:
            if self._assistant is None:
                self._assistant = Assistant(self.index_dir, embedder=self._embedder)
            else:
                self._assistant.refresh()
            self.load_error = None
        except IndexNotFoundError as e:
            self.load_error = f"There is no index yet. {e}."
        except QAError as e:
            self.load_error = str(e)
        finally:
            self._lock.release()

    def warm_up(self) -> None:
        """Load the model now, so the first person to ask does not wait for it."""
        if self._assistant is not None:
            self._assistant.ask("warm-up question")

    @property
    def assistant(self) -> Assistant | None:
        return self._assistant

    def reply(self, message: str, turns: list[Turn] | None = None, since: str | None = None,
              until: str | None = None, outlet: str | None = None) -> str:
        """The chat's answer to one message, as Markdown; never raises, never shows a traceback.

        `turns` is this conversation's earlier exchanges; the new one is appended to it. `since`,
        `until` (YYYY-MM-DD, YYYY-MM or YYYY) and `outlet` filter the articles searched; empty is none.
        """
        try:
            filters = SearchFilter.parse(since=since or None, until=until or None, sources=outlet or None,
                                         names=("the from date", "the until date"))
            self._load()
            if self._assistant is None:
                return escape_markdown(self.load_error or "The index could not be loaded.")
            answer = self._assistant.ask(message, history=turns or (), filters=filters)
            if turns is not None:
                turns.append(Turn(answer.understood_question(), answer))
                del turns[:-MAX_TURNS]
            return filter_line(answer) + render_answer(answer)
        except FilterError as e:
            return escape_markdown(f"Please check the filter: {e}.")
        except QuestionError as e:
            return escape_markdown(f"Please ask a question: {e}.")
        except QAError as e:
            return escape_markdown(str(e))
        except Exception:  # the UI must answer; the traceback goes to the log, not the page
            log.exception("answering %r failed", str(message)[:200])
            return "Something went wrong while answering; the error was logged. Please try again."

    def outlets(self) -> list[str]:
        """The outlets of the indexed articles, for the chat's outlet filter (none before an index loads)."""
        self._load()
        return self._assistant.outlets() if self._assistant is not None else []

    def article_page(self, doc_id: str, start: int | None, end: int | None) -> str | None:
        """The article view's HTML, or None when the id is not an indexed article."""
        self._load()
        article = self._assistant.article(doc_id) if self._assistant else None
        if article is None:
            return None
        body = article.body
        if start is not None and end is not None and 0 <= start < end <= len(body):
            shown = (html.escape(body[:start]) + '<mark id="cited">' + html.escape(body[start:end]) + "</mark>"
                     + html.escape(body[end:]))
        else:
            shown = html.escape(body)
        original = _safe_url(article.url)
        known = [html.escape(x) for x in (article.source, article.published, article.author) if x]
        if original:
            known.append(f'<a href="{html.escape(original)}" rel="noopener noreferrer nofollow" target="_blank">'
                         'original source</a>')
        meta = f'<p class="meta">{" · ".join(known)}</p>' if known else ""
        return ARTICLE_PAGE.format(title=html.escape(article.title or article.doc_id), meta=meta, body=shown)


ARTICLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.55; }}
.meta {{ color: #555; }} .body {{ white-space: pre-wrap; }}
mark {{ background: #ffe27a; padding: 0.1em 0; scroll-margin-top: 30vh; }}
</style></head>
<body><h1>{title}</h1>{meta}<div class="body">{body}</div></body></html>"""

# No script may run on the article page, whatever an article contains.
ARTICLE_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'",
                   "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


UNAUTHORIZED_PAGE = ('<!doctype html><title>Log in first</title><p>Log in to the chat first: '
                     '<a href="/">open the chat</a>, then follow the article link again.</p>')
NOT_FOUND_PAGE = "<!doctype html><title>Not found</title><p>No such article in the index.</p>"
# Whole request bodies, so the chat's history travels too; far above any real request, far below harm.
MAX_REQUEST_BYTES = 2 * 1024 * 1024


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the chat on this machine: localhost, 127.0.0.0/8 or ::1.

    A host name other than localhost counts as remote: what it resolves to can change.

    >>> is_loopback("127.0.0.2"), is_loopback("0.0.0.0"), is_loopback("example.org")
    (True, False, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_logins(text: str, *, origin: str, separator: str) -> list[tuple[str, str]]:
    """`user:password` entries split by `separator`; blank entries and `#` lines are skipped.

    Raises:
        QAError: an entry has no user or no password (the message names the entry by number, not its text).
    """
    logins = []
    entries = [e.strip() for e in text.split(separator)]
    for number, entry in enumerate(entries, start=1):
        if not entry or entry.startswith("#"):
            continue
        user, colon, password = entry.partition(":")
        if not (colon and user.strip() and password):
            raise QAError(f"{origin} entry {number} is not user:password; write one login as user:password")
        logins.append((user.strip(), password))
    return logins


def resolve_logins(host: str, *, allow_remote: bool, auth_file: Path | None,
                   environ: dict[str, str] | os._Environ = os.environ) -> list[tuple[str, str]] | None:
    """The logins the chat requires, or None for an open chat on loopback.

    Logins come from --auth-file (one user:password a line) or $QA_CHAT_AUTH (comma-separated).

    Raises:
        QAError: a non-loopback host without --allow-remote, --allow-remote without logins, or
            unreadable or malformed logins.
    """
    if auth_file is not None:
        try:
            text = auth_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise QAError(f"cannot read --auth-file {auth_file}: {getattr(e, 'strerror', None) or e}") from e
        logins = parse_logins(text, origin=f"--auth-file {auth_file}", separator="\n")
    else:
        logins = parse_logins(environ.get(AUTH_VARIABLE, ""), origin=AUTH_VARIABLE, separator=",")
    how = (f"set {AUTH_VARIABLE}=user:password (several separated by commas) or pass --auth-file FILE "
           "(one user:password a line)")
    if not is_loopback(host) and not allow_remote:
        raise QAError(f"refusing to serve on {host}, which other machines can reach; to allow it pass "
                      f"--allow-remote and {how}, or serve on 127.0.0.1")
    if allow_remote and not logins:
        raise QAError(f"--allow-remote needs logins: {how}")
    return logins or None


def _gradio_login_check(app) -> Callable[[Request], bool]:
    """Whether a request carries the session cookie of a login to the Gradio app mounted on `app`.

    The article view is a route of our own, outside Gradio, so it asks Gradio's own session table.
    """
    from gradio.routes import App
    from starlette.routing import Mount

    [gradio_app] = [r.app for r in app.routes if isinstance(r, Mount) and isinstance(r.app, App)]

    def signed_in(request: Request) -> bool:
        cookies = request.cookies
        token = (cookies.get(f"access-token-{gradio_app.cookie_id}")
                 or cookies.get(f"access-token-unsecure-{gradio_app.cookie_id}"))
        return token is not None and token in gradio_app.tokens

    return signed_in


class RequestBodyLimit:
    """ASGI middleware: a body over `max_bytes` (by Content-Length) gets 413, a streamed one 411.

    Nothing the chat does streams a body, so refusing those costs nothing and keeps every body's
    size known before it is read.
    """

    def __init__(self, app, max_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        from starlette.responses import PlainTextResponse

        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length", b"").decode("latin-1")
            if not length.isdigit() and headers.get(b"transfer-encoding"):
                return await PlainTextResponse("Length required.", status_code=411)(scope, receive, send)
            if length.isdigit() and int(length) > self.max_bytes:
                return await PlainTextResponse(f"Request body over {self.max_bytes:,} bytes.",
                                               status_code=413)(scope, receive, send)
        await self.app(scope, receive, send)


def shown_question(message: object) -> str:
    """The asker's message as echoed in the conversation: escaped, control characters (escapes,
    bidirectional overrides) shown as U+FFFD, and cut when very long."""
    text = _UNSHOWN.sub("\ufffd", message if isinstance(message, str) else str(message))
    if len(text) > SHOWN_QUESTION_CHARS:
        text = f"{text[:SHOWN_QUESTION_CHARS]}… ({len(text):,} characters)"
    return escape_markdown(text)


def _offset(value: str | None) -> int | None:
    """A character offset from the query string, or None when it is not a plain number.

    >>> _offset("42"), _offset("abc"), _offset("-1"), _offset(None)
    (42, None, None, None)
    """
    return int(value) if value is not None and value.isascii() and value.isdigit() and len(value) <= 9 else None


def build_app(backend: ChatBackend, *, limits: ChatLimits = ChatLimits(),
              logins: list[tuple[str, str]] | None = None):
    """The ASGI app: the article view at /article/{doc_id}, the chat at /.

    Args:
        backend: answers questions and renders articles.
        limits: how many answers run at once and how many may wait (see ChatLimits).
        logins: (user, password) pairs; when given, the chat and the article view need a login.
    """
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse, PlainTextResponse

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    gate = AnswerGate(limits)
    login_check: Callable[[Request], bool] | None = None  # set once Gradio is mounted, when there are logins

    @app.get("/article", response_class=HTMLResponse)
    def no_article_listing() -> HTMLResponse:
        return HTMLResponse(NOT_FOUND_PAGE, status_code=404, headers=ARTICLE_HEADERS)

    @app.get("/article/{doc_id:path}", response_class=HTMLResponse)
    def article(request: Request, doc_id: str, start: str | None = None, end: str | None = None) -> HTMLResponse:
        if login_check is not None and not login_check(request):
            return HTMLResponse(UNAUTHORIZED_PAGE, status_code=401, headers=ARTICLE_HEADERS)
        page = backend.article_page(doc_id, _offset(start), _offset(end))  # a bad offset: no highlight
        if page is None:
            return HTMLResponse(NOT_FOUND_PAGE, status_code=404, headers=ARTICLE_HEADERS)
        return HTMLResponse(page, headers=ARTICLE_HEADERS)

    # Gradio keeps an upload route even for a page without file inputs; this chat takes no files.
    @app.post("/gradio_api/upload")
    @app.post("/gradio_api/upload/")
    def refuse_uploads() -> PlainTextResponse:
        return PlainTextResponse("This chat accepts no uploads.", status_code=403)

    async def respond(message: str, history: list[dict], turns: list[Turn] | None, since: str | None = None,
                      until: str | None = None, outlet: str | None = None) -> tuple[list[dict], str, list[Turn]]:
        history, turns = list(history or []), list(turns or [])
        history.append({"role": "user", "content": shown_question(message or "")})
        reply = await gate.run(backend.reply, message or "", turns, since, until, outlet)
        if reply is None:  # keep the question in the box, so asking again is one key press
            history.append({"role": "assistant", "content": BUSY_TEXT})
            return history, message, turns
        history.append({"role": "assistant", "content": reply})
        return history, "", turns

    with gr.Blocks(title="News QA — cited answers") as demo:
        gr.Markdown("## Ask the articles\nEvery answer quotes its sources; follow a source to see the passage in its article.")
        if backend.load_error:
            gr.Markdown(escape_markdown(backend.load_error))
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                _chat_tab(gr, respond, outlets=backend.outlets)
            # Each further panel is a function of its own, below: one tab each.
    # Gradio runs at most `max_threads` events at a time (launch() sets it; mount_gradio_app has no
    # argument for it). Room for every admitted question plus some turned away, so none waits unseen
    # in Gradio's own queue; that queue is only a backstop, and when even it is full Gradio answers 503
    # ("This application is currently busy").
    demo.max_threads = limits.workers + limits.waiting + 16
    demo.queue(default_concurrency_limit=2, max_size=64)
    app = gr.mount_gradio_app(app, demo, path="/", auth=logins, max_file_size=0,
                              auth_message="Log in to ask about the articles." if logins else None)
    if logins:
        login_check = _gradio_login_check(app)
    app.add_middleware(RequestBodyLimit)
    return app


def _chat_tab(gr, respond: Callable, outlets: Callable[[], list[str]] = list) -> None:
    """The conversation, the question box with its filters (dates, outlet), and the example questions."""
    chatbot = gr.Chatbot(label="Conversation", height=560, sanitize_html=True, feedback_options=None)
    with gr.Row():
        box = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False, scale=8,
                         max_length=SHOWN_QUESTION_CHARS)
        send = gr.Button("Ask", variant="primary", scale=1)
    with gr.Row(equal_height=True):
        since = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD (or YYYY-MM, YYYY)", max_lines=1,
                           max_length=40, scale=2, elem_id="filter-since")
        until = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD (or YYYY-MM, YYYY)", max_lines=1,
                           max_length=40, scale=2, elem_id="filter-until")
        outlet = gr.Dropdown(_outlet_choices(outlets()), value="", label="Outlet", scale=3, elem_id="filter-outlet",
                             allow_custom_value=True)  # an outlet added since the page loaded, or a comma list
    turns = gr.State([])
    gr.Examples(EXAMPLES, inputs=box)
    # No Gradio limit on the chat: every question reaches the gate at once, which answers or says busy.
    asked = [box, chatbot, turns, since, until, outlet]
    box.submit(respond, asked, [chatbot, box, turns], api_name="chat_filtered", concurrency_limit=None)
    send.click(respond, asked, [chatbot, box, turns], api_name=False, concurrency_limit=None)
    # The "chat" endpoint outside tools call keeps its three inputs (question, history, turns): unfiltered.
    gr.Button(visible=False).click(respond, [box, chatbot, turns], [chatbot, box, turns], api_name="chat",
                                   concurrency_limit=None)
    outlet.focus(lambda: gr.Dropdown(choices=_outlet_choices(outlets())), None, outlet, api_visibility="private")
    chatbot.clear(lambda: [], None, turns, api_visibility="private")


def _outlet_choices(names: list[str]) -> list[tuple[str, str]]:
    """The outlet dropdown's choices: every outlet, after an empty choice that means all of them."""
    return [("All outlets", "")] + [(name, name) for name in names]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python ui.py", description="Serve the chat (Gradio) and the article view.",
        epilog=f"Only this machine can reach the chat unless you pass --allow-remote, which needs logins: "
               f"{AUTH_VARIABLE}=user:password (several separated by commas) or --auth-file FILE (one "
               f"user:password a line; keep it out of the repository). Gradio's login travels in clear over "
               f"plain HTTP: put a TLS proxy in front of a chat that others reach.")
    parser.add_argument("--index-dir", type=Path, default=None, help="index folder (default: $QA_INDEX_DIR or .index/)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to bind (default $GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                        help="port (default $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a --host other machines can reach; requires logins")
    parser.add_argument("--auth-file", type=Path, default=None,
                        help=f"file of logins, one user:password a line (instead of ${AUTH_VARIABLE})")
    parser.add_argument("--workers", type=int, default=ChatLimits.workers,
                        help=f"answers computed at once (default {ChatLimits.workers})")
    parser.add_argument("--max-waiting", type=int, default=ChatLimits.waiting,
                        help=f"questions that may wait for an answer; more are told the chat is busy "
                             f"(default {ChatLimits.waiting})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        logins = resolve_logins(args.host, allow_remote=args.allow_remote, auth_file=args.auth_file)
        limits = ChatLimits(workers=args.workers, waiting=args.max_waiting)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    set_offline_mode()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import uvicorn

    backend = ChatBackend(args.index_dir)
    if backend.load_error:
        log.warning(backend.load_error)
    backend.warm_up()
    print(f"chat: http://{args.host}:{args.port}" + (f" (login required, {len(logins)} users)" if logins else ""),
          flush=True)
    uvicorn.run(build_app(backend, limits=limits, logins=logins), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
