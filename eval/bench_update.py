"""`python -m eval bench --articles 100000`: adding to a big archive, with derived vectors and a cheap annotator.

Owns: the update figures at archive scale, where the real encoder and spaCy cannot run in the time
(100,000 articles are about 570,000 chunks: hours of embedding and annotating on 2 cores). Every
`python -m index` run of this bench (the full build, each add, each no-change update, and the full
rebuild it is compared with) goes through `worker_index`, which swaps in
  * `DerivedEmbedder`: a chunk's vector is its lower-cased words (regex \\w+) hashed (CRC-32) into
    4,096 buckets, counted, and multiplied by a fixed random 4,096 x 384 Gaussian matrix (seed 0),
    then normalised: texts that share words get near vectors, as with a real encoder, at about
    20,000 chunks/s; questions are encoded the same way;
  * `cheap_annotation_lines`: each chunk's sentences (index.chunking.split_sentences) and nothing
    else (no entities, noun chunks, tokens or reports).
Everything else (listing, hashing, chunking with the real tokenizer, BM25 terms, the store) is the
code `python -m index` runs. The figures: full build, add one article (median of 3), no-change
update (median of 3), each a fresh process, and whether the answers to a fixed set of questions
(the planted questions of the first articles) equal those of a full rebuild of the same corpus.
Does not: measure the real encoder or spaCy (see `python -m eval bench` at its default size).
"""
from __future__ import annotations

import json
import random
import re
import resource
import statistics
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
RACY_SECONDS = 2.5  # index.articles.RACY_SECONDS and a margin
BUCKETS = 4096
HOW = ("vectors: lower-cased words hashed (CRC-32) into 4,096 buckets times a fixed Gaussian matrix (seed 0), "
       "normalised; annotations: sentences only (split_sentences)")
_WORD = re.compile(r"\w+")


class DerivedEmbedder:
    """Vectors derived from a text's terms (hashing trick and a fixed random projection); see the module doc."""

    def __init__(self, backend: str | None = None) -> None:
        from index.embedding import default_backend, model_identity

        self.backend = backend or default_backend()
        self.dimension = model_identity(self.backend).dimension
        self.projection = np.random.default_rng(0).standard_normal((BUCKETS, self.dimension), dtype=np.float32)
        self.buckets: dict[str, int] = {}

    @property
    def model(self) -> "DerivedEmbedder":
        return self

    def _bucket(self, term: str) -> int:
        bucket = self.buckets.get(term)
        if bucket is None:
            bucket = self.buckets[term] = zlib.crc32(term.encode("utf-8")) % BUCKETS
        return bucket

    def embed_passages(self, texts: Sequence[str], *, group: int = 256) -> np.ndarray:
        """One text at a time, in a fixed order of additions: a text's vector does not depend on its batch
        (a matrix product over a batch would differ in the last bits, as a real encoder's batches do)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            buckets, counts = np.unique(np.fromiter((self._bucket(w) for w in _WORD.findall(text.lower())),
                                                    dtype=np.int64), return_counts=True)
            if len(buckets):
                vector = (self.projection[buckets] * counts[:, None].astype(np.float32)).sum(axis=0)
                out[row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_passages(list(texts))


def cheap_annotation_lines(texts: Sequence[str], **options) -> list[str]:
    """Each text's annotation line holding its sentences only (see the module doc)."""
    from index.annotate import ChunkAnnotation
    from index.chunking import split_sentences

    return [ChunkAnnotation(tuple(split_sentences(t)), (), (), (), ()).to_json() for t in texts]


def patch_models() -> None:
    """Make `python -m index` in this process use the derived vectors and the cheap annotator."""
    import index.update

    index.update.Embedder = DerivedEmbedder
    index.update.annotate_lines = cheap_annotation_lines


def worker_index(argv: list[str]) -> int:
    """`python -m index ARGV` with the swaps of `patch_models`."""
    patch_models()
    from index.__main__ import main

    return main(argv)


def use_exact_search() -> None:
    """Make every segment load as exact search (a Flat index over its stored vectors) instead of its IVF
    index: what the answers of two versions share when approximate search is taken out."""
    import faiss

    import index.store

    def read_flat(path: Path) -> faiss.Index:
        vectors = np.load(Path(path).with_name("vectors.npy"))
        flat = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return flat

    index.store.read_faiss = read_flat


