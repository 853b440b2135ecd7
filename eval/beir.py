"""`python -m eval beir DIR`: retrieval quality on a BEIR-format benchmark, through our own index.

Owns: reading the BEIR layout (corpus.jsonl, queries.jsonl, qrels/<split>.tsv), writing the
benchmark's documents as corpus articles the way a user writes them (the title in the front
matter, the text as the body), building (or updating) a real index of them with
`python -m index`'s code, and scoring BM25 alone, dense alone and the product's retrieval with
nDCG@10 and Recall@100. Document score = its best passage (first appearance in the ranking).
Does not: tune anything on the test split (tune on train: `--split train`).
"""
from __future__ import annotations

import csv
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


import yaml

from eval.metrics import mean, ndcg_at, percentile, recall_at
from index import IndexSettings, QAError, update_index
from index.backend import StoreConfig, open_store
from index.embedding import default_backend
from qa import Assistant

CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "beir"
ARTICLE_LAYOUT = "title-front-matter"  # how documents become articles; part of the cache folder's name
PUBLISHED_SCIFACT = {  # nDCG@10 on SciFact test, as published (issue #3)
    "BM25": "0.665-0.687", "all-MiniLM-L6-v2": "0.645", "bge-small-en-v1.5": "0.713", "BM25 + cross-encoder": "0.688",
}


@dataclass(frozen=True)
class Benchmark:
    name: str
    documents: dict[str, tuple[str, str]]   # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]        # query id -> {doc id: grade}


