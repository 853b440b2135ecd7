"""The reading rules, one test per failure class of issue #13, over sentences written for the test.

Each test builds its articles' chunks and their real spaCy annotations (the pipeline the index
stores), reads them with the reader's stages and the real embedding model, and checks what a
reader sees first: the answer's first line. No index or search is involved: every chunk is
in the pool, so these tests are about reading, not retrieval.
"""
from __future__ import annotations

import pytest

from index import Article, ChunkSettings, chunk_article, load_token_counter
from index.annotate import annotate_texts, load_pipeline
from qa.candidates import gather_articles
from qa.question import analyse_question
from qa.reader import read_answer
from qa.scoring import ReadSettings, Scored, abstain_reason
from qa.spans import _quoted, find_spans
from qa.types import Passage

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


@pytest.fixture(scope="module")
def read(embedder, nlp):
    """`read(question, {doc_id: body})` -> (answer text, citations) over those articles alone."""
    spans = load_token_counter()

    def run(question: str, bodies: dict[str, str]) -> tuple[str, list]:
        articles = {doc_id: Article(doc_id=doc_id, body=body, source="Test Wire") for doc_id, body in bodies.items()}
        chunks = [c for a in articles.values() for c in chunk_article(a, settings=ChunkSettings(), token_spans=spans)]
        notes = annotate_texts([c.text for c in chunks], processes=1)
        rows_of: dict[str, list[int]] = {}
        for row, chunk in enumerate(chunks):
            rows_of.setdefault(chunk.doc_id, []).append(row)
        pool = [Passage(chunk=c, score=1.0 - i / 100, rank=i) for i, c in enumerate(chunks)]

        def load(passages, most):
            return gather_articles(passages, rows_of=rows_of, chunks=chunks, articles=articles,
                                   annotate=lambda rows: [notes[r] for r in rows], max_articles=most)

        understood = analyse_question(question, nlp(question), lambda stem: 1.0)
        vector = embedder.embed_queries([question])[0]
        return read_answer(understood, pool, vector, articles=articles, load_articles=load,
                           embed=embedder.embed_queries, settings=ReadSettings())

    return run


def article_text(doc_id: str, body: str):
    """One article as the reader sees it (qa.candidates.ArticleText): chunked, annotated with the
    real spaCy pipeline, gathered whole."""
    article = Article(doc_id=doc_id, body=body, source="Test Wire")
    chunks = chunk_article(article, settings=ChunkSettings(), token_spans=load_token_counter())
    notes = annotate_texts([c.text for c in chunks], processes=1)
    [text] = gather_articles([Passage(chunk=c, score=1.0, rank=0) for c in chunks],
                             rows_of={doc_id: list(range(len(chunks)))}, chunks=chunks, articles={doc_id: article},
                             annotate=lambda rows: [notes[r] for r in rows], max_articles=1)
    return text


def first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def test_class_1_the_new_fact_wins_over_the_sentence_that_restates_the_question(read):
    text, _ = read("To which town were the Riverton flood evacuees taken?", {"flood": (
        "Flooding forced hundreds of residents to evacuate Riverton on Sunday. "
        "The Riverton evacuees were taken by bus to the nearby town of Ashford, where a relief centre opened.")})

    assert first_line(text).startswith("Ashford")


def test_class_1_where_someone_comes_from_is_not_where_the_news_happened(read):
    # the first sentence restates the question and names a place after "at"; the origin is later
    question = "Which village does the rower who set the world indoor record come from?"
    text, _ = read(question, {"rowing": (
        "Scottish rower Iain Dunmore set the world indoor record at the Glasgow Arena on Saturday. "
        "The 31-year-old beat the old record by four seconds. "
        "Dunmore, from Kilbarchan, took up rowing at school.")})

    assert first_line(text).startswith("Kilbarchan")


COACHED = ("Britain's Jane Orme is through to the semi-finals at Eastbourne after beating the fourth seed. "
           "The 24-year-old from Keswick won 6-3 6-4 in just over an hour. "
           "Orme's coach, Tom Pell, {described}said she had worked all winter on her serve.")


def test_class_3_who_does_the_asked_verb_is_named_by_its_noun_not_the_one_asked_about(read):
    # the first sentence restates the question and names the player; the one saying "coach" (the
    # asked verb's own noun, which does not describe the one asked about) names the coach
    text, _ = read("Who coaches the 24-year-old from Keswick?", {"tennis": (
        "Jane Orme, the 24-year-old from Keswick, is through to the semi-finals at Eastbourne after "
        "beating the fourth seed in straight sets. She won 6-3 6-4 in just over an hour. Her coach, "
        "Tom Pell, who runs the club in Keswick where she learnt to play, said she had worked all "
        "winter on her serve.")})

    assert first_line(text).startswith("Tom Pell")


def test_class_3_the_asked_verbs_own_noun_beats_a_word_standing_for_it_a_sentence_away(read):
    # "chaired": "the group's chairman" names the doer; "its president" sits a sentence after
    # "leaders" (a word standing for "chair"), which the vote for the campaign's side covers better
    text, _ = read("Who chaired the Save Hartfield Library campaign?", {"library": (
        "Residents of Hartfield have voted to keep their library open after a campaign by a group "
        "calling itself Save Hartfield Library. "
        "The group's chairman, Owen Price, a retired teacher, said he was delighted. "
        "Local business leaders were split on the issue. "
        "The traders' association stayed neutral, although its president, Carol Mead, said she had "
        "voted to save the library in a personal capacity.")})

    assert first_line(text).startswith("Owen Price")


def test_class_5_the_subject_of_a_verb_does_what_its_infinitive_says(read):
    # "Kate Lyle moved past two defenders to shoot": she is the one who shot, although her own
    # verb is "moved"; the chairman's sentence about the cup tie names the club's officer
    text, _ = read("Which Ashby Town player shot the late winner in the cup tie?", {"cup": (
        "Ashby Town knocked Corby Rangers out of the cup with a late goal on Saturday. "
        "Corby had led through Amy Stone until the hour, and Ashby levelled from a penalty. "
        "With a minute left, Kate Lyle moved past two defenders to shoot into the far corner. "
        "Ashby will be at home in the next round. Chairman Paul Greer said the club would ask "
        "for the tie to be played at its own ground.")})

    assert first_line(text).startswith("Kate Lyle")


def test_class_3_a_qualifier_of_the_one_asked_about_does_not_rule_out_the_answer(read):
    # "British player" is the one coached; "a former Davis Cup player" describes the coach
    text, _ = read("Who coaches the British player from Keswick?", {"tennis": COACHED.format(
        described="a former Davis Cup player, ")})

    assert first_line(text).startswith("Tom Pell")


def test_class_1_the_sentence_going_on_about_the_asked_thing_gives_its_specific_fact(read):
    # the first sentence restates the question with a region; the next, about "the plant", names the town
    text, _ = read("Where will Nordvind build its new turbine factory?", {"jobs": (
        "Danish firm Nordvind is to build a new turbine factory in northern England, creating 900 jobs. "
        "The plant, on the site of a former shipyard near Hartlepool, will open in 2007.")})

    assert "Hartlepool" in first_line(text)


def test_class_1_a_name_given_once_in_the_article_still_covers_the_sentence_that_answers(read):
    # the survey is named in the first sentence only; the figure asked for is two sentences on
    text, _ = read("What share of firms in the Harlow Institute survey plan to hire new staff?", {"survey": (
        "A survey by the Harlow Institute of 900 firms found that 48 per cent expect higher sales next year. "
        "Profit forecasts also improved on the previous quarter. "
        "Thirty per cent of firms plan to hire new staff, while 12 per cent expect to cut jobs.")})

    assert first_line(text).startswith("Thirty per cent"), text


def test_class_2_a_thing_in_lower_case_is_an_answer(read):
    text, _ = read("What did the thieves use to climb into the museum?", {"museum": (
        "Thieves broke into the city museum overnight, police said. "
        "The thieves used a ladder to climb into the museum through a skylight.")})

    assert "ladder" in first_line(text)


def test_class_3_a_who_answer_is_a_person_not_a_club_or_a_place(read):
    text, _ = read("Who scored the winning goal for Manchester United?", {"match": (
        "Manchester United beat Arsenal 2-1 at Old Trafford on Saturday. "
        "Striker Marcus Webb scored the winning goal for Manchester United in the final minute.")})

    assert first_line(text).startswith("Marcus Webb")


def test_class_3_a_name_after_at_and_an_article_is_a_venue_not_a_person(read):
    # spaCy reads the ground ("a packed Abbey Lane") as a person; the scorer is in another sentence
    text, _ = read("Who scored the late winner for Felsham?", {"cup": (
        "Felsham beat Corby 2-1 with a late winner at a packed Abbey Lane. "
        "Gary Hollins came off the bench to score it with four minutes left.")})

    assert first_line(text).startswith("Gary Hollins")


def test_class_3_a_club_or_a_competition_is_no_person(read):
    # spaCy leaves "Felsham United" unlabelled and calls "Trophy" a person
    text, _ = read("Who scored the late winner for the non-league side?", {"cup": (
        "Non-league Felsham United scored a late winner to produce the shock of the FA Trophy fourth round. "
        "Gary Hollins came off the bench to score it with four minutes left.")})

    assert first_line(text).startswith("Gary Hollins")


def test_class_4_a_surname_is_widened_to_the_full_name_the_article_gives(read):
    text, citations = read("Who said the deficit would fall to two per cent next year?", {"budget": (
        "Finance Minister Helen Carter presented the budget to parliament on Tuesday. "
        "Carter said the deficit would fall to two per cent next year.")})

    assert first_line(text).startswith("Helen Carter")
    assert "Helen Carter" in citations[0].quote  # the lead is inside its cited quote


