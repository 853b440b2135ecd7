#!/usr/bin/env python3
"""Mechanical checks for every gold set in eval/gold/*.jsonl (standard library only).

Usage:
    python eval/gold/check_gold_sets.py [LEE_BACKGROUND_COR] [--strict] [--bench PATH]

LEE_BACKGROUND_COR defaults to gensim/test/test_data/lee_background.cor of an
installed gensim (found with importlib, gensim is not imported). Seed articles
are read from corpus/*.md (document id = file name without .md, text = body
after the YAML front matter). A line whose gold_docs start with "lee/" is
checked against the Lee corpus, any other against the seeds.

Checked for every line: fields and their types, unique ids (one id prefix per
file), type values, answerable vs type, the split rule (within each type,
alternating by id order starting with tune), answers (first spelling present
whole-word, case-insensitively, in every gold doc; no spelling in the
question), unanswerable lines have no answers or gold docs, the question ends
with "?", has a wh-word and does not open like a yes/no question, followups
carry a history; optional fields: "absent" (unanswerable_offtopic: each term
is in the question and in no article of either corpus), "entity"
(unanswerable_nearmiss: each term is in the question and in at least one
article; prints the articles holding all of them), "distractors"
(two_figures: one gold sentence holds the answer and every distractor).
Against the Lee bench set (../shared/bench/lee/gold.jsonl, if present) it
flags repeated questions and repeated (answer, gold doc) facts.

eval/gold/dev.jsonl was written before this checker; only its type and split
fields were added afterwards, so problems in its older fields are reported as
warnings (errors with --strict). Exit status 0 when no error is found.
"""
import glob
import importlib.util
import json
import os
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TYPES = {"factoid", "attribution", "two_figures", "disambiguation",
         "unanswerable_nearmiss", "unanswerable_offtopic", "followup"}
UNANSWERABLE = {"unanswerable_nearmiss", "unanswerable_offtopic"}
REQUIRED = {"id": str, "question": str, "answers": list, "gold_docs": list,
            "answerable": bool, "type": str, "split": str}
OPTIONAL = {"history": list, "note": str, "absent": list, "entity": list,
            "distractors": list}
# Files whose older fields predate this checker (only type/split were added).
LEGACY = {"dev.jsonl"}
ID_PREFIX = {"dev.jsonl": "q", "seeds.jsonl": "s", "lee-own.jsonl": "m"}
WH = re.compile(r"\b(how many|how much|how old|how long|how far|how|whom|whose|who|"
                r"which|what|when|where|why)\b", re.I)
YES_NO_STARTS = {"is", "are", "was", "were", "do", "does", "did", "has", "have",
                 "had", "can", "could", "will", "would", "should", "may",
                 "might", "must", "shall"}


def whole_word(s):
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(s) + r"(?![A-Za-z0-9])", re.I)


def has(text, s):
    return whole_word(s).search(text) is not None


def count(text, s):
    return len(whole_word(s).findall(text))


def sentences(text):
    out = []
    for para in re.split(r"\n+", text):
        out += [s for s in re.split(r"(?<=[.!?])[\"'\u201d]?\s+", para) if s.strip()]
    return out


def find_lee():
    spec = importlib.util.find_spec("gensim")
    cands = []
    if spec and spec.submodule_search_locations:
        cands += [os.path.join(p, "test", "test_data", "lee_background.cor")
                  for p in spec.submodule_search_locations]
    cands += glob.glob(str(ROOT.parent / "main" / ".venv" / "lib" / "python3*" /
                           "site-packages" / "gensim" / "test" / "test_data" /
                           "lee_background.cor"))
    for c in cands:
        if os.path.exists(c):
            return c
    return None


def load_lee(path):
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    return {"lee/%03d" % i: t for i, t in enumerate(lines, 1)}


def load_seeds():
    docs = {}
    for f in sorted((ROOT / "corpus").glob("*.md")):
        text = f.read_text(encoding="utf-8")
        m = re.match(r"\A---\n.*?\n---\n", text, re.S)
        docs[f.stem] = text[m.end():] if m else text
    return docs


class Report:
    def __init__(self, strict):
        self.strict, self.errors, self.warnings = strict, [], []

    def err(self, fname, msg, legacy=False):
        if legacy and not self.strict:
            self.warnings.append(f"{fname}: {msg}")
        else:
            self.errors.append(f"{fname}: {msg}")

    def warn(self, fname, msg):
        self.warnings.append(f"{fname}: {msg}")