def worker_answers(index_dir: Path, questions_file: Path, *, exact: bool = False) -> list[dict]:
    """The answer JSON (timings left out) of each question, through the Assistant with derived query vectors."""
    from qa import Assistant

    if exact:
        use_exact_search()

    assistant = Assistant(index_dir, embedder=DerivedEmbedder())
    out = []
    for question in json.loads(questions_file.read_text(encoding="utf-8")):
        answer = assistant.ask(question).to_json()
        answer.pop("timings_ms", None)
        out.append(answer)
    return out


CPU_SECONDS: list[float] = []  # the CPU time (user + system) of each _run_index process, in order


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_index(*args: str) -> tuple[float, str]:
    """Wall seconds and stdout of one `python -m index` process; its CPU seconds go to CPU_SECONDS
    (on a shared machine the wall time includes waiting for a core; the CPU time does not)."""
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "eval.bench_update", "--worker", "index", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    CPU_SECONDS.append(_children_cpu() - cpu)
    if done.returncode != 0:
        raise RuntimeError(f"`python -m index {' '.join(args)}` failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    return seconds, done.stdout.strip()


def _answers(index_dir: Path, questions_file: Path, *, exact: bool = False) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "eval.bench_update", "--worker", "answers", str(index_dir),
                           str(questions_file), *(["exact"] if exact else [])], cwd=REPO_ROOT, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"answering failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout)


def _log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def write_short_archive(folder: Path, articles: int, *, seed: int, paragraphs: int) -> list:
    """eval.synthetic.write_archive, each article cut to its first `paragraphs` paragraphs (the lead
    fact, which its question asks about, is in the first)."""
    from eval.synthetic import write_archive

    planted = write_archive(folder, articles, seed=seed)
    for path in folder.glob("*.md"):
        front, _, body = path.read_text(encoding="utf-8").partition("\n---\n\n")
        path.write_text(front + "\n---\n\n" + "\n\n".join(body.split("\n\n")[:paragraphs]).rstrip("\n") + "\n",
                        encoding="utf-8")
    return planted


