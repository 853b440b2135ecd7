"""`python -m qa --timeline TOPIC` as outside tools run it: CONTRACT.md's timeline JSON, text, errors."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.qa.test_timeline import ARTICLES

TOPIC = "northern ferry route closure"


@pytest.fixture(scope="module")
def timeline_index(tmp_path_factory, embedder) -> tuple[Path, Path]:
    from index import update_index
    from tests.conftest import write_files

    root = tmp_path_factory.mktemp("timeline-cli")
    corpus = write_files(root / "corpus", ARTICLES)
    update_index(corpus, root / "index", embedder=embedder, progress=False)
    return corpus, root / "index"


@pytest.fixture(scope="module")
def runs(timeline_index, start_module, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """The runs that load the model, started side by side: JSON, text, an unrelated topic."""
    work = tmp_path_factory.mktemp("timeline-runs")
    where = ("--index-dir", str(timeline_index[1]))
    started = {"json": start_module("qa", "--timeline", TOPIC, "--json", *where, cwd=work),
               "text": start_module("qa", "--timeline", TOPIC, *where, cwd=work),
               "unrelated": start_module("qa", "--timeline", "melting point of tungsten", "--json", *where, cwd=work)}
    done = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done


def test_json_is_the_contract_timeline_with_verbatim_quotes_in_date_order(runs, timeline_index):
    run = runs["json"]
    assert run.returncode == 0, run.stderr
    row = json.loads(run.stdout)
    assert row["topic"] == TOPIC and set(row) >= {"topic", "entries", "undated"}
    dates = [e["published"] for e in row["entries"]]
    assert dates and dates == sorted(dates)
    corpus = timeline_index[0]
    for entry in row["entries"] + row["undated"]:
        assert set(entry) >= {"published", "doc_id", "title", "source", "quote", "start", "end", "date_from"}
        text = (corpus / f"{entry['doc_id']}.md").read_text(encoding="utf-8")
        body = text.split("---\n", 2)[2]
        assert body[entry["start"]:entry["end"]] == entry["quote"]
    assert [e["doc_id"] for e in row["undated"]] == ["protest"]
    assert any(e["date_from"] == "sentence" and e["published"] == "2022-06-01" for e in row["entries"])


def test_text_output_is_a_dated_list_with_citations(runs):
    run = runs["text"]
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.startswith(f"Timeline: {TOPIC}")
    assert "2022-06-01 (date given in the sentence; published 2022-06-20)  Harbour Gazette" in out
    assert "also reported by Coast Daily (2022-05-03)" in out and "characters" in out
    assert out.index("2022-04-10") < out.index("2022-05-02") < out.index("2022-06-01") < out.index("Undated")


def test_an_unrelated_topic_is_an_empty_timeline_with_a_message(runs):
    run = runs["unrelated"]
    assert run.returncode == 0, run.stderr
    row = json.loads(run.stdout)
    assert row["entries"] == [] and row["undated"] == [] and "No article" in row["message"]


@pytest.mark.parametrize(("args", "message"), [
    (["--timeline", "  "], "error: the topic is empty"),
    (["--timeline", "x" * 400], "error: the topic is 400 characters long; keep it under 300"),
    (["--timeline", "ferry", "a question"], "error: --timeline takes a topic alone"),
    (["--timeline", "ferry", "-k", "0"], "error: -k must be at least 1, got 0"),
])
def test_bad_input_is_one_line_on_stderr_and_a_non_zero_exit(run_module, args, message):
    run = run_module("qa", *args, "--index-dir", "/nonexistent")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith(message) and run.stderr.count("\n") == 1


def test_help_documents_the_timeline(run_module):
    run = run_module("qa", "--help")
    assert run.returncode == 0 and "--timeline TOPIC" in run.stdout and "undated" in run.stdout
