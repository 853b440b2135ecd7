"""Gold sets, splits and the summary: filtering and rows on tiny gold files and fake results (no
model), the command line's errors, and one real run over the fixture articles (slow)."""
from __future__ import annotations

import json
import math

import pytest

import eval.run
import eval.sets
from eval.lee import LeeUnavailable
from eval.report import format_report, format_summary, report_json
from eval.run import QuestionResult, SuiteRun, plan_sets, run_sets, summary_rows, type_rows
from eval.sets import GoldSet, missing_note, select_sets
from index import QAError


def write_gold(path, rows: list[dict]):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def result(qid: str, set_name: str, split: str, kind: str | None, *, answerable: bool = True,
           abstained: bool = False, correct: bool = True, first_line_ok: bool = True) -> QuestionResult:
    return QuestionResult(qid, "?", answerable, abstained, correct, 1 if answerable else None, True, 10.0, "",
                          first_line_ok, set_name, split, kind)


@pytest.fixture
def fake_run() -> SuiteRun:
    """The registry's four sets: dev (untyped, unsplit), lee (typed, tune and test), seeds and lee-own skipped."""
    results = (
        result("q1", "dev", "unsplit", None),
        result("q2", "dev", "unsplit", None, answerable=False, abstained=True),
        result("l1", "lee", "tune", "factoid", correct=False, first_line_ok=False),
        result("l2", "lee", "test", "factoid", first_line_ok=False),
        result("l3", "lee", "test", "factoid", correct=False, first_line_ok=False, abstained=True),
        result("l4", "lee", "test", "unanswerable_nearmiss", answerable=False, abstained=False, correct=False),
        result("l5", "lee", "test", "unanswerable_offtopic", answerable=False, abstained=True),
    )
    skipped = {name: f"skipped: eval/gold/{name}.jsonl does not exist yet" for name in ("seeds", "lee-own")}
    return SuiteRun(results, ("dev", "seeds", "lee", "lee-own"), skipped,
                    {"dev": {"unsplit": 2}, "lee": {"tune": 1, "test": 4}})


def test_plan_sets_keeps_the_chosen_split_and_notes_a_missing_optional_file(tmp_path):
    gold = write_gold(tmp_path / "g.jsonl", [
        {"id": "a", "question": "A?", "answers": ["x"], "split": "tune", "type": "factoid"},
        {"id": "b", "question": "B?", "answers": ["y"], "split": "test", "type": "factoid"},
        {"id": "c", "question": "C?", "answers": ["z"]},
    ])
    sets = [GoldSet("g", gold, "corpus"), GoldSet("gone", tmp_path / "gone.jsonl", "corpus")]

    plans, skipped = plan_sets(sets, split="test")

    assert [q.id for q in plans[0].questions] == ["b"]
    assert plans[0].splits == {"tune": 1, "test": 1, "unsplit": 1}
    assert skipped == {"gone": "skipped: " + str(tmp_path / "gone.jsonl") + " does not exist yet"}
    assert [q.id for q in plan_sets(sets, split="unsplit")[0][0].questions] == ["c"]
    assert [q.id for q in plan_sets(sets)[0][0].questions] == ["a", "b", "c"]


def test_a_missing_required_file_is_an_error(tmp_path):
    with pytest.raises(QAError, match="not found"):
        plan_sets([GoldSet("dev", tmp_path / "dev.jsonl", "corpus", optional=False)])


def test_a_set_in_an_absent_shared_folder_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(eval.sets, "SHARED_DIR", tmp_path / "shared")
    note = missing_note(GoldSet("lee", tmp_path / "shared" / "bench" / "lee" / "gold.jsonl", "lee"))
    assert "shared is absent" in note


def test_select_sets_keeps_registry_order_and_names_the_choices():
    assert [s.name for s in select_sets()] == ["dev", "seeds", "lee", "lee-own", "lee-blind", "lee50", "bbc-style"]
    assert [s.name for s in select_sets(["lee-own", "dev"])] == ["dev", "lee-own"]
    with pytest.raises(QAError, match=r"choose from \['dev', 'seeds', 'lee', 'lee-own', 'lee-blind', 'lee50', 'bbc-style'\]"):
        select_sets(["nope"])


def test_summary_rows_for_one_split_name_every_set_and_end_with_all(fake_run):
    rows = summary_rows(fake_run, split="test")

    assert [(r["set"], r["split"], r["questions"]) for r in rows] == [
        ("dev", "test", 0), ("seeds", "test", 0), ("lee", "test", 4), ("lee-own", "test", 0), ("all", "test", 4)]
    assert rows[0]["note"] == "no test questions; the set has unsplit 2"
    assert rows[1]["note"].startswith("skipped:")
    lee = rows[2]
    assert lee["answer_accuracy"] == 0.5 and lee["first_line_accuracy"] == 0.0
    assert lee["nearmiss_abstention"] == 0.0 and lee["offtopic_abstention"] == 1.0
    assert lee["false_abstentions"] == 0.5 and lee["citation_integrity"] == 1.0 and lee["hit@5"] == 1.0