def run_update_bench(*, articles: int, workdir: Path, seed: int = 0, questions: int = 20, adds: int = 3,
                     corpus: Path | None = None, paragraphs: int | None = None, rebuild: bool = True) -> dict:
    """Build an archive's index, add one article `adds` times and update with no change after each,
    then compare the answers with a full rebuild's. Returns the figures (see format_update_bench).

    paragraphs: cut each synthetic article to this many paragraphs (a full build of 100,000 whole
    articles takes over an hour of one core here; the added articles are whole).
    """
    from eval.bench import _new_article
    from eval.synthetic import write_archive

    if corpus is None:
        corpus = workdir / "corpus"
        how = f", each cut to its first {paragraphs} paragraph(s)" if paragraphs else ""
        _log(f"writing a synthetic archive of {articles:,} articles (seed {seed}){how}")
        planted = (write_short_archive(corpus, articles, seed=seed, paragraphs=paragraphs) if paragraphs
                   else write_archive(corpus, articles, seed=seed))
        asked = [q.question for q in random.Random(seed).sample(planted, min(questions, len(planted)))]
        time.sleep(RACY_SECONDS)  # files younger than this at the build are left out of its listing (re-read later)
    else:
        asked = [f"What happened in {p}?" for p in ("Kandahar", "Mosul", "Aleppo", "Herat")][:questions]
    index_dir = workdir / "index"
    _log("full build (derived vectors, cheap annotator)")
    build_s, build_line = _run_index("--corpus", str(corpus), "--index-dir", str(index_dir), "--full", "--quiet")
    add_s, nochange_s, add_cpu, nochange_cpu, lines = [], [], [], [], []
    for n in range(adds):
        _new_article(corpus, n, seed)
        seconds, line = _run_index("--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet")
        add_s.append(seconds)
        add_cpu.append(CPU_SECONDS[-1])
        lines.append(line)
        seconds, _ = _run_index("--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet")
        nochange_s.append(seconds)
        nochange_cpu.append(CPU_SECONDS[-1])
        _log(f"add {n + 1}: {add_s[-1]:.2f} s ({add_cpu[-1]:.2f} CPU s), no-change update {nochange_s[-1]:.2f} s "
             f"({nochange_cpu[-1]:.2f} CPU s)")
    manifest = _manifest(index_dir)
    result = {"articles": manifest["article_count"], "chunks": manifest["chunk_count"],
              "segments": len(manifest.get("segments", [None])), "build_s": build_s, "build_summary": build_line,
              "paragraphs_per_article": paragraphs, "how": HOW,
              "add_one_article_s": {"median": statistics.median(add_s), "runs": add_s, "summary": lines[-1],
                                    "cpu_median": statistics.median(add_cpu), "cpu_runs": add_cpu},
              "no_change_update_s": {"median": statistics.median(nochange_s), "runs": nochange_s,
                                     "cpu_median": statistics.median(nochange_cpu), "cpu_runs": nochange_cpu}}
    (workdir / "update-figures.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    if not rebuild:
        return {**result, "rebuild_s": None, "questions": 0}
    rebuilt = workdir / "index-rebuilt"
    _log("full rebuild of the same corpus in a fresh folder, to compare answers")
    rebuild_s, _ = _run_index("--corpus", str(corpus), "--index-dir", str(rebuilt), "--full", "--quiet")
    questions_file = workdir / "questions.json"
    questions_file.write_text(json.dumps(asked), encoding="utf-8")
    return {**result, "rebuild_s": rebuild_s, **compare_answers(index_dir, rebuilt, questions_file)}


def compare_answers(index_dir: Path, rebuilt: Path, questions_file: Path) -> dict:
    """How many answers (the whole answer JSON but timings) two indexes give alike: as built (a
    float16 scan up to 1,000,000 chunks a segment; beyond, IVF segments probe nprobe lists, so two
    differently trained indexes can find different candidates), and with exact search in both
    (what segments themselves change)."""
    got, want = _answers(index_dir, questions_file), _answers(rebuilt, questions_file)
    differ = [a["question"] for a, b in zip(got, want) if a != b]
    got, want = _answers(index_dir, questions_file, exact=True), _answers(rebuilt, questions_file, exact=True)
    differ_exact = [a["question"] for a, b in zip(got, want) if a != b]
    return {"questions": len(got), "answers_identical": len(got) - len(differ), "answers_differing": differ,
            "answers_identical_exact": len(got) - len(differ_exact), "answers_differing_exact": differ_exact}


def _manifest(index_dir: Path) -> dict:
    name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    return json.loads((index_dir / name / "manifest.json").read_text(encoding="utf-8"))


def format_update_bench(r: dict) -> str:
    """The figures as a few lines a person reads."""
    a, c = r["add_one_article_s"], r["no_change_update_s"]
    runs = lambda xs: ", ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    cut = (f" (archive articles cut to {r['paragraphs_per_article']} paragraph(s); the added ones whole)"
           if r.get("paragraphs_per_article") else "")
    compared = (f"  answers equal to the full rebuild's: {r['answers_identical']} of {r['questions']} questions as "
                f"built, {r['answers_identical_exact']} of {r['questions']} with exact search in both"
                if r["rebuild_s"] is not None else "  no full rebuild to compare answers with (--no-rebuild)")
    return "\n".join([
        f"update at scale: {r['articles']:,} articles, {r['chunks']:,} chunks{cut}, {r['segments']} segment(s) live",
        f"  how: {r['how']}",
        f"  full build                 {r['build_s']:8.1f} s wall",
        f"  add one article            {a['median']:8.2f} s wall  (median of {len(a['runs'])}: {runs(a['runs'])}); "
        f"CPU {a['cpu_median']:.2f} s ({runs(a['cpu_runs'])})",
        f"  no-change update           {c['median']:8.2f} s wall  (median of {len(c['runs'])}: {runs(c['runs'])}); "
        f"CPU {c['cpu_median']:.2f} s ({runs(c['cpu_runs'])})",
        *([f"  full rebuild, same corpus  {r['rebuild_s']:8.1f} s wall"] if r["rebuild_s"] is not None else []),
        compared,
        f"  last add: {a['summary']}"])


def main(argv: list[str]) -> int:
    if argv[:2] == ["--worker", "index"]:
        return worker_index(argv[2:])
    if argv[:2] == ["--worker", "answers"]:
        print(json.dumps(worker_answers(Path(argv[2]), Path(argv[3]), exact=argv[4:5] == ["exact"])))
        return 0
    if argv[:2] == ["--worker", "compare"]:
        print(json.dumps(compare_answers(Path(argv[2]), Path(argv[3]), Path(argv[4])), indent=1))
        return 0
    print("usage: python -m eval bench --articles N (this module is its worker)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
