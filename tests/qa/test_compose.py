"""Answer composition: leads, denials, folded near-copies, speakers, and the verification step.

Every composed answer must hold only what its cited quotes say. These tests feed the composer
cases where the nearest passage is misleading, and feed the verifier hand-made bad answers.
"""
from __future__ import annotations

import re

import pytest

from index import Article
from qa import Assistant
from qa.verify import verify_answer
from qa.types import Citation

ARTICLES = {
    "ferry_a.md": "---\nsource: Harbour Gazette\npublished: 2022-05-02\n---\n"
                  "The ferry operator said on Monday that 120 crew members will lose their jobs when the northern "
                  "route closes in June.\n\nPassengers will be offered seats on the southern route at no extra cost.\n",
    "ferry_b.md": "---\nsource: Island Post\npublished: 2022-05-03\n---\n"
                  "Union leaders called the decision a betrayal of the island communities.\n\n"
                  "The ferry operator said Monday that 120 crew members will lose their jobs when the northern route "
                  "closes in June.\n",
    "mine.md": "---\nsource: River Courier\n---\n"
               "Environmental groups said the mining company dumped tailings into the Sava river last spring.\n\n"
               "Company spokeswoman Lena Ortiz denied that any waste had entered the river and called the reports "
               "false.\n",
    "wolves.md": "---\nsource: Alpine Daily\n---\n"
                 "Park ranger Jonas Weber counted the wolves in the valley this winter.\n\n"
                 "“There are now 14 wolves in three packs, twice as many as in 2015,” he said.\n",
    "tunnel.md": "---\nsource: Valley Herald\n---\n"
                 "The mountain tunnel reopened on Friday after eleven months of repairs.\n\n"
                 "Site manager Petra Novak said the repairs cost 9 million euros and replaced 40 fans.\n",
    "census.md": "---\nsource: Town Ledger\n---\n"
                 "The town census of 2019 counted 8,400 residents.\n\n"
                 "A survey by the chamber of commerce put the population at about 9,000 people.\n",
}


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, embedder):
    from index import update_index

    root = tmp_path_factory.mktemp("compose")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    update_index(corpus, root / "index", embedder=embedder, progress=False)
    return Assistant(root / "index", embedder=embedder)


def _numbers_supported(answer) -> bool:
    """Every number in the answer text is in a cited quote or a cited article's date (or the dates of
    the filter it names: "No article matches the filter (published 2030-01-01 to ...)")."""
    sources = " ".join(f"{c.quote} {c.published or ''}" for c in answer.citations)
    sources += f" {answer.filters.describe()}" if answer.filters else ""
    body = re.sub(r"\[\d+\]", " ", answer.text)
    return all(n in sources for n in re.findall(r"\d[\d,.]*\d|\d", body))


def test_a_number_question_leads_with_the_figure(assistant):
    answer = assistant.ask("How many crew members will lose their jobs?")
    assert not answer.abstained
    assert answer.text.splitlines()[0].startswith("120 crew members [1]")


def test_near_copies_fold_into_also_reported_by(assistant):
    answer = assistant.ask("How many crew members will lose their jobs?")
    first = answer.citations[0]
    others = {r.doc_id for r in first.also_reported_by}
    assert {first.doc_id} | others == {"ferry_a", "ferry_b"}
    for report in first.also_reported_by:
        article = assistant.article(report.doc_id)
        assert article.body[report.start:report.end] == report.quote
    assert len([c for c in answer.citations if c.doc_id in ("ferry_a", "ferry_b")]) == 1


def test_a_denial_question_names_who_denied(assistant):
    answer = assistant.ask("Who denied that waste entered the river?")
    assert answer.text.splitlines()[0].startswith("Lena Ortiz")
    assert any("denied" in c.quote for c in answer.citations)


def test_a_claim_is_shown_with_its_denial(assistant):
    answer = assistant.ask("Did the mining company dump tailings into the river?")
    assert "Disputed by River Courier" in answer.text
    assert any("Lena Ortiz denied" in c.quote for c in answer.citations)


def test_a_pronoun_quote_carries_the_sentence_naming_its_speaker(assistant):
    answer = assistant.ask("How many wolves live in the valley now?")
    cited = next(c for c in answer.citations if c.doc_id == "wolves")
    assert "Jonas Weber" in cited.quote and "he said" in cited.quote
    assert assistant.article("wolves").body[cited.start:cited.end] == cited.quote


def test_differing_figures_are_labelled_and_each_cited(assistant):
    answer = assistant.ask("How many residents does the town have?")
    head = answer.text.splitlines()[0]
    assert head.startswith("The sources give different figures") or "8,400" in head
    assert _numbers_supported(answer)


@pytest.mark.parametrize("question", [
    "How many crew members did the union say would keep their jobs in 2030?",   # misleading: the nearest passage has other numbers
    "How many wolves were counted in 1990?",
    "When did Lena Ortiz join the mining company?",
    "How much did the ferry operator pay the union?",
])
def test_misleading_nearest_passages_never_yield_unsupported_numbers(assistant, question):
    answer = assistant.ask(question)
    assert _numbers_supported(answer)
    for c in answer.citations:
        assert assistant.article(c.doc_id).body[c.start:c.end] == c.quote


def _article() -> dict[str, Article]:
    return {"d": Article(doc_id="d", body="The census counted 8,400 residents. The mayor is Ana Silva.", source="Ledger")}


def _cite(n: int, start: int, end: int) -> Citation:
    body = _article()["d"].body
    return Citation(n=n, doc_id="d", quote=body[start:end], start=start, end=end, score=1.0, source="Ledger")


def test_verify_keeps_supported_lines():
    text = "8,400 residents [1]\nLedger: The census counted 8,400 residents. [1]"
    kept, citations = verify_answer(text, [_cite(1, 0, 35)], _article())
    assert kept == text and [c.n for c in citations] == [1]


@pytest.mark.parametrize("bad_line", [
    "9,000 residents [1]",                                   # a number the quote does not hold
    "Ledger: The census counted 9,400 residents. [1]",      # a quote that is not the cited one
    "Ana Silva [1]",                                         # a lead from another sentence
    "Ledger: The census counted 8,400 residents. [7]",      # a marker with no citation
    "The census counted 8,400 residents.",                  # no marker at all
])
def test_verify_drops_unsupported_lines_and_renumbers(bad_line):
    good = "Ledger: The mayor is Ana Silva. [2]"
    kept, citations = verify_answer(f"{bad_line}\n{good}", [_cite(1, 0, 35), _cite(2, 36, 59)], _article())
    assert kept == "Ledger: The mayor is Ana Silva. [1]"
    assert [(c.n, c.quote) for c in citations] == [(1, "The mayor is Ana Silva.")]


def test_verify_drops_a_citation_whose_quote_is_not_the_body_slice():
    forged = Citation(n=1, doc_id="d", quote="The census counted 9,999 residents.", start=0, end=35, score=1.0)
    kept, citations = verify_answer("Ledger: The census counted 9,999 residents. [1]", [forged], _article())
    assert kept == "" and citations == []


def test_a_question_about_cost_leads_with_the_sum_not_the_first_figure(assistant):
    answer = assistant.ask("How much did the tunnel repairs cost?")
    assert answer.text.startswith("9 million euros [1]")
    assert "eleven months" not in answer.text.split("\n")[0]


def test_which_role_prefers_the_sentence_that_names_the_role_and_a_person(assistant):
    answer = assistant.ask("Which site manager talked about the tunnel repairs?")
    assert answer.text.startswith("Petra Novak [1]")
