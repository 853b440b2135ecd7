"""`python -m qa --since/--until/--source` as outside tools run it: filtered answers, the JSON's
`filters`, batches, and a one-line error for a bad date. The runs that load the model start together."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.qa.dated_articles import dated_index  # noqa: F401 (a fixture)

QUESTION = "What did the council say about the flood defences along the river?"
CREW = "How many crew members will lose their jobs?"
BAD = {"month 13": ("--since", "2021-13-01"), "not a date": ("--until", "soon"),
       "since after until": ("--since", "2022-01-01", "--until", "2021-12-31")}


@pytest.fixture(scope="module")
def runs(dated_index, start_module, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    _, index_dir = dated_index
    work = tmp_path_factory.mktemp("cli-filter-runs")
    batch = work / "questions.jsonl"
    batch.write_text(json.dumps({"id": "q1", "question": QUESTION}) + "\n"
                     + json.dumps({"id": "q2", "question": CREW}) + "\n", encoding="utf-8")
    where = ("--index-dir", str(index_dir))
    started = {
        "dates": start_module("qa", QUESTION, "--json", "-k", "6", "--since", "2021-01-01", "--until", "2021-12-31",
                              *where, cwd=work),
        "sources": start_module("qa", CREW, "--json", "--source", "ISLAND POST", "--source", "Valley Times,Nowhere",
                                *where, cwd=work),
        "batch": start_module("qa", "--batch", str(batch), "--json", "--since", "2022", "--source", "Island Post",
                              *where, cwd=work),
        "nothing": start_module("qa", QUESTION, "--json", "--source", "Daily Planet", *where, cwd=work),
        "period": start_module("qa", "How much will the flood wall cost in 2021?", "--json", *where, cwd=work),
        "text": start_module("qa", CREW, "--source", "Island Post", *where, cwd=work),
    }
    done = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done


def rows(result: subprocess.CompletedProcess) -> list[dict]:
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_dates_restrict_the_answer_and_are_echoed(runs):
    [row] = rows(runs["dates"])
    assert row["filters"] == {"since": "2021-01-01", "until": "2021-12-31", "source": None,
                              "from": {"since": "option", "until": "option"}}
    assert len(row["retrieved"]) == 6  # k passages (7 chunks are allowed), all from the allowed articles
    assert {r["doc_id"] for r in row["retrieved"]} <= {"flood_2021a", "flood_2021b", "flood_no_outlet"}
    assert row["citations"] and all(c["published"].startswith("2021") for c in row["citations"])


def test_several_sources_repeated_or_comma_separated(runs):
    [row] = rows(runs["sources"])
    assert row["filters"]["source"] == ["ISLAND POST", "Valley Times,Nowhere"]
    assert {r["doc_id"] for r in row["retrieved"]} <= {"ferry_b", "flood_2022", "flood_2020", "flood_undated"}
    assert [c["source"] for c in row["citations"]][:1] == ["Island Post"]
    assert all(r["source"] in ("Island Post", "Valley Times") for c in row["citations"] for r in c["also_reported_by"])


def test_a_batch_applies_the_filter_to_every_line(runs):
    batch = rows(runs["batch"])
    assert [r["id"] for r in batch] == ["q1", "q2"]
    for row in batch:
        assert row["filters"]["since"] == "2022-01-01" and row["filters"]["source"] == "Island Post"
        assert {r["doc_id"] for r in row["retrieved"]} <= {"ferry_b", "flood_2022"}


def test_a_filter_matching_no_article_answers_so_and_exits_0(runs):
    [row] = rows(runs["nothing"])
    assert row["abstained"] and row["citations"] == [] and row["retrieved"] == []
    assert "No article matches the filter (from outlet Daily Planet)" in row["answer"]
    assert "the outlets are: Coastal Herald, Harbour Gazette, Island Post, Valley Times" in row["answer"]


def test_a_period_in_the_question_shows_in_filters_with_where_it_came_from(runs):
    [row] = rows(runs["period"])
    assert row["filters"] == {"since": "2021-01-01", "until": "2021-12-31", "source": None,
                              "from": {"since": "question", "until": "question"}, "period": "in 2021"}
    assert row["understood_as"] == "How much will the flood wall cost? — published 2021-01-01 to 2021-12-31"


def test_the_text_answer_names_the_filter(runs):
    assert runs["text"].returncode == 0, runs["text"].stderr
    assert "(searched only articles from outlet Island Post)" in runs["text"].stdout


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_date_is_a_one_line_error(run_module, dated_index, name):
    result = run_module("qa", QUESTION, "--json", *BAD[name], "--index-dir", str(dated_index[1]), timeout=60)
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and ("is not a date; write YYYY-MM-DD" in line or "is after the until date" in line)


def test_help_documents_the_filters(run_module):
    result = run_module("qa", "--help", timeout=60)
    assert result.returncode == 0
    for flag in ("--since DATE", "--until DATE", "--source NAME", "comma-separated", "in January 2021"):
        assert flag in result.stdout, flag
