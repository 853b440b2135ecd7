"""`python -m eval.milvus_analyzer`: what BM25 and the hybrid score on a BEIR set with Milvus's own
analyzer in place of our terms.

The Milvus store gives Milvus our terms, one opaque token each (index.milvus_store), so its BM25
equals ours. This measures the alternative: Milvus Lite's analyzer over the raw text (the
`standard` tokenizer, lower case, our stopword list as its stop filter; Lite has no `english`
analyzer, and its stemmer filter leaves words as they are), with the raw question as the query
(no synonym expansion). Both are fused with the same dense side by the same z-score fusion.
Owns: that one comparison. Does not: change the store (its collection lives in a temporary file).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from eval.beir import document_ranking, load_benchmark, prepare_index
from eval.metrics import mean, ndcg_at
from index import QAError
from index.terms import STOPWORDS

REPO_ROOT = Path(__file__).resolve().parent.parent
DEPTH = 400  # passages per side, as eval beir's full pipeline asks for


def build_collection(client, version) -> None:
    """Chunks as `title. text`, analyzed by Milvus, with a BM25 function (k1 1.5, b 0.75, as ours)."""
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params={
        "tokenizer": "standard", "filter": ["lowercase", {"type": "stop", "stop_words": sorted(STOPWORDS)}]})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                 output_field_names=["sparse"]))
    params = client.prepare_index_params()
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params={"bm25_k1": 1.5, "bm25_b": 0.75})
    client.create_collection("analyzed", schema=schema, index_params=params, consistency_level="Strong")
    rows = [{"id": row, "text": f"{version.articles[c.doc_id].title or ''}. {c.text}"}
            for row, c in enumerate(version.chunks)]
    for start in range(0, len(rows), 1000):
        client.insert("analyzed", rows[start : start + 1000])
    client.flush("analyzed")


def compare(folder: Path, split: str, *, progress: bool = True) -> dict[str, float]:
    """nDCG@10 of BM25 and of the hybrid, with our terms and with Milvus's analyzer."""
    from pymilvus import MilvusClient
    from tqdm import tqdm

    from qa import Assistant
    from qa.retrieve import RetrieveSettings, fuse_scores

    bench = load_benchmark(folder, split)
    index_dir, _ = prepare_index(bench, progress=progress)
    assistant = Assistant(index_dir)
    version, keywords = assistant.index, assistant.snapshot().keywords
    weight = RetrieveSettings().dense_weight
    work = Path(tempfile.mkdtemp(prefix="qa-analyzer-"))
    client = MilvusClient(str(work / "analyzer.db"))
    scores: dict[str, list[float]] = {"BM25, our terms": [], "BM25, Milvus analyzer": [],
                                      "hybrid, our terms": [], "hybrid, Milvus analyzer": []}
    try:
        build_collection(client, version)
        for qid, question in tqdm(bench.queries.items(), desc="queries", file=sys.stderr, disable=not progress):
            ours = dict(keywords.search(question, DEPTH))
            hits = client.search("analyzed", data=[question], anns_field="sparse", limit=DEPTH,
                                 search_params={"metric_type": "BM25"})[0]
            theirs = {int(h["id"]): abs(float(h["distance"])) for h in hits}
            found, rows = version.search(assistant.embedder.embed_queries([question]), DEPTH)
            dense = {int(r): float(s) for r, s in zip(rows[0], found[0]) if r >= 0}
            for name, sparse in (("our terms", ours), ("Milvus analyzer", theirs)):
                fused = fuse_scores([(dense, weight), (sparse, 1 - weight)], DEPTH)
                for label, ranked in ((f"BM25, {name}", sorted(sparse, key=lambda r: -sparse[r])),
                                      (f"hybrid, {name}", [r for r, _ in fused])):
                    docs = document_ranking([version.chunks[r].doc_id for r in ranked], 100)
                    scores[label].append(ndcg_at(docs, bench.qrels[qid], 10))
    finally:
        client.close()
        shutil.rmtree(work, ignore_errors=True)
    return {name: mean(values) for name, values in scores.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.milvus_analyzer", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, nargs="?", default=REPO_ROOT.parent / "shared" / "bench" / "scifact",
                        help="a BEIR folder (default ../shared/bench/scifact)")
    parser.add_argument("--split", default="test", help="qrels split (default test)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    from pymilvus.exceptions import MilvusException

    try:
        figures = compare(args.folder, args.split, progress=not args.quiet)
    except (QAError, MilvusException) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for name, value in figures.items():
        print(f"{name:<26} nDCG@10 {value:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
