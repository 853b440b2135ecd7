"""`python -m eval load` and the running chat under load: figures, busy replies, a live index update."""
from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
from gradio_client.utils import QueueError

from eval.load import LoadSettings, Outcome, ask_once, classify_reply, drive, summarise
from tests.ui.conftest import LOGIN, REPO, build_index
from ui import BUSY_TEXT

LIGHTHOUSE = """---
title: "Last keeper leaves Skerry lighthouse"
source: "Island Post"
published: 2024-01-15
---
Agnes Holm, the last keeper of the Skerry lighthouse, retired on Friday after 31 years.
"""


def reply(text: str) -> tuple[list[dict], str]:
    return [{"role": "user", "content": [{"type": "text", "text": "q"}]},
            {"role": "assistant", "content": [{"type": "text", "text": text}]}], ""


# --- the figures ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind"), [
    ("14 million euros \\[1\\]\n\n**Sources**\n\\[1\\] …", "answered"),
    ("The articles do not answer this\\.\n\n**Closest passages**\n- …", "answered"),
    (BUSY_TEXT, "busy"),
    ("Something went wrong while answering; the error was logged. Please try again.", "error"),
    ("There is no index yet\\. …", "error"),
])
def test_replies_are_sorted_into_answered_busy_and_error(text, kind):
    assert classify_reply(reply(text))[0] == kind


@pytest.mark.parametrize("result", [None, (), ([],), ([{"role": "assistant"}], "")])
def test_a_malformed_result_is_an_error(result):
    assert classify_reply(result)[0] == "error"


class FakeClient:
    def __init__(self, outcome: object) -> None:
        self.outcome = outcome

    def predict(self, *args, **kwargs):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def test_a_full_gradio_queue_counts_as_busy_and_any_other_failure_as_an_error():
    assert ask_once(FakeClient(QueueError("Queue is full! Please try again.")), "q").kind == "busy"
    failed = ask_once(FakeClient(ConnectionError("refused")), "q")
    assert failed.kind == "error" and failed.detail == "ConnectionError: refused"
    assert ask_once(FakeClient(reply(BUSY_TEXT)), "q").kind == "busy"


def test_summary_figures_equal_hand_computed_values():
    outcomes = [Outcome("answered", s) for s in (0.1, 0.2, 0.3, 0.4)] + [Outcome("busy", 0.01),
                                                                           Outcome("error", 1.0, "boom")]

    summary = summarise(outcomes, users=3, elapsed=2.0)

    assert (summary.requests, summary.answered, summary.busy, summary.errors) == (6, 4, 1, 1)
    assert summary.p50_ms == 250.0        # halfway between 200 and 300
    assert summary.p95_ms == 385.0        # 300 + 0.85 * 100
    assert summary.p99_ms == 397.0
    assert summary.throughput == 2.0      # 4 answered in 2 s; busy and failed requests are not throughput
    assert summary.error_samples == ["boom"]


def test_settings_refuse_nonsense():
    with pytest.raises(Exception, match="--users must be at least 1"):
        LoadSettings(users=0)


# --- the command ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_load_command_runs_users_against_a_real_chat_and_reports_no_errors(chat_index):
    result = subprocess.run([sys.executable, "-m", "eval", "load", "--users", "5", "--seconds", "10", "--json",
                             "--index-dir", str(chat_index / "index")],
                            cwd=REPO, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["users"] == 5 and summary["errors"] == 0 and summary["error_samples"] == []
    assert summary["answered"] >= 5 and summary["requests"] == summary["answered"] + summary["busy"]
    assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"]
    assert summary["throughput"] > 0
    assert "load: 5 users for 10 s" in result.stderr and "Traceback" not in result.stderr


def test_load_command_help_and_bad_input():
    help_text = subprocess.run([sys.executable, "-m", "eval", "load", "--help"], cwd=REPO, capture_output=True,
                               text=True, timeout=60)
    assert help_text.returncode == 0 and help_text.stdout.startswith("usage: python -m eval load")
    assert all(option in help_text.stdout for option in ("--users", "--seconds", "--index-dir", "--json"))

    missing = subprocess.run([sys.executable, "-m", "eval", "load", "--index-dir", "/nonexistent/index"], cwd=REPO,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and missing.stdout == ""
    [line] = missing.stderr.strip().splitlines()
    assert line.startswith("error: no index found in /nonexistent/index")


# --- a busy chat --------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_more_users_than_the_chat_takes_get_busy_replies_and_no_errors(guarded_server, monkeypatch):
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    url, _ = guarded_server  # one answer at a time, none waiting

    summary = drive(url, ["How much did the bridge repairs cost?", "Who denied polluting the river?"],
                    LoadSettings(users=6, seconds=4), progress=False, auth=LOGIN)

    assert summary.errors == 0, summary.error_samples
    assert summary.answered > 0 and summary.busy > 0


@pytest.mark.slow
def test_a_busy_reply_says_try_again_and_keeps_the_question_in_the_box(guarded_server, monkeypatch):
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    from gradio_client import Client

    url, _ = guarded_server
    clients = [Client(url, auth=LOGIN, verbose=False, download_files=False) for _ in range(4)]
    results: list[tuple] = []
    barrier = threading.Barrier(len(clients))

    def ask(client) -> None:
        barrier.wait()
        results.append(client.predict("How much did the bridge repairs cost?", [], api_name="/chat"))

    threads = [threading.Thread(target=ask, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for client in clients:
        client.close()

    busy = [(history, box) for history, box in results if history[-1]["content"][0]["text"] == BUSY_TEXT]
    assert len(results) == 4 and 1 <= len(busy) <= 3
    assert all(box == "How much did the bridge repairs cost?" for _, box in busy)
    assert all(history[0]["role"] == "user" for history, _ in busy)


# --- a new index while the chat runs -------------------------------------------------------------------------

@pytest.mark.slow
def test_the_running_chat_answers_from_a_new_index_without_a_restart(guarded_server, monkeypatch):
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    from gradio_client import Client

    url, root = guarded_server
    client = Client(url, auth=LOGIN, verbose=False, download_files=False)
    question = "Who was the last keeper of the Skerry lighthouse?"
    before = client.predict(question, [], api_name="/chat")[0][-1]["content"][0]["text"]

    (root / "corpus" / "lighthouse.md").write_text(LIGHTHOUSE, encoding="utf-8")
    build_index(root / "corpus", root / "index")
    after = client.predict(question, [], api_name="/chat")[0][-1]["content"][0]["text"]
    client.close()

    assert "Agnes Holm" not in before
    assert "Agnes Holm" in after and "Last keeper leaves Skerry lighthouse" in after and "**Sources**" in after
