"""The article view and Gradio's file routes over raw HTTP: only indexed documents, never a file.

Requests go through http.client, which sends the path exactly as written (no client-side
normalising of `..` or percent-escapes), against the real running server.
"""
from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.ui.conftest import SECRET

pytestmark = pytest.mark.slow


def raw_request(base_url: str, method: str, path: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    """(status, headers, body) of one request with `path` sent byte for byte as given."""
    where = urlsplit(base_url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", [
    "/article/../../etc/passwd", "/article/..%2F..%2Fetc%2Fpasswd", "/article/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/article/%252e%252e%252fetc%252fpasswd", "/article/..%5c..%5cetc%5cpasswd", "/article//etc/passwd",
    "/article/%2Fetc%2Fpasswd", "/article/%2e%2e%2fcorpus%2fharbour", "/article/harbour.md", "/article/harbour%00",
    "/article/../article/harbour", "/article/%2568arbour", "/article/sub/", "/article/", "/article",
    "/article/nosuchdoc?start=0&end=5", "/article/leak", "/article/passwd",
])
def test_the_article_view_serves_only_indexed_documents(chat_server, path):
    status, headers, body = raw_request(chat_server, "GET", path)

    assert status == 404
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert b"root:" not in body and SECRET.encode() not in body and b"harbour bridge" not in body


def test_an_indexed_document_is_served_with_the_passage_marked(chat_server):
    status, _, body = raw_request(chat_server, "GET", "/article/harbour?start=4&end=18")

    assert status == 200
    assert '<mark id="cited">harbour bridge</mark>' in body.decode()


@pytest.mark.parametrize("query", ["start=abc&end=zz", "start=-4&end=18", "start=4&end=99999999999999999999",
                                   "start=18&end=4", "start=%00&end=%ff"])
def test_bad_offsets_show_the_article_without_a_highlight(chat_server, query):
    status, headers, body = raw_request(chat_server, "GET", f"/article/harbour?{query}")

    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"harbour bridge" in body and b"<mark" not in body


def test_links_out_of_the_corpus_were_never_indexed(chat_server):
    # leak.md and passwd.md are links to files outside the corpus: the index refused them, so the
    # chat can neither serve nor quote them.
    for path in ("/article/leak", "/article/passwd", "/article/secret"):
        assert raw_request(chat_server, "GET", path)[0] == 404


@pytest.mark.parametrize("path", ["/gradio_api/file=/etc/passwd", "/gradio_api/file=../../../../etc/passwd",
                                  "/gradio_api/file=%2Fetc%2Fpasswd", "/file=/etc/passwd"])
def test_gradio_file_routes_serve_no_files_of_the_machine(chat_server, path):
    status, _, body = raw_request(chat_server, "GET", path)

    assert status in (403, 404)
    assert b"root:" not in body


def test_gradio_file_routes_do_not_serve_the_corpus(chat_server, chat_index):
    for path in (chat_index / "secret.md", chat_index / "corpus" / "harbour.md"):
        status, _, body = raw_request(chat_server, "GET", f"/gradio_api/file={path}")
        assert status in (403, 404) and SECRET.encode() not in body and b"harbour bridge" not in body


def test_the_article_view_sends_a_policy_that_blocks_scripts(chat_server):
    status, headers, body = raw_request(chat_server, "GET", "/article/hostile?start=0&end=10")

    policy = headers["Content-Security-Policy"]
    page = body.decode()
    assert status == 200
    assert "default-src 'none'" in policy and "script" not in policy.replace("default-src 'none'", "")
    assert headers["X-Content-Type-Options"] == "nosniff"
    tags = parsed_tags(page)
    assert {name for name, _ in tags} <= {"html", "head", "meta", "title", "style", "body", "h1", "p", "div", "mark", "a"}
    assert not [(name, attrs) for name, attrs in tags if any(key.startswith("on") or key == "http-equiv" for key in attrs)]
    assert "&lt;script&gt;" in page and "&lt;svg onload=" in page


def parsed_tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag of an HTML page with its attributes, as a browser's parser would see them."""
    from html.parser import HTMLParser

    tags = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, dict(attrs)))

    Collector().feed(page)
    return tags


# --- uploads and request bodies --------------------------------------------------------------------

def multipart(name: str, content: bytes) -> tuple[bytes, dict[str, str]]:
    boundary = "qa-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.mark.parametrize("path", ["/gradio_api/upload", "/gradio_api/upload/", "/gradio_api/upload?upload_id=x"])
def test_a_read_only_chat_refuses_uploads(tmp_path, path):
    from starlette.testclient import TestClient

    from ui import ChatBackend, build_app

    body, headers = multipart("evil.html", b"<script>alert(1)</script>")
    with TestClient(build_app(ChatBackend(tmp_path / "no-index"), corpus_dir=None)) as client:
        reply = client.post(path, content=body, headers=headers)

    assert reply.status_code == 403 and b"no uploads" in reply.content


def test_an_upload_stays_in_gradios_temp_folder_and_is_served_back_only_as_a_download(chat_server, chat_index):
    body, headers = multipart("../../evil.html", b"<script>alert(1)</script>")

    status, _, reply = raw_request(chat_server, "POST", "/gradio_api/upload", body=body, headers=headers)

    assert status == 200
    [saved] = json.loads(reply)
    assert Path(saved).name == "evil.html" and not Path(saved).resolve().is_relative_to(chat_index)
    status, served, _ = raw_request(chat_server, "GET", f"/gradio_api/file={saved}")
    assert status == 200 and served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment")  # never rendered as a page of this origin


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(chat_server):
    status, _, reply = raw_request(chat_server, "POST", "/gradio_api/queue/join", body=b"x" * (2 * 1024 * 1024 + 1),
                                   headers={"Content-Type": "application/json"})

    assert status == 413 and b"over" in reply


def test_a_streamed_request_body_is_refused(chat_server):
    where = urlsplit(chat_server)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    connection.request("POST", "/gradio_api/queue/join", body=iter([b'{"data": []}']),
                       headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    assert connection.getresponse().status == 411
    connection.close()
