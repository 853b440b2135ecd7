"""`python -m eval chaos`: kill `python -m index` at random moments and check that nothing is lost.

Owns: a scratch copy of a corpus with synthetic articles added (deterministic from the seed),
random corpus changes (add, edit, retitle, rename, delete), starting `python -m index` as a
subprocess and SIGKILLing it at a random moment, while it writes the new version, or not at all,
and the report. After each kill it checks (see `eval.chaos_checks`):
    (a) the index loads and answers a question with verbatim citations;
    (b) no chunk lost or duplicated, and the index holds the corpus before or after, never a mix;
    (c) the next uninterrupted update converges to what a full build in a fresh folder gives,
        and the update after that changes nothing;
    (d) that update leaves nothing behind in the index folder that a fresh build would not.
The full build for (c) runs in this process with `update_index(full=True)` (the code of
`python -m index --full`), so the model is loaded once rather than once per trial.
Does not: test durability against power loss (a killed process leaves the page cache intact,
so an fsync missing would go unnoticed), or judge answer quality.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Sequence

from eval.chaos_checks import (answer_problems, chunk_problems, difference_problems, leftover_problems,
                               state_problems, stray_entries)
from eval.metrics import percentile
from index import Embedder, QAError, load_corpus, load_index, load_token_counter, update_index
from index.articles import ARTICLE_SUFFIXES, hash_content
from index.store import current_version_path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT / "corpus"
KILL_MODES = {"anytime": "killed at a random moment", "writing": "killed while writing its version",
              "switching": "killed right after switching CURRENT", "compacting": "killed while compacting segments",
              "finish": "left to finish"}
KILL_WEIGHTS = (0.3, 0.2, 0.15, 0.15, 0.2)
WRITING_WINDOW_S = 0.05  # writing a version of ~100 chunks and switching to it takes 30-40 ms on 2 cores
COMPACTING_WINDOW_S = 0.05  # merging a few small segments takes about as long as writing one
MAX_SEGMENTS = 3  # QA_MAX_SEGMENTS for the updates under test: a compaction every second update or so
SWITCH_WINDOW_S = 0.01  # what follows the switch (clearing caches, removing the old version) takes a few ms
POLL_S = 0.002
QUESTIONS = ("How much will the new bridge cost?", "Who denied that the contract was awarded without a tender?",
             "When does construction start?", "Who denied al-Qaeda's presence?", "How many fighters are there?")


class Failure(NamedTuple):
    """One check that failed in one trial, and how that trial's update had ended."""

    trial: int
    check: str
    detail: str
    update: str


@dataclass(frozen=True)
class UpdateRun:
    """One `python -m index` run: how it was meant to end, how long it ran, and how it ended."""

    mode: str
    seconds: float
    killed: bool
    returncode: int
    log: str
    switched: bool  # a new version went live during the run
    appeared: frozenset[str] = frozenset()  # names that appeared in the index folder while it ran

    @property
    def segments_begun(self) -> int:
        """Segment folders it started writing: the first is the new articles', a second one a compaction's."""
        return sum(name.startswith(".tmp-s-") for name in self.appeared)

    def describe(self) -> str:
        if self.killed:
            inside = ", inside a compaction" if self.segments_begun >= 2 and not self.switched else ""
            return f"{KILL_MODES[self.mode]}, {self.seconds:.2f} s in{inside}"
        return f"finished in {self.seconds:.2f} s (exit {self.returncode})"


