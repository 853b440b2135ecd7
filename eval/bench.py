"""`python -m eval bench`: the speed of the assistant at archive scale, the naive path beside ours.

Owns: one run that measures, on this machine,
  1. encoding the same chunks with the naive path (sentence-transformers fp32, one article after
     another) and with ours (the default backend): documents/s, tokens/s, the ratio, agreement;
  2. a full index build, adding one article, and an update with nothing to do (wall-clock, each a
     fresh `python -m index` process, so start-up and model load are included); what spaCy
     annotation adds: the same full build with the annotator replaced by a no-op (in its own
     process), annotation alone over the archive's chunks (characters/s, seconds), the size of
     the stored annotations, and reading the annotations of 50 chunks as an answer does;
  3. question to cited answer, warm, over the archive (p50/p95);
  4. vector search over 100,000 and 1,000,000 synthetic chunks with the index type the store
     picks for that size: p50/p95, recall@10 against exact search, bytes per chunk, peak memory.
Each encoder and each scale runs in its own process, so one cannot slow or bloat the other.
From UPDATE_ONLY_FROM articles up (or with --update-only) it measures only the updates at that
scale, with derived vectors and a cheap annotator instead of the models (see eval.bench_update).
Does not: judge answer quality (see `python -m eval` and `python -m eval beir`).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from eval.metrics import percentile

REPO_ROOT = Path(__file__).resolve().parent.parent
UPDATE_ONLY_FROM = 20_000  # articles; the models would take hours to embed and annotate these on 2 cores


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _run_module(*args: str, timeout: float = 3600) -> tuple[float, str]:
    """Run `python -m ...` from the repository root; (wall seconds, stdout). Raises on failure."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"`python -m {' '.join(args)}` failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    return seconds, done.stdout


# ---------------------------------------------------------------- workers (each in its own process)

def worker_encode(path: Path, how: str) -> None:
    """Serve encoding requests for the chunk texts in `path` (JSON: list of articles, each a list of texts).

    Prints {"load_s"} once loaded, then for each stdin line "START STOP" encodes articles START..STOP-1
    one article after another (naive) or in one call (ours) and prints {"seconds"}; on "save" writes
    all vectors encoded so far to `path` with suffix .HOW.npy, in article order, and exits.
    """
    from index.embedding import Embedder, set_offline_mode

    set_offline_mode()
    articles = json.loads(path.read_text(encoding="utf-8"))
    started = time.perf_counter()
    if how == "naive":
        import torch
        from sentence_transformers import SentenceTransformer

        from index.embedding import model_dir

        torch.set_num_threads(os.cpu_count() or 1)
        model = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)

        def encode(group: list[list[str]]) -> list[np.ndarray]:
            return [model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
                    for texts in group]  # one article after another, as a plain script would
    else:
        embedder = Embedder(how)
        embedder.model

        def encode(group: list[list[str]]) -> list[np.ndarray]:
            return [embedder.embed_passages([t for texts in group for t in texts])]
    print(json.dumps({"load_s": time.perf_counter() - started}), flush=True)
    done: dict[int, list[np.ndarray]] = {}
    for line in sys.stdin:
        if line.strip() == "save":
            break
        start, stop = (int(x) for x in line.split())
        t = time.perf_counter()
        done[start] = encode(articles[start:stop])
        print(json.dumps({"seconds": time.perf_counter() - t}), flush=True)
    np.save(path.with_suffix(f".{how}.npy"), np.vstack([v for k in sorted(done) for v in done[k]]).astype(np.float32))


