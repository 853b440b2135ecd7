"""Chunk annotations: the records spaCy gives, their JSON round trip, and how an index stores and reuses them.

Covers: offsets always inside the text (hypothesis), reports with speaker and content in the three
forms ("X said ...", "according to X", "..., said X"), entity labels, the annotations.jsonl file
and its offsets, what an update annotates (only new text), the cache of a killed build, and the
full rebuild a new ANNOTATION_VERSION causes.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import index.annotate
import index.update
from index import IndexMismatchError, load_index
from index.articles import load_corpus
from index.annotate import ChunkAnnotation, Entity, Report, Token, annotate_lines, annotate_texts
from index.annotate_cache import AnnotationCache
from index.annotate import annotator_identity
from index.embed_cache import text_key

from tests.index.test_update import SETTINGS, SPACE


def spans_of(text: str, annotation: ChunkAnnotation) -> list[tuple[int, int]]:
    """Every (start, end) the record holds."""
    spans = list(annotation.sentences) + list(annotation.noun_chunks)
    spans += [(e.start, e.end) for e in annotation.entities] + [(t.start, t.end) for t in annotation.tokens]
    for r in annotation.reports:
        spans += [(r.verb_start, r.verb_end)] + [s for s in (r.speaker, r.content) if s is not None]
    return spans


def report(text: str, lemma: str) -> tuple[str | None, str | None]:
    """(speaker text, content text) of the first report with `lemma` in `text`."""
    (annotation,) = annotate_texts([text])
    found = [r for r in annotation.reports if r.lemma == lemma]
    assert found, f"no {lemma!r} report in {annotation.reports}"
    r = found[0]
    return (text[slice(*r.speaker)] if r.speaker else None, text[slice(*r.content)] if r.content else None)


# --- the record ------------------------------------------------------------------------------------------

def test_an_empty_record_round_trips_without_the_model():
    record = ChunkAnnotation(sentences=((0, 3),), entities=(Entity(0, 3, "ORG"),), noun_chunks=((0, 3),),
                             tokens=(Token(0, 3, "nato", "PROPN", "ROOT", 0),),
                             reports=(Report(0, 3, "say", None, (0, 3)),))
    assert ChunkAnnotation.from_json(record.to_json()) == record
    assert "\n" not in record.to_json()


@pytest.mark.slow
@settings(max_examples=40)
@given(st.lists(st.sampled_from(list("ab .,\n\"'é\u00a0\t") + ["John", " said", " Paris", " 2021", " according to",
                                                                  "  ", "Mr.", " the", " denied", "!"]),
                max_size=40).map("".join) | st.text(max_size=80))
def test_offsets_stay_inside_the_text_and_the_record_round_trips(text):
    (annotation,) = annotate_texts([text])

    assert ChunkAnnotation.from_json(annotation.to_json()) == annotation
    for start, end in spans_of(text, annotation):
        assert 0 <= start < end <= len(text)
    for token in annotation.tokens:
        assert 0 <= token.head < len(annotation.tokens) and text[token.start:token.end].strip()


@pytest.mark.slow
def test_tokens_carry_lower_cased_lemmas_pos_dependencies_and_heads():
    text = "John Smith said the plans Failed."
    (annotation,) = annotate_texts([text])
    words = [text[t.start:t.end] for t in annotation.tokens]

    assert words == ["John", "Smith", "said", "the", "plans", "Failed", "."]
    said = annotation.tokens[2]
    assert (said.lemma, said.pos, said.dep, said.head) == ("say", "VERB", "ROOT", 2)
    assert annotation.tokens[5].lemma == "fail" and annotation.tokens[4].lemma == "plan"
    assert annotation.tokens[1].dep == "nsubj" and annotation.tokens[1].head == 2
    assert [text[s:e] for s, e in annotation.sentences] == [text]
    assert [text[s:e] for s, e in annotation.noun_chunks] == ["John Smith", "the plans"]


@pytest.mark.slow
def test_a_plain_report_has_its_speaker_and_what_was_said():
    assert report("John Smith said the plan failed.", "say") == ("John Smith", "the plan failed")
    assert report("The minister told reporters that prices rose.", "tell") == ("The minister", "prices rose")


@pytest.mark.slow
def test_according_to_names_the_source_as_speaker():
    text = "According to the ministry, 40 people died in the floods."
    assert report(text, "according to") == ("the ministry", "40 people died in the floods")
    (annotation,) = annotate_texts([text])
    (r,) = annotation.reports
    assert text[r.verb_start:r.verb_end] == "According to"


@pytest.mark.slow
def test_an_inverted_report_has_the_speaker_after_the_verb():
    assert report("The deal is off, said Jane Doe.", "say") == ("Jane Doe", "The deal is off")


@pytest.mark.slow
def test_a_noun_is_not_a_reporting_verb():
    (annotation,) = annotate_texts(["The report was published on Monday."])
    assert annotation.reports == ()


@pytest.mark.slow
def test_entities_carry_spacys_labels():
    text = "Angela Merkel met officials of Google in Paris on Monday, and 300 people watched."
    (annotation,) = annotate_texts([text])
    assert [(text[e.start:e.end], e.label) for e in annotation.entities] == [
        ("Angela Merkel", "PERSON"), ("Google", "ORG"), ("Paris", "GPE"), ("Monday", "DATE"), ("300", "CARDINAL")]


@pytest.mark.slow
def test_sentences_are_trimmed_and_offsets_survive_leading_space():
    text = "  First one here.   \n\n Second one.  "
    (annotation,) = annotate_texts([text])
    assert [text[s:e] for s, e in annotation.sentences] == ["First one here.", "Second one."]


@pytest.mark.slow
def test_the_pipeline_loads_once_per_process_and_parses_a_question():
    nlp = index.annotate.load_pipeline()
    assert index.annotate.load_pipeline() is nlp
    assert [t.lemma_ for t in nlp("Who denied the claims?")][:2] == ["who", "deny"]


@pytest.mark.slow
def test_two_worker_processes_give_the_same_lines_as_one():
    texts = [f"Officer {n} said the road to Gao was closed on day {n}." for n in range(12)]
    assert annotate_lines(texts, processes=2, group=4) == annotate_lines(texts, processes=1)


TRICKY = ["There is no sign of al-Qaeda, and there were none, he said.", "Let's go, y'all: we ain't gonna wait.",
          "It gets worse; they got ta leave. C'm on!", "The U.S. said it's ready.  \n\n  She saw saws and sawed.",
          "Mr. Smith's 3.5 kg bag was found on Friday; it is hers, and there's more.", ""]


@pytest.mark.slow
def test_remembered_token_attributes_give_the_full_pipelines_records():
    """The index-time shortcut for the attribute ruler and lemmatizer (TokenAttributes) changes no
    record: each text, alone and after the others have filled the memory, gives the line of the
    full pipeline, two-token patterns ("there is", "let's", "gonna") included."""
    nlp = index.annotate.load_pipeline()
    full = [index.annotate.annotation_of(doc).to_json() for doc in nlp.pipe(TRICKY)]
    assert index.annotate.annotate_group(TRICKY) == full
    assert index.annotate.annotate_group(TRICKY[::-1]) == full[::-1]
    lemmas = dict(zip([t.text for t in nlp(TRICKY[1])], ChunkAnnotation.from_json(full[1]).tokens))
    assert lemmas["ai"].lemma == "be" and lemmas["gon"].lemma == "go"


def test_a_pattern_the_shortcut_cannot_key_is_refused():
    class Ruler:
        patterns = [{"patterns": [[{"LOWER": "so"}, {"LOWER": "to"}, {"LOWER": "speak"}]], "attrs": {}, "index": 0}]

    class Pipeline:
        vocab = None

        @staticmethod
        def get_pipe(name):
            return Ruler() if name == "attribute_ruler" else object()

    with pytest.raises(RuntimeError, match="CONTEXT_WORDS"):
        index.annotate.TokenAttributes(Pipeline())


# --- the cache of a killed build -------------------------------------------------------------------------

def test_the_cache_reads_whole_lines_and_drops_a_cut_tail(tmp_path):
    cache = AnnotationCache(tmp_path / "annotate-cache", annotator_identity())
    cache.append([text_key("a"), text_key("b")], ['{"x":1}', '{"x":2}'])
    with cache.path.open("ab") as f:
        f.write(text_key("c").hex().encode() + b'\t{"x":')  # a kill mid-line

    again = AnnotationCache(tmp_path / "annotate-cache", annotator_identity())
    assert again.load() == {text_key("a"): '{"x":1}', text_key("b"): '{"x":2}'}
    again.append([text_key("d")], ['{"x":4}'])
    assert AnnotationCache(tmp_path / "annotate-cache", annotator_identity()).load()[text_key("d")] == '{"x":4}'
    assert len(cache.path.read_text().splitlines()) == 3
    again.clear()
    assert not (tmp_path / "annotate-cache").exists()


# --- in the index ----------------------------------------------------------------------------------------

@pytest.fixture
def record_annotated(monkeypatch) -> list[str]:
    """Every text (a passage of an article) an update hands to the annotator during the test."""
    seen: list[str] = []
    original = index.update.annotate_lines

    def recording(texts, **options):
        seen.extend(texts)
        return original(texts, **options)

    monkeypatch.setattr(index.update, "annotate_lines", recording)
    return seen


def bodies_of(corpus) -> dict[str, str]:
    return {a.doc_id: a.body for a in load_corpus(corpus).articles}


def cut_from_passage(chunks, body: str) -> list[ChunkAnnotation]:
    """The records of consecutive chunks of one article, cut from one parse of the stretch they span."""
    first, last = min(c.start for c in chunks), max(c.end for c in chunks)
    (whole,) = annotate_texts([body[first:last]])
    return [whole.within(body[first:last], c.start - first, c.end - first) for c in chunks]


def expected_records(chunks, bodies) -> list[ChunkAnnotation]:
    """What a full build stores: each article's chunks cut from one parse of the article."""
    found = {}
    for doc_id in {c.doc_id for c in chunks}:
        mine = [c for c in chunks if c.doc_id == doc_id]
        found.update(zip([c.chunk_id for c in mine], cut_from_passage(mine, bodies[doc_id])))
    return [found[c.chunk_id] for c in chunks]