@dataclass
class ChaosReport:
    """What a chaos run did and found; `failures` empty means every check held in every trial."""

    seed: int
    corpus: str
    trials: int = 0
    articles: list[int] = field(default_factory=list)  # at the start, at the end
    outcomes: Counter = field(default_factory=Counter)
    leftovers_after_kill: int = 0
    killed_in_segment: int = 0  # killed after it began a new segment, before its version went live
    killed_in_compaction: int = 0  # killed after it began merging segments, before its version went live
    compactions: int = 0  # updates that began a compaction
    failures: list[Failure] = field(default_factory=list)
    recovery_seconds: list[float] = field(default_factory=list)
    total_seconds: float = 0.0
    aborted: str | None = None
    rows: list[dict] = field(default_factory=list)  # one per trial: changes, how its update ended, leftovers

    def slowest_recovery(self) -> tuple[float, int]:
        """(seconds, trial number) of the slowest recovering update."""
        seconds = max(self.recovery_seconds, default=float("nan"))
        return seconds, (self.recovery_seconds.index(seconds) + 1 if self.recovery_seconds else 0)

    def to_json(self) -> dict:
        slowest, trial = self.slowest_recovery()
        updates = {KILL_MODES[m]: self.outcomes[m] for m in KILL_MODES}
        updates["finished before the kill"] = self.outcomes["early"]
        return {"trials": self.trials, "seed": self.seed, "corpus": self.corpus,
                "articles": dict(zip(("start", "end"), self.articles)), "updates": updates,
                "leftovers_after_kill": self.leftovers_after_kill,
                "compactions_begun": self.compactions, "killed_inside_segment_writing": self.killed_in_segment,
                "killed_inside_compaction": self.killed_in_compaction,
                "failures": [f._asdict() for f in self.failures],
                "recovery_seconds": {"median": round(percentile(self.recovery_seconds, 50), 2),
                                     "slowest": round(slowest, 2), "slowest_trial": trial},
                "total_seconds": round(self.total_seconds, 1), "aborted": self.aborted, "trial_log": self.rows}

    def table(self) -> str:
        slowest, trial = self.slowest_recovery()
        kills = ", ".join(f"{self.outcomes[m]} {KILL_MODES[m]}" for m in KILL_MODES)
        lines = [f"chaos: {self.trials} trials, seed {self.seed}, corpus {self.corpus} "
                 f"({' -> '.join(map(str, self.articles))} articles)",
                 f"  updates: {kills}, {self.outcomes['early']} finished before their kill",
                 f"  leftovers after a kill: {self.leftovers_after_kill} trials (the next update must remove them)",
                 f"  segments: {self.compactions} updates began a compaction; killed inside writing a segment "
                 f"{self.killed_in_segment}, inside a compaction {self.killed_in_compaction}",
                 f"  failures: {len(self.failures)}"]
        lines += [f"    trial {f.trial} [{f.check}] ({f.update}): {f.detail}" for f in self.failures]
        lines += [f"  recovery (the next uninterrupted update): median {percentile(self.recovery_seconds, 50):.1f} s, "
                  f"slowest {slowest:.1f} s (trial {trial})",
                  f"  total time: {self.total_seconds / 60:.1f} min"]
        if self.aborted:
            lines.append(f"  ABORTED: {self.aborted}")
        return "\n".join(lines)


# --- the scratch corpus and its changes -------------------------------------------------------------------

_PLACES = ("Harbourton", "Lindenfeld", "Port Ansel", "Marrow Bay", "Kestrel Hill", "Oskarby", "Tamsin Falls")
_THINGS = ("bridge", "tram line", "flood wall", "library", "clinic", "ferry terminal", "solar farm", "market hall")
_PEOPLE = ("Mara Lind", "Tomas Okafor", "Ines Varga", "Jonah Reyes", "Leila Haddad", "Piet Mulder")
_OUTLETS = ("Coastal Herald", "Valley Courier", "Northern Ledger", "City Wire")
_MONTHS = ("January", "March", "May", "July", "September", "November")
_SENTENCES = (
    "The council of {place} approved the new {thing} on Tuesday.",
    "{person}, who chairs the works committee, said the {thing} would cost {n} million euros.",
    "Construction is due to start in {month} and to take {n} months.",
    "Residents of {place} had asked for a {thing} for {n} years.",
    "Critics said the money would be better spent on schools and on the old harbour.",
    "{person} denied that the contract had been awarded without a tender.",
    "About {big} people are expected to use the {thing} every week, officials said.",
    "The regional government will pay {n} percent of the cost, according to {person}.",
    "A first vote on the plan failed in {month} by {n} votes.",
    "Engineers from the University of {place} will inspect the site before work begins.",
)