def test_class_5_the_figure_attached_to_the_asked_subject_wins(read):
    bodies = {"storm": "The storm destroyed 40 homes in the valley and damaged 300 others along the coast."}

    assert first_line(read("How many homes were destroyed by the storm?", bodies)[0]).startswith("40")
    assert first_line(read("How many homes were damaged by the storm?", bodies)[0]).startswith("300")


def test_class_3_whom_someone_beat_is_the_one_beaten_by_that_someone(read):
    bodies = {"final": ("Italy is celebrating victory over Spain in the Harbour Cup final, after Luis Ortega beat "
                        "Karl Lenz in four sets in the second singles match. "
                        "Tomas Varga had kept Spain level on the first day. "
                        "Varga overcame a wrist injury to beat Italian number one Peter Quinn.")}

    assert "Peter Quinn" in first_line(read("Whom did Tomas Varga beat in the second singles match of the Harbour "
                                            "Cup final against Spain?", bodies)[0])
    assert first_line(read("Who beat Karl Lenz in the Harbour Cup final?", bodies)[0]).startswith("Luis Ortega")


def test_class_7_how_big_a_figure_noun_is_the_figure_that_noun_introduces(read):
    # "how big a discount": the figure "a discount of 20%" gives, not the price before it
    text, _ = read("How big a discount does the Marlow Books offer give on the list price?", {"books": (
        "Online retailer Marlow Books is selling the new novel at £12.99 in hardback, a discount of "
        "20% on its list price, in a price war with supermarkets. Rival shops said they could not match it.")})

    assert first_line(text).startswith("20%")


def test_class_6_a_word_standing_for_the_asked_verb_counts_in_british_spelling(read):
    # "backed": "in favour" says it (the synonym is compared in the spelling article words are)
    text, _ = read("How many union members backed the new pay deal?", {"ballot": (
        "Rail workers have accepted a new pay deal after a ballot of union members. "
        "The union said 4,212 members voted in favour of the offer, on a turnout of 61%.")})

    assert first_line(text).startswith("4,212")


def test_class_5_a_figure_counting_another_noun_is_not_the_count_asked(read):
    text, _ = read("How many members of the Harbour Council voted against the parking bill?", {"vote": (
        "The parking bill is one step closer after the Harbour Council voted on Tuesday. "
        "The council passed the parking bill by 15 votes to eight after a long debate.")})

    assert not first_line(text).lower().startswith(("one", "15")), text


def test_class_4_a_plural_question_gets_the_whole_list(read):
    text, _ = read("Which three villages did the floods cut off?", {"flood": (
        "Heavy rain fell across the valley for a third day on Sunday. "
        "The floods cut off the villages of Arlen, Borrowdale and Castlemere, police said.")})

    line = first_line(text)
    assert all(name in line for name in ("Arlen", "Borrowdale", "Castlemere")), text


def test_class_7_which_organisation_said_it_is_an_organisation(read):
    text, _ = read("Which agency's report described the Sava river as badly polluted?", {"river": (
        "A report issued on March 3 by officials claims the Sava river is badly polluted, according to "
        "a new study by the Danube Water Agency.")})

    assert "Danube Water Agency" in first_line(text), text


def test_class_3_a_month_in_the_speakers_phrase_is_not_the_speaker(read):
    text, _ = read("Who claims the Sava river is badly polluted?", {"river": (
        "A report issued on March 3 by the Danube Water Agency claims the Sava river is badly polluted.")})

    assert "Danube Water Agency" in first_line(text) and "March" not in first_line(text), text


def test_class_7_a_compound_head_noun_names_the_thing_by_either_word(read):
    text, _ = read("Which radio station did the owner tell that the fire started in the kitchen?", {"fire": (
        "The fire started in the kitchen of the Grand Harbour Hotel on Friday, the owner told KXRT radio.")})

    assert first_line(text).startswith("KXRT"), text


def test_class_7_what_name_someone_goes_by_is_what_they_are_called(read):
    text, _ = read("What name does the former guard who fled to Norway go by?", {"guard": (
        "A former prison guard who fled to Norway says he saw prisoners beaten. "
        "The man, who calls himself Omar Haddad, told Radio Nordica he worked at the prison for six years.")})

    assert first_line(text).startswith("Omar Haddad"), text


def test_class_6_a_near_miss_abstains(read):
    bodies = {"museum": ("The city museum reopened on Friday after a two-year renovation. "
                         "Visitors praised the new galleries and the rebuilt roof.")}

    assert read("How much did the renovation of the city museum cost?", bodies) == ("", [])
    assert read("How many people were injured when the museum reopened?", bodies) == ("", [])


def test_class_6_one_who_only_speaks_has_not_done_what_is_asked(read):
    # nobody is said to have been appointed: the spokesman who comments is no answer
    inquiry = ("Ministers have ordered an independent inquiry into the ferry contract. "
               "The opposition's transport spokesman, Gareth Rowlands, said the inquiry into the ferry "
               "contract raised serious questions. ")
    question = "Who has been appointed to chair the inquiry into the ferry contract?"

    assert read(question, {"inquiry": inquiry}) == ("", [])
    text, _ = read(question, {"inquiry": inquiry + "Retired judge Mair Pritchard has been appointed to chair the inquiry."})
    assert first_line(text).startswith("Mair Pritchard"), text


def test_class_3_a_speaker_of_the_asked_kind_answers_which_councillor(read):
    # "which councillor attacked the plan": a councillor who speaks against it is the answer
    text, _ = read("Which councillor attacked the car park plan as a waste of money?", {"parking": (
        "The council's car park plan would cost £2m, its finance officer, Paul Neary, said. "
        "Councillor Ann Treharne said the car park plan was a waste of money.")})

    assert first_line(text).startswith("Ann Treharne"), text


def test_class_6_a_figure_dated_to_another_year_does_not_answer(read):
    # what the new ship will carry "in the spring of 2007" is not what the fleet carried in 2005;
    # a figure dated by its own date ("in the year to 31 March") answers though another year follows
    ferry = ("Northway Ferries has ordered a new freight ship from a yard in Gdansk. "
             "The ship will be able to carry 140 trailers and 500 passengers when it enters service in the spring of 2007. ")
    question = "How many freight trailers did Northway Ferries carry in 2005?"

    assert read(question, {"ferry": ferry}) == ("", [])
    text, _ = read(question, {"ferry": ferry + (
        "Northway Ferries carried 61,000 freight trailers in the year to 31 December, up from 54,000 in 2004.")})
    assert first_line(text).startswith("61,000"), text


def test_class_6_who_was_the_described_one_needs_a_sentence_naming_the_noun(read):
    # no sentence says who the Conservative candidate was: the MP whose death called the by-election is no answer
    election = ("The Liberal Democrats have won the Millbrook by-election, overturning a Conservative majority of 8,200. "
                "The Millbrook by-election was called after the death of Tom Reddaway, who had held the seat for 20 years. ")
    question = "Who was the Conservative candidate in the Millbrook by-election?"

    assert read(question, {"vote": election}) == ("", [])
    text, _ = read(question, {"vote": election + "The Conservative candidate, Sian Pryce, came second with 9,400 votes."})
    assert first_line(text).startswith("Sian Pryce"), text


def test_class_5_the_final_round_is_not_the_opening_round(read):
    text, _ = read("Who did Sam Hollins play in the opening round at Torquay?", {"chess": (
        "Sam Hollins has won the Torquay Chess Congress at the age of 15. "
        "Hollins played England's James Corrie in the final round at Torquay, winning in 41 moves. "
        "He drew with Welsh veteran Tom Price in the opening round.")})

    assert first_line(text).startswith("Tom Price"), text


def test_class_6_whom_he_played_is_not_whom_he_finished_ahead_of(read):
    # none of the asked relation's words near the name: no one is said to have been played
    text = read("Who did Sam Hollins play in the opening round at Torquay?", {"chess": (
        "Sam Hollins has won the Torquay Chess Congress at the age of 15. "
        "Sam Hollins finished on eight points at Torquay, half a point ahead of Latvian grandmaster Ivars Berzins.")})

    assert text == ("", []), text


def test_class_7_how_long_a_thing_runs_answers_a_duration_asked_by_another_verb(read):
    text, _ = read("How long do residents have to comment on the council's consultation on parking charges?", {"parking": (
        "The council wants to raise parking charges in the town centre for the first time in three years. "
        "A consultation on the parking charges will run for eight weeks, closing on 1 May.")})

    assert first_line(text).startswith("eight weeks"), text


def test_class_2_the_name_the_next_sentence_opens_with_is_the_asked_album(read):
    text, _ = read("What is the name of The Lanterns' chart-topping album?", {"chart": (
        "Scottish band The Lanterns have gone straight to number one in the album chart with their second record. "
        "Northern Skies sold 94,000 copies in its first week, according to the chart company.")})

    assert first_line(text).startswith("Northern Skies"), text


def test_class_5_a_proportion_is_no_count_and_an_elided_noun_is_the_one_before(read):
    # "one in three residents" is a share; "and 3,874 in favour" counts the people of the figure before
    text, _ = read("How many Millbrook residents backed the plan for a bypass?", {"poll": (
        "Voters in Millbrook have rejected the plan for a bypass in a poll that attracted fewer than one in three residents. "
        "The result showed that 5,210 people voted against the plan and 3,874 in favour.")})

    assert first_line(text).startswith("3,874"), text


def test_class_7_a_figure_written_as_a_difference_answers_by_what_margin(read):
    text, _ = read("By what margin did Ruth Chebet break the Cardiff course record?", {"run": (
        "Kenya's Ruth Chebet set a new course record to win the Cardiff 10k on Sunday. "
        "Chebet, 24, finished in 31:02, taking 19 seconds off the previous best, set in 2001.")})

    assert first_line(text).startswith("19 seconds"), text