class _EncodeWorker:
    """One `--worker encode` process, kept loaded while the other path runs (it then sleeps on stdin)."""

    def __init__(self, chunk_file: Path, how: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "eval.bench", "--worker", "encode", str(chunk_file), how],
                                        cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            self.load_s = self._reply()["load_s"]
        except BaseException:
            self.process.kill()
            raise

    def _reply(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the encoding worker stopped (exit {self.process.wait()})")
        return json.loads(line)

    def encode(self, start: int, stop: int) -> float:
        self.process.stdin.write(f"{start} {stop}\n")
        self.process.stdin.flush()
        return self._reply()["seconds"]

    def save(self) -> None:
        self.process.stdin.write("save\n")
        self.process.stdin.close()
        if self.process.wait() != 0:
            raise RuntimeError(f"the encoding worker failed (exit {self.process.returncode})")


def synthetic_vectors(base: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n unit vectors spread between real ones: x_a + u*x_b + noise, normalised (u ~ U(0,1)).

    Real embeddings are neither uniform on the sphere (the hardest case for an approximate index)
    nor tight clusters (the easiest); points between pairs of real vectors, blurred by noise of
    about a third of a vector's length, keep the real data's directions without copying them.
    """
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        a, b = rng.integers(0, len(base), m), rng.integers(0, len(base), m)
        v = base[a] + rng.random((m, 1), dtype=np.float32) * base[b]
        v += rng.standard_normal(v.shape, dtype=np.float32) * np.float32(0.35 / np.sqrt(base.shape[1])) * np.linalg.norm(v, axis=1, keepdims=True)
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def worker_scale(base_path: Path, n: int, queries: int, seed: int) -> dict:
    """Build the store's index for n synthetic vectors, time single-query searches against exact, then
    time an update that replaces one article's worth of vectors (6 removed, 6 added)."""
    import faiss

    from index.store import SearchIndexReuse, build_search_index, exact_top_k, recall_at_k, update_search_index

    base = np.load(base_path)
    vectors = synthetic_vectors(base, n, seed)
    query = synthetic_vectors(base, queries, seed + 7919)
    started = time.perf_counter()
    index, info = build_search_index(vectors, vectors.shape[1])
    build_s = time.perf_counter() - started
    blob = faiss.serialize_index(index)
    exact = exact_top_k(vectors, query, 10)
    faiss.omp_set_num_threads(1)  # as the assistant searches: one query, one thread
    times, found = [], []
    for i in range(queries):
        t = time.perf_counter()
        _, rows = index.search(query[i : i + 1], 10)
        times.append((time.perf_counter() - t) * 1000)
        found.append(rows[0])
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    exact_times = []
    for i in range(min(queries, 30)):
        t = time.perf_counter()
        flat.search(query[i : i + 1], 10)
        exact_times.append((time.perf_counter() - t) * 1000)
    result = {"chunks": n, "type": info["type"], "nprobe": info.get("nprobe"), "build_s": build_s,
              "recall_at_10_build": info.get("recall_at_10"), "recall_at_10": recall_at_k(exact, np.array(found), 10),
              "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95),
              "exact_p50_ms": percentile(exact_times, 50), "bytes_per_chunk": len(blob) / n,
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    del flat
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    saved = base_path.parent / f"scale-{n}.faiss"
    faiss.write_index(index, str(saved))
    del index
    sources = np.concatenate([np.delete(np.arange(n), np.arange(0, n, n // 6)[:6]), np.full(6, -1)])
    vectors = np.concatenate([vectors[sources[:-6]], synthetic_vectors(base, 6, seed + 1)])
    started = time.perf_counter()
    updated = update_search_index(SearchIndexReuse(saved, info, sources), vectors)
    result["update_s"] = time.perf_counter() - started if updated else None  # None: it trained afresh
    saved.unlink()
    return result


def worker_build_without_annotation(corpus: Path, index_dir: Path) -> dict:
    """A full build, timed as `python -m index --full` is, with every chunk's annotation an empty record:
    what the build costs without spaCy. The index it writes is for timing only."""
    import index.update
    from index.annotate import ChunkAnnotation

    empty = ChunkAnnotation((), (), (), (), ()).to_json()
    index.update.annotate_lines = lambda texts, **options: [empty] * len(texts)
    started = time.perf_counter()
    summary = index.update.update_index(corpus, index_dir, full=True, progress=False)
    return {"seconds": time.perf_counter() - started, "summary": summary.line()}


def worker_annotate(chunks_file: Path) -> dict:
    """Annotate every chunk of a chunks.jsonl as a build does (index.annotate.annotate_chunk_lines: each
    article's chunks joined into passages, one worker per core). The bodies are put back together from
    the chunks (what no chunk holds, as spaces); `chars` counts the characters parsed."""
    from types import SimpleNamespace

    from index.annotate import annotate_chunk_lines

    rows = [json.loads(line) for line in chunks_file.read_text(encoding="utf-8").splitlines() if line]
    chunks = [SimpleNamespace(doc_id=r["doc_id"], start=r["start"], end=r["end"], text=r["text"]) for r in rows]
    bodies: dict[str, list[str]] = {}
    for c in chunks:
        body = bodies.setdefault(c.doc_id, [])
        body.extend(" " * max(0, c.end - len(body)))
        body[c.start : c.end] = c.text
    started, cpu = time.perf_counter(), _cpu_seconds()
    _, chars = annotate_chunk_lines(chunks, {d: "".join(b) for d, b in bodies.items()})
    seconds, cpu_s = time.perf_counter() - started, _cpu_seconds() - cpu
    return {"seconds": seconds, "chunks": len(chunks), "chars": chars, "chars_per_s": chars / seconds,
            "cpu_s": cpu_s, "chars_per_cpu_s": chars / cpu_s if cpu_s else None}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the annotation workers)."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                resource.getrusage(resource.RUSAGE_CHILDREN)))


# ---------------------------------------------------------------- the run

def _questions_for(corpus: Path, planted: list, count: int, seed: int) -> list[tuple[str, str | None]]:
    if planted:
        rng = random.Random(seed)
        chosen = rng.sample(planted, min(count, len(planted)))
        return [(q.question, q.answer) for q in chosen]
    if corpus.resolve() == (REPO_ROOT / "corpus").resolve():
        from eval.gold import DEFAULT_GOLD, load_gold

        return [(q.question, None) for q in load_gold(DEFAULT_GOLD)][:count]
    from index import load_corpus

    titles = [a.title for a in load_corpus(corpus).articles if a.title]
    return [(f"What is known about {t}?", None) for t in random.Random(seed).sample(titles, min(count, len(titles)))]


def _new_article(folder: Path, n: int, seed: int) -> None:
    from eval.synthetic import make_article

    text, _ = make_article(random.Random(seed * 1000 + n), f"added-{n}")
    (folder / f"added-{seed}-{n}.md").write_text(text, encoding="utf-8")


def run_bench(*, corpus: Path | None, articles: int, sample_articles: int, questions: int, scales: list[int],
              seed: int, workdir: Path, slices: int = 10, encoding_only: bool = False) -> dict:
    from index import ChunkSettings, chunk_article, load_corpus, load_token_counter
    from index.embedding import DEFAULT_BACKEND, count_llm_tokens

    result: dict = {"date": time.strftime("%Y-%m-%d"), "machine": machine_description(), "seed": seed}
    planted = []
    if corpus is None:
        corpus = workdir / "corpus"
        _log(f"writing a synthetic archive of {articles:,} articles (seed {seed})")
        from eval.synthetic import write_archive

        planted = write_archive(corpus, articles, seed=seed)
        result["archive"] = f"synthetic, {articles:,} articles, seed {seed}"
    else:
        shutil.copytree(corpus, workdir / "corpus")  # adding articles must not touch the user's folder
        corpus = workdir / "corpus"
        result["archive"] = str(corpus)
    loaded = load_corpus(corpus)
    result["articles"] = len(loaded.articles)

    # 1. encoders on the same chunks
    spans = load_token_counter()
    sample = loaded.articles[: sample_articles]
    texts = [[c.text for c in chunk_article(a, settings=ChunkSettings(), token_spans=spans,
                                            count_llm_tokens=count_llm_tokens)] for a in sample]
    tokens = sum(len(spans(t)) for group in texts for t in group)
    chunk_file = workdir / "sample.json"
    chunk_file.write_text(json.dumps(texts), encoding="utf-8")
    # Both paths stay loaded in their own processes and take turns on slices of the sample, the order
    # alternating, so that both meet the same machine load (on a shared VM it drifts within seconds).
    paths = ("naive", DEFAULT_BACKEND)
    _log(f"loading both encoders; then they take turns on {slices} slices of the {len(sample)} articles "
         f"({sum(map(len, texts)):,} chunks)")
    workers: dict[str, _EncodeWorker] = {}
    try:
        for how in paths:
            workers[how] = _EncodeWorker(chunk_file, how)
        parts = [(len(sample) * k // slices, len(sample) * (k + 1) // slices) for k in range(slices)]
        seconds: dict[str, list[float]] = {how: [] for how in paths}
        for k, (start, stop) in enumerate(parts):
            for how in (paths if k % 2 == 0 else paths[::-1]):
                seconds[how].append(workers[how].encode(start, stop))
        for worker in workers.values():
            worker.save()
    finally:
        for worker in workers.values():  # a failed run leaves no worker behind
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
    encoders = {}
    for how in paths:
        total = sum(seconds[how])
        encoders[how] = {"load_s": workers[how].load_s, "encode_s": total, "documents_per_s": len(sample) / total,
                         "tokens_per_s": tokens / total, "chunks_per_s": sum(map(len, texts)) / total}
    ratios = [a / b for a, b in zip(seconds["naive"], seconds[DEFAULT_BACKEND])]
    naive = np.load(chunk_file.with_suffix(".naive.npy"))
    ours = np.load(chunk_file.with_suffix(f".{DEFAULT_BACKEND}.npy"))
    cosine = (naive * ours).sum(axis=1)
    result["encoding"] = {"articles": len(sample), "chunks": len(naive), "tokens": tokens, "slices": slices,
                          "naive": encoders["naive"], "ours": {**encoders[DEFAULT_BACKEND], "backend": DEFAULT_BACKEND},
                          "ratio_tokens_per_s": encoders[DEFAULT_BACKEND]["tokens_per_s"] / encoders["naive"]["tokens_per_s"],
                          "ratio_per_slice": {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)},
                          "cosine_mean": float(cosine.mean()), "cosine_min": float(cosine.min())}
    if encoding_only:
        return result

    # 2. index: full build, one-article add, no-change update (fresh processes: start-up included)
    index_dir = workdir / "index"
    _log(f"full index build of {len(loaded.articles):,} articles")
    seconds, out = _run_module("index", "--corpus", str(corpus), "--index-dir", str(index_dir), "--full", "--quiet")
    manifest = json.loads((index_dir / (index_dir / "CURRENT").read_text().strip() / "manifest.json").read_text())
    rate = re.search(r"\(([\d.]+) chunks/s, ([\d,]+) tokens/s", out)
    result["build"] = {"seconds": seconds, "chunks": manifest["chunk_count"], "tokens": manifest["token_count"],
                       "chunks_per_s_embedding": float(rate.group(1)) if rate else None,
                       "faiss": manifest["faiss"], "summary": out.strip(),
                       "annotation": annotation_figures(index_dir, manifest)}
    _log("the same full build with a no-op annotator, then annotation alone over the archive's chunks")
    plain_s, out = _run_module("eval.bench", "--worker", "build-without-annotation", str(corpus),
                               str(workdir / "index-plain"))
    result["build"]["without_annotation"] = {**json.loads(out), "seconds": plain_s}  # process wall, as the build's
    shutil.rmtree(workdir / "index-plain", ignore_errors=True)
    segment = index_dir / manifest["segments"][0]["name"]  # a full build writes one segment
    _, out = _run_module("eval.bench", "--worker", "annotate", str(segment / "chunks.jsonl"))
    result["build"]["annotation"]["alone"] = json.loads(out)
    adds, nochange = [], []
    for n in range(3):
        _new_article(corpus, n, seed)
        seconds, out = _run_module("index", "--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet")
        adds.append(seconds)
        seconds, _ = _run_module("index", "--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet")
        nochange.append(seconds)
    result["add_one_article_s"] = {"median": statistics.median(adds), "runs": adds, "summary": out.strip()}
    result["no_change_update_s"] = {"median": statistics.median(nochange), "runs": nochange}

    # 3. question to cited answer, warm
    _log(f"asking {questions} questions")
    from eval.metrics import contains_answer
    from qa import Assistant

    started = time.perf_counter()
    assistant = Assistant(index_dir)
    assistant.ask("warm-up question about the archive")
    load_s = time.perf_counter() - started
    times, hits, abstained = [], 0, 0
    asked = _questions_for(corpus, planted, questions, seed)
    for question, expected in asked:
        t = time.perf_counter()
        answer = assistant.ask(question)
        times.append((time.perf_counter() - t) * 1000)
        abstained += answer.abstained
        hits += bool(expected and contains_answer(answer.text, expected))
    result["answer_ms"] = {"questions": len(asked), "p50": percentile(times, 50), "p95": percentile(times, 95),
                           "load_and_first_answer_s": load_s, "abstained": abstained,
                           "planted_figure_found": hits if planted else None}

    # 4. vector search at scale
    base = workdir / "base.npy"
    from index import load_index

    np.save(base, load_index(index_dir, keywords=False).all_vectors())
    result["search"] = []
    for n in scales:
        _log(f"vector search over {n:,} synthetic chunks")
        _, out = _run_module("eval.bench", "--worker", "scale", str(base), str(n), "1000", str(seed))
        result["search"].append(json.loads(out))
    return result


def annotation_figures(index_dir: Path, manifest: dict, *, rows: int = 50, repeats: int = 100) -> dict:
    """The annotation time inside the full build (from its manifest; it overlaps embedding), the
    files' size, and the p50/p95 of reading `rows` random chunks' annotations
    (`IndexVersion.annotations`, a fresh version each time so nothing is remembered), as an answer would."""
    from index import load_index

    stats = manifest["stats"]
    files: dict[str, int] = {}
    for path, size in manifest["files"].items():  # summed over the segments
        files[path.rsplit("/", 1)[-1]] = files.get(path.rsplit("/", 1)[-1], 0) + size
    rng = random.Random(0)
    times = []
    for _ in range(repeats if manifest["chunk_count"] else 0):
        version = load_index(index_dir, keywords=False)
        chosen = rng.sample(range(len(version.chunks)), min(rows, len(version.chunks)))
        t = time.perf_counter()
        version.annotations(chosen)
        times.append((time.perf_counter() - t) * 1000)
    size = files.get("annotations.jsonl", 0) + files.get("annotations.offsets.npy", 0)
    return {"in_build_s": stats.get("annotate_seconds") or 0.0, "chars": stats.get("annotated_chars") or 0,
            "chunks": stats.get("annotated_chunks"), "bytes": size,
            "bytes_per_chunk": size / max(1, manifest["chunk_count"]),
            "vectors_bytes": files.get("vectors.npy", 0) + files.get("vectors.faiss", 0),
            "read_rows": rows, "read_p50_ms": percentile(times, 50) if times else None,
            "read_p95_ms": percentile(times, 95) if times else None}


def machine_description() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def format_bench(r: dict) -> str:
    e = r["encoding"]
    lines = [f"bench {r['date']} on {r['machine']}", f"archive: {r['archive']} ({r['articles']:,} articles)", "",
             f"encoding the same {e['chunks']:,} chunks ({e['articles']} articles, {e['tokens']:,} tokens), "
             f"the two paths taking turns on {e['slices']} slices:",
             f"  {'path':<44} {'docs/s':>8} {'tokens/s':>9} {'load s':>7}"]
    for name, row in (("naive: sentence-transformers fp32, per article", e["naive"]),
                      (f"ours: {e['ours']['backend']}", e["ours"])):
        lines.append(f"  {name:<44} {row['documents_per_s']:>8.1f} {row['tokens_per_s']:>9,.0f} {row['load_s']:>7.2f}")
    q = e["ratio_per_slice"]
    lines += [f"  ratio (tokens/s): {e['ratio_tokens_per_s']:.2f}x (per slice: median {q['median']:.2f}x, "
              f"{q['min']:.2f}x to {q['max']:.2f}x); cosine ours vs naive: mean {e['cosine_mean']:.4f}, "
              f"min {e['cosine_min']:.4f}"]
    if "build" not in r:
        return "\n".join(lines)
    b, a = r["build"], r["answer_ms"]
    lines += ["",
              f"index ({b['chunks']:,} chunks, {b['tokens']:,} tokens; FAISS {b['faiss'].get('type')}, "
              f"{b['faiss'].get('bytes_per_chunk')} bytes/chunk):",
              f"  full build                 {b['seconds']:8.1f} s wall  ({b['chunks_per_s_embedding']} chunks/s embedding)",
              *_annotation_rows(b),
              f"  add one article            {r['add_one_article_s']['median']:8.2f} s wall  (median of 3)",
              f"  no-change update           {r['no_change_update_s']['median']:8.2f} s wall  (median of 3)", "",
              f"question -> cited answer, warm ({a['questions']} questions): p50 {a['p50']:.0f} ms, p95 {a['p95']:.0f} ms"
              f"; index load + first answer {a['load_and_first_answer_s']:.1f} s"
              + (f"; planted figure in the answer {a['planted_figure_found']}/{a['questions']}"
                 if a["planted_figure_found"] is not None else ""), "",
              "vector search, one query at a time (synthetic chunks, 1,000 queries); update: the built index"
              " brought up to date after one article's 6 chunks are replaced (- where it trains afresh):",
              f"  {'chunks':>10} {'index':<16} {'nprobe':>6} {'p50 ms':>7} {'p95 ms':>7} {'recall@10':>9} "
              f"{'exact p50':>9} {'bytes/chunk':>11} {'peak MB':>8} {'build s':>8} {'update s':>8}"]
    for s in r["search"]:
        lines.append(f"  {s['chunks']:>10,} {s['type']:<16} {s['nprobe'] or '-':>6} {s['p50_ms']:>7.2f} {s['p95_ms']:>7.2f} "
                     f"{s['recall_at_10']:>9.3f} {s['exact_p50_ms']:>9.2f} {s['bytes_per_chunk']:>11.0f} "
                     f"{s['peak_rss_mb']:>8.0f} {s['build_s']:>8.1f} "
                     + (f"{s['update_s']:>8.1f}" if s.get("update_s") is not None else f"{'-':>8}"))
    return "\n".join(lines)


def _annotation_rows(b: dict) -> list[str]:
    n, plain = b.get("annotation"), b.get("without_annotation")
    if not n or not plain or "alone" not in n:
        return []
    alone = n["alone"]
    return [f"  full build, no-op annotator  {plain['seconds']:8.1f} s  (spaCy adds {b['seconds'] - plain['seconds']:.1f} s, "
            f"{b['seconds'] / plain['seconds']:.2f}x; inside the build annotation ran {n['in_build_s']:.1f} s beside "
            f"the encoder)",
            f"  annotation alone: {alone['chars_per_s']:,.0f} chars/s, {alone['seconds']:.1f} s for the archive "
            f"({alone['chunks']:,} chunks, {alone['chars']:,} chars; {alone['cpu_s']:.0f} CPU s, "
            f"{alone['chars_per_cpu_s'] or 0:,.0f} chars per CPU s)",
            f"  annotations stored: {n['bytes'] / 2**20:.1f} MiB ({n['bytes_per_chunk']:,.0f} bytes/chunk; vectors "
            f"and FAISS {n['vectors_bytes'] / 2**20:.1f} MiB); reading {n['read_rows']} chunks' annotations: "
            f"p50 {n['read_p50_ms']:.2f} ms, p95 {n['read_p95_ms']:.2f} ms"]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        kind, rest = argv[1], argv[2:]
        if kind == "encode":
            worker_encode(Path(rest[0]), rest[1])
            return 0
        if kind == "build-without-annotation":
            print(json.dumps(worker_build_without_annotation(Path(rest[0]), Path(rest[1]))))
            return 0
        if kind == "annotate":
            print(json.dumps(worker_annotate(Path(rest[0]))))
            return 0
        print(json.dumps(worker_scale(Path(rest[0]), int(rest[1]), int(rest[2]), int(rest[3]))))
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m eval bench",
        description="Measure the assistant's speed on this machine, the naive path beside ours: encoding "
                    "(sentence-transformers fp32 per article vs the default backend, same chunks), a full index "
                    "build, adding one article, a no-change update, question -> answer p50/p95, and vector search "
                    "over 100,000 and 1,000,000 synthetic chunks. Takes several minutes; prints one table.")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="an archive folder to measure (copied first); default: a synthetic archive")
    parser.add_argument("--articles", type=int, default=2000, help="articles in the synthetic archive (default 2000)")
    parser.add_argument("--sample-articles", type=int, default=300,
                        help="articles whose chunks both encoders embed (default 300)")
    parser.add_argument("--questions", type=int, default=100, help="questions asked for the latency figures")
    parser.add_argument("--scales", default="100000,1000000", help="synthetic chunk counts for the search figures")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic archive and vectors")
    parser.add_argument("--slices", type=int, default=10,
                        help="slices of the sample on which the two encoders take turns, the order alternating "
                             "(default 10); tokens/s are over all slices")
    parser.add_argument("--encoding-only", action="store_true",
                        help="measure the two encoders only, skipping the index, answer and search figures")
    parser.add_argument("--update-only", action="store_true",
                        help=f"measure only a full build, adding one article and a no-change update, with derived "
                             f"vectors and a cheap annotator, and compare answers with a full rebuild's (the default "
                             f"from --articles {UPDATE_ONLY_FROM:,} up; see eval/bench_update.py)")
    parser.add_argument("--article-paragraphs", type=int, default=None, metavar="N",
                        help="with the update figures: cut each synthetic article to its first N paragraphs, so that "
                             "the first build of a big archive takes minutes rather than hours (default: whole)")
    parser.add_argument("--no-rebuild", action="store_true",
                        help="with the update figures: skip the full rebuild and the comparison of answers")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it (default: a temp folder)")
    parser.add_argument("--store", choices=("faiss", "milvus"), default="faiss",
                        help="milvus: measure the two index stores side by side instead (build, add one, no-change "
                             "update, answer p50/p95, and how far their passages and answers agree; see "
                             "eval/bench_stores.py)")
    parser.add_argument("--milvus-uri", default=None, metavar="URI",
                        help="with --store milvus: the Milvus to measure (default: a Milvus Lite file in the work folder)")
    args = parser.parse_args(argv)
    if args.corpus is not None and not args.corpus.is_dir():
        print(f"error: {args.corpus} is not a folder of articles", file=sys.stderr)
        return 2
    scales = [int(x) for x in args.scales.split(",") if x.strip()]
    if not 1 <= args.slices <= args.sample_articles:
        print("error: --slices must be between 1 and --sample-articles", file=sys.stderr)
        return 2
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="qa-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.store == "milvus":
        return _main_stores(args, workdir)
    if args.update_only or (args.corpus is None and args.articles >= UPDATE_ONLY_FROM):
        return _update_only(args, workdir)
    try:
        result = run_bench(corpus=args.corpus, articles=args.articles, sample_articles=args.sample_articles,
                           questions=args.questions, scales=scales, seed=args.seed, workdir=workdir,
                           slices=args.slices, encoding_only=args.encoding_only)
    except (RuntimeError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2) if args.json else format_bench(result))
    return 0


def _main_stores(args: argparse.Namespace, workdir: Path) -> int:
    """`--store milvus`: eval.bench_stores, printed as a table or JSON."""
    from eval.bench_stores import format_store_bench, run_store_bench
    from index import QAError

    try:
        result = run_store_bench(corpus=args.corpus, articles=args.articles, questions=args.questions, seed=args.seed,
                                 workdir=workdir, milvus_uri=args.milvus_uri)
    except (RuntimeError, OSError, QAError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2) if args.json else format_store_bench(result))
    return 0


def _update_only(args: argparse.Namespace, workdir: Path) -> int:
    from eval.bench_update import format_update_bench, run_update_bench

    try:
        if args.corpus is not None:
            shutil.copytree(args.corpus, workdir / "corpus", dirs_exist_ok=True)
        result = run_update_bench(articles=args.articles, workdir=workdir, seed=args.seed,
                                  corpus=workdir / "corpus" if args.corpus is not None else None,
                                  paragraphs=args.article_paragraphs, rebuild=not args.no_rebuild)
    except (RuntimeError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    result = {"date": time.strftime("%Y-%m-%d"), "machine": machine_description(), "seed": args.seed, **result}
    print(json.dumps(result, indent=2) if args.json else f"bench {result['date']} on {result['machine']}\n"
          + format_update_bench(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