@pytest.mark.slow
def test_stored_annotations_are_cut_from_one_parse_of_each_article(make_corpus, topic_articles, tmp_path, build,
                                                                    record_annotated):
    corpus = make_corpus(topic_articles)
    summary = build(corpus, tmp_path / "index", settings=SETTINGS)
    version = load_index(tmp_path / "index")
    rows = list(range(len(version.chunks)))
    bodies = bodies_of(corpus)

    assert summary.annotated_chunks == len(version.chunks) and "annotated" in summary.line()
    assert version.annotations(rows) == expected_records(version.chunks, bodies)
    # each article parsed once: a sentence two chunks share is not parsed twice
    assert len(record_annotated) == len(bodies) < len(version.chunks)
    assert summary.annotated_chars == sum(map(len, record_annotated)) < sum(len(c.text) for c in version.chunks)
    assert version.annotations([2, 0]) == [version.annotations([2])[0], version.annotations([0])[0]]
    manifest = version.manifest
    assert manifest["annotation"] == annotator_identity().as_dict()
    [segment] = version.segments
    assert {f"{segment.path.name}/annotations.jsonl", f"{segment.path.name}/annotations.offsets.npy"} <= set(
        manifest["files"])
    offsets = np.load(segment.path / "annotations.offsets.npy")
    assert offsets.dtype == np.int64 and len(offsets) == len(version.chunks) + 1
    assert offsets[-1] == (segment.path / "annotations.jsonl").stat().st_size
    with pytest.raises(IndexError):
        version.annotations([len(version.chunks)])