def check_file(path, lee, seeds, bench, rep):
    fname = path.name
    legacy = fname in LEGACY
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            rep.err(fname, f"line {n}: empty line")
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            rep.err(fname, f"line {n}: not JSON ({e})")
    ids = Counter(r.get("id") for r in rows)
    for i, k in ids.items():
        if k > 1:
            rep.err(fname, f"id {i!r} used {k} times")
    qs = Counter(r.get("question", "").strip().lower() for r in rows)
    for q, k in qs.items():
        if k > 1:
            rep.err(fname, f"question repeated: {q!r}")
    seen = Counter()
    all_docs = {**lee, **seeds}
    for r in rows:
        rid = r.get("id", "?")
        ok = True
        for k, t in REQUIRED.items():
            if k not in r:
                rep.err(fname, f"{rid}: missing field {k}")
                ok = False
            elif not isinstance(r[k], t):
                rep.err(fname, f"{rid}: field {k} is not {t.__name__}")
                ok = False
        for k in r:
            if k not in REQUIRED and k not in OPTIONAL:
                rep.err(fname, f"{rid}: unknown field {k}")
            elif k in OPTIONAL and not isinstance(r[k], OPTIONAL[k]):
                rep.err(fname, f"{rid}: field {k} is not {OPTIONAL[k].__name__}")
        if not ok:
            continue
        if list(r)[-2:] != ["type", "split"] and legacy:
            rep.err(fname, f"{rid}: type and split should be the last two keys")
        pre = ID_PREFIX.get(fname)
        if pre and not re.fullmatch(re.escape(pre) + r"\d{2,3}", rid):
            rep.err(fname, f"{rid}: id should look like {pre}NN")
        typ = r["type"]
        if typ not in TYPES:
            rep.err(fname, f"{rid}: unknown type {typ!r}")
        if r["split"] not in ("tune", "test"):
            rep.err(fname, f"{rid}: split {r['split']!r}")
        want = "tune" if seen[typ] % 2 == 0 else "test"
        seen[typ] += 1
        if r["split"] != want:
            rep.err(fname, f"{rid}: split {r['split']}, expected {want} (alternating within {typ})")
        if (typ == "followup") != ("history" in r):
            rep.err(fname, f"{rid}: type followup if and only if the line has a history")
        if r["answerable"] is not (typ not in UNANSWERABLE):
            rep.err(fname, f"{rid}: answerable={r['answerable']} does not fit type {typ}")
        q = r["question"].strip()
        if not q.endswith("?"):
            rep.err(fname, f"{rid}: question does not end with '?'", legacy)
        if not WH.search(q):
            rep.err(fname, f"{rid}: no wh-word", legacy)
        if q.split() and q.split()[0].lower() in YES_NO_STARTS:
            rep.err(fname, f"{rid}: reads as a yes/no question", legacy)
        ans, gold = r["answers"], r["gold_docs"]
        if not r["answerable"]:
            if ans or gold:
                rep.err(fname, f"{rid}: unanswerable but has answers or gold_docs")
        else:
            if not ans or not all(isinstance(a, str) and a.strip() for a in ans):
                rep.err(fname, f"{rid}: answers must be non-empty strings")
                continue
            if not gold or len(set(gold)) != len(gold):
                rep.err(fname, f"{rid}: bad gold_docs {gold}")
                continue
            lee_ids = [d.startswith("lee/") for d in gold]
            if any(lee_ids) and not all(lee_ids):
                rep.err(fname, f"{rid}: gold_docs mix Lee and seed ids")
            docs = lee if all(lee_ids) else seeds
            for d in gold:
                if d not in docs:
                    rep.err(fname, f"{rid}: unknown gold doc {d}")
            gold = [d for d in gold if d in docs]
            texts = [q] + r.get("history", [])
            for item in ans:
                alts = [a.strip() for a in item.split("|")]
                for alt in alts:
                    if any(has(t, alt) for t in texts):
                        rep.err(fname, f"{rid}: answer {alt!r} appears in the question", legacy)
                for d in gold:
                    if not has(docs[d], alts[0]):
                        rep.err(fname, f"{rid}: {alts[0]!r} not found (whole word) in {d}", legacy)
                    for alt in alts[1:]:
                        if not has(docs[d], alt) and not re.search(r"\d", alt):
                            rep.warn(fname, f"{rid}: alternative {alt!r} not in {d}")
                if typ == "attribution" and len(alts) > 1:
                    full, sur = alts[0], alts[1]
                    if full.lower().endswith(" " + sur.lower()):
                        for d in gold:
                            if count(docs[d], sur) <= count(docs[d], full):
                                rep.err(fname, f"{rid}: surname {sur!r} never used alone in {d}", legacy)
            if typ == "two_figures":
                dis = r.get("distractors")
                if not dis and not legacy:
                    rep.err(fname, f"{rid}: two_figures line needs a distractors list")
                elif dis:
                    prim = ans[0].split("|")[0].strip()
                    hit = any(has(s, prim) and all(has(s, x) for x in dis)
                              for d in gold for s in sentences(docs[d]))
                    if not hit:
                        rep.err(fname, f"{rid}: no gold sentence holds {prim!r} with {dis}")
            if bench and all(lee_ids):
                for b in bench:
                    bp = [a.split("|")[0].strip().lower() for a in b["answers"]]
                    if any(a.split("|")[0].strip().lower() in bp for a in ans) and set(gold) & set(b["gold_docs"]):
                        rep.err(fname, f"{rid}: same answer fact as bench {b['id']}")
        if typ == "unanswerable_offtopic":
            terms = r.get("absent")
            if not terms:
                rep.err(fname, f"{rid}: offtopic line needs an absent list", legacy)
            for x in terms or []:
                if not has(q, x):
                    rep.err(fname, f"{rid}: absent term {x!r} not in the question")
                hits = sorted(d for d, t in all_docs.items() if has(t, x))
                if hits:
                    rep.err(fname, f"{rid}: off-topic term {x!r} occurs in {hits}")
        if typ == "unanswerable_nearmiss":
            terms = r.get("entity")
            if not terms and not legacy:
                rep.err(fname, f"{rid}: nearmiss line needs an entity list")
            if terms:
                for x in terms:
                    if not has(q, x):
                        rep.err(fname, f"{rid}: entity term {x!r} not in the question")
                hits = sorted(d for d, t in all_docs.items() if all(has(t, x) for x in terms))
                if not hits:
                    rep.err(fname, f"{rid}: entity {terms} is in no article")
                else:
                    print(f"  {fname} {rid}: entity {terms} in {hits} (each read: fact not stated)")
        if bench and fname != "dev.jsonl":
            for b in bench:
                if b["question"].strip().lower() == q.lower():
                    rep.err(fname, f"{rid}: question repeats bench {b['id']}")
    return rows


