"""`python -m qa` (and `python -m index --help`) as outside tools run them: CONTRACT.md's command line.

The three runs that load the model start together, once per module, to keep the suite quick.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import qa.__main__ as qa_command
from index import ChunkSettings, IndexSettings, load_index, update_index

CHESS = "Who won the world chess championship?"
ABSENT = "What is the capital of Australia?"
BATCH = [{"id": "b2", "question": CHESS}, {"id": "b1", "question": ABSENT}, {"id": 7, "question": "  "},
         {"id": "b0", "question": "Which volcano erupted on the Reykjanes peninsula?"}]
SPACE = ("The Juno probe entered orbit around Jupiter after a five year journey. "
         "Engineers in Pasadena cheered when the engine burn ended on time.\n")


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory, topic_articles, embedder) -> tuple[Path, Path]:
    """(corpus, index_dir): the topic articles and one more, in small chunks so there are more than 3."""
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    for name, text in {**topic_articles, "space.txt": SPACE}.items():
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        (corpus / name).write_text(text, encoding="utf-8")
    settings = IndexSettings(chunking=ChunkSettings(max_tokens=24, overlap_sentences=0, overlap_max_tokens=0))
    update_index(corpus, root / "index", settings=settings, embedder=embedder, progress=False)
    return corpus, root / "index"


@pytest.fixture(scope="module")
def runs(cli_index, start_module, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """The model-loading runs, started side by side: a single --json question, a batch, a retrieve-only batch."""
    _, index_dir = cli_index
    work = tmp_path_factory.mktemp("cli-runs")
    batch = work / "questions.jsonl"
    batch.write_text("".join(json.dumps(row) + "\n" for row in BATCH) + "\n", encoding="utf-8")
    where = ("--index-dir", str(index_dir))
    started = {
        "single": start_module("qa", CHESS, "--json", *where, cwd=work),
        "batch": start_module("qa", "--batch", str(batch), "--json", *where, cwd=work),
        "retrieve": start_module("qa", "--batch", str(batch), "--json", "--retrieve-only", "-k", "3", *where, cwd=work),
    }
    done = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done


def json_lines(result: subprocess.CompletedProcess) -> list[dict]:
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def assert_contract_answer(row: dict, corpus: Path) -> None:
    """CONTRACT.md's answer JSON: fields and types, [n] markers resolved, quotes verbatim in the files."""
    for key, kind in (("question", str), ("answer", str), ("abstained", bool), ("citations", list),
                      ("retrieved", list), ("timings_ms", dict)):
        assert isinstance(row[key], kind), key
    numbers = {c["n"] for c in row["citations"]}
    assert {int(n) for n in re.findall(r"\[(\d+)\]", row["answer"])} <= numbers
    for citation in row["citations"]:
        assert set(citation) >= {"n", "doc_id", "title", "source", "url", "published", "quote", "start", "end",
                                 "score"}
        assert citation["end"] - citation["start"] == len(citation["quote"]) > 0
        [path] = [p for p in corpus.glob(citation["doc_id"] + ".*")]
        assert citation["quote"] in path.read_bytes().decode("utf-8")
    for item in row["retrieved"]:
        assert isinstance(item["doc_id"], str) and isinstance(item["chunk_id"], str)
        assert isinstance(item["text"], str) and isinstance(item["score"], float)
    assert set(row["timings_ms"]) >= {"retrieve", "answer", "total"}


def assert_one_line_error(result: subprocess.CompletedProcess, status: int) -> str:
    assert result.returncode == status, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


# --- answers -----------------------------------------------------------------------------------------------

def test_json_prints_one_contract_answer(runs, cli_index):
    [row] = json_lines(runs["single"])

    assert_contract_answer(row, cli_index[0])
    assert "id" not in row and row["question"] == CHESS
    assert not row["abstained"] and "Carlsen" in row["answer"] and row["citations"][0]["doc_id"] == "chess"
    assert row["citations"][0]["title"] == "Carlsen keeps his chess crown"
    assert row["citations"][0]["published"] == "2021-12-10" and row["citations"][0]["url"] is None
    assert len(row["retrieved"]) == min(8, len(load_index(cli_index[1]).chunks))