def test_class_5_by_how_many_asks_for_the_majority_not_the_total(read):
    text, _ = read("By how many votes did the Greens win the Millbrook by-election?", {"vote": (
        "The Greens have won the Millbrook by-election. "
        "The victory brings the number of Green councillors to 12. "
        "Anna Pryce took the seat with a majority of 1,204 after a campaign dominated by the closure of the library.")})

    assert first_line(text).startswith("1,204"), text


def test_class_5_votes_count_the_voters_and_to_joins_a_result(read):
    # "by 31 votes to 12": the votes are the members', and "12" counts votes too
    text, _ = read("How many members of Harford council voted against the budget to close the library?", {"council": (
        "Harford council has approved its budget after a four-hour debate. "
        "The council this morning passed by 31 votes to 12 the budget which would close the library.")})

    assert first_line(text).startswith("12 ["), text


def test_class_6_expected_only_frames_the_asked_verb(read):
    # "is expected to cost": the relation is the cost; another figure "expected" is a near miss
    question = "How much is the Marlow leisure centre refit expected to cost the council?"
    refit = ("The Marlow leisure centre will close for a refit in May, the council said. "
             "Ticket sales at the centre are expected to reach £1.2m next year once it reopens. ")

    assert read(question, {"refit": refit}) == ("", [])
    text, _ = read(question, {"refit": refit + "The refit is expected to cost £4.5m."})
    assert first_line(text).startswith("£4.5m")


def test_class_6_someone_elses_age_is_a_near_miss_but_a_described_age_follows_the_name(read):
    bodies = {"swim": ("Mia Lorne was named swimmer of the year for the third time. "
                       "The champion 19-year-old won four gold medals in July. "
                       "Her coach Tom Reyes was named coach of the year."),
              "court": ("Prosecutors say the trial of Paul Kessel will begin in March. "
                        "The 41-year-old is held in a prison near the capital.")}

    assert read("How old is Tom Reyes, the coach named coach of the year?", bodies) == ("", [])
    assert first_line(read("How old is Paul Kessel, whose trial begins in March?", bodies)[0]).startswith("41")


def test_class_6_a_reported_relation_must_be_there_for_a_figure(read):
    bodies = {"storm": ("A storm hit the coastal town of Marlow overnight, officials said. "
                        "About 40 homes lost power and 12 boats were damaged in the harbour.")}

    assert read("How many people were reported injured in the Marlow storm?", bodies) == ("", [])


@pytest.mark.parametrize(("question", "lead"), [
    ("How long did the renovation of the museum take?", "two-year"),
    ("How old is the museum director Anna Berg?", "52"),
    ("What fee did the museum charge visitors on the first day?", "$5"),
    ("In which county is the museum?", "Kent"),
])
def test_class_7_kinds_asked_by_a_noun_or_an_adverb(read, question, lead):
    text, _ = read(question, {"museum": (
        "The Harbour Museum in Kent reopened on Friday after a two-year renovation. "
        "Its director, Anna Berg, 52, said visitors were charged a fee of $5 on the first day.")})

    assert lead in first_line(text)


def test_which_newspaper_asks_for_an_organisation(read):
    text, _ = read("Which newspaper first reported the merger?", {"merger": (
        "The two banks confirmed their merger on Monday in Frankfurt. "
        "The deal was first reported by the Daily Courier last week, citing sources close to the talks.")})

    assert "Daily Courier" in first_line(text)


def test_a_speaker_given_as_he_is_the_person_named_before(read):
    text, citations = read("Who denied that the factory polluted the river?", {"river": (
        "Plant manager Tomas Reyes spoke to reporters outside the factory on Monday. "
        "He denied that the factory had polluted the river.")})

    assert first_line(text).startswith("Tomas Reyes")
    assert "Tomas Reyes" in citations[0].quote


def test_an_attribution_quote_over_two_sentences_takes_the_speaker_named_in_the_other(read):
    text, _ = read("Who warned that prices would keep rising?", {"prices": (
        "\u201cPrices will keep rising through the winter. "
        "Families should prepare for that,\u201d said economist Laura Finch.")})

    assert first_line(text).startswith("Laura Finch")


def test_a_british_spelling_in_the_question_finds_the_american_one_in_the_article(read):
    text, _ = read("Which defence minister criticised the harbour plan?", {"base": (
        "Finance Minister Paul Ames presented the plan for the new port on Monday. "
        "Defense Minister Carla Munro criticized the harbor plan on Tuesday.")})

    assert first_line(text).startswith("Carla Munro"), text


def test_a_count_of_the_asked_noun_qualified_by_another_name_is_not_the_answer(read):
    bodies = {"clash": ("Ostrava Brigade fighters and Kestrel Front fighters clashed in the northern valley on Monday. "
                        "Security forces killed 40 Kestrel Front fighters near the pass, the army said.")}

    assert read("How many Ostrava Brigade fighters did security forces kill?", bodies) == ("", [])
    assert first_line(read("How many Kestrel Front fighters did security forces kill?", bodies)[0]).startswith("40")


def test_a_name_of_two_words_is_not_found_in_its_words_apart(read):
    bodies = {"cup": ("Marta Lind won the Harbour Cup sailing race on Sunday. "
                      "She will sail at the regatta in Brenton next month.")}

    assert read("Who won the Brenton Cup?", bodies) == ("", [])
    assert first_line(read("Who won the Harbour Cup?", bodies)[0]).startswith("Marta Lind")


def test_class_2_a_thing_set_off_by_commas_after_the_asked_noun_is_the_answer(read):
    text, _ = read("What bacteria had infected the woman moved to the Calder Hospital?", {"clinic": (
        "An inquiry is under way into the transfer of a woman infected with a deadly bacteria. "
        "The woman infected with the bacteria, klebsor, was moved from Mount Hill Hospital to the Intensive Care "
        "Unit at the Calder Hospital. Four people receiving treatment in the unit have since been infected with "
        "the bacteria.")})

    assert first_line(text).startswith("klebsor"), text


def test_an_organisation_speaker_given_by_its_acronym_is_shown_with_its_full_name(read):
    text, _ = read("Which coalition of unions rejected the wage offer?", {"wages": (
        "Unions have rejected the latest wage offer from the port operators. "
        "\u201cThis offer is an insult to every worker,\u201d said the Harbour Workers Alliance (HWA), "
        "a coalition of nine unions.")})

    assert first_line(text).startswith("Harbour Workers Alliance (HWA)"), text


def test_class_4_a_given_name_the_entity_left_out_is_part_of_the_name(read, nlp):
    body = ("\u201cWe will hand the city to the elders,\u201d former envoy to Norway Abdul Salam Zaeef told "
            "reporters on Monday.")
    if [e.text for e in nlp(body).ents if e.label_ == "PERSON"] != ["Salam Zaeef"]:
        pytest.skip("this spaCy model finds the whole name by itself")
    text, _ = read("Which former envoy told reporters the city would be handed to the elders?", {"city": body})

    assert first_line(text).startswith("Abdul Salam Zaeef"), text


def test_class_7_what_level_asks_for_a_figure_of_any_form(read):
    text, _ = read("To what level did the central bank cut its cash rate?", {"rate": (
        "The Reserve Bank of Norland met on Tuesday. "
        "The Reserve Bank of Norland has cut its cash rate by a quarter-point to 3.5 per cent, "
        "the lowest level in a decade.")})

    assert first_line(text).startswith("3.5 per cent"), text


@pytest.mark.parametrize("sentence", [
    "On the Coast Road police have set the speed limit to 60, down from 100 kilometres an hour.",
    "On the Coast Road police have set the speed limit from 100 kilometres an hour to 60.",
])
def test_class_5_of_a_change_from_one_figure_to_another_the_new_one_answers(read, sentence):
    text, _ = read("What speed limit have police set on the Coast Road?", {"road": (
        "Smoke from the fires has closed several roads. " + sentence)})

    assert first_line(text).startswith("60"), text


def test_class_7_which_city_is_not_answered_with_a_country_nor_a_person(read):
    bodies = {"talks": ("Trade ministers will meet next week to discuss the tariff dispute with Norland. "
                        "The ministers said the talks would decide the future of trade with Norland, "
                        "and they will report to President Anna Kessel.")}
    assert read("In which city will the trade ministers meet?", bodies) == ("", [])

    bodies["talks"] += " The ministers will meet in Bergholm, the capital, on Monday."
    assert first_line(read("In which city will the trade ministers meet?", bodies)[0]).startswith("Bergholm")


def test_class_6_a_figure_for_another_distance_than_the_one_asked_is_no_answer(read):
    question = "What time did Mara Holt swim in the 200 metres freestyle at the Lakeside meet?"
    bodies = {"swim": ("Mara Holt set an Australian record in the 200 metres freestyle at the Lakeside meet. "
                       "The crowd of 3,000 cheered the result. "
                       "Mara Holt won the 100 metres freestyle at the Lakeside meet in 54.21 seconds.")}
    assert read(question, bodies) == ("", [])

    bodies["swim"] += " Holt swam the 200 metres freestyle at the Lakeside meet in 118.5 seconds."
    assert first_line(read(question, bodies)[0]).startswith("118.5 seconds")


@pytest.mark.parametrize(("sentence", "town"), [
    ("The storm caused damage in the Blue Mountains and in Katoomba on Monday.", "Katoomba"),
    ("The storm caused damage across the Snowy Mountains, at Jindabyne.", "Jindabyne"),
])
def test_class_7_which_town_is_not_answered_with_a_region(read, sentence, town):
    text, _ = read("In which town did the storm cause damage?", {"storm": sentence})

    assert first_line(text).startswith(town), text


def test_class_1_a_name_spelling_out_the_questions_acronym_is_not_new(read):
    text, _ = read("Which EU agency's report warned about the drought?", {"drought": (
        "A report by the European Union's Joint Water Monitoring Agency warned about the drought in the south.")})

    assert first_line(text).startswith("Joint Water Monitoring Agency"), text


