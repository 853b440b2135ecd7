"""The chat: a Gradio page that asks the assistant and shows each answer with its sources.

Owns: turning an `Answer` into safe Markdown (article text is untrusted: every piece of it is
escaped), the article view that highlights a cited passage, and serving both on one port.
Does not: retrieve, read article files or compose answers; all of that is `qa.Assistant`.

    .venv/bin/python ui.py            # http://127.0.0.1:7860
Honours GRADIO_SERVER_NAME, GRADIO_SERVER_PORT and QA_INDEX_DIR.
"""
from __future__ import annotations

import argparse
import html
import logging
import os
import re
import sys
import threading
from pathlib import Path
from urllib.parse import quote as url_quote

from index import IndexNotFoundError, QAError, QuestionError, set_offline_mode
from qa import Answer, Assistant, Turn

log = logging.getLogger("ui")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:])")
MAX_TURNS = 8
EXAMPLES = ["Who denied al-Qaeda's presence?", "What happened in Musa Qala?", "How many al-Qaeda fighters are there?"]


def escape_markdown(text: str) -> str:
    """Text shown literally by a Markdown renderer: no HTML, links, images or emphasis survive.

    >>> escape_markdown("<b>[x](javascript:y)</b>")
    '&lt;b&gt;\\\\[x\\\\]\\\\(javascript\\\\:y\\\\)&lt;/b&gt;'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=True)).replace("\n", "  \n")


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
        lines.append("**Closest passages**")
        for p in answer.retrieved[:3]:
            title = answer.titles.get(p.chunk.doc_id) or p.chunk.doc_id
            excerpt = p.chunk.text if len(p.chunk.text) <= 300 else p.chunk.text[:300] + "…"
            lines.append(f"- *{escape_markdown(title)}*: “{escape_markdown(excerpt)}” "
                         f"([open]({article_link(p.chunk.doc_id, p.chunk.start, p.chunk.end)}))")
        return "\n".join(lines)
    lines.append("**Sources**")
    for c in answer.citations:
        meta = " · ".join(escape_markdown(x) for x in (c.source or "outlet unknown", c.published or "date unknown"))
        original = _safe_url(c.url)
        links = [f"[read it in the article]({article_link(c.doc_id, c.start, c.end)})",
                 f"[original source]({original})" if original else "original URL unknown"]
        lines.append(f"\\[{c.n}\\] **{escape_markdown(c.title or c.doc_id)}** — {meta}  \n"
                     f"“{escape_markdown(c.quote)}”  \n{' · '.join(links)}")
        if c.also_reported_by:
            others = ", ".join(f"[{escape_markdown(r.source or r.title or r.doc_id)}]({article_link(r.doc_id, r.start, r.end)})"
                               for r in c.also_reported_by)
            lines.append(f"Also reported by: {others}")
        lines.append("")
    return "\n".join(lines).rstrip()


class ChatBackend:
    """Holds the assistant for the chat; picks up a new index on the next question, never a half one."""

    def __init__(self, index_dir: Path | str | None = None) -> None:
        self.index_dir = index_dir
        self._assistant: Assistant | None = None
        self._lock = threading.Lock()
        self.load_error: str | None = None
        self._load()

    def _load(self) -> None:
        with self._lock:
            try:
                if self._assistant is None:
                    self._assistant = Assistant(self.index_dir)
                else:
                    self._assistant.refresh()
                self.load_error = None
            except IndexNotFoundError as e:
                self.load_error = f"There is no index yet. {e}."
            except QAError as e:
                self.load_error = str(e)

    @property
    def assistant(self) -> Assistant | None:
        return self._assistant

    def reply(self, message: str, turns: list[Turn] | None = None) -> str:
        """The chat's answer to one message, as Markdown; never raises, never shows a traceback.

        `turns` is this conversation's earlier exchanges; the new one is appended to it.
        """
        try:
            self._load()
            if self._assistant is None:
                return escape_markdown(self.load_error or "The index could not be loaded.")
            answer = self._assistant.ask(message, history=turns or ())
            if turns is not None:
                turns.append(Turn(answer.understood_as or answer.question, answer))
                del turns[:-MAX_TURNS]
            return render_answer(answer)
        except QuestionError as e:
            return escape_markdown(f"Please ask a question: {e}.")
        except QAError as e:
            return escape_markdown(str(e))
        except Exception:  # the UI must answer; the traceback goes to the log, not the page
            log.exception("answering %r failed", message[:200])
            return "Something went wrong while answering; the error was logged. Please try again."

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
        meta = " · ".join(html.escape(x) for x in (article.source or "outlet unknown",
                                                   article.published or "date unknown", article.author or "") if x)
        link = (f'<a href="{html.escape(original)}" rel="noopener noreferrer nofollow" target="_blank">original source</a>'
                if original else "original URL unknown")
        return ARTICLE_PAGE.format(title=html.escape(article.title or article.doc_id), meta=meta, link=link, body=shown)


ARTICLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.55; }}
.meta {{ color: #555; }} .body {{ white-space: pre-wrap; }}
mark {{ background: #ffe27a; padding: 0.1em 0; scroll-margin-top: 30vh; }}
</style></head>
<body><h1>{title}</h1><p class="meta">{meta} · {link}</p><div class="body">{body}</div></body></html>"""