def test_summary_rows_for_every_split_pool_sets_per_split(fake_run):
    rows = summary_rows(fake_run)

    assert [(r["set"], r["split"]) for r in rows] == [
        ("seeds", "-"), ("lee-own", "-"), ("lee", "tune"), ("all", "tune"), ("lee", "test"), ("all", "test"),
        ("dev", "unsplit"), ("all", "unsplit")]
    dev = rows[6]
    assert dev["nearmiss_abstention"] == 1.0 and dev["offtopic_abstention"] == 1.0   # untyped: every unanswerable
    assert rows[3]["answer_accuracy"] == 0.0


def test_type_rows_count_and_score_each_set_type_and_split(fake_run):
    rows = type_rows(list(fake_run.results))

    assert [(r["set"], r["type"], r["split"], r["questions"], r["accuracy"]) for r in rows] == [
        ("dev", "-", "unsplit", 2, 1.0), ("lee", "factoid", "tune", 1, 0.0), ("lee", "factoid", "test", 2, 0.5),
        ("lee", "unanswerable_nearmiss", "test", 1, 0.0), ("lee", "unanswerable_offtopic", "test", 1, 1.0)]


def test_the_summary_is_last_and_fits_the_last_eight_lines(fake_run):
    last = format_report(fake_run, split="test").splitlines()[-8:]

    assert last[0].startswith("latency, warm:")
    assert [line.split()[0] for line in last[3:]] == ["dev", "seeds", "lee", "lee-own", "all"]
    assert last[-1].split()[:3] == ["all", "test", "4"] and "0.500" in last[-1]
    assert format_summary(fake_run, split="test")[-5:] == last[3:]


def test_the_json_has_summary_types_and_questions_without_nan(fake_run):
    report = report_json(fake_run, split="test")

    text = json.dumps(report, allow_nan=False)
    assert set(report) == {"split", "sets", "summary", "per_type", "questions"}
    assert report["sets"][1] == {"name": "seeds", "skipped": fake_run.skipped["seeds"], "splits": None}
    assert len(report["questions"]) == 7 and len(report["summary"]) == 5 and report["questions"][2]["type"] == "factoid"
    assert "NaN" not in text and not any(isinstance(v, float) and math.isnan(v) for v in report["summary"][0].values())


def test_a_bad_split_is_a_one_line_error(run_module):
    done = run_module("eval", "--split", "bogus", timeout=60)

    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "'bogus'" in done.stderr and "'tune', 'test'" in done.stderr


def test_an_unknown_set_and_gold_with_set_are_one_line_errors(run_module):
    for args in (["--set", "nope"], ["--gold", "x.jsonl", "--set", "dev"]):
        done = run_module("eval", *args, timeout=60)
        assert done.returncode != 0 and done.stderr.count("\n") == 1 and done.stderr.startswith("error:")


def test_help_documents_sets_splits_and_columns(run_module):
    done = run_module("eval", "--help", timeout=60)

    assert done.returncode == 0
    for words in ("--split", "--set", "--gold", "--json", "lee-own", "first-line", "near-miss", "hit@5", ".cache/lee"):
        assert words in done.stdout


def test_sets_whose_corpus_is_unavailable_are_skipped_without_loading_a_model(tmp_path, monkeypatch):
    def unavailable(corpus, **_):
        raise LeeUnavailable("gensim is not installed, so the Lee corpus is not here; pip install gensim==4.4.0")

    monkeypatch.setattr(eval.run, "corpus_index_dir", unavailable)
    gold = write_gold(tmp_path / "lee.jsonl", [{"id": "l1", "question": "Who?", "answers": ["x"], "split": "test"}])

    run = run_sets([GoldSet("lee", gold, "lee")], split="test")

    assert run.results == () and "pip install gensim==4.4.0" in run.skipped["lee"]
    assert summary_rows(run, split="test")[0]["note"].startswith("skipped: gensim is not installed")


@pytest.mark.slow
def test_a_real_run_over_the_fixture_articles(tmp_path, topic_index, embedder):
    _, index_dir = topic_index
    gold = write_gold(tmp_path / "topics.jsonl", [
        {"id": "t1", "question": "Who won the world chess championship match in Dubai?", "answers": ["Carlsen"],
         "gold_docs": ["chess"], "type": "factoid", "split": "test"},
        {"id": "t2", "question": "Who did he defeat?", "history": ["Who won the world chess championship in Dubai?"],
         "answers": ["Nepomniachtchi"], "gold_docs": ["chess"], "type": "followup", "split": "test"},
        {"id": "t3", "question": "Where did the lava flow?", "answers": ["Geldingadalir"], "gold_docs": ["volcano"],
         "type": "factoid", "split": "tune"},
    ])

    run = run_sets([GoldSet("topics", gold, "corpus")], index_dir=index_dir, split="test", embedder=embedder)

    assert [(r.id, r.split, r.type) for r in run.results] == [("t1", "test", "factoid"), ("t2", "test", "followup")]
    assert run.results[0].correct and run.results[0].rank == 1 and all(r.citations_ok for r in run.results)
    assert summary_rows(run, split="test")[-1]["questions"] == 2