@pytest.mark.slow
def test_a_sentence_two_chunks_share_has_one_record_in_both(make_corpus, tmp_path, build):
    corpus = make_corpus({"space.md": SPACE})
    build(corpus, tmp_path / "index", settings=SETTINGS)
    version = load_index(tmp_path / "index")
    chunks, records = version.chunks, version.annotations(range(len(version.chunks)))
    shared = 0
    for (a, ra), (b, rb) in zip(zip(chunks, records), zip(chunks[1:], records[1:])):
        if b.start >= a.end:
            continue
        overlap = (b.start, a.end)  # in article offsets
        in_a = [(t.start + a.start, t.end + a.start, t.lemma, t.pos) for t in ra.tokens
                if overlap[0] <= t.start + a.start and t.end + a.start <= overlap[1]]
        in_b = [(t.start + b.start, t.end + b.start, t.lemma, t.pos) for t in rb.tokens
                if overlap[0] <= t.start + b.start and t.end + b.start <= overlap[1]]
        assert in_a and in_a == in_b
        shared += 1
    assert shared > 0


def test_cutting_a_record_keeps_what_lies_inside_and_shifts_it():
    text = "The BBC said rain fell. Mr Brown of Leeds Council told reporters it would stop."
    (record,) = annotate_texts([text])
    start = text.index("Mr Brown")
    piece = text[start:]
    cut = record.within(text, start, len(text))
    for span in spans_of(piece, cut):
        assert 0 <= span[0] < span[1] <= len(piece)
    assert [piece[slice(*s)] for s in cut.sentences] == [piece]
    inside = [text[e.start:e.end] for e in record.entities if e.start >= start]
    assert inside and [piece[e.start:e.end] for e in cut.entities] == inside
    assert "BBC" in [text[e.start:e.end] for e in record.entities] and "BBC" not in piece
    assert [t.lemma for t in cut.tokens] == [t.lemma for t in record.tokens if t.start >= start]
    assert all(0 <= t.head < len(cut.tokens) for t in cut.tokens)
    [told] = [r for r in cut.reports if r.lemma == "tell"]
    assert piece[slice(*told.speaker)] == "Mr Brown of Leeds Council"
    assert record.within(text, 0, len(text)) == record