def test_batch_answers_each_line_in_input_order_echoing_ids(runs, cli_index):
    rows = json_lines(runs["batch"])

    assert [row["id"] for row in rows] == ["b2", "b1", 7, "b0"]
    assert [row["question"] for row in rows[:2]] == [CHESS, ABSENT]
    for row in (rows[0], rows[1], rows[3]):
        assert_contract_answer(row, cli_index[0])
    assert not rows[0]["abstained"] and rows[0]["citations"][0]["doc_id"] == "chess"
    assert rows[1]["abstained"] and rows[1]["citations"] == []
    assert rows[2]["abstained"] and "empty" in rows[2]["error"]  # a bad line does not stop the batch
    assert (rows[2]["answer"], rows[2]["citations"], rows[2]["retrieved"]) == ("", [], [])
    assert not rows[3]["abstained"] and rows[3]["citations"][0]["doc_id"] == "volcano"


def test_retrieve_only_gives_k_ranked_passages_and_no_answer(runs, cli_index):
    rows = json_lines(runs["retrieve"])

    assert len(load_index(cli_index[1]).chunks) > 3
    assert [row["id"] for row in rows] == ["b2", "b1", 7, "b0"]
    for row in (rows[0], rows[1], rows[3]):
        assert len(row["retrieved"]) == 3 and row["citations"] == []
        assert len({item["chunk_id"] for item in row["retrieved"]}) == 3
    assert rows[0]["retrieved"][0]["doc_id"] == "chess" and rows[3]["retrieved"][0]["doc_id"] == "volcano"


def test_successful_runs_write_nothing_alarming_on_stderr(runs):
    for result in runs.values():
        assert "Traceback" not in result.stderr and "Error" not in result.stderr


# --- refusals: one line on stderr, no traceback, non-zero status --------------------------------------------------

@pytest.mark.parametrize("question", ["", " \x07\t "])
def test_an_empty_question_is_refused_in_one_line(run_module, tmp_path, question):
    result = run_module("qa", question, "--json", "--index-dir", str(tmp_path))

    assert "the question is empty" in assert_one_line_error(result, 2)


def test_a_missing_index_names_the_build_command(run_module, tmp_path):
    result = run_module("qa", CHESS, "--index-dir", str(tmp_path / "none"))

    line = assert_one_line_error(result, 1)
    assert f"no index found in {tmp_path / 'none'}" in line and "python -m index" in line


@pytest.mark.parametrize(("arguments", "status", "message"), [
    (["-k", "0", CHESS], 2, "-k must be at least 1, got 0"),
    ([CHESS, "--batch", "questions.jsonl"], 2, "not both"),
    ([], 2, "give a question"),
    (["--batch", "missing.jsonl"], 1, "missing.jsonl"),
    (["--batch", "broken.jsonl"], 2, "broken.jsonl:2 is not JSON"),
    (["--batch", "noquestion.jsonl"], 2, 'noquestion.jsonl:1 has no "question" field'),
])
def test_bad_command_lines_are_refused_in_one_line(monkeypatch, capsys, tmp_path, arguments, status, message):
    # In-process (these fail before any model loads); the subprocess tests above cover the real entry point.
    monkeypatch.chdir(tmp_path)
    Path("broken.jsonl").write_text('{"id": "a", "question": "ok?"}\n{not json\n', encoding="utf-8")
    Path("noquestion.jsonl").write_text('{"id": "a", "q": "typo"}\n', encoding="utf-8")

    code = qa_command.main([*arguments, "--index-dir", str(tmp_path / "index")])

    out, err = capsys.readouterr()
    assert message in assert_one_line_error(subprocess.CompletedProcess([], code, out, err), status)


# --- help --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("module", "options"), [
    ("qa", ["--json", "-k", "--index-dir", "--batch", "--retrieve-only"]),
    ("index", ["--corpus", "--index-dir", "--full", "--max-tokens", "--overlap-sentences"]),
])
def test_help_describes_every_option(run_module, module, options):
    result = run_module(module, "--help", timeout=60)

    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith(f"usage: python -m {module}")
    assert all(option in result.stdout for option in options)
