"""`python -m eval load`: many people asking the chat at once, through its public API.

Owns: starting `ui.py` on a free loopback port, waiting until it answers, driving it with N
concurrent users (one `gradio_client.Client` each, asking real questions back to back) for S
seconds, and the report: requests, errors, busy replies, latency percentiles, throughput.
Does not: answer questions itself or judge answer quality (that is `python -m eval`).

A reply is "answered" when it is a rendered answer or abstention, "busy" when the chat said it is
busy (or Gradio's queue was full), and an error otherwise: an exception, or any other reply.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal, NamedTuple

from eval.gold import DEFAULT_GOLD, load_gold
from eval.metrics import percentile
from index import QAError, load_index
from ui import BUSY_TEXT

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 180
BUSY_PAUSE_S = 1.0  # what "try again in a moment" means to a simulated person
DRAIN_TIMEOUT_S = 120  # after the run, how long requests under way may take to finish
PROGRESS_EVERY_S = 5.0
Kind = Literal["answered", "busy", "error"]


@dataclass(frozen=True)
class LoadSettings:
    """One load run: how many users, for how long, against which index."""

    users: int = 50
    seconds: float = 60.0
    index_dir: Path | None = None
    gold: Path = DEFAULT_GOLD

    def __post_init__(self) -> None:
        if self.users < 1 or self.seconds <= 0:
            raise QAError(f"--users must be at least 1 and --seconds above 0, got {self.users} and {self.seconds}")


class Outcome(NamedTuple):
    """One request: what came back, how long it took, and for an error what it was."""

    kind: Kind
    seconds: float
    detail: str = ""


@dataclass
class LoadSummary:
    """The figures of a run; latencies are of answered requests only (a busy reply is quick by design)."""

    users: int
    seconds: float
    requests: int
    answered: int
    busy: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    throughput: float  # answered requests per second of the run
    error_samples: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def classify_reply(result: object) -> tuple[Kind, str]:
    """Sort what `/chat` returned into answered, busy or error (with the reply's start as detail)."""
    try:
        content = result[0][-1]["content"]
        text = content if isinstance(content, str) else "".join(part.get("text", "") for part in content)
    except (TypeError, IndexError, KeyError, AttributeError):
        return "error", f"unexpected result {str(result)[:120]}"
    if text == BUSY_TEXT:
        return "busy", ""
    if "**Sources**" in text or "**Closest passages**" in text:
        return "answered", ""
    return "error", f"reply is not an answer: {text[:120]}"


def ask_once(client, question: str) -> Outcome:
    """One question through the chat's API, timed and classified; never raises."""
    from gradio_client.utils import QueueError

    started = time.perf_counter()
    try:
        result = client.predict(question, [], api_name="/chat")
    except QueueError:
        return Outcome("busy", time.perf_counter() - started)
    except Exception as e:  # every failure is a finding of the run, reported with its type
        return Outcome("error", time.perf_counter() - started, f"{type(e).__name__}: {str(e)[:120]}")
    kind, detail = classify_reply(result)
    return Outcome(kind, time.perf_counter() - started, detail)


def run_user(url: str, questions: list[str], first: int, deadline: float, record: Callable[[Outcome], None], *,
             auth: tuple[str, str] | None = None) -> None:
    """One person: connects (logging in with `auth`), then asks questions back to back from `first` on
    until the deadline."""
    from gradio_client import Client

    try:
        client = Client(url, auth=auth, verbose=False, download_files=False)
    except Exception as e:  # a user who cannot even connect is an error of the run
        record(Outcome("error", 0.0, f"connect: {type(e).__name__}: {str(e)[:120]}"))
        return
    try:
        number = first
        while time.monotonic() < deadline:
            outcome = ask_once(client, questions[number % len(questions)])
            record(outcome)
            number += 1
            if outcome.kind == "busy":
                time.sleep(BUSY_PAUSE_S)
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_chat(index_dir: Path | None, log_path: Path) -> tuple[subprocess.Popen, str]:
    """`ui.py` on a free loopback port, its output in `log_path`; returns the process and its URL."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "QA_CHAT_AUTH"}
    env |= {"GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, str(ROOT / "ui.py")] + (["--index-dir", str(index_dir)] if index_dir else [])
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def wait_until_up(process: subprocess.Popen, url: str, log_path: Path, *, timeout: float = STARTUP_TIMEOUT_S) -> None:
    """Return once the chat page answers.

    Raises:
        QAError: the server exited, or did not answer within `timeout` seconds (with its log's end).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise QAError(f"ui.py exited with status {process.returncode}: {log_path.read_text()[-1000:].strip()}")
        try:
            urllib.request.urlopen(url + "/", timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise QAError(f"ui.py did not answer within {timeout:.0f} s; its log ends: {log_path.read_text()[-1000:].strip()}")


def summarise(outcomes: list[Outcome], *, users: int, elapsed: float) -> LoadSummary:
    """The run's figures from its outcomes (hand-checkable: see tests/ui/test_load.py)."""
    answered = sorted(o.seconds * 1000 for o in outcomes if o.kind == "answered")
    errors = [o.detail for o in outcomes if o.kind == "error"]
    p50, p95, p99 = (round(percentile(answered, q), 1) if answered else 0.0 for q in (50, 95, 99))
    return LoadSummary(users=users, seconds=round(elapsed, 1), requests=len(outcomes), answered=len(answered),
                       busy=sum(o.kind == "busy" for o in outcomes), errors=len(errors), p50_ms=p50, p95_ms=p95,
                       p99_ms=p99, throughput=round(len(answered) / elapsed, 2) if elapsed > 0 else 0.0,
                       error_samples=sorted(set(errors))[:5])


def drive(url: str, questions: list[str], settings: LoadSettings, *, progress: bool = True,
          auth: tuple[str, str] | None = None) -> LoadSummary:
    """Run `settings.users` users against a running chat for `settings.seconds`; in-flight requests finish.

    Args:
        url: the chat's base URL.
        questions: asked in turn; user n starts at a different place in the list.
        settings: users and seconds (its index_dir and gold are not used here).
        progress: a line on stderr every few seconds.
        auth: (user, password) for a chat that requires a login.
    """
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def record(outcome: Outcome) -> None:
        with lock:
            outcomes.append(outcome)

    started = time.monotonic()
    deadline = started + settings.seconds
    step = max(1, len(questions) // settings.users)
    users = [threading.Thread(target=run_user, args=(url, questions, n * step, deadline, record),
                              kwargs={"auth": auth}, daemon=True) for n in range(settings.users)]
    for user in users:
        user.start()
    next_report = started + PROGRESS_EVERY_S
    while any(user.is_alive() for user in users) and time.monotonic() < deadline + DRAIN_TIMEOUT_S:
        time.sleep(0.2)
        if progress and time.monotonic() >= next_report:
            next_report += PROGRESS_EVERY_S
            with lock:
                kinds = [o.kind for o in outcomes]
            print(f"load: {time.monotonic() - started:5.1f} s: {kinds.count('answered')} answered, "
                  f"{kinds.count('busy')} busy, {kinds.count('error')} errors", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    for _ in (user for user in users if user.is_alive()):
        record(Outcome("error", elapsed, f"no reply {DRAIN_TIMEOUT_S} s after the run ended"))
    with lock:
        return summarise(list(outcomes), users=settings.users, elapsed=elapsed)


def run_load(settings: LoadSettings, *, progress: bool = True) -> LoadSummary:
    """Start the chat, drive it with `settings.users` users for `settings.seconds`, stop it; the figures.

    Raises:
        QAError: the gold set or the index cannot be read, or the chat does not start.
    """
    import tempfile

    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # gradio_client reads it; no telemetry leaves the machine
    questions = [q.question for q in load_gold(settings.gold)]
    load_index(settings.index_dir)  # a missing or damaged index is one clear error, not a run of failed replies
    with tempfile.TemporaryDirectory(prefix="qa-load-") as scratch:
        log_path = Path(scratch) / "ui.log"
        process, url = start_chat(settings.index_dir, log_path)
        try:
            if progress:
                print(f"load: starting the chat on {url} …", file=sys.stderr, flush=True)
            wait_until_up(process, url, log_path)
            if progress:
                print(f"load: {settings.users} users for {settings.seconds:g} s", file=sys.stderr, flush=True)
            return drive(url, questions, settings, progress=progress)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def format_summary(summary: LoadSummary) -> str:
    """The figures as a short table."""
    rows = [("users", summary.users), ("seconds", summary.seconds), ("requests", summary.requests),
            ("answered", summary.answered), ("busy (told to try again)", summary.busy), ("errors", summary.errors),
            ("latency p50 / p95 / p99 (answered)",
             f"{summary.p50_ms:,.0f} / {summary.p95_ms:,.0f} / {summary.p99_ms:,.0f} ms"),
            ("throughput", f"{summary.throughput:.2f} answers/s")]
    lines = [f"{name:<36} {value}" for name, value in rows]
    lines += [f"error: {sample}" for sample in summary.error_samples]
    return "\n".join(lines)


def main_load(argv: list[str]) -> int:
    """`python -m eval load`: exit 0 when no request failed, 1 otherwise."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m eval load",
        description="Start the chat (ui.py) on a free loopback port and have USERS people ask it real questions "
                    "(from the gold set) at the same time, back to back, for SECONDS; then print requests, "
                    "answered, busy replies (the chat said to try again), errors, latency p50/p95/p99 and "
                    "throughput. Exits 1 if any request failed. Progress goes to stderr.")
    parser.add_argument("--users", type=int, default=LoadSettings.users, help=f"concurrent users (default {LoadSettings.users})")
    parser.add_argument("--seconds", type=float, default=LoadSettings.seconds,
                        help=f"how long users keep asking (default {LoadSettings.seconds:g}); requests under way then finish")
    parser.add_argument("--index-dir", type=Path, default=None, help="index folder (default: $QA_INDEX_DIR or .index/)")
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="where the questions come from (default: the dev set)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    try:
        settings = LoadSettings(users=args.users, seconds=args.seconds, index_dir=args.index_dir, gold=args.gold)
        summary = run_load(settings, progress=not args.quiet)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary.as_json(), indent=2) if args.json else format_summary(summary))
    return 1 if summary.errors else 0