@pytest.mark.slow
def test_adding_an_article_annotates_only_its_chunks(make_corpus, topic_articles, tmp_path, build, record_annotated):
    corpus = make_corpus(topic_articles)
    build(corpus, tmp_path / "index", settings=SETTINGS)
    before = load_index(tmp_path / "index")
    record_annotated.clear()
    old_lines = dict(zip([c.chunk_id for c in before.chunks], before.annotation_lines()))
    (corpus / "space.md").write_text(SPACE, encoding="utf-8")

    summary = build(corpus, tmp_path / "index", settings=SETTINGS)

    after = load_index(tmp_path / "index")
    new = [c for c in after.chunks if c.doc_id == "space"]
    body = bodies_of(corpus)["space"]
    assert record_annotated == [body[new[0].start : new[-1].end]] and summary.annotated_chunks == len(new)
    assert f"annotated {len(new)} chunks" in summary.line()
    assert before.annotations([0]) == [ChunkAnnotation.from_json(old_lines[before.chunks[0].chunk_id])]  # its
    # folder is gone, the file open
    for chunk, line in zip(after.chunks, after.annotation_lines()):
        if chunk.doc_id != "space":
            assert line == old_lines[chunk.chunk_id]  # copied as it was


@pytest.mark.slow
def test_an_edited_article_keeps_the_annotations_of_its_untouched_chunks(make_corpus, tmp_path, build,
                                                                         record_annotated):
    corpus = make_corpus({"space.md": SPACE})
    build(corpus, tmp_path / "index", settings=SETTINGS)
    before = load_index(tmp_path / "index")
    old_lines = dict(zip([c.text for c in before.chunks], before.annotation_lines()))
    record_annotated.clear()
    edited = SPACE.replace("a dive into the atmosphere", "a dive into the clouds of Jupiter")
    (corpus / "space.md").write_text(edited, encoding="utf-8")

    summary = build(corpus, tmp_path / "index", settings=SETTINGS)

    version = load_index(tmp_path / "index")
    fresh = [c for c in version.chunks if c.text not in old_lines]
    assert fresh and summary.annotated_chunks == len(fresh)
    assert summary.reused_by_text == len(version.chunks) - len(fresh) > 0
    # only the new text is parsed: the fresh chunks, joined where they overlap
    assert all(any(c.text in passage for passage in record_annotated) for c in fresh)
    assert sum(map(len, record_annotated)) <= sum(len(c.text) for c in fresh)
    body = bodies_of(corpus)["space"]
    records = dict(zip([c.chunk_id for c in version.chunks], version.annotations(range(len(version.chunks)))))
    for chunk in version.chunks:
        if chunk.text in old_lines:
            assert records[chunk.chunk_id] == ChunkAnnotation.from_json(old_lines[chunk.text])
    assert [records[c.chunk_id] for c in fresh] == cut_from_passage(fresh, body)


