"""Who gets in: loopback by default, another address only with --allow-remote and logins, and
then both the chat (page and API) and the article view refuse anyone not logged in."""
from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from index import QAError
from tests.ui.conftest import LOGIN, REPO, SECRET
from ui import escape_markdown, is_loopback, parse_logins, resolve_logins


# --- the rules, in-process ----------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("127.255.0.9", True), ("localhost", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("10.0.0.1", False),
    ("example.org", False), ("localhost.example.org", False), ("", False),
])
def test_loopback_is_127_slash_8_localhost_and_ipv6_one(host, loopback):
    assert is_loopback(host) is loopback


def test_logins_are_user_colon_password_and_a_password_may_hold_colons():
    assert parse_logins("ana:pw, bob:a:b:c ,", origin="X", separator=",") == [("ana", "pw"), ("bob", "a:b:c")]
    assert parse_logins("# readers\nana:pw\n\n", origin="F", separator="\n") == [("ana", "pw")]


@pytest.mark.parametrize("text", ["ana", "ana:", ":pw", "ana:pw,bob"])
def test_a_malformed_login_is_named_by_number_without_echoing_it(text):
    with pytest.raises(QAError) as refused:
        parse_logins(text, origin="QA_CHAT_AUTH", separator=",")

    assert "is not user:password" in str(refused.value)
    assert "pw" not in str(refused.value).replace("password", "")


def test_loopback_without_logins_is_an_open_chat():
    assert resolve_logins("127.0.0.1", allow_remote=False, auth_file=None, environ={}) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "example.org"])
def test_another_address_needs_the_flag(host):
    with pytest.raises(QAError, match=f"refusing to serve on {host}.*--allow-remote"):
        resolve_logins(host, allow_remote=False, auth_file=None, environ={"QA_CHAT_AUTH": "ana:pw"})


def test_the_flag_needs_logins():
    with pytest.raises(QAError, match="--allow-remote needs logins"):
        resolve_logins("0.0.0.0", allow_remote=True, auth_file=None, environ={})


def test_logins_come_from_the_variable_or_a_file(tmp_path):
    logins = tmp_path / "logins.txt"
    logins.write_text("ana:from-file\n", encoding="utf-8")

    assert resolve_logins("0.0.0.0", allow_remote=True, auth_file=None,
                          environ={"QA_CHAT_AUTH": "ana:pw,bob:pw2"}) == [("ana", "pw"), ("bob", "pw2")]
    assert resolve_logins("0.0.0.0", allow_remote=True, auth_file=logins, environ={}) == [("ana", "from-file")]
    assert resolve_logins("127.0.0.1", allow_remote=False, auth_file=logins, environ={}) == [("ana", "from-file")]
    with pytest.raises(QAError, match="cannot read --auth-file"):
        resolve_logins("0.0.0.0", allow_remote=True, auth_file=tmp_path / "missing", environ={})


# --- the rules, as a user meets them ----------------------------------------------------------------------