def synthetic_sentence(rng: random.Random, place: str, thing: str) -> str:
    """One news-like sentence about `thing` in `place`, with random figures."""
    return rng.choice(_SENTENCES).format(place=place, thing=thing, person=rng.choice(_PEOPLE),
                                         month=rng.choice(_MONTHS), n=rng.randint(2, 90), big=rng.randint(2, 60) * 500)


def synthetic_article(rng: random.Random) -> str:
    """A whole article file: front matter and 3-14 sentences in paragraphs (some span several chunks)."""
    place, thing = rng.choice(_PLACES), rng.choice(_THINGS)
    sentences = [synthetic_sentence(rng, place, thing) for _ in range(rng.randint(3, 14))]
    paragraphs, start = [], 0
    while start < len(sentences):
        size = rng.randint(1, 4)
        paragraphs.append(" ".join(sentences[start:start + size]))
        start += size
    front = (f'---\ntitle: "A new {thing} for {place}"\nsource: {rng.choice(_OUTLETS)}\n'
             f"published: 2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}\n---\n")
    return front + "\n\n".join(paragraphs) + "\n"


class Scratch:
    """The scratch corpus and index folders of one run, and every version an article file had."""

    def __init__(self, root: Path, source: Path, *, extra_articles: int, rng: random.Random) -> None:
        self.root, self.corpus, self.index_dir = root, root / "corpus", root / "index"
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        shutil.copytree(source, self.corpus, ignore=shutil.ignore_patterns(".*"))
        self.written: dict[str, bytes] = {}
        for path in self.article_files():
            self.remember(path.read_bytes())
        self.serial = 0
        for _ in range(extra_articles):
            self.add(rng)

    def article_files(self) -> list[Path]:
        return sorted(p for p in self.corpus.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)

    def remember(self, raw: bytes) -> None:
        self.written[hash_content(raw)] = raw

    def write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.remember(text.encode("utf-8"))

    def new_path(self, rng: random.Random) -> Path:
        self.serial += 1
        folder = self.corpus / "chaos" if rng.random() < 0.7 else self.corpus
        return folder / f"syn_{self.serial:03d}{rng.choice(('.md', '.md', '.txt'))}"

    def add(self, rng: random.Random) -> str:
        path = self.new_path(rng)
        self.write(path, synthetic_article(rng))
        return f"added {path.relative_to(self.corpus)}"

    def change(self, rng: random.Random) -> list[str]:
        """1-3 random changes to the corpus; returns what was done, in words."""
        done = []
        for _ in range(rng.randint(1, 3)):
            files = self.article_files()
            kind = rng.choices(("add", "edit", "delete", "rename"), weights=(3, 4, 2, 1))[0]
            if kind == "add" or len(files) <= 3:
                done.append(self.add(rng))
            elif kind == "edit":
                done.append(self.edit(rng.choice(files), rng))
            elif kind == "delete":
                victim = rng.choice(files)
                victim.unlink()
                done.append(f"deleted {victim.relative_to(self.corpus)}")
            else:
                old, new = rng.choice(files), self.new_path(rng)
                new.parent.mkdir(parents=True, exist_ok=True)
                old.rename(new)
                done.append(f"renamed {old.relative_to(self.corpus)} to {new.relative_to(self.corpus)}")
        return done

    def edit(self, path: Path, rng: random.Random) -> str:
        """Append, prepend or replace a sentence, or change the title (front matter)."""
        text = path.read_text(encoding="utf-8", errors="replace")
        match = re.match(r"(---\n.*?\n---\n)(.*)", text, flags=re.DOTALL)
        front, body = (match.group(1), match.group(2)) if match else ("", text)
        sentence = synthetic_sentence(rng, rng.choice(_PLACES), rng.choice(_THINGS))
        kind = rng.choice(("append", "prepend", "replace", "retitle"))
        if kind == "append":
            body = body.rstrip("\n") + "\n\n" + sentence + "\n"
        elif kind == "prepend":
            body = sentence + "\n\n" + body
        elif kind == "replace":
            lines = body.split("\n")
            full = [i for i, line in enumerate(lines) if line.strip()]
            lines[rng.choice(full)] = sentence
            body = "\n".join(lines)
        elif front and re.search(r"^title:.*$", front, flags=re.MULTILINE):
            front = re.sub(r"^title:.*$", f'title: "Edited {self.serial} {rng.random():.6f}"', front, count=1,
                           flags=re.MULTILINE)
        else:
            front = f'---\ntitle: "Edited {rng.random():.6f}"\n---\n'
        self.write(path, front + body)
        return f"edited {path.relative_to(self.corpus)} ({kind})"

    def state(self) -> dict[str, str]:
        """{doc id: content hash} of the articles in the corpus now, as an update would index them."""
        return {a.doc_id: a.content_hash for a in load_corpus(self.corpus).articles}