@pytest.mark.slow
def test_a_failed_build_keeps_what_it_annotated_for_the_next(make_corpus, topic_articles, tmp_path, build,
                                                              monkeypatch):
    corpus = make_corpus({**topic_articles, "space.md": SPACE})
    original = index.update.annotate_lines

    def dies_after_one_group(texts, **options):
        def on_group(first, lines):
            options["on_group"](first, lines)
            raise RuntimeError("killed")
        return original(texts, **{**options, "on_group": on_group, "group": 2})

    with monkeypatch.context() as patch:
        patch.setattr(index.update, "annotate_lines", dies_after_one_group)
        with pytest.raises(RuntimeError):
            build(corpus, tmp_path / "index", settings=SETTINGS)

    summary = build(corpus, tmp_path / "index", settings=SETTINGS)

    saved = summary.annotations_from_cache
    assert 2 <= saved < summary.total_chunks and summary.annotated_chunks == summary.total_chunks - saved
    assert f"{saved} from an interrupted build's cache" in summary.line()
    assert not (tmp_path / "index" / "annotate-cache").exists()
    version = load_index(tmp_path / "index")
    assert version.annotations(range(len(version.chunks))) == expected_records(version.chunks, bodies_of(corpus))


@pytest.mark.slow
def test_a_new_annotation_version_rebuilds_everything_with_a_reason(make_corpus, topic_articles, tmp_path, build,
                                                                    monkeypatch):
    corpus = make_corpus(topic_articles)
    first = build(corpus, tmp_path / "index", settings=SETTINGS)
    monkeypatch.setattr(index.annotate, "ANNOTATION_VERSION", index.annotate.ANNOTATION_VERSION + 1)

    summary = build(corpus, tmp_path / "index", settings=SETTINGS)

    assert summary.full_rebuild_reason is not None and "annotation pipeline changed" in summary.full_rebuild_reason
    version = index.annotate.ANNOTATION_VERSION
    assert f"annotation_version {version - 1} -> {version}" in summary.full_rebuild_reason
    assert summary.annotated_chunks == summary.embedded_chunks == first.total_chunks
    assert load_index(tmp_path / "index").manifest["annotation"]["annotation_version"] == version


@pytest.mark.slow
def test_an_offsets_table_that_disagrees_with_the_chunks_is_refused(make_corpus, topic_articles, tmp_path, build):
    build(make_corpus(topic_articles), tmp_path / "index", settings=SETTINGS)
    version = load_index(tmp_path / "index")
    np.save(version.segments[0].path / "annotations.offsets.npy", np.zeros(3, dtype=np.int64))

    with pytest.raises(IndexMismatchError) as caught:
        load_index(tmp_path / "index")
    assert "annotation offsets" in str(caught.value)
    assert json.loads((version.path / "manifest.json").read_text())["chunk_count"] == len(version.chunks)


def test_a_long_article_is_parsed_in_passages_no_longer_than_the_limit():
    from index.annotate import PASSAGE_MAX_CHARS, passages_of
    from index.articles import parse_article
    from index.chunking import ChunkSettings, chunk_article
    from index.embedding import load_token_counter

    sentences = [f"Sentence {n} tells how the council of Hexham spent {n} pounds on the roads." for n in range(1500)]
    article = parse_article(("---\ntitle: Long\n---\n" + " ".join(sentences)).encode(), doc_id="long")
    chunks = chunk_article(article, settings=ChunkSettings(), token_spans=load_token_counter())
    passages = passages_of(chunks, {"long": article.body})

    assert len(article.body) > 3 * PASSAGE_MAX_CHARS and len(passages) >= 4
    assert all(p.end - p.start <= PASSAGE_MAX_CHARS for p in passages)
    assert sorted(i for p in passages for i in p.members) == list(range(len(chunks)))