def test_a_questions_acronym_finds_the_name_it_abbreviates():
    from qa.candidates import ArticleText, Word
    from qa.scoring import spelled_acronyms

    text = "The United Nations and the European Union's Joint Water Agency met."
    words, at = [], 0
    for token in ["The", "United", "Nations", "and", "the", "European", "Union", "'s", "Joint", "Water", "Agency", "met", "."]:
        at = text.index(token, at)
        words.append(Word(at, at + len(token), token, token.lower(), "PROPN", "dep", 0))
        at += len(token)
    article = ArticleText("d", None, text, words, [], [])

    assert {"un", "eu", "jwa"} <= spelled_acronyms(article, 0, len(words))


def test_class_3_a_name_ending_in_the_asked_noun_is_cut_where_a_second_name_joins_it(read):
    text, _ = read("Which university conducted the study of arrest rates among Aboriginal Australians?", {"study": (
        "A new study shows that a third of Aboriginal people in Australia have been arrested in the past five years. "
        "The study conducted by the Australian National University for the Northern Bureau of Crime Statistics "
        "is the first to compare the arrest rates of the Aboriginal and non-Aboriginal population.")})

    assert first_line(text).startswith("the Australian National University [1]"), text


def test_class_7_a_figure_asked_for_by_its_noun_needs_no_verb_of_the_question(read):
    bodies = {"road": ("Smoke from the fires has closed several roads. "
                       "On the Coast Road police have reduced the speed limit from 100 kilometres an hour to 60.")}

    assert first_line(read("What speed limit have police imposed on the Coast Road?", bodies)[0]).startswith("60")
    assert read("How many people have police evacuated from the Coast Road?", bodies) == ("", [])


def test_class_7_the_asked_noun_need_not_be_in_the_answer_sentence(read):
    text, _ = read("In which suburb is Kestrel Grammar School?", {"school": (
        "A former student of a Melbourne school is taking legal action against it. "
        "Tim, 16, said a teacher at Kestrel Grammar School in Elwood told him he was lazy, and bullying by "
        "students made him leave.")})

    assert first_line(text).startswith("Elwood"), text


def test_a_name_given_right_after_the_questions_words_answers_however_unlike_the_sentence(read):
    text, _ = read("Who is the chief executive of the mining group Norland Resources?", {"profit": (
        "Cash-strapped mining group Norland Resources has shelved a plan to buy back shares and will raise "
        "$750 million in fresh capital after profits crashed. Chief executive Paul Ames said the result was "
        "\u201csolid\u201d in what he described as the worst conditions for stock markets in 20 years.")})

    assert first_line(text).startswith("Paul Ames"), text


def test_class_7_what_is_the_noun_of_asks_for_that_noun_and_a_codename_is_a_name(read):
    text, _ = read("What is the codename of the taskforce investigating the port thefts?", {"port": (
        "Detectives have asked the ombudsman to look at the taskforce investigating the port thefts. "
        "The taskforce, codenamed Harrow, will check the bank records of 12 dock workers.")})

    assert first_line(text).startswith("Harrow"), text


def test_class_5_the_previous_value_is_asked_for_by_previous(read):
    bodies = {"bank": ("The Norland Bank reported a net profit of 3.1 billion dollars in the year to June, "
                       "up from 2.8 billion dollars a year earlier.")}

    assert first_line(read("What was the Norland Bank's net profit in the previous year?", bodies)[0]).startswith(
        "2.8 billion")
    assert first_line(read("What net profit did the Norland Bank report in the year to June?", bodies)[0]).startswith(
        "3.1 billion")


def test_class_7_what_someone_said_is_a_statement_unless_it_embeds_a_question(nlp):
    plain = analyse_question("What did the mayor say about the bridge?", nlp("What did the mayor say about the bridge?"),
                             lambda stem: 1.0)
    embedded = "What did the mayor say about when the bridge would open?"
    assert plain.kind == "phrase" and analyse_question(embedded, nlp(embedded), lambda stem: 1.0).kind != "phrase"


def test_class_3_where_a_match_was_played_is_not_the_side_played_against(read):
    text, _ = read("Where was the Chilean striker playing when he was sent off?", {"match": (
        "The Chilean striker Tomas Reyes was sent off in the second half of the cup tie against Portugal "
        "in Lisbon on Saturday.")})

    assert first_line(text).startswith("Lisbon"), text



def test_class_7_which_people_asks_for_a_people_not_a_person(read):
    text, _ = read("Which Aboriginal people will open the cultural centre at Kalbarri?", {"centre": (
        "Local Aboriginal owners will open a cultural centre at Kalbarri next year, chairman Ron Hill said. "
        "The Nanda people have run tours of the gorge since 1995.")})

    assert first_line(text).startswith("Nanda"), text


@pytest.mark.parametrize(("question", "said"), [
    ("What kind of relationship does harbour master Tom Riley have with the Kelby port authority?", "strained"),
    ("What sort of attitudes to the new tax do small farmers have, according to the survey?", "hostile attitudes"),
])
def test_class_7_what_kind_of_a_noun_asks_how_the_article_describes_it(read, question, said):
    text, _ = read(question, {"storm": (
        "The storm hit the port of Kelby on Tuesday, harbour master Tom Riley said. "
        "It caused severe structural damage to the harbour wall, he said, and repairs will take months. "
        "Riley's relationship with the Kelby Port Authority has been strained since 2019. "
        "A survey by the Farmers Federation found that small farmers have largely hostile attitudes to the new tax. "
        "Federation president Anne Cole will meet the minister in March.")})

    assert said in first_line(text), text


def test_class_7_a_sort_noun_defers_to_the_noun_after_of(nlp):
    def kind(question: str) -> tuple[str, str | None]:
        understood = analyse_question(question, nlp(question), lambda stem: 1.0)
        return understood.kind, understood.head

    assert kind("Which type of aircraft crashed near the airport?") == ("title", "aircraft")  # a model's name
    assert kind("What kind of person is the new coach?") == ("phrase", "person")  # a description, not a name
    assert kind("Which newspaper printed the letter?") == ("organisation", "newspaper")


def test_class_7_a_compound_head_noun_of_no_kind_takes_the_kind_of_its_first_noun(read, nlp):
    understood = analyse_question("What is the price tag on the new stadium?", nlp("What is the price tag on the new stadium?"),
                                  lambda stem: 1.0)
    assert (understood.kind, understood.head) == ("money", "price")

    text, _ = read("What is the price tag on the Kelby club's new stadium?", {"stadium": (
        "Kelby Town have been given planning permission for a new stadium on the edge of the city. "
        "The ground, costing £48m, will hold 22,000 fans and is due to open in 2008.")})

    assert first_line(text).startswith("£48m"), text


def test_a_quote_over_a_paragraph_break_keeps_its_outlet_and_a_pronoun_speaker_is_no_one_it_names(read):
    text, citations = read("Who said that the Kelby bridge would stay shut until spring?", {"bridge": (
        "Council engineer Maria Lindqvist spoke to reporters on Monday.\n\n"
        "\"The Kelby bridge will stay shut until spring, whatever the ministry says,\" she said.")})

    quoted = [c for c in citations if "\n\n" in c.quote]
    assert quoted, text  # the quote runs from the paragraph naming her
    assert "Test Wire: Council engineer Maria Lindqvist spoke to reporters on Monday. \"The Kelby" in text, text
    assert first_line(text).startswith("Maria Lindqvist"), text


@pytest.mark.parametrize(("question", "lead"), [
    ("How much did Malcolm Glazer pay for the football club?", "£790m"),  # the magnitude spaCy splits off
    ("What fee did Ardley Town receive for the striker?", "$4.5m"),
    ("By how much did Norland's pre-tax profit rise in the year to February?", "20%"),  # "how much", no unit
    ("How much damage did the Kelby hacker cause?", "$700,000"),  # "how much" + a noun of money
    ("How much did the museum sell the painting for?", "£6.5m"),  # the magnitude before a full stop ("m.")
    ("How much cash will Ardley shareholders get for each share?", "245p"),  # pence
])
def test_class_7_an_amount_keeps_its_magnitude_and_how_much_takes_a_figure_of_any_form(read, question, lead):
    text, _ = read(question, {"deal": (
        "US tycoon Malcolm Glazer has won control of the football club. "
        "Glazer paid £790m for the club, including debt, the club said. "
        "Ardley Town received a fee of $4.5m for the striker in January. "
        "The Norland supermarket group said pre-tax profit rose 20% in the year to February, while sales grew. "
        "A hacker from Kelby was jailed for 18 months; the court heard he had caused damage worth $700,000. "
        "The museum sold the painting to a private collector for £6.5m. "
        "Under the takeover, Ardley shareholders will receive 245p a share in cash.")})

    assert first_line(text).startswith(f"{lead} ["), text


def test_class_1_a_name_the_question_already_describes_is_not_the_one_asked_for(read):
    bodies = {"sale": ("Mobile phone maker Siemens Mobile has been sold. "
                       "Taiwanese electronics firm BenQ agreed to buy the unit for an undisclosed sum, the German "
                       "group said on Tuesday."),
              "talks": "Taliban spokesman Zabihullah Mujahid said the group had no ties to al-Qaeda."}

    text, _ = read("Which company bought the mobile phone maker?", {"sale": bodies["sale"]})
    assert first_line(text).startswith("BenQ"), text
    # the noun the question asks about (its subject) still introduces the answer
    text, _ = read("Who is the spokesman of the Taliban?", {"talks": bodies["talks"]})
    assert first_line(text).startswith("Zabihullah Mujahid"), text
    # "which band's album": the album is described, the band is asked for
    text, _ = read("Which band's album topped the UK chart?", {"chart": (
        "Coldplay's new album X&Y has gone straight to number one in the UK chart, selling more than 460,000 "
        "copies in its first week.")})
    assert first_line(text).startswith("Coldplay"), text


