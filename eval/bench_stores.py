"""`python -m eval bench --store milvus`: the two index stores side by side on the same archive.

Owns: one run that measures, for the FAISS files and for the Milvus store (Milvus Lite unless
--milvus-uri names a server), each in its own index folder so neither reuses the other's work:
  1. a full build (a fresh `python -m index --store S --full` process: start-up, model load,
     embedding and annotation included);
  2. adding one article, and an update with nothing to do (fresh processes, median of 3);
  3. question to cited answer, warm, in this process (p50/p95 of total and of the retrieval part);
  4. how far the two agree: the share of each question's top 8 passages both return, and the
     questions whose answer JSON (timings left out) differs.
Does not: measure encoders or vector search at scale (`python -m eval bench` without --store).
"""
from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path

from eval.bench import _log, _new_article, _questions_for, _run_module, machine_description
from eval.metrics import percentile

STORES = ("faiss", "milvus")
TOP = 8


def _store_args(store: str, milvus_uri: str | None) -> list[str]:
    return ["--store", store] + (["--milvus-uri", milvus_uri] if store == "milvus" and milvus_uri else [])


def run_store_bench(*, corpus: Path | None, articles: int, questions: int, seed: int, workdir: Path,
                    milvus_uri: str | None = None) -> dict:
    """The figures of the module docstring, as a dict (see format_store_bench)."""
    from index import load_corpus

    result: dict = {"date": time.strftime("%Y-%m-%d"), "machine": machine_description(), "seed": seed, "stores": {}}
    planted = []
    if corpus is None:
        from eval.synthetic import write_archive

        corpus = workdir / "corpus"
        planted = write_archive(corpus, articles, seed=seed)
        result["archive"] = f"synthetic, {articles:,} articles, seed {seed}"
    else:
        shutil.copytree(corpus, workdir / "corpus")  # adding articles must not touch the user's folder
        result["archive"] = str(corpus)
        corpus = workdir / "corpus"
    result["articles"] = len(load_corpus(corpus).articles)
    for store in STORES:
        index_dir = workdir / f"index-{store}"
        _log(f"{store}: full build of {result['articles']:,} articles")
        seconds, out = _run_module("index", "--corpus", str(corpus), "--index-dir", str(index_dir), "--full",
                                   "--quiet", *_store_args(store, milvus_uri))
        result["stores"][store] = {"build_s": seconds, "build_summary": out.strip(), "add_s": [], "nochange_s": []}
    for n in range(3):
        _new_article(corpus, n, seed)
        for store in STORES:
            args = ["index", "--corpus", str(corpus), "--index-dir", str(workdir / f"index-{store}"), "--quiet",
                    *_store_args(store, milvus_uri)]
            seconds, out = _run_module(*args)
            result["stores"][store]["add_s"].append(seconds)
            result["stores"][store]["add_summary"] = out.strip()
            result["stores"][store]["nochange_s"].append(_run_module(*args)[0])
    asked = [q for q, _ in _questions_for(corpus, planted, questions, seed)]
    answers = {store: _answer_figures(store, workdir / f"index-{store}", asked, milvus_uri, result) for store in STORES}
    overlaps = [len(set(a) & set(b)) / max(1, len(a)) for a, b in zip(answers["faiss"]["top"], answers["milvus"]["top"])]
    differ = [q for q, a, b in zip(asked, answers["faiss"]["json"], answers["milvus"]["json"]) if a != b]
    unlike = [q for q, a, b in zip(asked, answers["faiss"]["plain"], answers["milvus"]["plain"]) if a != b]
    result["agreement"] = {"questions": len(asked), "top": TOP, "overlap_mean": statistics.mean(overlaps),
                           "overlap_min": min(overlaps), "answers_differ": len(differ), "differing": differ[:5],
                           "answers_differ_beyond_scores": len(unlike), "differing_beyond_scores": unlike[:5]}
    return result


def _answer_figures(store: str, index_dir: Path, asked: list[str], milvus_uri: str | None, result: dict) -> dict:
    from index.backend import StoreConfig
    from index.milvus_store import close_clients
    from qa import Assistant

    _log(f"{store}: asking {len(asked)} questions")
    config = StoreConfig.from_options(store=store, milvus_uri=milvus_uri if store == "milvus" else None)
    started = time.perf_counter()
    assistant = Assistant(index_dir, store=config)
    assistant.ask("warm-up question about the archive")
    load_s = time.perf_counter() - started
    totals, retrieves, tops, rows, plain = [], [], [], [], []
    for question in asked:
        answer = assistant.ask(question)
        totals.append(answer.timings_ms["total"])
        retrieves.append(answer.timings_ms["retrieve"])
        tops.append([p.chunk.chunk_id for p in answer.retrieved[:TOP]])
        row = answer.to_json()
        row.pop("timings_ms")
        rows.append(json.dumps(row, sort_keys=True))
        for item in row["citations"] + row["retrieved"]:
            item.pop("score")
        plain.append(json.dumps(row, sort_keys=True))
    close_clients()
    result["stores"][store].update({
        "answer_p50_ms": percentile(totals, 50), "answer_p95_ms": percentile(totals, 95),
        "retrieve_p50_ms": percentile(retrieves, 50), "retrieve_p95_ms": percentile(retrieves, 95),
        "load_and_first_answer_s": load_s})
    return {"top": tops, "json": rows, "plain": plain}


def format_store_bench(r: dict) -> str:
    lines = [f"bench --store milvus {r['date']} on {r['machine']}", f"archive: {r['archive']} ({r['articles']:,} articles)",
             "", f"  {'store':<8} {'build s':>8} {'add one s':>10} {'no-change s':>12} {'answer p50':>11} "
             f"{'p95 ms':>7} {'retrieve p50':>13} {'p95 ms':>7} {'load s':>7}"]
    for name, s in r["stores"].items():
        lines.append(f"  {name:<8} {s['build_s']:>8.1f} {statistics.median(s['add_s']):>10.2f} "
                     f"{statistics.median(s['nochange_s']):>12.2f} {s['answer_p50_ms']:>11.0f} {s['answer_p95_ms']:>7.0f} "
                     f"{s['retrieve_p50_ms']:>13.1f} {s['retrieve_p95_ms']:>7.1f} {s['load_and_first_answer_s']:>7.1f}")
    a = r["agreement"]
    lines += ["", "  (build, add one, no-change: fresh `python -m index` processes, wall-clock, medians of 3 for the "
              "last two; answers warm, in one process)",
              f"agreement over {a['questions']} questions: top-{a['top']} passage overlap mean {a['overlap_mean']:.3f}, "
              f"min {a['overlap_min']:.3f}; answer JSON (timings aside) differs for {a['answers_differ']}, "
              f"and beyond the scores for {a['answers_differ_beyond_scores']}"]
    return "\n".join(lines)