# --- running and killing updates ----------------------------------------------------------------------------

def run_update(corpus: Path, index_dir: Path, log_path: Path, *, mode: str = "finish", rng: random.Random | None = None,
               typical_s: float = 0.0, recurring: frozenset[str] = frozenset()) -> UpdateRun:
    """Run `python -m index` as a subprocess, watch its index folder, and end it as `mode` says.

    Args:
        mode: "finish" (wait); "anytime" (SIGKILL after a random delay up to 1.2 x `typical_s`);
            "writing" (within WRITING_WINDOW_S of a new entry appearing in `index_dir` whose name is
            not in `recurring`: the new segment or version); "switching" (within SWITCH_WINDOW_S of
            CURRENT changing); "compacting" (within COMPACTING_WINDOW_S of a second segment folder
            appearing: the merged one).
        rng: draws the delays (one draw per call, whatever happens).
        typical_s: how long an update with something to do usually takes here.
        recurring: names that appear in the index folder during every update (a cache, say), not versions.
    """
    command = [sys.executable, "-m", "index", "--corpus", str(corpus), "--index-dir", str(index_dir), "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
           "QA_MAX_SEGMENTS": str(MAX_SEGMENTS)}
    live = _current_name(index_dir)
    fraction = rng.random() if rng else 0.0
    with log_path.open("w", encoding="utf-8") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            appeared = _supervise(process, index_dir, mode=mode, fraction=fraction, typical_s=typical_s,
                                  recurring=recurring, live=live)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait()
        seconds = time.perf_counter() - started
    return UpdateRun(mode, seconds, process.returncode == -signal.SIGKILL, process.returncode,
                     log_path.read_text(encoding="utf-8", errors="replace")[-600:], _current_name(index_dir) != live,
                     frozenset(appeared))


def _supervise(process: subprocess.Popen, index_dir: Path, *, mode: str, fraction: float, typical_s: float,
               recurring: frozenset[str], live: str | None) -> set[str]:
    """Poll the index folder until the process ends or it is time to kill it; the new names seen."""
    before, appeared = _names(index_dir), set()
    deadline = time.monotonic() + fraction * 1.2 * typical_s if mode == "anytime" else None
    limit = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < limit:
        appeared |= _names(index_dir) - before
        if deadline is None and mode == "writing" and appeared - recurring:
            deadline = time.monotonic() + fraction * WRITING_WINDOW_S
        elif deadline is None and mode == "switching" and _current_name(index_dir) != live:
            deadline = time.monotonic() + fraction * SWITCH_WINDOW_S
        elif deadline is None and mode == "compacting" and sum(n.startswith(".tmp-s-") for n in appeared) >= 2:
            deadline = time.monotonic() + fraction * COMPACTING_WINDOW_S
        if deadline is not None and time.monotonic() >= deadline:
            break
        time.sleep(POLL_S)
    return appeared


