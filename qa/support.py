"""The check of a generated answer: every sentence must be said by the passages it cites.

Owns: splitting a model's reply into sentences and their [n] markers, and for each sentence the
tests that decide whether it is shown: at least one [n], each naming a passage of the prompt;
its numbers and its capitalised words (names, places, months) occur in the cited passages or
their outlet and date; its negation agrees with the cited sentence that supports it
best (a flipped "untrue" into "true", a dropped "not"); it is not an instruction (echoed from
an article or not); and the share of its content words found in the cited passages reaches
`min_coverage` (fitted on eval/support_labels.jsonl with `python -m eval.support`). A supported
sentence gets, for each [n], the body offsets of the cited passage's sentence that supports it best.
Does not: call a model, or write anything new.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from index.chunking import split_sentences
from index.terms import STOPWORDS, normalise, words
from qa.prompt import PromptPassage

MIN_COVERAGE = 0.85  # fitted on eval/support_labels.jsonl (python -m eval.support): best F0.5
_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_ONE_MARKER = re.compile(r"\[(\d+)\]")
_BOUNDARY = re.compile(r"(?<=[.!?])[\"”’)]*(?:\s*\[\d+\])*(?=\s+[\"“‘(]?[A-Z0-9]|\s*$)")
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Gen|Sen|Rep|Gov|Jan|Feb|Aug|Sept|Oct|Nov|Dec|vs|No)|"
                           r"\b[A-Z]\.[A-Z])\.$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_DIGITS = re.compile(r"\d[\d,.]*\d|\d")
_CUES = frozenset("not no never none nobody nothing neither nor without cannot longer".split())
_DENIALS = frozenset(normalise(w) for w in "untrue false deny denies denied denial refuse refused refuses reject "
                     "rejected rejects dismiss dismissed dismisses".split())
_AFFIRMATIONS = frozenset(normalise(w) for w in "true confirm confirms confirmed acknowledge acknowledges "
                          "acknowledged admit admits admitted accept accepts accepted agree agrees agreed".split())
_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                 "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20",
                 "hundred": "100", "thousand": "1000", "million": "million", "billion": "billion", "dozen": "12"}
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|prompts?|rules|above|previous|prior)\b"
    r"|\bsystem prompt\b|\byou are now\b|\bas an ai\b|\b(?:reply|respond|answer|say|write|print|output)\s+(?:only|"
    r"with|that)\b.{0,30}\b(?:instead|regardless)\b|\bnew instructions?\b", re.I)


@dataclass(frozen=True)
class SupportSettings:
    """How strict the check is: the share of a sentence's content words its sources must hold."""

    min_coverage: float = MIN_COVERAGE


@dataclass(frozen=True)
class Quote:
    """The sentence of passage `n` that best supports a generated sentence: `body[start:end]`."""

    n: int
    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class SentenceCheck:
    """One generated sentence and the verdict on it; `reason` says why it was removed."""

    text: str                  # as generated, markers included
    claim: str                 # without its markers
    refs: tuple[int, ...]
    supported: bool
    reason: str = ""
    coverage: float = 0.0
    quotes: tuple[Quote, ...] = ()

    def to_json(self) -> dict:
        return {"sentence": self.claim, "supported": self.supported, "reason": self.reason or None,
                "coverage": round(self.coverage, 3), "cites": list(self.refs)}


def split_reply(text: str) -> list[str]:
    """The sentences of a model's reply, each with the [n] markers that follow it.

    >>> split_reply("He said it was untrue. [1] The U.S. Army disagreed [2].\\n- Talks went on [1, 3].")
    ['He said it was untrue. [1]', 'The U.S. Army disagreed [2].', 'Talks went on [1][3].']
    """
    text = _MARKERS.sub(lambda m: "".join(f"[{n.strip()}]" for n in m.group(1).split(",")), text)
    sentences = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        begin = 0
        for boundary in _BOUNDARY.finditer(line):
            if _ABBREVIATION.search(line, 0, boundary.start()):
                continue
            sentences.append(line[begin:boundary.end()].strip())
            begin = boundary.end()
        sentences.append(line[begin:].strip())
    return [s for s in sentences if s]


def check_reply(text: str, passages: Sequence[PromptPassage], bodies: dict[str, str], *,
                settings: SupportSettings = SupportSettings()) -> list[SentenceCheck]:
    """Every sentence of a reply, checked against the passages it cites."""
    by_n = {p.n: p for p in passages}
    return [check_sentence(s, by_n, bodies, settings=settings) for s in split_reply(text)]


def check_sentence(sentence: str, passages: dict[int, PromptPassage], bodies: dict[str, str], *,
                   settings: SupportSettings = SupportSettings()) -> SentenceCheck:
    """Whether the passages a sentence cites say what it says; see the module docstring for the tests."""
    refs = tuple(dict.fromkeys(int(n) for n in _ONE_MARKER.findall(sentence)))
    claim = re.sub(r"\s+([.!?,;:])", r"\1", " ".join(_ONE_MARKER.sub(" ", sentence).split()))
    verdict = _unsupported(claim, refs, passages)
    if verdict:
        return SentenceCheck(sentence, claim, refs, False, verdict)
    cited = [passages[n] for n in refs]
    source_words = {normalise(w) for p in cited for w in words(_passage_and_meta(p))}
    coverage = _coverage(claim, source_words)
    quotes = tuple(_best_sentence(claim, p, bodies[p.doc_id]) for p in cited)
    best = " ".join(bodies[q.doc_id][q.start:q.end] for q in quotes)
    reason = (_missing_fact(claim, cited, source_words) or _negation_differs(claim, best)
              or _instruction(claim, best))
    if not reason and coverage < settings.min_coverage:
        reason = f"only {coverage:.0%} of its words are in the passages it cites"
    return SentenceCheck(sentence, claim, refs, not reason, reason, coverage, quotes if not reason else ())