def test_class_2_a_title_starting_with_a_number_word_is_whole_and_a_bare_number_is_no_name(read):
    text, _ = read("Which film won best picture at the Oscars?", {"oscars": (
        "Martin Scorsese's The Aviator was the big loser at the Oscars on Sunday. "
        "Clint Eastwood's boxing drama Million Dollar Baby won best picture, and Eastwood was named best director.")})

    assert first_line(text).startswith("Million Dollar Baby ["), text
    text, _ = read("Which rally driver won the Kelby stage?", {"rally": (
        "Three drivers crashed out of the Kelby stage on Saturday. Finn Tomas Reyes won it by 12 seconds.")})
    assert not first_line(text).startswith("Three"), text


def test_class_7_a_place_owning_a_place_is_given_whole(read):
    text, _ = read("Where will the UK leg of the Live 8 concerts be held?", {"concert": (
        "The UK leg of the Live 8 concerts will be held in London's Hyde Park on 2 July, organiser Bob Geldof said.")})

    assert first_line(text).startswith("London's Hyde Park ["), text


@pytest.mark.parametrize("speed", ["300km/h", "186mph", "300 km/h"])
def test_class_7_a_speed_written_with_its_unit_joined_is_a_quantity(read, speed):
    text, _ = read("What is the top speed of the new train?", {"train": (
        f"The new train has a top speed of {speed} and will cut the journey between the two cities to two hours.")})

    assert first_line(text).startswith(f"{speed} ["), text


@pytest.mark.parametrize(("question", "body", "lead"), [
    ("Which club did Wayne Rooney join from Everton?",
     "Wayne Rooney completed his move from Everton to Manchester United for £27m on Tuesday. "
     "The 18-year-old striker signed a six-year contract.", "Manchester United"),
    ("When will Sony launch its handheld console in Europe?",
     "Sony will release its PSP handheld console in Europe on 1 September, the firm said.", "1 September"),
    ("How long was the Kelby hacker jailed for?",
     "A hacker from Kelby was imprisoned for 18 months for breaking into military computers.", "18 months"),
    ("How many jobs will Kelby Bank cut?",
     "Kelby Bank will axe 2,000 jobs by 2007, the bank said on Monday.", "2,000"),
])
def test_class_6_a_verb_the_article_says_in_other_words_is_the_asked_relation(read, question, body, lead):
    text, _ = read(question, {"story": body})

    assert first_line(text).startswith(lead), text


def test_class_6_a_fact_asked_for_a_place_the_article_never_names_is_a_near_miss(read):
    body = ("Sony has said its PlayStation Portable handheld console will go on sale in Europe on 1 September. "
            "The PSP has sold well in Japan and the US.")

    text, _ = read("When will the PlayStation Portable go on sale in Australia?", {"psp": body})
    assert text == "", text  # the article gives Europe's date only
    text, _ = read("When will the PlayStation Portable go on sale in Europe?", {"psp": body})
    assert first_line(text).startswith("1 September"), text


@pytest.mark.parametrize(("question", "body", "lead"), [
    ("By how much did Brightwell's autumn sales drop?",
     "Furniture retailer Brightwell's said trading had been difficult. "
     "Sales in the autumn fell 6.2%, while costs rose 3%.", "6.2%"),
    ("By how much did profits increase at Ferris Foods?",
     "Ferris Foods said trading had been strong. Its profits jumped 18% in the year to March.", "18%"),
    ("How long is Ana Ruiz's deal with Carlton Rovers?",
     "Carlton Rovers have signed Spanish midfielder Ana Ruiz from Valencia. "
     "The 22-year-old has agreed a contract that runs for three years.", "three years"),
])
def test_class_6_movement_and_agreement_words_stand_for_one_another(read, question, body, lead):
    text, _ = read(question, {"story": body})

    assert first_line(text).startswith(lead), text


def test_class_7_how_old_with_nothing_but_names_asks_no_relation(read):
    # "old" is the asked kind, not a word the sentence must hold: "Ms Calder, 67," answers
    text, _ = read("How old is Ruth Calder?", {"senator": (
        "Senator Ruth Calder has announced she will retire at the next election. "
        "Ms Calder, 67, has held the seat since 1983.")})

    assert first_line(text).startswith("67 ["), text


def test_class_3_a_pronoun_speaker_of_a_reporting_verb_is_the_person_it_stands_for(read):
    # "cautioned" reports speech (annotation version 2), and its speaker "he" is Sir Ian Pell,
    # scored where the sentence says "he", next to the asked words
    text, _ = read("Who at Marlow Water warned that household bills would rise?", {"water": (
        "Marlow Water reported higher profits on Tuesday. "
        "Chairman Sir Ian Pell said the results showed the strength of the business. "
        "But he cautioned that household bills would rise next year as the cost of repairs grew. "
        "Finance director Kate Amos said costs were under control.")})

    assert first_line(text).startswith("Ian Pell") or first_line(text).startswith("Sir Ian Pell"), text


@pytest.mark.parametrize(("question", "body", "lead"), [
    # the asked noun itself, where the sentence has it beside the figure, holds the relation
    ("What fee did Carlton Rovers pay Valencia for Ana Ruiz?",
     "Carlton Rovers have signed Spanish midfielder Ana Ruiz from Valencia for a club record fee of £4.5m.", "£4.5m"),
    # a word of the same root holds it: "performed" and "its final performance"
    ("When will Lantern be performed for the last time?",
     "The West End musical Lantern is to close after poor ticket sales. It will give its final performance on 9 April.",
     "9 April"),
])
def test_class_6_the_asked_noun_or_a_word_of_the_same_root_holds_the_relation(read, question, body, lead):
    text, _ = read(question, {"story": body})

    assert first_line(text).startswith(lead), text


def test_class_7_how_big_a_sum_asks_for_money(read):
    text, _ = read("How big a reward has the council put up over the vandalism?", {"reward": (
        "The council has offered a reward of $20,000 for information about the vandalism, which caused damage "
        "to 14 buses.")})

    assert first_line(text).startswith("$20,000 ["), text


@pytest.mark.parametrize(("question", "lead"), [
    ("Which record-breaking striker did Leeds United sign?", "Tomas Berg"),  # the head is "striker", not "record"
    ("Which London-based bank bought Harwell Finance?", "Stanmore Capital"),  # "bank", past "London-based"
])
def test_class_7_a_hyphenated_modifier_is_not_the_head_noun_and_the_name_after_the_noun_is_its_name(read, question, lead):
    text, _ = read(question, {"story": (
        "Leeds United have signed record-breaking striker Tomas Berg from Malmo for £3m. "
        "Berg scored 40 goals last season. "
        "Meanwhile, London-based bank Stanmore Capital has bought Harwell Finance for £80m.")})

    assert first_line(text).startswith(lead), text


def test_class_3_the_name_after_the_asked_noun_wins_over_a_place_before_it(read):
    text, _ = read("Which publisher owns Ironclad Studios?", {"games": (
        "Dundee-based Ironclad Studios has finished its new game. "
        "Ironclad was bought by US publisher Vantage Interactive for £45m in 2003.")})

    assert first_line(text).startswith("Vantage Interactive"), text


def test_class_6_a_question_acronym_is_found_where_the_article_spells_it_in_lower_case(read):
    text, _ = read("What was the CPI inflation rate?", {"prices": (
        "Inflation, as measured by the consumer prices index, stood at 2.1% last month, official figures showed.")})

    assert first_line(text).startswith("2.1% ["), text


def test_class_6_an_age_set_off_after_another_persons_name_is_a_near_miss(read):
    body = ("Transport minister Peter Gosling has resigned after admitting he used his official car for private trips. "
            "He is replaced by junior health minister Karen Doyle, 44, who becomes the third transport minister "
            "in two years.")

    text, _ = read("How old is the former transport minister Peter Gosling?", {"minister": body})
    assert text == "", text  # the article gives Doyle's age only
    text, _ = read("How old is the new transport minister Karen Doyle?", {"minister": body})
    assert first_line(text).startswith("44 ["), text


def test_class_3_a_news_noun_for_a_person_asks_for_a_person(read):
    # "peer" names a person ("which peer led"), so an organisation is no answer
    text, _ = read("Which peer led the Lords rebellion over the fraud bill?", {"lords": (
        "The government has been defeated in the House of Lords over its fraud bill. "
        "Former judge Lord Ashdown, who led the rebellion, said the bill was flawed. "
        "The Law Society, which led the campaign against the fraud bill, welcomed the Lords vote.")})

    assert first_line(text).startswith("Lord Ashdown ["), text  # a peer's title is part of the name


def test_class_3_what_a_role_is_of_is_not_a_person(read):
    # "the MP for Ashworth North": a constituency, whatever spaCy calls it
    text, _ = read("Who has taken over from Peter Gosling as transport minister?", {"minister": (
        "Transport minister Peter Gosling has resigned after admitting he used his official car for private trips. "
        "Mr Gosling, the MP for Ashworth North, said in a letter to the prime minister that he had made "
        "\"an error of judgement\" and did not want to become a distraction for the government. "
        "He is replaced by junior health minister Karen Doyle, who becomes the third transport minister in two years.")})

    assert first_line(text).startswith("Karen Doyle"), text


def test_class_7_a_length_of_time_in_parts_is_given_whole_and_an_ordinal_is_no_duration(read):
    # "a second-round match" holds no second of time; "four hours and 12 minutes" is one length
    text, _ = read("How long did Tom Ashby's win over Mariano Ferreyra take?", {"tennis": (
        "British wildcard Tom Ashby beat the 12th seed Mariano Ferreyra in five sets. "
        "Ashby won 6-4 3-6 7-6 4-6 8-6 in a second-round match lasting four hours and 12 minutes on Court Two.")})

    assert first_line(text).startswith("four hours and 12 minutes ["), text


