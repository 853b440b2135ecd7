"""A reproducible synthetic news archive for benchmarks: articles with front matter, and questions.

Owns: writing N article files of about 550 model tokens each (the size of a typical news piece)
from a seed, with names, places, figures and dates that questions can ask about, and a
question for each fact it plants. The same seed gives byte-identical files.
Does not: index or answer anything (see eval.bench).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

FIRST = ["Amina", "Daniel", "Farid", "Grace", "Hassan", "Ingrid", "Jamal", "Katya", "Luis", "Maryam", "Noor", "Omar",
         "Priya", "Rashid", "Sofia", "Tariq", "Ursula", "Viktor", "Wen", "Yusuf", "Zainab", "Elena", "Marco", "Leila"]
LAST = ["Abbasi", "Brennan", "Castillo", "Dmitriev", "Eriksen", "Farouk", "Garcia", "Haddad", "Ivanova", "Jansen",
        "Karimi", "Lindqvist", "Mensah", "Nakamura", "Okafor", "Petrov", "Qureshi", "Rahimi", "Santos", "Tanaka"]
PLACES = ["Kandahar", "Mosul", "Timbuktu", "Aleppo", "Mogadishu", "Kunduz", "Sana'a", "Gao", "Idlib", "Marawi",
          "Benghazi", "Herat", "Kidal", "Raqqa", "Jalalabad", "Tripoli", "Kismayo", "Maiduguri", "Quetta", "Sirte"]
GROUPS = ["the provincial council", "the border police", "the interior ministry", "a local militia",
          "the monitoring mission", "the relief agency", "the electoral commission", "the defence ministry",
          "a regional alliance", "the port authority"]
OUTLETS = ["Daily Ledger", "Frontier Post", "Coastal Times", "The Observer Weekly", "Morning Dispatch",
           "Regional Wire", "Evening Courier", "Harbour Gazette"]
SUBJECTS = ["fighters", "refugees", "trucks of aid", "schools", "checkpoints", "observers", "hostages", "wells"]
TOPICS = ["ceasefire talks", "flood relief", "a prisoner exchange", "the new road", "the election audit",
          "the water dispute", "the market fire", "the border reopening", "the vaccination drive", "the trade deal"]
FILLER = [
    "Residents said the situation had changed little in recent weeks, though prices in the market kept rising.",
    "Officials declined to give further details, citing the sensitivity of the negotiations.",
    "Analysts cautioned that figures from the area are hard to verify independently.",
    "The announcement came after several days of meetings behind closed doors.",
    "Aid workers described long queues at the distribution points and shortages of fuel.",
    "Local journalists reported that mobile phone coverage had been cut for much of the week.",
    "Diplomats from neighbouring countries were expected to attend the next round.",
    "A spokesperson for the group said more information would be released in due course.",
    "Critics argued that the plan did not address the underlying grievances of farmers.",
    "The road between the two towns remained closed to civilian traffic for a third day.",
    "Several families interviewed said they would not return until security improved.",
    "Earlier reports had put the number considerably lower, according to people familiar with the count.",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


@dataclass(frozen=True)
class Question:
    """A question planted in the archive and the figure its answer must contain."""

    question: str
    answer: str
    doc_id: str


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def write_archive(folder: Path, articles: int, *, seed: int = 0) -> list[Question]:
    """Write `articles` files into `folder` (created) and return one question per article."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    questions = []
    for n in range(articles):
        doc_id = f"syn-{seed}-{n:06d}"
        text, question = make_article(rng, doc_id)
        (folder / f"{doc_id}.md").write_text(text, encoding="utf-8")
        questions.append(question)
    return questions


def make_article(rng: random.Random, doc_id: str) -> tuple[str, Question]:
    """One article's file text and the question about its lead fact."""
    place, group, topic = rng.choice(PLACES), rng.choice(GROUPS), rng.choice(TOPICS)
    speaker, subject = _person(rng), rng.choice(SUBJECTS)
    figure = rng.randint(12, 9800)
    year, month, day = rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)
    date = f"{day} {MONTHS[month - 1]} {year}"
    lead = (f"{speaker}, a spokesperson for {group}, said on {date} that {figure:,} {subject} had been counted in "
            f"{place} since the start of {topic}.")
    sentences = [lead]
    for _ in range(rng.randint(20, 26)):
        kind = rng.random()
        if kind < 0.35:
            sentences.append(rng.choice(FILLER))
        elif kind < 0.6:
            sentences.append(f"{_person(rng)} of {rng.choice(GROUPS)} told reporters in {rng.choice(PLACES)} that "
                             f"{rng.choice(TOPICS)} would take at least {rng.randint(2, 40)} more weeks.")
        elif kind < 0.8:
            sentences.append(f"In {rng.choice(PLACES)}, {rng.randint(3, 900):,} {rng.choice(SUBJECTS)} were reported "
                             f"by {rng.choice(GROUPS)}, a figure {_person(rng)} called \"{rng.choice(['exaggerated', 'accurate', 'too low', 'unverified'])}\".")
        else:
            sentences.append(f"{_person(rng)} denied that {rng.choice(GROUPS)} had any role in {rng.choice(TOPICS)}, "
                             f"calling the claims \"{rng.choice(['baseless', 'untrue', 'propaganda', 'premature'])}\".")
    paragraphs, i = [], 0
    while i < len(sentences):
        step = rng.randint(2, 4)
        paragraphs.append(" ".join(sentences[i : i + step]))
        i += step
    title = f"{place}: {group[0].upper() + group[1:]} reports on {topic}"
    front = (f"---\ntitle: \"{title}\"\nsource: {rng.choice(OUTLETS)}\nurl: https://news.example.org/{doc_id}\n"
             f"published: {year:04d}-{month:02d}-{day:02d}\nauthor: {_person(rng)}\nlanguage: en\n---\n\n")
    question = Question(f"How many {subject} were counted in {place} since the start of {topic}, according to {speaker}?",
                        f"{figure:,}", doc_id)
    return front + "\n\n".join(paragraphs) + "\n", question