def _unsupported(claim: str, refs: tuple[int, ...], passages: dict[int, PromptPassage]) -> str:
    if not refs:
        return "cites no passage"
    unknown = [n for n in refs if n not in passages]
    if unknown:
        return f"cites [{unknown[0]}], which is not one of the passages"
    if not any(ch.isalpha() for ch in claim):
        return "says nothing"
    return ""


def _passage_and_meta(p: PromptPassage) -> str:
    """The passage with the outlet and date shown beside its quote; not the title, which a quote
    from the body does not show (a model that copies a headline has not answered from the text)."""
    return " ".join(x for x in (p.text, p.source, p.published) if x)


def content_words(text: str) -> list[str]:
    """The normalised words of `text` that carry meaning (no stopwords, no one-letter words).

    >>> content_words("The spokesman said the reports were untrue.")
    ['spokesman', 'report', 'untrue']
    """
    found = [normalise(w) for w in words(text)]
    return [w for w in found if len(w) > 1 and w not in STOPWORDS and not w.isdigit()]


def _coverage(claim: str, source_words: set[str]) -> float:
    wanted = content_words(claim)
    if not wanted:
        return 0.0
    return sum(w in source_words for w in wanted) / len(wanted)


def _missing_fact(claim: str, cited: list[PromptPassage], source_words: set[str]) -> str:
    source = " ".join(_passage_and_meta(p) for p in cited)
    digits = {d.replace(",", "").rstrip(".") for d in _DIGITS.findall(source)}
    lowered = {w.lower() for w in words(source)}
    for number in _DIGITS.findall(claim):
        if number.replace(",", "").rstrip(".") not in digits:
            return f"the number {number} is not in the passages it cites"
    for w in words(claim):
        value = _NUMBER_WORDS.get(w.lower())
        if value and w.lower() not in lowered and value not in digits:
            return f"the number '{w}' is not in the passages it cites"
    for position, w in enumerate(words(claim)):
        if not w[:1].isupper() or (position == 0 and w.lower() in STOPWORDS) or w == "I":
            continue
        if normalise(w) not in source_words and w.lower() not in lowered:
            return f"the name '{w}' is not in the passages it cites"
    return ""


def _negated_words(text: str, *, reach: int = 4) -> set[str]:
    """Content words a negation may govern: up to three within `reach` words after not/no/never/n't.

    The side checked against gets a longer reach (8), so a paraphrase that moves words is not
    taken for a flip.
    """
    found: set[str] = set()
    tokens = words(text)
    for i, w in enumerate(tokens):
        if normalise(w) in _CUES or w.lower().endswith(("n't", "n’t")):
            after = [normalise(t) for t in tokens[i + 1:i + 1 + reach]]
            found.update([t for t in after if t not in STOPWORDS and len(t) > 1][:reach - 1])
    return found


def _polarity(text: str) -> tuple[bool, bool]:
    """Whether a text denies (untrue, denied, rejects) and whether it affirms (true, confirms, acknowledges)."""
    stems = {normalise(w) for w in words(text)}
    return bool(stems & _DENIALS), bool(stems & _AFFIRMATIONS)


def _negation_differs(claim: str, best: str) -> str:
    claim_words, best_words = set(content_words(claim)), set(content_words(best))
    claim_negated, best_negated = _negated_words(claim), _negated_words(best)
    if (best_negated & claim_words) - _negated_words(claim, reach=8):
        return "the cited sentence says the opposite (a negation is missing)"
    if (claim_negated & best_words) - _negated_words(best, reach=8):
        return "it negates what the cited sentence affirms"
    (claim_denies, claim_affirms), (best_denies, best_affirms) = _polarity(claim), _polarity(best)
    if (best_denies and claim_affirms and not claim_denies) or (claim_denies and best_affirms and not best_denies):
        return "it turns a denial into an affirmation, or the reverse"
    if claim_denies and not best_denies and not best_negated:
        return "it reports a denial the cited sentence does not make"
    if best_denies and not claim_denies and not claim_negated and not best_affirms:
        return "it leaves out the denial of the cited sentence"
    return ""


def _instruction(claim: str, best: str) -> str:
    if _INSTRUCTION.search(claim) or _INSTRUCTION.search(best):
        return "it repeats an instruction, not a statement of the sources"
    return ""


def _best_sentence(claim: str, p: PromptPassage, body: str) -> Quote:
    """The sentence of the article overlapping passage `p` that holds most of the claim's words."""
    wanted = set(content_words(claim))
    best, best_score = None, -1.0
    for start, end in split_sentences(body):
        if end <= p.start or start >= p.end:
            continue
        have = {normalise(w) for w in words(body[start:end])}
        score = len(wanted & have) - 0.001 * len(have)  # fewest extra words on a tie
        if score > best_score:
            best, best_score = (start, end), score
    start, end = best if best else (p.start, p.end)
    return Quote(p.n, p.doc_id, start, end)