# No script may run on the article page, whatever an article contains.
ARTICLE_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'",
                   "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def build_app(backend: ChatBackend):
    """The FastAPI app: the article view at /article/{doc_id}, the chat at /."""
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    app = FastAPI()

    @app.get("/article/{doc_id:path}", response_class=HTMLResponse)
    def article(doc_id: str, start: int | None = None, end: int | None = None) -> HTMLResponse:
        page = backend.article_page(doc_id, start, end)
        if page is None:
            return HTMLResponse("<!doctype html><title>Not found</title><p>No such article in the index.</p>",
                                status_code=404, headers=ARTICLE_HEADERS)
        return HTMLResponse(page, headers=ARTICLE_HEADERS)

    def respond(message: str, history: list[dict], turns: list[Turn] | None) -> tuple[list[dict], str, list[Turn]]:
        history, turns = list(history or []), list(turns or [])
        history.append({"role": "user", "content": escape_markdown(message or "")})
        history.append({"role": "assistant", "content": backend.reply(message or "", turns)})
        return history, "", turns

    with gr.Blocks(title="News QA — cited answers") as demo:
        gr.Markdown("## Ask the articles\nEvery answer quotes its sources; follow a source to see the passage in its article.")
        if backend.load_error:
            gr.Markdown(escape_markdown(backend.load_error))
        chatbot = gr.Chatbot(label="Conversation", height=560, sanitize_html=True, feedback_options=None)
        with gr.Row():
            box = gr.Textbox(placeholder="Ask a question about the articles…", show_label=False, scale=8, max_length=1000)
            send = gr.Button("Ask", variant="primary", scale=1)
        turns = gr.State([])
        gr.Examples(EXAMPLES, inputs=box)
        box.submit(respond, [box, chatbot, turns], [chatbot, box, turns], api_name="chat")
        send.click(respond, [box, chatbot, turns], [chatbot, box, turns], api_name=False)
        chatbot.clear(lambda: [], None, turns)
    demo.queue(default_concurrency_limit=2, max_size=64)
    return gr.mount_gradio_app(app, demo, path="/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python ui.py", description="Serve the chat (Gradio) and the article view.")
    parser.add_argument("--index-dir", type=Path, default=None, help="index folder (default: $QA_INDEX_DIR or .index/)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to bind (default $GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                        help="port (default $GRADIO_SERVER_PORT or 7860)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    set_offline_mode()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import uvicorn

    backend = ChatBackend(args.index_dir)
    if backend.load_error:
        log.warning(backend.load_error)
    print(f"chat: http://{args.host}:{args.port}", flush=True)
    uvicorn.run(build_app(backend), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