def _names(index_dir: Path) -> set[str]:
    try:
        return set(os.listdir(index_dir))
    except OSError:
        return set()


def _current_name(index_dir: Path) -> str | None:
    try:
        return (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except OSError:
        return None


# --- one trial -------------------------------------------------------------------------------------------------

@dataclass
class ChaosRun:
    scratch: Scratch
    report: ChaosReport
    embedder: Embedder
    rng: random.Random
    kill_rng: random.Random
    state: dict[str, str]
    work_seconds: list[float]  # uninterrupted updates that switched to a new version: how long they took
    appearances: Counter = field(default_factory=Counter)  # name -> in how many updates it appeared

    def recurring(self) -> frozenset[str]:
        """Names that appeared during more than one update: not versions, whose names are unique."""
        return frozenset(name for name, n in self.appearances.items() if n > 1)

    def typical_s(self) -> float:
        """How long an update with something to do takes here (the median so far)."""
        return percentile(self.work_seconds, 50)

    def timed(self, update: UpdateRun) -> UpdateRun:
        self.appearances.update(update.appeared)
        if update.switched and not update.killed and update.returncode == 0:
            self.work_seconds.append(update.seconds)
        return update

    def fail(self, trial: int, check: str, details: Sequence[str], update: str) -> None:
        self.report.failures += [Failure(trial, check, detail, update) for detail in details]


def run_trial(run: ChaosRun, trial: int, mode: str) -> None:
    """Change the corpus, run an update ended as `mode` says, and check the index (a)-(d)."""
    scratch = run.scratch
    changes = scratch.change(run.rng)
    target = scratch.state()
    update = run.timed(run_update(scratch.corpus, scratch.index_dir, scratch.logs / f"{trial:03d}-update.log",
                                  mode=mode, rng=run.kill_rng, typical_s=run.typical_s(),
                                  recurring=run.recurring()))
    how = update.describe() + "; " + "; ".join(changes)
    run.report.outcomes[mode if update.killed else ("finish" if mode == "finish" else "early")] += 1
    run.report.compactions += update.segments_begun >= 2
    if update.killed and not update.switched:
        run.report.killed_in_segment += update.segments_begun >= 1
        run.report.killed_in_compaction += update.segments_begun >= 2
    if not update.killed and update.returncode != 0:
        run.fail(trial, "update", [f"python -m index exited {update.returncode}: {update.log}"], how)
    check_after_kill(run, trial, how, target)
    leftovers = stray_entries(scratch.index_dir)
    run.report.leftovers_after_kill += bool(update.killed and leftovers)
    run.report.rows.append({"trial": trial, "changes": changes, "update": update.describe(),
                            "new version live after it": update.switched, "left behind": leftovers})
    check_recovery(run, trial, how)


def check_after_kill(run: ChaosRun, trial: int, how: str, target: dict[str, str]) -> None:
    """(a) loads and answers; (b) no chunk lost or duplicated, the old state or the new one."""
    try:
        version = load_index(run.scratch.index_dir)
    except QAError as e:
        run.fail(trial, "loads", [str(e)], how)
        return
    run.fail(trial, "answers", answer_problems(run.scratch.index_dir, QUESTIONS[trial % len(QUESTIONS)],
                                               embedder=run.embedder), how)
    run.fail(trial, "chunks", chunk_problems(version.articles, version.chunks, version.manifest,
                                             written=run.scratch.written, token_spans=load_token_counter()), how)
    run.fail(trial, "atomic", state_problems(version.articles, before=run.state, after=target), how)


def check_recovery(run: ChaosRun, trial: int, how: str) -> None:
    """(c) the next update converges to a full build and the one after changes nothing; (d) no leftovers."""
    scratch, failures_before = run.scratch, len(run.report.failures)
    recovery = run.timed(run_update(scratch.corpus, scratch.index_dir, scratch.logs / f"{trial:03d}-recovery.log"))
    run.report.recovery_seconds.append(recovery.seconds)
    run.report.rows[-1]["recovery"] = recovery.describe()
    if recovery.returncode != 0:
        run.fail(trial, "recovers", [f"the next update exited {recovery.returncode}: {recovery.log}"], how)
        return
    reference = scratch.root / f"reference-{trial:03d}"
    try:
        update_index(scratch.corpus, reference, full=True, embedder=run.embedder, progress=False)
        run.fail(trial, "converges", difference_problems(load_index(scratch.index_dir), load_index(reference)), how)
        run.fail(trial, "leftovers", leftover_problems(scratch.index_dir, reference), how)
        live = current_version_path(scratch.index_dir)
        again = run_update(scratch.corpus, scratch.index_dir, scratch.logs / f"{trial:03d}-again.log")
        if again.returncode != 0 or current_version_path(scratch.index_dir) != live:
            run.fail(trial, "converges", [f"the update after the recovery was not a no-op: {again.log}"], how)
    finally:
        shutil.rmtree(reference, ignore_errors=True)
    if len(run.report.failures) == failures_before:
        run.state = {d: a.content_hash for d, a in load_index(scratch.index_dir).articles.items()}


def repair(run: ChaosRun) -> None:
    """After a failed trial, rebuild so the next one starts from a whole index.

    Raises:
        QAError: the rebuild itself failed (the run stops).
    """
    update_index(run.scratch.corpus, run.scratch.index_dir, full=True, embedder=run.embedder, progress=False)
    run.state = {d: a.content_hash for d, a in load_index(run.scratch.index_dir).articles.items()}


# --- the whole run ---------------------------------------------------------------------------------------------

def run_chaos(corpus_dir: Path | None = None, *, trials: int = 50, seed: int = 0, extra_articles: int = 12,
              modes: Sequence[str] | None = None, embedder: Embedder | None = None, progress: bool = True,
              keep: Path | None = None) -> ChaosReport:
    """Build an index of a scratch copy of `corpus_dir`, then `trials` times change, kill and check.

    Args:
        corpus_dir: the corpus to copy (default: the repository's corpus/); it is never touched.
        trials: how many change-kill-check rounds.
        seed: decides the synthetic articles, the changes and the kill delays.
        extra_articles: synthetic articles added to the copy before the first build.
        modes: how each trial's update ends, cycled (KILL_MODES: "anytime", "writing", "switching",
            "compacting", "finish"); default random with KILL_WEIGHTS. Updates run with QA_MAX_SEGMENTS
            MAX_SEGMENTS, so that compactions come often.
        embedder: the model for questions and full builds (default: loaded here).
        progress: a progress bar on stderr.
        keep: write the scratch folders here and keep them (default: a temporary folder, removed).

    Raises:
        QAError: the corpus is missing or unusable, or the first build failed.
    """
    corpus_dir = Path(corpus_dir or DEFAULT_CORPUS)
    if not corpus_dir.is_dir():
        raise QAError(f"corpus folder {corpus_dir} not found; pass --corpus DIR")
    unknown = sorted(set(modes or ()) - set(KILL_MODES))
    if unknown:
        raise QAError(f"unknown kill mode(s) {unknown}; choose from {list(KILL_MODES)}")
    started = time.perf_counter()
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="qa-chaos-"))
    try:
        run = _start(root, corpus_dir, seed=seed, extra_articles=extra_articles, embedder=embedder)
        _trials(run, trials, modes, progress)
        run.report.articles.append(len(load_index(run.scratch.index_dir).articles))
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    run.report.total_seconds = time.perf_counter() - started
    return run.report


