#!/usr/bin/env python3
"""Check eval/gold/lee50.jsonl against gensim's lee.cor (standard library only).

The set was written on 2026-12-02 by a session that read only the 50 articles (never this
project's code or its answers), after every reading rule of that day but the last few had been
chosen. Run from the repository root:  .venv/bin/python eval/gold/check_lee50.py [FILE]
"""
import glob, json, os, re, sys


def main() -> None:
    CORPUS = next(iter(glob.glob(os.path.join(sys.prefix, "lib", "python3*", "site-packages", "gensim", "test",
                                              "test_data", "lee.cor"))), None)
    if CORPUS is None:
        sys.exit("error: gensim is not installed in this Python (run it with .venv/bin/python)")
    DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "lee50.jsonl")
    TYPES = [("factoid", 20), ("attribution", 6), ("two_figures", 4),
             ("unanswerable_nearmiss", 10), ("unanswerable_offtopic", 4)]
    FIELDS = {"id", "question", "answers", "gold_docs", "answerable", "type", "note", "split"}

    def whole(s, text):
        return re.search(r"(?<!\w)" + re.escape(s) + r"(?!\w)", text, re.I) is not None

    with open(CORPUS, "rb") as f:
        lines = f.read().decode("utf-8", errors="replace").split("\n")
    lines = [l for l in lines if l.strip()]
    docs = {"lee50/%02d" % (i + 1): t for i, t in enumerate(lines)}
    errs = []
    if len(docs) != 50:
        errs.append("corpus has %d articles, expected 50" % len(docs))

    rows = []
    with open(DATA, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                errs.append("line %d: bad JSON: %s" % (n, e))

    ids = [r.get("id") for r in rows]
    if len(set(ids)) != len(ids):
        errs.append("duplicate ids")
    exp_ids = ["p%02d" % i for i in range(1, 45)]
    if ids != exp_ids:
        errs.append("ids are not p01..p44 in order")

    # type order and counts
    order = [t for t, _ in TYPES]
    seq = [r.get("type") for r in rows]
    exp_seq = [t for t, c in TYPES for _ in range(c)]
    if seq != exp_seq:
        errs.append("types are not in the required order/counts: got %s" %
                    {t: seq.count(t) for t in set(seq)})

    seen = {}
    for r in rows:
        rid = r.get("id")
        if set(r) != FIELDS:
            errs.append("%s: fields %s" % (rid, sorted(set(r) ^ FIELDS)))
            continue
        t, q, ans, gold = r["type"], r["question"], r["answers"], r["gold_docs"]
        if t not in order:
            errs.append("%s: unknown type %r" % (rid, t)); continue
        if not isinstance(q, str) or not q.strip():
            errs.append("%s: empty question" % rid)
        if not isinstance(r["note"], str):
            errs.append("%s: note not a string" % rid)
        # split alternation within type
        k = seen.get(t, 0); seen[t] = k + 1
        want = "tune" if k % 2 == 0 else "test"
        if r["split"] != want:
            errs.append("%s: split %r, expected %r" % (rid, r["split"], want))
        if t.startswith("unanswerable"):
            if r["answerable"] is not False:
                errs.append("%s: answerable must be false" % rid)
            if ans != [] or gold != []:
                errs.append("%s: unanswerable needs empty answers and gold_docs" % rid)
            continue
        if r["answerable"] is not True:
            errs.append("%s: answerable must be true" % rid)
        if not isinstance(ans, list) or not 1 <= len(ans) <= 2 or not all(isinstance(a, str) and a.strip() for a in ans):
            errs.append("%s: answers must be 1-2 non-empty strings" % rid); continue
        if not isinstance(gold, list) or not gold:
            errs.append("%s: gold_docs empty" % rid); continue
        for g in gold:
            if g not in docs:
                errs.append("%s: unknown gold doc %r" % (rid, g))
        for a in ans:
            spellings = [s.strip() for s in a.split("|")]
            if any(not s for s in spellings):
                errs.append("%s: empty spelling in %r" % (rid, a))
            first = spellings[0]
            for g in gold:
                if g in docs and not whole(first, docs[g]):
                    errs.append("%s: %r not found (whole word) in %s" % (rid, first, g))
            for s in spellings:
                if s and whole(s, q):
                    errs.append("%s: spelling %r appears in question" % (rid, s))
            # informational: other docs containing the first spelling
            others = [d for d, txt in docs.items() if d not in gold and whole(first, txt)]
            if others:
                print("note %s: %r also occurs in %s" % (rid, first, ", ".join(others)))

    counts = {t: seq.count(t) for t, _ in TYPES}
    splits = {}
    for r in rows:
        splits.setdefault(r.get("type"), {}).setdefault(r.get("split"), 0)
        splits[r.get("type")][r.get("split")] += 1
    for t, c in TYPES:
        if counts[t] != c:
            errs.append("type %s: %d items, expected %d" % (t, counts[t], c))
    print("items:", len(rows))
    for t, _ in TYPES:
        print("  %-22s %2d  %s" % (t, counts[t], splits.get(t, {})))
    if errs:
        print("FAIL (%d problems)" % len(errs))
        for e in errs:
            print("  -", e)
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