@pytest.mark.parametrize(("arguments", "environment", "message"), [
    (["--host", "0.0.0.0"], {}, "refusing to serve on 0.0.0.0"),
    ([], {"GRADIO_SERVER_NAME": "0.0.0.0"}, "refusing to serve on 0.0.0.0"),
    (["--host", "0.0.0.0", "--allow-remote"], {}, "--allow-remote needs logins"),
    (["--host", "0.0.0.0", "--allow-remote", "--auth-file", "missing.txt"], {}, "cannot read --auth-file"),
    (["--allow-remote"], {"QA_CHAT_AUTH": "ana"}, "QA_CHAT_AUTH entry 1 is not user:password"),
    (["--workers", "0"], {}, "workers >= 1"),
])
def test_ui_refuses_in_one_line_before_serving(tmp_path, arguments, environment, message):
    env = {key: value for key, value in os.environ.items()
           if key not in ("QA_CHAT_AUTH", "GRADIO_SERVER_NAME")} | environment
    result = subprocess.run([sys.executable, str(REPO / "ui.py"), *arguments], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line


# --- a chat with logins -----------------------------------------------------------------------------

def login_opener(base_url: str, user: str, password: str) -> tuple[int, urllib.request.OpenerDirector]:
    """(status of POST /login, an opener that keeps the session cookie it set)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = urllib.parse.urlencode({"username": user, "password": password}).encode()
    try:
        with opener.open(base_url + "/login", data=form, timeout=30) as response:
            return response.status, opener
    except urllib.error.HTTPError as e:
        return e.code, opener


def status_of(opener: urllib.request.OpenerDirector, target: str | urllib.request.Request) -> tuple[int, bytes]:
    """(status, body) of one request, whatever the status."""
    try:
        with opener.open(target, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.mark.slow
def test_without_login_the_article_view_is_refused(guarded_server):
    url, _ = guarded_server
    anonymous = urllib.request.build_opener()

    status, body = status_of(anonymous, url + "/article/harbour?start=0&end=10")

    assert status == 401 and b"harbour bridge" not in body and b"Log in" in body
    assert status_of(anonymous, url + "/article/nosuchdoc")[0] == 401  # says nothing about which ids exist


@pytest.mark.slow
def test_a_forged_session_cookie_is_refused(guarded_server):
    url, _ = guarded_server
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port,
                                            timeout=30)
    connection.request("GET", "/article/harbour", headers={"Cookie": "access-token-unsecure-x=y; access-token=y"})
    assert connection.getresponse().status == 401
    connection.close()


@pytest.mark.slow
def test_a_wrong_password_gets_no_session(guarded_server):
    url, _ = guarded_server

    status, opener = login_opener(url, LOGIN[0], LOGIN[1] + "x")

    assert status == 400
    assert status_of(opener, url + "/article/harbour")[0] == 401


@pytest.mark.slow
@pytest.mark.parametrize("login", [LOGIN, ("second", "other-pass")])
def test_with_login_the_article_view_serves_indexed_documents_only(guarded_server, login):
    url, _ = guarded_server

    status, opener = login_opener(url, *login)

    assert status == 200
    page_status, page = status_of(opener, url + "/article/harbour?start=4&end=18")
    assert page_status == 200 and b'<mark id="cited">harbour bridge</mark>' in page
    for path in ("/article/leak", "/article/..%2F..%2Fetc%2Fpasswd", "/article/"):
        status, body = status_of(opener, url + path)
        assert status == 404 and SECRET.encode() not in body and b"root:" not in body


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/config", "/gradio_api/info", "/gradio_api/queue/status"])
def test_without_login_the_chat_api_is_refused(guarded_server, path):
    url, _ = guarded_server

    assert status_of(urllib.request.build_opener(), url + path)[0] == 401


@pytest.mark.slow
def test_without_login_a_question_cannot_be_queued(guarded_server):
    url, _ = guarded_server
    request = urllib.request.Request(url + "/gradio_api/queue/join", method="POST",
                                     data=b'{"data": ["How much did the repairs cost?", [], []], "fn_index": 0, '
                                          b'"session_hash": "abc"}', headers={"Content-Type": "application/json"})

    assert status_of(urllib.request.build_opener(), request)[0] == 401


@pytest.mark.slow
def test_the_chat_client_needs_a_login_and_works_with_one(guarded_server, monkeypatch):
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    url, _ = guarded_server
    with pytest.raises(AuthenticationError):
        Client(url, verbose=False, download_files=False)
    with pytest.raises(ValueError):
        Client(url, auth=(LOGIN[0], "wrong"), verbose=False, download_files=False)

    client = Client(url, auth=LOGIN, verbose=False, download_files=False)
    history, _ = client.predict("How much did the bridge repairs cost?", [], api_name="/chat")
    client.close()
    assert "14 million euros" in history[-1]["content"][0]["text"]


def upload_request(url: str, name: str, content: bytes) -> urllib.request.Request:
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\r\n".encode()
            + content + f"\r\n--{boundary}--\r\n".encode())
    return urllib.request.Request(url + "/gradio_api/upload", data=body, method="POST",
                                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


@pytest.mark.slow
def test_uploads_need_a_login_and_stay_in_the_temp_folder_up_to_the_size_limit(guarded_server):
    from ui import MAX_UPLOAD_BYTES

    url, root = guarded_server
    _, opener = login_opener(url, *LOGIN)
    before = sorted(p.name for p in (root / "corpus").iterdir())

    anonymous = status_of(urllib.request.build_opener(), upload_request(url, "x.md", b"hello"))
    status, body = status_of(opener, upload_request(url, "../../x.md", b"hello"))
    too_big = status_of(opener, upload_request(url, "big.txt", b"x" * (MAX_UPLOAD_BYTES + 1)))

    assert anonymous[0] == 401
    assert status == 200
    [saved] = json.loads(body)
    assert Path(saved).name == "x.md" and not Path(saved).resolve().is_relative_to(root)
    assert too_big[0] == 413 and b"size" in too_big[1]
    assert sorted(p.name for p in (root / "corpus").iterdir()) == before  # an upload alone adds nothing


@pytest.mark.slow
def test_without_login_no_event_of_the_page_can_be_queued_add_and_remove_included(guarded_server):
    url, _ = guarded_server
    _, opener = login_opener(url, *LOGIN)
    config = json.loads(status_of(opener, url + "/config")[1])
    labels = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
    clicks = [i for i, d in enumerate(config["dependencies"])
              if any(labels.get(t[0]) in ("Add", "Remove") for t in d["targets"])]
    assert len(clicks) == 2

    for fn_index in range(len(config["dependencies"])):
        request = urllib.request.Request(url + "/gradio_api/queue/join", method="POST",
                                         data=json.dumps({"data": [], "fn_index": fn_index,
                                                          "session_hash": "abc"}).encode(),
                                         headers={"Content-Type": "application/json"})
        assert status_of(urllib.request.build_opener(), request)[0] == 401, fn_index


def queue_event(opener: urllib.request.OpenerDirector, url: str, fn_index: int, data: list) -> list[dict]:
    """Join the queue with one event and read its messages until it completes (with the opener's session)."""
    session = "access-test-session"
    join = urllib.request.Request(url + "/gradio_api/queue/join", method="POST",
                                  data=json.dumps({"data": data, "fn_index": fn_index, "session_hash": session}).encode(),
                                  headers={"Content-Type": "application/json"})
    assert status_of(opener, join)[0] == 200
    messages = []
    with opener.open(url + f"/gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        for raw in stream:
            line = raw.decode("utf-8").strip()
            if line.startswith("data:"):
                messages.append(json.loads(line[5:]))
                if messages[-1].get("msg") == "process_completed":
                    break
    return messages


@pytest.mark.slow
def test_with_a_login_the_add_button_gets_past_its_own_login_check(guarded_server):
    url, root = guarded_server
    _, opener = login_opener(url, *LOGIN)
    config = json.loads(status_of(opener, url + "/config")[1])
    labels = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
    [add] = [i for i, d in enumerate(config["dependencies"]) if any(labels.get(t[0]) == "Add" for t in d["targets"])]
    before = sorted(p.name for p in (root / "corpus").iterdir())

    messages = queue_event(opener, url, add, [None, "A title only", "", "", "", ""])

    status = messages[-1]["output"]["data"][0]
    assert status == escape_markdown("The pasted article has a title but no text; paste its text too.")  # not "Log in first"
    assert sorted(p.name for p in (root / "corpus").iterdir()) == before