@pytest.mark.parametrize(("question", "lead"), [
    ("How much has the film Northern Line taken at the UK box office?", "£3.4m"),  # asked as a quantity
    ("What was the government's margin of defeat in the Lords vote?", "74"),  # the margin, not the government
    ("What was the margin of the peers' vote on juries?", "74"),  # "a majority of 74", not "216 to 142"
    ("By what margin did Kiprono beat the record?", "41 seconds"),  # a difference given as a time
])
def test_class_5_a_figure_keeps_its_currency_and_a_margin_is_a_difference(read, question, lead):
    text, _ = read(question, {"story": (
        "British comedy Northern Line has topped the UK box office for a second week, taking £3.4m at the weekend. "
        "The government was defeated in the Lords vote on jury trials by a majority of 74. "
        "Peers voted by 216 to 142 to strike out the plan for trials without juries, a majority of 74. "
        "Kiprono beat the record by 41 seconds, finishing in one hour and two minutes.")})

    assert first_line(text).startswith(lead), text


def test_class_6_in_what_year_asks_for_a_year(read):
    body = ("Harcourt & Vane, the shoemaker, said sales rose 12% in the year to January. "
            "The brand opened its first London shop on a Wednesday in March.")

    text, _ = read("In what year was Harcourt & Vane founded?", {"shoes": body})
    assert text == "", text  # no year is given: "the year to January" and "Wednesday" name none


def test_class_1_an_answer_in_other_words_than_the_question_is_still_close_enough(read):
    # the sentence shares little wording or meaning with the question, but names the asked thing
    text, _ = read("Which company did Harcourt & Vane's boss work for before she joined?", {"shoes": (
        "The shoemaker Harcourt & Vane has reported a rise in profits. "
        "Chief executive Imogen Strachan, who joined the firm from Italian group Ferretti in 2003, said the brand's "
        "revival was \"ahead of schedule\".")})
    assert first_line(text).startswith("Ferretti"), text


@pytest.mark.parametrize(("question", "lead"), [
    ("What prison term was the former councillor given?", "18 months"),  # "term" asks for a length of time
    ("How big a stake in Redwing does the French publisher own?", "30%"),  # "how big a stake": a share
    ("Who is the author of Pit Road?", "Frank Haigh"),  # "author" and "written by"
    ("How much money did Morfa Homes hand to the constituency party?", "£4,500"),  # "hand" and "gave"
])
def test_class_7_nouns_and_verbs_of_news_asking_for_a_kind_or_a_relation(read, question, lead):
    text, _ = read(question, {"story": (
        "A former councillor has been jailed for 18 months for forging postal votes. "
        "Games developer Redwing is 30% owned by a French publisher. "
        "Pit Road, a mining drama, won the prize. It was written by Frank Haigh, who worked at a colliery. "
        "A minister has resigned over a £1.8m contract. The developer, Morfa Homes, gave £4,500 to her "
        "constituency party in 2003.")})

    assert first_line(text).startswith(lead), text


def test_class_6_jobs_that_will_go_are_jobs_cut(read):
    text, _ = read("How many jobs will Harlow Foods cut?", {"jobs": (
        "Harlow Foods is to close its factory in Leeds after losing a supermarket contract. "
        "About 450 posts will go by March, mostly through voluntary redundancy, the company said.")})

    assert first_line(text).startswith("450 posts ["), text


def test_class_5_the_loss_of_jobs_counts_the_workers_who_lose_them(read):
    text, _ = read("How many workers will lose their jobs when the Hexham mill shuts?", {"mill": (
        "Paper maker Corbridge Mills is to close its mill in Hexham with the loss of 210 jobs. "
        "The firm blamed the rising cost of energy and pulp for 3 years of losses.")})

    assert first_line(text).startswith("210 jobs ["), text


def test_class_3_the_name_a_set_off_noun_describes_is_the_answer_not_its_modifier(read):
    text, _ = read("Which publisher is bringing out Moorland Light?", {"book": (
        "The novel Moorland Light is being brought out by Heron Books, a small Leeds publisher which "
        "bought the rights last spring.")})

    assert first_line(text).startswith("Heron Books ["), text


def test_class_6_a_sentence_close_in_meaning_may_say_the_relation_in_other_words(read):
    # "in charge of" is not written; "managing director" says it
    text, _ = read("Who is in charge of Prestwick airport?", {"airport": (
        "Budget airline FlyAlba is to launch flights from Prestwick to Gdansk. "
        "Prestwick airport's managing director, Anne Lauder, welcomed the new service.")})

    assert first_line(text).startswith("Anne Lauder"), text


def test_class_2_the_year_of_a_phrase_is_no_date(read):
    text, _ = read("When does Starfall 2 go on sale in the UK?", {"game": (
        "One of the most eagerly awaited video games of the year, Starfall 2, goes on sale in the UK on "
        "12 November, with retailers expecting record demand.")})

    assert first_line(text).startswith("12 November ["), text


def test_class_3_a_name_before_a_noun_that_titles_another_name_is_a_modifier(read):
    text, _ = read("Which club did Warrington buy Manu Tane from?", {"rugby": (
        "Warrington Wolves have signed New Zealand international prop Manu Tane from NRL side Canterbury "
        "Bulldogs on a three-year deal.")})

    assert first_line(text).startswith("Canterbury Bulldogs"), text




def test_class_3_a_name_a_role_noun_introduces_is_no_organisation(nlp):
    body = ("The series, called Hard Winter, will be written by Sheffield-born playwright Jim Caddick and filmed "
            "in South Yorkshire next spring.")
    text = article_text("drama", body)
    question = analyse_question("Which company is producing Hard Winter?", nlp("Which company is producing Hard Winter?"),
                                lambda stem: 1.0)
    assert "Jim Caddick" in {m.text for m in text.mentions if m.label == "PERSON"}  # spaCy's reading
    fits = [s.fit for s in find_spans(question, text.sentences[0], text) if s.text == "Jim Caddick"]
    assert max(fits, default=0.0) < ReadSettings().min_span, fits  # never an organisation that answers


def test_class_7_a_length_written_with_a_hyphen_is_no_date(read):
    text, _ = read("When does Pit Road begin its run in north London?", {"play": (
        "Pit Road will transfer to the Tricycle Theatre in north London for a six-week run from 3 May.")})

    assert first_line(text).startswith("3 May ["), text


def test_class_7_how_much_is_a_sum_asks_for_money_without_a_rate_article(read):
    # the subject of "be" is a sum ("bill"), so a percentage is no answer; "£1,113 a year" ends at the sum
    text, _ = read("How much will a typical council tax bill in Castlebridge be after the rise?", {"tax": (
        "Households in Castlebridge face a council tax rise of 4.9% from April. "
        "The increase means a typical bill will go up by £52 to £1,113 a year, the council said.")})

    assert first_line(text).startswith("£1,113 ["), text


def test_class_6_moving_production_is_shifting_manufacturing(read):
    text, _ = read("To which country is the Kettering firm shifting its manufacturing?", {"shoes": (
        "One of Northamptonshire's oldest shoemakers is to move its production to India, with the loss of 180 jobs. "
        "Bramley & Sons, which has made shoes in Kettering since 1887, said its factory would close in March. "
        "Finance director Martin Oakes said cheap imports had made UK manufacturing impossible.")})

    assert first_line(text).startswith("India ["), text


def test_class_5_customers_are_subscribers(read):
    text, _ = read("How many subscribers will be given a free month?", {"broadband": (
        "Broadband provider Zephyr has apologised for a fault that cut connections for three days. "
        "It said it would offer one month's free service to the estimated 45,000 customers affected.")})

    assert first_line(text).startswith("45,000 customers ["), text


def test_class_2_a_title_spacy_did_not_label_is_read_as_one(read):
    # "The Ferryman's Wife": capitals begun with "The" inside a sentence, across a possessive, are a
    # title (spaCy labels none of it, and the writer's name is no novel)
    text, _ = read("Which novel won the Fenwick Prize?", {"books": (
        "Ola Brandt, 41, won the £25,000 Fenwick Prize at a dinner in York on Tuesday for The Ferryman's "
        "Wife, a story of a family on the Humber. It is her first novel.")})

    assert first_line(text).startswith("The Ferryman's Wife ["), text


def test_class_2_the_title_of_a_named_writers_play_asks_for_the_play(read):
    # "the Mara Quill play": the tagger may read "play" as a verb; the asked noun is still the play,
    # "has played Sergeant Dunn" is the verb, and the title set off after "play" is the answer
    text, _ = read("What is the title of the Mara Quill play the departing actor will appear in?", {"drama": (
        "Actor Tom Hale is to leave the police drama Blue Lamp after ten years. "
        "The 52-year-old has played Sergeant Dunn since the first series in 1994. "
        "He has agreed to appear next spring in a new stage play, The Keeper's Son, by the writer Mara Quill.")})

    assert first_line(text).startswith("The Keeper's Son ["), text


@pytest.mark.parametrize("body, word, widened", [
    ("She won the prize for The Lamplighter's Son, her third book.", "Son", "The Lamplighter's Son"),
    ("It beat rapper Kid Vega's Concrete Halo, which entered at number two.", "Concrete", "Concrete Halo"),
])
def test_class_2_a_title_begun_with_the_is_widened_over_its_possessive(nlp, body, word, widened):
    from qa.spans import _span_of, _with_title_owner
    text = article_text("t", body)
    first = next(i for i, w in enumerate(text.words) if w.text == word)
    last = first + 1 if word == "Concrete" else first
    assert _with_title_owner(text, _span_of(text, first, last, 0.9)).text == widened


def test_class_6_the_runner_up_is_whom_the_winner_finished_ahead_of(read):
    # "runner-up" is not written; "ahead of" says it, and names the one who came second
    text, _ = read("Who finished runner-up to Ana Sousa in the Lisbon marathon?", {"marathon": (
        "Portugal's Ana Sousa won the Lisbon marathon on Sunday, breaking the course record set by Rosa Mota "
        "in 1988. Sousa, 29, who is coached by her husband Rui Lopes, finished in two hours 24 minutes, "
        "38 seconds ahead of Kenya's Grace Wanjiru. Sousa said the crowd had carried her over the last mile.")})

    assert first_line(text).startswith("Grace Wanjiru ["), text


