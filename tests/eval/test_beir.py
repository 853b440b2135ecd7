"""`eval beir` writes a BEIR document as a user writes an article: the title in the front matter."""
from __future__ import annotations

import json
from pathlib import Path

from eval.beir import ARTICLE_LAYOUT, cache_root, load_benchmark, write_articles
from index import load_corpus

DOCUMENTS = [
    {"_id": "1", "title": 'Aspirin: a "wonder" drug? It\'s #1', "text": "Aspirin lowers the risk of stroke."},
    {"_id": "2", "title": "", "text": "---\nA body that looks like front matter."},
    {"_id": "3", "title": "null", "text": "Titles YAML would read as another type stay text."},
    {"_id": "4", "title": "- [x]: {y} & *z* " + "long " * 40, "text": "Plain text."},
]


def fake_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in DOCUMENTS), encoding="utf-8")
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "Does aspirin help?"}) + "\n",
                                          encoding="utf-8")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\t1\t1\n", encoding="utf-8")
    return folder


def test_each_title_is_written_into_the_front_matter_and_the_text_is_the_body(tmp_path):
    bench = load_benchmark(fake_beir(tmp_path / "fake"), "test")

    write_articles(bench, tmp_path / "corpus")

    loaded = load_corpus(tmp_path / "corpus")
    assert loaded.problems == []
    articles = {a.doc_id: a for a in loaded.articles}
    for document in DOCUMENTS:
        article = articles[document["_id"]]
        assert article.title == (document["title"].strip() or None)
        assert article.body == document["text"] + "\n"


def test_the_cache_folder_names_the_article_layout(tmp_path):
    bench = load_benchmark(fake_beir(tmp_path / "fake"), "test")
    assert cache_root(bench, tmp_path).name.startswith(f"fake-{ARTICLE_LAYOUT}-")