def main(argv):
    strict = "--strict" in argv
    args = [a for a in argv[1:] if a != "--strict"]
    bench_path = None
    if "--bench" in args:
        i = args.index("--bench")
        bench_path = args[i + 1]
        del args[i:i + 2]
    lee_path = args[0] if args else find_lee()
    if not lee_path or not os.path.exists(lee_path):
        print("lee_background.cor not found; pass its path")
        return 2
    if bench_path is None:
        p = ROOT.parent / "shared" / "bench" / "lee" / "gold.jsonl"
        bench_path = str(p) if p.exists() else None
    bench = [json.loads(l) for l in open(bench_path, encoding="utf-8")] if bench_path else []
    lee, seeds = load_lee(lee_path), load_seeds()
    print(f"corpora: Lee {len(lee)} articles ({lee_path}), seeds {len(seeds)}; "
          f"bench {'%d questions' % len(bench) if bench else 'not found'}")
    rep = Report(strict)
    table = defaultdict(Counter)
    files = sorted(HERE.glob("*.jsonl"))
    for path in files:
        for r in check_file(path, lee, seeds, bench, rep):
            table[path.name][(r.get("type"), r.get("split"))] += 1
    for fname, c in table.items():
        print(f"{fname}: {sum(c.values())} questions")
        for t in sorted({t for t, _ in c}, key=str):
            print(f"  {t:24s} tune {c[(t, 'tune')]:2d}  test {c[(t, 'test')]:2d}")
    for w in rep.warnings:
        print("WARNING: " + w)
    for e in rep.errors:
        print("ERROR: " + e)
    if rep.errors:
        print(f"FAILED: {len(rep.errors)} problem(s)")
        return 1
    print(f"OK: {len(files)} files pass ({len(rep.warnings)} warning(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
