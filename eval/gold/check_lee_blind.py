#!/usr/bin/env python3
"""Check eval/gold/lee-blind.jsonl against the Lee corpus (standard library only).

The set was written on 2026-12-02 by a session that read only the articles (never this project's
code or its answers), over articles no other gold set uses. Run from the repository root:
    .venv/bin/python eval/gold/check_lee_blind.py [FILE] [-v]
"""
import glob, json, os, re, sys

def main() -> None:
    HERE = os.path.dirname(os.path.abspath(__file__))
    CORPUS = next(iter(glob.glob(os.path.join(sys.prefix, 'lib', 'python3*', 'site-packages', 'gensim', 'test',
                                              'test_data', 'lee_background.cor'))), None)
    if CORPUS is None:
        sys.exit('error: gensim is not installed in this Python (run it with .venv/bin/python)')
    PATH = next((a for a in sys.argv[1:] if not a.startswith('-')), os.path.join(HERE, 'lee-blind.jsonl'))
    USED_SETS = [os.path.join(HERE, 'lee-own.jsonl'), os.path.join(HERE, '..', '..', '..', 'shared', 'bench', 'lee', 'gold.jsonl')]
    COUNTS = {'factoid': 36, 'attribution': 12, 'two_figures': 8,
              'unanswerable_nearmiss': 18, 'unanswerable_offtopic': 6}
    ORDER = list(COUNTS)
    PAIRS = [(105,113),(116,120),(118,121),(151,157),(231,237),(264,272),(282,289),
             (60,73),(183,192),(233,242),(99,108)]
    FIELDS = {'id','question','answers','gold_docs','answerable','type','note','split'}

    docs = open(CORPUS, encoding='utf-8', errors='replace').read().split('\n')
    docs = {i+1: d for i, d in enumerate(docs) if d.strip()}
    used = {int(d.split('/')[1]) for f in USED_SETS if os.path.exists(f) for line in open(f) if line.strip()
            for d in json.loads(line).get('gold_docs', [])}
    excluded = set(used)
    for a, b in PAIRS:
        if a in used or b in used:
            excluded |= {a, b}
    partner = {}
    for a, b in PAIRS:
        partner.setdefault(a, set()).add(b); partner.setdefault(b, set()).add(a)

    def ww(s):
        return re.compile(r'(?<!\w)' + re.escape(s.strip()) + r'(?!\w)', re.I)

    errs, warns = [], []
    items = [json.loads(l) for l in open(PATH, encoding='utf-8') if l.strip()]
    if len(items) != 80: errs.append('expected 80 items, got %d' % len(items))
    ids = [it.get('id') for it in items]
    if len(set(ids)) != len(ids): errs.append('duplicate ids')
    if ids != ['n%02d' % k for k in range(1, len(items)+1)]: errs.append('ids not n01..n80 in order')
    cnt, seen_split, last = {}, {}, -1
    for it in items:
        i = it.get('id')
        miss = FIELDS - set(it); extra = set(it) - FIELDS
        if miss: errs.append('%s missing fields %s' % (i, miss)); continue
        if extra: warns.append('%s extra fields %s' % (i, extra))
        t = it['type']
        if t not in COUNTS: errs.append('%s bad type %s' % (i, t)); continue
        if ORDER.index(t) < last: errs.append('%s out of type order' % i)
        last = ORDER.index(t)
        k = cnt.get(t, 0); cnt[t] = k + 1
        want = 'tune' if k % 2 == 0 else 'test'
        if it['split'] != want: errs.append('%s split %s, expected %s' % (i, it['split'], want))
        seen_split[it['split']] = seen_split.get(it['split'], 0) + 1
        q, ans, gold = it['question'], it['answers'], it['gold_docs']
        if not isinstance(q, str) or not q.strip().endswith('?'): errs.append('%s question malformed' % i)
        if not it['note'].strip(): errs.append('%s empty note' % i)
        if t.startswith('unanswerable'):
            if ans or gold or it['answerable'] is not False:
                errs.append('%s unanswerable must have empty answers/gold and answerable=false' % i)
            continue
        if it['answerable'] is not True: errs.append('%s answerable must be true' % i)
        if not (1 <= len(ans) <= 2): errs.append('%s needs 1-2 answer strings' % i)
        if not gold: errs.append('%s no gold docs' % i)
        gnums = []
        for g in gold:
            m = re.fullmatch(r'lee/(\d{3})', g)
            if not m: errs.append('%s bad gold id %s' % (i, g)); continue
            n = int(m.group(1))
            if n not in docs: errs.append('%s gold %s not in corpus' % (i, g)); continue
            if n in excluded: errs.append('%s uses excluded article %s' % (i, g))
            gnums.append(n)
        if len(set(gold)) != len(gold): errs.append('%s duplicate gold' % i)
        for a in ans:
            sp = [s.strip() for s in a.split('|')]
            if any(not s for s in sp): errs.append('%s empty spelling in %r' % (i, a))
            for s in sp:
                if ww(s).search(q): errs.append('%s spelling %r appears in question' % (i, s))
            first = ww(sp[0])
            for n in gnums:
                if not first.search(docs[n]):
                    errs.append('%s first spelling %r not in gold lee/%03d' % (i, sp[0], n))
                for p in partner.get(n, ()):
                    if p in docs and first.search(docs[p]) and p not in gnums:
                        errs.append('%s duplicate partner lee/%03d also holds %r but is not gold' % (i, p, sp[0]))
            others = [n for n in docs if n not in gnums and first.search(docs[n])]
            if others:
                warns.append('%s info: %r also in %s (check they do not support the answer)' %
                             (i, sp[0], ' '.join('%03d%s' % (n, 'X' if n in excluded else '') for n in others[:12])))
    for t, c in COUNTS.items():
        if cnt.get(t, 0) != c: errs.append('type %s: %d, expected %d' % (t, cnt.get(t, 0), c))
    if seen_split.get('tune') != 40 or seen_split.get('test') != 40:
        errs.append('split counts %s, expected 40/40' % seen_split)
    if '-v' in sys.argv:
        for w in warns: print('WARN', w)
    print('counts:', cnt, 'splits:', seen_split)
    for e in errs: print('ERROR', e)
    print('PASS' if not errs else 'FAIL (%d errors)' % len(errs))
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