def _start(root: Path, corpus_dir: Path, *, seed: int, extra_articles: int, embedder: Embedder | None) -> ChaosRun:
    rng = random.Random(seed)
    scratch = Scratch(root, corpus_dir, extra_articles=extra_articles, rng=rng)
    first = run_update(scratch.corpus, scratch.index_dir, scratch.logs / "000-build.log")
    if first.returncode != 0:
        raise QAError(f"the first build of the scratch corpus failed (exit {first.returncode}): {first.log}")
    report = ChaosReport(seed=seed, corpus=str(corpus_dir))
    state = {d: a.content_hash for d, a in load_index(scratch.index_dir).articles.items()}
    report.articles.append(len(state))
    run = ChaosRun(scratch, report, embedder or Embedder(), rng, random.Random(seed + 1), state, [])
    run.timed(first)
    return run


def _trials(run: ChaosRun, trials: int, modes: Sequence[str] | None, progress: bool) -> None:
    from tqdm import tqdm

    with tqdm(range(1, trials + 1), desc="chaos", unit="trial", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        for trial in bar:
            mode = modes[(trial - 1) % len(modes)] if modes else run.kill_rng.choices(list(KILL_MODES),
                                                                                       weights=KILL_WEIGHTS)[0]
            failures_before = len(run.report.failures)
            try:
                run_trial(run, trial, mode)
            except (QAError, OSError, ValueError, RuntimeError) as e:
                run.fail(trial, "crash", [f"{type(e).__name__}: {e}"], mode)
            run.report.trials = trial
            bar.set_postfix(failures=len(run.report.failures), recovery=f"{run.report.recovery_seconds[-1]:.1f}s"
                            if run.report.recovery_seconds else "-")
            if len(run.report.failures) > failures_before:
                try:
                    repair(run)
                except QAError as e:
                    run.report.aborted = f"trial {trial}: the index could not be rebuilt after a failure: {e}"
                    return


# --- command line ----------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m eval chaos",
        description="Crash-safety test of the index. Copies a corpus (plus synthetic articles, from the seed) into a "
                    "temporary folder and builds its index with `python -m index`. Then, each trial: changes the "
                    "corpus at random (add, edit, retitle, rename, delete articles), starts `python -m index` and "
                    "SIGKILLs it at a random moment (or while it writes the new segment and version, or while it "
                    "compacts segments (QA_MAX_SEGMENTS=3, so every second update or so merges), or right after it "
                    "switches to the new version, or lets it finish), and "
                    "checks (a) the index loads and answers a question with verbatim citations; (b) no chunk is "
                    "lost or duplicated: chunk ids are unique and each article's chunks are exactly what chunking "
                    "the text it recorded gives, and the index holds the corpus as it was before the update or "
                    "after it, never a mix; (c) the next, uninterrupted update converges to what a full build in a "
                    "fresh folder gives (articles, chunk ids, chunk texts, terms, vectors) and the update after that "
                    "changes nothing; (d) that update removes whatever the killed one left behind.",
        epilog="Prints the trials, each failure (trial, check, how the update ended, what was wrong), and the median "
               "and slowest recovery (the time of the next uninterrupted update). Exit status 0 when every check "
               "held, 1 when any failed, 2 when the run could not start. Each trial takes a few update times "
               "(about 20-30 s on 2 cores with the model loaded per update); the repository's index is never touched.",
    )
    parser.add_argument("--trials", type=int, default=50, help="change-kill-check rounds (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="decides the articles, changes and kill delays (default 0)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="corpus to copy (default: corpus/)")
    parser.add_argument("--extra-articles", type=int, default=12,
                        help="synthetic articles added to the copy before the first build (default 12)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="work in DIR (must not exist) and keep it: corpus, index and one log per update")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.trials < 1 or args.extra_articles < 0:
        print("error: --trials must be at least 1 and --extra-articles 0 or more", file=sys.stderr)
        return 2
    if args.keep and args.keep.exists():
        print(f"error: --keep {args.keep} already exists; name a new folder", file=sys.stderr)
        return 2
    try:
        report = run_chaos(args.corpus, trials=args.trials, seed=args.seed, extra_articles=args.extra_articles,
                           progress=not args.quiet, keep=args.keep)
    except QAError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_json(), indent=2) if args.json else report.table())
    return 1 if report.failures or report.aborted else 0