def test_class_3_a_nationality_ahead_of_the_runner_up_is_no_person(read):
    # "ahead of Latvian grandmaster Ivars Berzins": the runner-up is the name, not the adjective
    # before it (nor, though spaCy labels the name an organisation, the winner)
    text, _ = read("Who was runner-up at the Torquay congress?", {"chess": (
        "A 15-year-old from Leeds has become the youngest winner of the Torquay Chess Congress. "
        "Sam Hollins finished the Torquay congress on eight points from nine games, half a point "
        "ahead of Latvian grandmaster Ivars Berzins.")})

    assert first_line(text).startswith("Ivars Berzins"), text


@pytest.mark.parametrize("coverage, answers", [(0.9, True), (0.6, False)])
def test_class_6_a_sentence_far_in_embedding_answers_only_when_it_holds_the_question_words(nlp, coverage, answers):
    # the embedding of "finished half a point ahead of ..." is far from "who was runner-up": a
    # sentence holding nearly every word of the question answers anyway; one holding fewer does not
    question = analyse_question("Why did the Torquay congress end early?", nlp("Why did the Torquay congress end early?"),
                                lambda stem: 1.0)
    row = Scored(sentence=None, article=None, coverage=coverage, local=coverage, entities=1.0, relation=1.0,
                 semantic=0.05, score=0.6)

    assert (abstain_reason(question, row, ReadSettings()) is None) is answers


def test_class_1_what_happened_is_not_what_may_happen(read):
    # "where did the fight take place": the fight held, not one the promoter hopes to stage
    text, _ = read("Where did the title fight take place?", {"boxing": (
        "Welsh boxer Gareth Rhys won the British lightweight title on Saturday night. "
        "Rhys stopped the champion in the ninth round of the fight at the Grand Pavilion in Porthcawl. "
        "His trainer, Dai Morgan, said he hoped to arrange a world title fight next year, possibly in Cardiff.")})

    assert first_line(text).startswith("the Grand Pavilion"), text


def test_class_6_a_bout_is_a_fight_and_a_contest(read):
    text, _ = read("At which venue did the heavyweight bout take place?", {"boxing": (
        "Heavyweight Joe Brennan kept his unbeaten record on Friday. "
        "Brennan outpointed Sam Okafor over ten rounds in a contest at the Corn Exchange.")})

    assert "Corn Exchange" in first_line(text), text


def test_class_1_a_reason_asked_for_is_the_sentence_giving_a_cause(read):
    # the first sentence restates what happened; the answer is the one that gives its cause
    text, _ = read("What reasons did Harland Bakeries give for shutting the Leeds bakery?", {"bakery": (
        "Harland Bakeries is shutting its Leeds bakery, with the loss of 160 jobs. "
        "The family firm, which has baked in the city since 1921, blamed soaring flour prices and "
        "falling sales to supermarkets. "
        "A new bakery in Wakefield is due to open in May.")})

    assert "flour prices" in first_line(text), text


def test_class_1_due_to_before_a_verb_gives_no_cause(read):
    # "due to open" is a plan, not a cause: the restating sentence stays the answer
    text, _ = read("Why is Harland Bakeries shutting the Leeds bakery?", {"bakery": (
        "Harland Bakeries is shutting its Leeds bakery, with the loss of 160 jobs, after sales fell. "
        "A new Harland bakery in Wakefield is due to open in May.")})

    assert "sales fell" in first_line(text), text


def test_class_2_a_quote_runs_from_an_opening_mark_to_a_closing_one():
    # the apostrophes of "Street's" and "show's" open and close no quote: only "devastated" is one
    text = article_text("soap", "Harland Street's producer said the cast were \"devastated\" to be losing one of "
                                "the show's stars, a 'proper legend' of the programme.")
    quoted = [s.text for s in _quoted(text.sentences[0], text)]

    assert quoted == ["devastated", "proper legend"], quoted


def test_class_6_a_date_without_the_asked_verb_is_a_near_miss(read):
    # the club's founding is not in the article: the year of its title is no answer
    text, _ = read("In what year was the Calder Rowing Club established?", {"rowing": (
        "The Calder Rowing Club won the regional eights title in 2004, its best season for a decade. "
        "Its captain, Amy Hollis, said the squad would train through the winter.")})

    assert text == "", text


def test_class_6_a_date_with_most_of_the_question_answers_without_its_verb(read):
    # "begin its run": "for a six-week run from 3 May" says it, with the place and the run
    text, _ = read("When does Colliery Lane begin its run in north London?", {"play": (
        "Colliery Lane, a drama about a mining village, won the new writing prize on Sunday. "
        "Colliery Lane will transfer to the Almeida Theatre in north London for a six-week run from 3 May.")})

    assert first_line(text).startswith("3 May"), text


@pytest.mark.parametrize("owner", ["their", "Whitby's"])
def test_class_6_the_ground_of_the_other_side_is_a_near_miss(read, owner):
    # "their" is the winners': the losers' ground is not in the article
    text, _ = read("What is the name of Grimsby's home ground?", {"cup": (
        f"Non-league Whitby Harriers knocked Grimsby out of the FA Cup, winning 2-0 at {owner} Turnbull Road ground.")})

    assert text == "", text


def test_class_6_the_ground_of_the_asked_side_answers(read):
    text, _ = read("What is the name of Whitby's home ground?", {"cup": (
        "Non-league Whitby Harriers knocked Grimsby out of the FA Cup, winning 2-0 at their Turnbull Road ground.")})

    assert first_line(text).startswith("Turnbull Road"), text


def test_a_sentence_naming_a_dispute_is_no_denial(read):
    # "a dispute", "a denial-of-service attack" and "false information" deny nothing (nor does the
    # noun "refuse"): no line of the answer is given as disputing it
    text, _ = read("What pay rise did Northline rail workers accept?", {"rail": (
        "Rail workers at Northline voted on Monday to accept a 4% pay rise. "
        "The vote ends a dispute over pay that began in March. "
        "Talks were held up by a denial-of-service attack on the union's website and false information about the offer.")})

    assert "4% pay rise" in first_line(text), text
    assert "Disputed" not in text and "Denied" not in text, text


def test_a_denial_is_said_by_a_verb_or_a_word_that_modifies_nothing():
    text = article_text("talks", "The union denied the report. Talks were held up by a denial-of-service attack. "
                                 "They gave false information about the offer. The union said the claims were untrue.")

    assert [text.denies(s.first, s.last) for s in text.sentences] == [True, False, False, True]


def test_class_5_the_same_distance_of_another_stroke_is_another_race(read):
    # "the 100 metres freestyle" is not "the 100 metres butterfly", however near the question it is
    text, _ = read("Who won the 100 metres butterfly at the Leeds swimming gala?", {"gala": (
        "At the Leeds swimming gala on Sunday, Tom Hale won the 100 metres freestyle in a championship record. "
        "Ian Cole took the 100 metres butterfly, ahead of Mark Dunn.")})

    assert first_line(text).startswith("Ian Cole"), text


@pytest.mark.parametrize("question, head", [
    ("Which company's shares fell most on Monday?", ("organisation", "company")),
    ("Which minister's plan did the council reject?", ("person", "minister")),
    ("Which Secretary's handling of the crisis did the senator praise?", ("person", "secretary")),  # a PROPN to spaCy
])
def test_class_7_after_which_an_owner_is_the_noun_asked_for(nlp, question, head):
    understood = analyse_question(question, nlp(question), lambda stem: 1.0)

    assert (understood.kind, understood.head) == head


def test_class_5_invest_is_spend_and_upgrade_is_improve(read):
    # the sum the asked verbs hang from, said in other words, over the other sum of the article
    text, _ = read("How much is Calder Water spending to improve its pipes?", {"water": (
        "Calder Water, which serves 400,000 homes, charges £31 a quarter for a typical household. "
        "Its operations director said £9m was being invested to upgrade the pipes by the spring.")})

    assert first_line(text).startswith("£9m"), text


def test_class_5_costing_gives_the_price_of_the_ship(read):
    text, _ = read("What is the price of the harbour operator's new vessel?", {"ferry": (
        "The harbour operator made a profit of £4.1m last year. "
        "Its new ship, costing £26m, will carry 90 cars and 400 passengers.")})

    assert first_line(text).startswith("£26m"), text


def test_class_5_acquired_for_is_what_the_buyer_paid(read):
    # "pay for" said as "acquired for", over the other sum of the same article
    text, _ = read("How much did the German publisher pay for the novel?", {"book": (
        "The novel, written in 14 months, earned its author an advance of £20,000 from her first publisher. "
        "It was acquired for $900,000 by German publisher Falkhaus, her agent said.")})

    assert first_line(text).startswith("$900,000"), text


def test_class_5_a_budget_is_what_a_film_cost_to_make(read):
    text, _ = read("How much did it cost to make the thriller Grey Harbour?", {"film": (
        "The thriller Grey Harbour took £1.2m in its first weekend in 200 cinemas. "
        "The film was made on a budget of £640,000 by a first-time director.")})

    assert first_line(text).startswith("£640,000"), text


def test_class_2_supplied_by_says_who_provided_it(read):
    text, _ = read("Which company provided the software that failed?", {"outage": (
        "Software giant Microsoft offered a reward for information about the virus. "
        "Phone users were left without a signal after a software fault hit the network. "
        "The network's director said the upgrade had been supplied by Danish equipment maker Nordvik Systems.")})

    assert first_line(text).startswith("Nordvik Systems"), text