def load_benchmark(folder: Path, split: str) -> Benchmark:
    """Read a BEIR folder; only queries with judgements in `split` are kept.

    Raises:
        QAError: a file is missing or the split has no judgements.
    """
    needed = [folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv"]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        raise QAError(f"not a BEIR folder: missing {', '.join(missing)}")
    documents = {}
    for line in needed[0].read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        documents[str(row["_id"])] = (row.get("title") or "", row.get("text") or "")
    qrels: dict[str, dict[str, int]] = {}
    with needed[2].open(encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t")
        next(reader, None)
        for qid, doc_id, grade, *_ in reader:
            qrels.setdefault(qid, {})[doc_id] = int(grade)
    queries = {}
    for line in needed[1].read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if str(row["_id"]) in qrels:
            queries[str(row["_id"])] = row["text"]
    if not queries:
        raise QAError(f"{needed[2]} judges no query of {needed[1]}")
    return Benchmark(folder.name, documents, queries, qrels)


def prepare_index(bench: Benchmark, *, cache_dir: Path = CACHE_DIR, progress: bool = True,
                  backend: str | None = None, store: StoreConfig | None = None) -> tuple[Path, float]:
    """Write the documents as articles and build (or reuse) their index; returns (index dir, seconds).

    Each embedding backend keeps its own index folder, so comparing them rebuilds nothing twice.
    With the Milvus store the FAISS index is built (or reused) first and the Milvus collections are
    then filled from the same articles, taking that index's vectors and annotations (index.milvus_store);
    the seconds are the Milvus update's.
    """
    backend = backend or default_backend()
    root = cache_root(bench, cache_dir)
    corpus = root / "corpus"
    if not (root / "corpus.done").exists():
        write_articles(bench, corpus)
        (root / "corpus.done").touch()
    started = time.perf_counter()
    summary = update_index(corpus, root / f"index-{backend}", settings=IndexSettings(backend=backend), progress=progress)
    print(summary.line(), file=sys.stderr)
    if store is not None and store.kind == "milvus":
        started = time.perf_counter()
        summary = open_store(store, root / f"index-{backend}").update(corpus, settings=IndexSettings(backend=backend),
                                                                      progress=progress)
        print(f"milvus {summary.line()}", file=sys.stderr)
    return root / f"index-{backend}", time.perf_counter() - started


def cache_root(bench: Benchmark, cache_dir: Path) -> Path:
    """The benchmark's folder under `cache_dir`, named by its documents and by ARTICLE_LAYOUT."""
    key = json.dumps([ARTICLE_LAYOUT, sorted(bench.documents.items())])
    return cache_dir / f"{bench.name}-{ARTICLE_LAYOUT}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def article_text(title: str, text: str) -> str:
    """A BEIR document as an article file: the title in YAML front matter, the text as the body.

    >>> print(article_text('Aspirin: a "wonder" drug?', "Body."), end="")
    ---
    title: 'Aspirin: a "wonder" drug?'
    ---
    Body.
    """
    if not title.strip():  # an empty block keeps a text that starts with '---' from reading as one
        return f"---\n---\n{text}\n" if text.startswith("---") else f"{text}\n"
    front = yaml.safe_dump({"title": title}, allow_unicode=True, width=2**31 - 1, sort_keys=False)
    return f"---\n{front}---\n{text}\n"


def write_articles(bench: Benchmark, corpus: Path) -> None:
    """Write every document of `bench` into `corpus` as `<id>.md` (see article_text)."""
    corpus.mkdir(parents=True, exist_ok=True)
    for doc_id, (title, text) in bench.documents.items():
        (corpus / f"{doc_id.replace('/', '_')}.md").write_text(article_text(title, text), encoding="utf-8")


def document_ranking(doc_ids: list[str], depth: int) -> list[str]:
    """Documents in order of their best passage."""
    return list(dict.fromkeys(doc_ids))[:depth]


def rankers(assistant: Assistant, depth: int) -> dict[str, Callable[[str], list[str]]]:
    """Each retrieval method as question -> ranked document ids."""
    live = assistant.snapshot()
    index, keywords = live.index, live.keywords
    passages = depth * 4  # several passages per document

    def bm25(question: str) -> list[str]:
        return document_ranking([index.chunks[row].doc_id for row, _ in keywords.search(question, passages)], depth)

    def dense(question: str) -> list[str]:
        vector = assistant.embedder.embed_queries([question])
        _, rows = index.search(vector, passages)
        return document_ranking([index.chunks[r].doc_id for r in rows[0] if r >= 0], depth)

    def pipeline(question: str) -> list[str]:
        found, _ = assistant.retrieve(question, k=passages)
        return document_ranking([p.chunk.doc_id for p in found.passages], depth)

    return {"BM25 (passages)": bm25, "dense (MiniLM, passages)": dense, "full pipeline (hybrid)": pipeline}


def evaluate(bench: Benchmark, assistant: Assistant, *, depth: int = 100, progress: bool = True) -> list[dict]:
    """nDCG@10, Recall@100 and per-query latency of each method."""
    from tqdm import tqdm

    rows = []
    for name, rank in rankers(assistant, depth).items():
        ndcg, recall, times = [], [], []
        for qid, question in tqdm(bench.queries.items(), desc=name, file=sys.stderr, disable=not progress):
            started = time.perf_counter()
            ranked = rank(question)
            times.append((time.perf_counter() - started) * 1000)
            ndcg.append(ndcg_at(ranked, bench.qrels[qid], 10))
            recall.append(recall_at(ranked, bench.qrels[qid], 100))
        rows.append({"method": name, "ndcg@10": mean(ndcg), "recall@100": mean(recall),
                     "query_ms_p50": percentile(times, 50), "query_ms_p95": percentile(times, 95)})
    return rows


def format_rows(bench: Benchmark, split: str, rows: list[dict], index_seconds: float, backend: str) -> str:
    lines = [f"{bench.name} ({split}): {len(bench.queries)} queries, {len(bench.documents)} documents; "
             f"embedding backend {backend}; index build/update {index_seconds:.1f} s", "",
             f"{'method':<30} {'nDCG@10':>8} {'R@100':>7} {'ms p50':>7} {'ms p95':>7}"]
    for r in rows:
        lines.append(f"{r['method']:<30} {r['ndcg@10']:>8.4f} {r['recall@100']:>7.4f} {r['query_ms_p50']:>7.1f} "
                     f"{r['query_ms_p95']:>7.1f}")
    if bench.name.lower() == "scifact" and split == "test":
        lines += ["", "published nDCG@10 on SciFact test, for comparison:"]
        lines += [f"  {name:<28} {value}" for name, value in PUBLISHED_SCIFACT.items()]
    return "\n".join(lines)


def run_beir(folder: Path, *, split: str = "test", as_json: bool = False, progress: bool = True,
             backend: str | None = None, store: StoreConfig | None = None) -> str:
    backend = backend or default_backend()
    store = store or StoreConfig()
    bench = load_benchmark(folder, split)
    index_dir, seconds = prepare_index(bench, progress=progress, backend=backend, store=store)
    assistant = Assistant(index_dir, store=store)
    rows = evaluate(bench, assistant, progress=progress)
    if as_json:
        return json.dumps({"benchmark": bench.name, "split": split, "backend": backend, "store": store.kind,
                           "queries": len(bench.queries), "documents": len(bench.documents),
                           "index_seconds": seconds, "methods": rows}, indent=2)
    return format_rows(bench, split, rows, seconds, f"{backend}, store {store.kind}")
