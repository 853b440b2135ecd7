"""The chat: a Gradio page that asks the assistant and shows each answer with its sources.

Owns: turning an `Answer` (and a topic's `Timeline`, in its own tab) into safe Markdown (article
text is untrusted: every piece of it is escaped), the article view that highlights a cited passage, serving both on one port, how much
work the chat takes on at once (the rest is told it is busy), and who may use it (loopback by
default; another address needs --allow-remote and logins). The "Add articles" tab takes uploads
and pasted text (size and count limits, logins as for the chat) and runs one import or removal
at a time in the background.
Does not: retrieve, read article files or compose answers; all of that is `qa.Assistant`. Reading,
saving and removing articles is `index.importer`.

    .venv/bin/python ui.py            # http://127.0.0.1:7860
    QA_CHAT_AUTH=ana:secret .venv/bin/python ui.py --host 0.0.0.0 --allow-remote
Honours GRADIO_SERVER_NAME, GRADIO_SERVER_PORT, QA_INDEX_DIR, QA_CORPUS_DIR and QA_CHAT_AUTH.
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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import quote as url_quote

from starlette.requests import Request

from index import Article, Embedder, IndexNotFoundError, QAError, QuestionError, set_offline_mode
from index.backend import STORE_VARIABLE, URI_VARIABLE, StoreConfig, add_store_options
from index.importer import MAX_INPUT_BYTES, ImportReport, RemoveReport, import_files, pasted_draft, remove_articles
from qa import NO_ENTRIES_TEXT, Answer, Assistant, Entry, FilterError, LLMSettings, SearchFilter, Timeline, Turn
from qa.llm import settings_help

log = logging.getLogger("ui")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:])")
_UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
MAX_TURNS = 8
SHOWN_QUESTION_CHARS = 1000
BUSY_TEXT = "The assistant is busy answering other questions. Please try again in a moment."
AUTH_VARIABLE = "QA_CHAT_AUTH"
CORPUS_VARIABLE = "QA_CORPUS_DIR"
DEFAULT_CORPUS = Path(__file__).resolve().parent / "corpus"
MAX_UPLOAD_BYTES = MAX_INPUT_BYTES  # one uploaded file; Gradio stops reading past it
MAX_UPLOAD_FILES = 20  # files in one "Add" of the Add articles tab
MAX_PASTED_CHARS = 1_000_000
MAX_LISTED_ARTICLES = 500  # rows of the article list; the remove menu holds them all


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
    if answer.note:
        lines += [f"*{escape_markdown(answer.note)}*", ""]
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

    def __init__(self, index_dir: Path | str | None = None, *, embedder: Embedder | None = None,
                 llm: LLMSettings | None = None) -> None:
        self.index_dir = index_dir
        self.llm = llm  # a model server: answers are generated, checked, and streamed (see `respond`)
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

    def indexed_articles(self) -> list[Article]:
        """The live index's articles in id order (a newer version is loaded first); none without an index."""
        self._load()
        return sorted(self._assistant.index.articles.values(), key=lambda a: a.doc_id) if self._assistant else []

    def warm_up(self) -> None:
        """Load the model now, so the first person to ask does not wait for it."""
        if self._assistant is not None:
            self._assistant.ask("warm-up question")

    def examples(self) -> list[str]:
        """Example questions about the newest articles of the live index (none without an index)."""
        try:
            self._load()
            return self._assistant.examples() if self._assistant is not None else []
        except Exception:  # examples are a convenience: never let them break the page
            log.exception("drawing example questions failed")
            return []

    @property
    def assistant(self) -> Assistant | None:
        return self._assistant

    def reply(self, message: str, turns: list[Turn] | None = None, since: str | None = None,
              until: str | None = None, outlet: str | None = None,
              on_text: Callable[[str], None] | None = None) -> str:
        """The chat's answer to one message, as Markdown; never raises, never shows a traceback.

        `turns` is this conversation's earlier exchanges; the new one is appended to it. `since`,
        `until` (YYYY-MM-DD, YYYY-MM or YYYY) and `outlet` filter the articles searched; empty is none.
        With a model server (`llm`), `on_text` gets the model's unchecked reply as it streams.
        """
        try:
            filters = SearchFilter.parse(since=since or None, until=until or None, sources=outlet or None,
                                         names=("the from date", "the until date"))
            self._load()
            if self._assistant is None:
                return escape_markdown(self.load_error or "The index could not be loaded.")
            answer = self._assistant.ask(message, history=turns or (), filters=filters, llm=self.llm, on_text=on_text)
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

    def timeline_reply(self, topic: str) -> str:
        """The Timeline tab's Markdown for a topic; never raises, never shows a traceback."""
        try:
            self._load()
            if self._assistant is None:
                return escape_markdown(self.load_error or "The index could not be loaded.")
            return render_timeline(self._assistant.timeline(topic))
        except QuestionError as e:
            return escape_markdown(f"Please give a topic: {e}.")
        except QAError as e:
            return escape_markdown(str(e))
        except Exception:  # the UI must answer; the traceback goes to the log, not the page
            log.exception("timeline of %r failed", str(topic)[:200])
            return "Something went wrong while making the timeline; the error was logged. Please try again."

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

    def __init__(self, app, max_bytes: int = MAX_REQUEST_BYTES, upload_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes  # the limit for Gradio's upload route, when uploads are taken

    async def __call__(self, scope, receive, send) -> None:
        from starlette.responses import PlainTextResponse

        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length", b"").decode("latin-1")
            if not length.isdigit() and headers.get(b"transfer-encoding"):
                return await PlainTextResponse("Length required.", status_code=411)(scope, receive, send)
            limit = (self.upload_bytes if self.upload_bytes and scope["path"].rstrip("/") == "/gradio_api/upload"
                     else self.max_bytes)
            if length.isdigit() and int(length) > limit:
                return await PlainTextResponse(f"Request body over {limit:,} bytes.",
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
              logins: list[tuple[str, str]] | None = None, corpus_dir: Path | None = None):
    """The ASGI app: the article view at /article/{doc_id}, the chat at /.

    Args:
        backend: answers questions and renders articles.
        limits: how many answers run at once and how many may wait (see ChatLimits).
        logins: (user, password) pairs; when given, the chat, the article view and the Add articles
            tab need a login.
        corpus_dir: the corpus folder the Add articles tab saves into; without it there is no such
            tab and every upload is refused.
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

    # Gradio keeps an upload route even for a page without file inputs. Without the Add articles tab
    # this chat takes no files; with it, Gradio's own route (login-checked) takes files up to
    # MAX_UPLOAD_BYTES into its temp folder, and only the tab reads them.
    if corpus_dir is None:
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

    if backend.llm is not None:
        respond = _streaming(respond, backend, gate)

    with gr.Blocks(title="News QA — cited answers") as demo:
        gr.Markdown("## Ask the articles\nEvery answer quotes its sources; follow a source to see the passage in its article.")
        if backend.load_error:
            gr.Markdown(escape_markdown(backend.load_error))
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                _chat_tab(gr, demo, respond, backend.examples, outlets=backend.outlets)
            # Each further panel is a function of its own, below: one tab each.
            with gr.Tab("Timeline", id="timeline"):
                _timeline_tab(gr, gate, backend)
            if corpus_dir is not None:
                with gr.Tab("Add articles", id="add") as add_tab:
                    _add_articles_tab(gr, ArticleDesk(backend, corpus_dir), logins is not None, add_tab)
    # Gradio runs at most `max_threads` events at a time (launch() sets it; mount_gradio_app has no
    # argument for it). Room for every admitted question plus some turned away, so none waits unseen
    # in Gradio's own queue; that queue is only a backstop, and when even it is full Gradio answers 503
    # ("This application is currently busy").
    demo.max_threads = limits.workers + limits.waiting + 16
    demo.queue(default_concurrency_limit=2, max_size=64)
    app = gr.mount_gradio_app(app, demo, path="/", auth=logins,
                              max_file_size=MAX_UPLOAD_BYTES if corpus_dir is not None else 0,
                              auth_message="Log in to ask about the articles." if logins else None)
    if logins:
        login_check = _gradio_login_check(app)
    app.add_middleware(RequestBodyLimit, upload_bytes=MAX_UPLOAD_FILES * MAX_UPLOAD_BYTES + MAX_REQUEST_BYTES
                       if corpus_dir is not None else None)
    return app


STREAM_NOTE = "*Writing… (not yet checked against the sources)*"


def _streaming(respond: Callable, backend: ChatBackend, gate: AnswerGate) -> Callable:
    """`respond` for generated answers: the model's reply is shown as it comes, marked unchecked,
    then replaced by the checked answer with its sources (a Gradio generator)."""

    async def respond_streaming(message: str, history: list[dict], turns: list[Turn] | None, since: str | None = None,
                                until: str | None = None, outlet: str | None = None):
        history, turns = list(history or []), list(turns or [])
        history.append({"role": "user", "content": shown_question(message or "")})
        latest: list[str] = []
        task = asyncio.ensure_future(gate.run(backend.reply, message or "", turns, since, until, outlet,
                                              latest.append))
        shown = None
        while not task.done():
            await asyncio.sleep(0.25)
            if latest and latest[-1] != shown:
                shown = latest[-1]
                yield history + [{"role": "assistant", "content": f"{escape_markdown(shown)}\n\n{STREAM_NOTE}"}], "", turns
        reply = task.result()
        if reply is None:
            yield history + [{"role": "assistant", "content": BUSY_TEXT}], message, turns
            return
        yield history + [{"role": "assistant", "content": reply}], "", turns

    return respond_streaming


def _example_text(sample: object) -> str:
    """The question of a clicked example (Gradio hands over the sample's row of values).

    >>> _example_text(["Who?"]), _example_text("Why?"), _example_text(None)
    ('Who?', 'Why?', '')
    """
    if isinstance(sample, (list, tuple)):
        sample = sample[0] if sample else ""
    return sample if isinstance(sample, str) else ""


def _chat_tab(gr, demo, respond: Callable, examples_of: Callable[[], list[str]],
              outlets: Callable[[], list[str]] = list) -> None:
    """The conversation, the question box with its filters (dates, outlet), and example questions
    drawn from the index."""
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
    # Drawn from the index when the page opens, so they change with the archive.
    examples = gr.Dataset(label="Examples", components=[box], samples=[[q] for q in examples_of()], type="values")
    examples.click(_example_text, examples, box, api_visibility="private")
    demo.load(lambda: gr.Dataset(samples=[[q] for q in examples_of()]), None, examples, api_visibility="private")
    # No Gradio limit on the chat: every question reaches the gate at once, which answers or says busy.
    asked = [box, chatbot, turns, since, until, outlet]
    box.submit(respond, asked, [chatbot, box, turns], api_name="chat_filtered", concurrency_limit=None)
    send.click(respond, asked, [chatbot, box, turns], api_name=False, concurrency_limit=None)
    # The "chat" endpoint outside tools call keeps its three inputs (question, history, turns): unfiltered.
    gr.Button(visible=False).click(respond, [box, chatbot, turns], [chatbot, box, turns], api_name="chat",
                                   concurrency_limit=None)
    outlet.focus(lambda: gr.Dropdown(choices=_outlet_choices(outlets())), None, outlet, api_visibility="private")
    chatbot.clear(lambda: [], None, turns, api_visibility="private")


def render_timeline(timeline: Timeline) -> str:
    """A timeline as Markdown: each dated entry (its outlet, title, quote and links), then the undated."""
    lines = [f"### Timeline: {escape_markdown(timeline.topic)}", ""]
    if timeline.empty:
        return "\n".join(lines + [escape_markdown(NO_ENTRIES_TEXT)])
    lines += [_timeline_entry(e) for e in timeline.entries]
    if timeline.undated:
        lines += ["#### Undated", "*No publication date is known and the sentence gives none.*", ""]
        lines += [_timeline_entry(e) for e in timeline.undated]
    return "\n".join(lines).rstrip()


def _timeline_entry(entry: Entry) -> str:
    """One entry: **date** (marked when the sentence gives it) — outlet · title, the quote, links."""
    when = f"**{escape_markdown(entry.date)}**" if entry.date else ""  # the undated stand under their own heading
    if entry.date_from == "sentence":
        published = f"; published {escape_markdown(entry.article_published)}" if entry.article_published else ""
        when += f" *(date given in the sentence{published})*"
    names = [f"*{escape_markdown(x)}*" if x == entry.title else escape_markdown(x)
             for x in (entry.source, entry.title) if x] or [escape_markdown(entry.doc_id)]
    links = [f"[read it in the article]({article_link(entry.doc_id, entry.start, entry.end)})"]
    if _safe_url(entry.url):
        links.append(f"[original source]({_safe_url(entry.url)})")
    lines = [f"- {when + ' — ' if when else ''}{' · '.join(names)}  ", f"  “{escape_markdown(entry.quote)}”  ",
             f"  {' · '.join(links)}"]
    if entry.also_reported_by:
        others = ", ".join(_report_link(r) for r in entry.also_reported_by)
        lines[-1] += "  "
        lines.append(f"  Also reported by: {others}")
    if entry.answers:
        lines[-1] += "  "
        claim = entry.answers
        lines.append(f"  Answers the claim of {_report_link(claim)}: “{escape_markdown(claim.quote)}”")
    for denial in entry.denied_by:
        lines[-1] += "  "
        lines.append(f"  Denied by {_report_link(denial)}: “{escape_markdown(denial.quote)}”")
    return "\n".join(lines) + "\n"


def _report_link(report) -> str:
    """An outlet (and date) linked to its passage in the article view."""
    name = escape_markdown(report.source or report.title or report.doc_id)
    date = f" ({escape_markdown(report.published)})" if report.published else ""
    return f"[{name}{date}]({article_link(report.doc_id, report.start, report.end)})"


def _timeline_tab(gr, gate: AnswerGate, backend: ChatBackend) -> None:
    """A topic box and a button; the topic's timeline shown as Markdown, through the chat's gate."""

    async def show(topic: str) -> str:
        shown = await gate.run(backend.timeline_reply, topic or "")
        return BUSY_TEXT if shown is None else shown

    gr.Markdown("One statement per article about a topic, oldest first, each quoted from its article.")
    with gr.Row():
        box = gr.Textbox(placeholder="A topic, e.g. a person, a place or an event…", show_label=False, scale=8,
                         max_length=SHOWN_QUESTION_CHARS, elem_id="timeline-topic")
        button = gr.Button("Show timeline", variant="primary", scale=1)
    result = gr.Markdown(elem_id="timeline-result")
    box.submit(show, box, result, api_name="timeline", concurrency_limit=None)
    button.click(show, box, result, api_name=False, concurrency_limit=None)
@dataclass(frozen=True)
class DeskState:
    """What the Add articles tab shows: the job under way or last done, and its lines."""

    job: str = ""  # what is or was being done, e.g. "Adding 2 files"
    stage: str = ""  # the step under way
    running: bool = False
    started: float = 0.0
    finished: float = 0.0
    lines: tuple[str, ...] = ()
    outcome: str = "done"  # "done", "done, 1 of 3 refused", or why nothing changed


class ArticleDesk:
    """Imports and removes articles for the Add articles tab: one job at a time, in a background
    thread, so the page (and the chat) stay responsive while the index updates.

    The chat picks the new index version up on its next question (ChatBackend._load).
    """

    def __init__(self, backend: ChatBackend, corpus_dir: Path) -> None:
        self.backend = backend
        self.corpus_dir = Path(corpus_dir)
        self._lock = threading.Lock()
        self.state = DeskState()

    def start(self, job: str, work: Callable[[Callable[[str], None]], ImportReport | RemoveReport],
              *, after: Callable[[], None] = lambda: None) -> str | None:
        """Run `work(on_stage)` in the background; a line saying why not when a job is already running."""
        with self._lock:
            if self.state.running:
                after()
                return f"{self.state.job} is still under way; wait for it to finish, then try again."
            self.state = DeskState(job=job, stage="starting", running=True, started=time.monotonic())
        threading.Thread(target=self._run, args=(work, after), name="article-desk", daemon=True).start()
        return None

    def _run(self, work: Callable, after: Callable[[], None]) -> None:
        lines: tuple[str, ...] = ()
        outcome = "done"
        try:
            report = work(self._set_stage)
            lines = tuple(str(line) for line in report.lines)
            refused = sum(not line.ok for line in report.lines)
            if report.index_error:
                outcome = "the index could not be updated, so nothing changed"
            elif refused:
                outcome = f"done, {refused} of {len(report.lines)} refused"
            if report.summary is not None:
                lines += (f"The index now holds {report.summary.total_articles} articles; the next question in "
                          f"the Chat tab sees them.",)
        except QAError as e:
            lines, outcome = (str(e),), "nothing changed"
        except Exception:  # the tab must report; the traceback goes to the log
            log.exception("%s failed", self.state.job)
            lines, outcome = ("Something went wrong; the error was logged. The index is as it was.",), "failed"
        finally:
            after()
        try:
            self.backend.indexed_articles()  # load the new version now, so the list shows it
        except Exception:
            log.exception("loading the index after %s failed", self.state.job)
        with self._lock:
            self.state = DeskState(job=self.state.job, running=False, started=self.state.started,
                                   finished=time.monotonic(), lines=lines, outcome=outcome)

    def _set_stage(self, stage: str) -> None:
        with self._lock:
            self.state = DeskState(job=self.state.job, stage=stage, running=True, started=self.state.started)

    def status_markdown(self) -> str:
        """The job's progress, or its outcome, as Markdown (every line escaped)."""
        state = self.state
        if not state.job:
            return "Nothing added yet."
        if state.running:
            seconds = time.monotonic() - state.started
            return (f"**{escape_markdown(state.job)}**: {escape_markdown(state.stage)}… ({seconds:.0f} s)  \n"
                    f"The chat keeps answering from the current index meanwhile.")
        seconds = state.finished - state.started
        return "\n".join([f"**{escape_markdown(state.job)}**: {escape_markdown(state.outcome)} ({seconds:.0f} s)", ""]
                         + [f"- {escape_markdown(line)}" for line in state.lines])


def _article_list_markdown(articles: list[Article]) -> str:
    """The indexed articles, one line each: title, outlet, date and id, all escaped."""
    if not articles:
        return "The index holds no articles yet."
    rows = [f"**{len(articles)} articles in the index**", ""]
    for article in articles[:MAX_LISTED_ARTICLES]:
        meta = " · ".join(escape_markdown(x) for x in (article.source, article.published) if x)
        rows.append(f"- {escape_markdown(article.title or article.doc_id)}{' — ' + meta if meta else ''} "
                    f"(id {escape_markdown(article.doc_id)})")
    if len(articles) > MAX_LISTED_ARTICLES:
        rows.append(f"- … and {len(articles) - MAX_LISTED_ARTICLES:,} more (all are in the remove menu)")
    return "\n".join(rows)


def _remove_choices(articles: list[Article]) -> list[tuple[str, str]]:
    return [(f"{a.title or a.doc_id} ({a.doc_id})", a.doc_id) for a in articles]


def _upload_paths(files: object) -> list[Path]:
    """The paths Gradio saved this request's uploads under (its temp folder)."""
    if not files:
        return []
    return [Path(getattr(f, "name", f)) for f in (files if isinstance(files, list) else [files])]


def _forget_uploads(paths: list[Path]) -> None:
    """Delete uploaded copies once read; only files in Gradio's temp folder are ever touched."""
    import tempfile

    root = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()
    for path in paths:
        if path.resolve().is_relative_to(root):
            path.unlink(missing_ok=True)


def _pasted_sources(title: str, text: str, source: str, url: str, published: str) -> tuple[list, str | None]:
    """The pasted article as a draft (or none), and a line saying what is missing."""
    title, text = (title or "").strip(), text or ""
    if not title and not text.strip():
        return [], None
    if not text.strip():
        return [], "The pasted article has a title but no text; paste its text too."
    if not title:
        return [], "The pasted article needs a title; type one above its text."
    if len(text) > MAX_PASTED_CHARS:
        return [], (f"The pasted text is {len(text):,} characters, over the limit of {MAX_PASTED_CHARS:,}; "
                    f"save it as a file and upload that, or split it.")
    return [pasted_draft(title, text, source=source or "", url=url or "", published=published or "")], None


def _add_articles_tab(gr, desk: ArticleDesk, guarded: bool, tab) -> None:
    """Upload files or paste an article, see the import's progress, list and remove indexed articles.

    With logins (`guarded`), a request without a logged-in user is refused here too, not only by Gradio.
    Longer than most functions here: the layout and the four handlers that share its components and
    `desk` are one unit; the work itself is in ArticleDesk and index.importer.
    """
    gr.Markdown(f"Upload article files (.md, .txt, .html, .json, .jsonl; at most {MAX_UPLOAD_FILES} files of "
                f"{MAX_UPLOAD_BYTES // 2**20} MB each) or paste an article's text with its title. Each article is "
                f"saved in the corpus folder and indexed in the background.")
    files = gr.File(label="Article files", file_count="multiple", type="filepath", height=150, elem_id="add-files",
                    file_types=[".md", ".markdown", ".txt", ".html", ".htm", ".json", ".jsonl"])
    with gr.Accordion("Paste an article", open=False):
        title = gr.Textbox(label="Title", max_lines=1, max_length=500)
        text = gr.Textbox(label="Article text", lines=6, max_length=MAX_PASTED_CHARS)
        with gr.Row():
            source = gr.Textbox(label="Outlet (optional)", max_lines=1, max_length=200)
            url = gr.Textbox(label="URL (optional)", max_lines=1, max_length=2000)
            published = gr.Textbox(label="Date (optional, e.g. 2021-03-04)", max_lines=1, max_length=40)
    add = gr.Button("Add", variant="primary")
    status = gr.Markdown(desk.status_markdown(), elem_id="add-status")
    timer = gr.Timer(1.0, active=False)
    with gr.Accordion("Articles in the index", open=True):
        listing = gr.Markdown(elem_id="article-list")
        with gr.Row():
            chosen = gr.Dropdown(label="Article to remove", choices=[], scale=4, elem_id="remove-choice")
            remove = gr.Button("Remove", variant="stop", scale=1)

    def refused(request) -> bool:
        return guarded and not getattr(request, "username", None)

    def start_add(uploads, title_text, body, source_text, url_text, date_text, request: gr.Request):
        keep = (gr.skip(),) * 5
        paths = _upload_paths(uploads)
        if refused(request):
            return ("Log in first: adding articles needs a login.", gr.Timer(active=False), *keep)
        if len(paths) > MAX_UPLOAD_FILES:
            return (f"{len(paths)} files chosen, over the limit of {MAX_UPLOAD_FILES}; add them in smaller groups.",
                    gr.Timer(active=False), *keep)
        pasted, problem = _pasted_sources(title_text, body, source_text, url_text, date_text)
        if problem:
            return (escape_markdown(problem), gr.Timer(active=False), *keep)
        if not paths and not pasted:
            return ("Choose article files or paste an article's text and title, then press Add.",
                    gr.Timer(active=False), *keep)
        count = len(paths) + len(pasted)
        job = f"Adding {count} {'article file' if count == 1 else 'article files'}" if not pasted else \
            f"Adding {count} {'article' if count == 1 else 'articles'}"
        busy = desk.start(job, lambda stage: import_files([*paths, *pasted], desk.corpus_dir,
                                                          index_dir=desk.backend.index_dir, on_stage=stage),
                          after=lambda: _forget_uploads(paths))
        if busy:
            return (escape_markdown(busy), gr.Timer(active=False), *keep)
        return (desk.status_markdown(), gr.Timer(active=True), None, "", "", "", "")

    def start_remove(doc_id, request: gr.Request):
        if refused(request):
            return "Log in first: removing articles needs a login.", gr.Timer(active=False)
        if not doc_id:
            return "Choose the article to remove in the menu, then press Remove.", gr.Timer(active=False)
        busy = desk.start(f"Removing {doc_id}", lambda stage: remove_articles([doc_id], desk.corpus_dir,
                                                                              index_dir=desk.backend.index_dir,
                                                                              on_stage=stage))
        return (escape_markdown(busy), gr.Timer(active=False)) if busy else (desk.status_markdown(), gr.Timer(active=True))

    def show_articles(request: gr.Request):
        if refused(request):
            return "Log in first.", gr.Dropdown(choices=[], value=None)
        articles = desk.backend.indexed_articles()
        return _article_list_markdown(articles), gr.Dropdown(choices=_remove_choices(articles), value=None)

    def tick(request: gr.Request):
        if desk.state.running:
            return desk.status_markdown(), gr.skip(), gr.skip(), gr.skip()
        shown, choices = show_articles(request)
        return desk.status_markdown(), shown, choices, gr.Timer(active=False)

    # Gradio passes the request to a parameter annotated gr.Request; with postponed annotations it
    # cannot resolve "gr.Request" (gr is not a global here), so the annotation is given as the class.
    for handler in (start_add, start_remove, show_articles, tick):
        handler.__annotations__["request"] = gr.Request
    add.click(start_add, [files, title, text, source, url, published],
              [status, timer, files, title, text, source, url], api_name=False, concurrency_limit=None)
    remove.click(start_remove, [chosen], [status, timer], api_name=False, concurrency_limit=None)
    timer.tick(tick, None, [status, listing, chosen, timer], api_visibility="private", concurrency_limit=None,
               show_progress="hidden")
    tab.select(show_articles, None, [listing, chosen], api_visibility="private", concurrency_limit=None)


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
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get(CORPUS_VARIABLE) or DEFAULT_CORPUS),
                        help=f"corpus folder the Add articles tab saves into and the index is updated from "
                             f"(default ${CORPUS_VARIABLE} or corpus/ of the repository)")
    parser.add_argument("--read-only", action="store_true",
                        help="no Add articles tab: nobody can add or remove articles, and uploads are refused")
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
    parser.add_argument("--llm", metavar="URL", default=None,
                        help="write answers with the model at this OpenAI-compatible URL (e.g. http://127.0.0.1:8080/v1; "
                             "'env' for $QA_LLM_URL), streamed, every sentence checked against its sources; "
                             + settings_help())
    add_store_options(parser)
    return parser.parse_args(argv)


def use_store(store: StoreConfig) -> None:
    """Make --store and --milvus-uri the process's $QA_STORE and $QA_MILVUS_URI: the assistant reads
    through that store and articles added in the chat are indexed into it."""
    os.environ[STORE_VARIABLE] = store.kind
    if store.milvus_uri:
        os.environ[URI_VARIABLE] = store.milvus_uri


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        logins = resolve_logins(args.host, allow_remote=args.allow_remote, auth_file=args.auth_file)
        limits = ChatLimits(workers=args.workers, waiting=args.max_waiting)
        llm = LLMSettings.from_env(None if args.llm == "env" else args.llm) if args.llm is not None else None
        use_store(StoreConfig.from_options(store=args.store, milvus_uri=args.milvus_uri))
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    set_offline_mode()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import uvicorn

    backend = ChatBackend(args.index_dir, llm=llm)
    if backend.load_error:
        log.warning(backend.load_error)
    backend.warm_up()
    print(f"chat: http://{args.host}:{args.port}" + (f" (login required, {len(logins)} users)" if logins else ""),
          flush=True)
    app = build_app(backend, limits=limits, logins=logins, corpus_dir=None if args.read_only else args.corpus)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