def test_class_3_the_name_the_question_describes_in_full_over_a_brand(read):
    # "pub group Ashcombe" is the "pub company" (group ~ company, and "pub" before it); "Black
    # Heron" is a beer spaCy takes for an organisation
    text, _ = read("Which pub company tried to buy Harlow & Dean?", {"brewer": (
        "Regional brewer Harlow & Dean has rejected a £280m takeover approach. "
        "The Norfolk-based company, which owns 350 pubs and brews Black Heron bitter, said the offer "
        "of 510p a share from pub group Ashcombe was too low.")})

    assert first_line(text).startswith("Ashcombe"), text


def test_class_3_the_speaker_the_asked_noun_describes_is_the_one_asked_for(read):
    # two speakers on the same plan; "which opposition spokesman argued": the one the noun names
    text, _ = read("Which opposition spokesman argued the rural bus fare cuts were only a short-term stunt that would not save bus routes?", {"buses": (
        "Transport minister Alan Pryce said the rural bus fare cuts would help families get to work. "
        "Labour's transport spokesman, Sian Holt, said the fare cuts were \"a gimmick\". "
        "\"Villages need buses that run, not cheaper tickets for buses that never come,\" she said.")})

    assert first_line(text).startswith("Sian Holt"), text


def test_class_6_voting_against_is_opposing(read):
    # "opposed" is not written; "voted against" says it (and the share in favour is the other figure)
    text, _ = read("What proportion of voters in Elmbridge opposed the new bypass?", {"poll": (
        "Residents of Elmbridge have rejected plans for a bypass around the town centre. "
        "Of those who took part in the local poll, 58.2% voted against the scheme, with 41.8% in favour. "
        "The council said it would now look again at its transport plans.")})

    assert first_line(text).startswith("58.2% ["), text


def test_class_6_covering_a_distance_is_riding_it(read):
    text, _ = read("What distance did Tom Reyes ride in his record attempt in Glasgow?", {"cycling": (
        "Scottish cyclist Tom Reyes has set a new British hour record at the Glasgow velodrome. "
        "The 25-year-old covered 48.9km in 60 minutes, beating the old national mark by 400m.")})

    assert first_line(text).startswith("48.9km ["), text


def test_class_1_a_description_set_off_after_the_name_is_not_the_asked_relation(read):
    # "the new MP for Fenley" says who she is; the sentence giving her age need not repeat it
    text, _ = read("How old is Ruth Okafor, the new MP for Fenley?", {"byelection": (
        "Labour's Ruth Okafor has won the Fenley by-election with a majority of 1,950 after a campaign "
        "dominated by the closure of the town's hospital. Turnout was 41%, down from 58% at the general "
        "election. Ms Okafor, 47, a former nurse who has sat on the county council since 2001, told "
        "supporters the result was a message to the government.")})

    assert first_line(text).startswith("47 ["), text


def test_class_3_a_month_is_never_a_place(read):
    text, _ = read("Where is the student who admitted hacking the council website from?", {"court": (
        "A student has admitted hacking into a council website and changing its pages. "
        "The court heard that Walsh broke into the council site in March and posted messages on it. "
        "Owen Walsh, 20, from Grimsby, pleaded guilty to two hacking offences.")})

    assert first_line(text).startswith("Grimsby ["), text


def test_class_3_a_character_is_named_as_a_person_is(read):
    # "which character": a fictional person's name, not the channel of the first sentence
    text, _ = read("Which Dock Road character has Sam Pryce played since 1997?", {"soap": (
        "Actor Sam Pryce is to leave the BBC soap Dock Road after eight years. The 44-year-old has played "
        "Gary Nolan, the show's hapless cab driver, since 1997. The show's producer said Pryce would be missed.")})

    assert first_line(text).startswith("Gary Nolan ["), text


@pytest.mark.parametrize("text, uncapitalised", [
    ("Non-league", True), ("non-Aboriginal", True), ("Stoke-on-Trent", False), ("Al-Qaeda", False),
    ("the Taliban", False), ("Halesworth United", False),
])
def test_class_3_a_word_written_as_no_name_is_none(text, uncapitalised):
    from qa.spans import _uncapitalised
    assert _uncapitalised(text) is uncapitalised


@pytest.mark.parametrize("text, trimmed", [
    ("First Division Rotherfield City 2-1", True), ("Halo 2", False), ("Apollo 13", False),
])
def test_class_3_a_result_after_a_team_is_no_part_of_its_name(text, trimmed):
    from qa.spans import _SCORE_END
    assert bool(_SCORE_END.search(text)) is trimmed


def test_class_5_in_total_asks_for_the_running_total(read):
    # "in total": the figure since it opened, not the weekend's figure of the first sentence
    text, _ = read("How much has Grey Harbour taken in total at the UK box office?", {"film": (
        "Scottish drama Grey Harbour has topped the UK box office for a third week, taking £2.6m over the weekend. "
        "Its takings have now reached £9.4m since it opened on New Year's Day, a record for a Scottish film.")})

    assert first_line(text).startswith("£9.4m ["), text


def test_class_6_another_nationality_of_the_asked_noun_is_a_near_miss(read):
    # the article gives the film's American release only: "British cinemas" is not "US cinemas"
    text, _ = read("When will Low Tide at Kinsale be released in British cinemas?", {"film": (
        "Low Tide at Kinsale, the first feature by Cork director Aoife Nolan, has been bought by US "
        "distributor Harrow Films for $1.8m. Harrow plans to release it in about 250 US cinemas in the spring.")})

    assert text == "", text


def test_class_6_the_asked_nationality_still_answers(read):
    text, _ = read("When will Low Tide at Kinsale be released in US cinemas?", {"film": (
        "Low Tide at Kinsale, the first feature by Cork director Aoife Nolan, has been bought by US "
        "distributor Harrow Films for $1.8m. Harrow plans to release it in about 250 US cinemas in the spring.")})

    assert first_line(text).startswith("the spring ["), text


def test_class_6_a_nations_adjective_is_its_name_and_achieving_is_reaching(read):
    # "Scottish" is "Scotland"; "achieve" is "reach": the question's constraints hold
    text, _ = read("What pass rate must Scottish schools achieve by 2010?", {"schools": (
        "Pass rates in Scotland rose again this year, the education department said. "
        "Ministers want the figure to reach 85% by 2010, and each school has been given its own target.")})

    assert first_line(text).startswith("85% ["), text


def test_class_6_american_is_the_us_not_another_nationality(read):
    text, _ = read("When will Low Tide at Kinsale be released in American cinemas?", {"film": (
        "Low Tide at Kinsale, the first feature by Cork director Aoife Nolan, has been bought by US "
        "distributor Harrow Films for $1.8m. Harrow plans to release it in about 250 US cinemas in the spring.")})

    assert first_line(text).startswith("the spring ["), text


def test_class_7_what_does_it_cost_asks_for_a_sum(read):
    text, _ = read("What does it cost Fenwick Mills to weave a metre of tweed in Britain?", {"mill": (
        "Fenwick Mills, which has woven tweed in Galashiels since 1902, is to move production to Romania, "
        "with the loss of 90 UK jobs. "
        '"A metre of tweed that costs us £14 to weave here can be made for £4 in Brasov," its chairman said.')})

    assert first_line(text).startswith("£14 ["), text


def test_class_3_in_charge_of_is_said_by_a_role_noun(read):
    text, _ = read("Who is in charge of Dunmore Castle?", {"castle": (
        "Dunmore Castle is to reopen to visitors next month after a two-year restoration. "
        "The castle's managing director, Fiona Baird, said bookings had already passed 4,000.")})

    assert first_line(text).startswith("Fiona Baird ["), text


def test_class_6_a_count_of_another_groups_members_is_a_near_miss(read):
    # "six other KLFS members" are not fighters of the Red Valley Front, though the article names
    # it; the tagger reads the acronym as an adjective, and it is a name all the same
    text, _ = read("How many Red Valley Front fighters has the army killed?", {"raid": (
        "The army raided a camp used by the Red Valley Front in the hills near Korbat on Monday. "
        "Omar, a Pakistani citizen, was killed along with six other KLFS members, most of them Pakistani.")})

    assert text == "", text


def test_class_2_a_place_before_the_asked_noun_is_no_title_and_a_record_is_an_album(read):
    # "the UK album chart" says which chart; the album is the record set off after the name
    text, _ = read("What is the name of The Copper Wires' number one second album?", {"chart": (
        "Leeds band The Copper Wires have gone straight to number one in the UK album chart with their "
        "second record, Salt Road. The album sold 52,000 copies in its first week.")})

    assert first_line(text).startswith("Salt Road ["), text


def test_class_7_number_one_qualifies_the_asked_noun(nlp):
    question = analyse_question("What is the name of The Copper Wires' number one second album?",
                                nlp("What is the name of The Copper Wires' number one second album?"), lambda s: 1.0)

    assert (question.kind, question.head) == ("title", "album")


def test_class_3_a_name_a_title_noun_introduces_is_no_person_and_a_role_is_no_part_of_a_name(read):
    # spaCy tags "Wildfire" a person; "Producer" is inside its person mention of the producer
    text, _ = read("Who is the producer of the West End musical that is closing after four months?", {"show": (
        "The West End musical Wildfire is to close after just over four months, losing its backers £3m. "
        "Producer Adrian Saltash said the decision had been heartbreaking for everyone involved.")})

    assert first_line(text).startswith("Adrian Saltash ["), text


def test_class_3_a_name_before_people_in_the_plural_names_none_of_them(read):
    text, _ = read("Which economist expects interest rates to rise in the summer?", {"rates": (
        "The decision by the committee had been widely expected by City economists, who think interest rates "
        "will rise in the summer. The Chamber's chief economist, Tom Fairbairn, said a rise would be a blow to exporters.")})

    assert first_line(text).startswith("Tom Fairbairn ["), text


def test_class_7_a_title_noun_before_another_noun_is_no_asked_name(nlp):
    text = "At which venue did the title bout take place?"
    question = analyse_question(text, nlp(text), lambda s: 1.0)

    assert (question.kind, question.head) == ("place", "venue")
