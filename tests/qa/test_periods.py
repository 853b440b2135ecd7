"""Periods named in questions: the clear ones are read as publication dates, everything else is not."""
from __future__ import annotations

import datetime as dt

import pytest

from qa.periods import read_period, without_period

NEWEST = dt.date(2023, 8, 19)  # a Saturday: the newest article's date, which relative periods count from
D = dt.date


@pytest.mark.parametrize(("question", "since", "until", "phrase", "rest"), [
    ("What did Berg say in January 2021?", D(2021, 1, 1), D(2021, 1, 31), "in January 2021", "What did Berg say?"),
    ("What did Berg say in Jan. 2021?", D(2021, 1, 1), D(2021, 1, 31), "in Jan. 2021", "What did Berg say?"),
    ("Who resigned in February of 2020?", D(2020, 2, 1), D(2020, 2, 29), "in February of 2020", "Who resigned?"),
    ("What was reported in 2020?", D(2020, 1, 1), D(2020, 12, 31), "in 2020", "What was reported?"),
    ("During 2022, who led the union?", D(2022, 1, 1), D(2022, 12, 31), "During 2022", "Who led the union?"),
    ("What did the mayor say in 2021 about the wall?", D(2021, 1, 1), D(2021, 12, 31), "in 2021",
     "What did the mayor say about the wall?"),
    ("Who has resigned since March 2021?", D(2021, 3, 1), None, "since March 2021", "Who has resigned?"),
    ("What was published since 2022?", D(2022, 1, 1), None, "published since 2022", "What was?"),
    ("What happened on 4 March 2021?", D(2021, 3, 4), D(2021, 3, 4), "on 4 March 2021", "What happened?"),
    ("What happened on March 4th, 2021?", D(2021, 3, 4), D(2021, 3, 4), "on March 4th, 2021", "What happened?"),
    ("What happened on 2021-03-04?", D(2021, 3, 4), D(2021, 3, 4), "on 2021-03-04", "What happened?"),
    ("Who spoke between May 2022 and July 2022?", D(2022, 5, 1), D(2022, 7, 31), "between May 2022 and July 2022",
     "Who spoke?"),
    ("Who spoke from 2020 to 2021?", D(2020, 1, 1), D(2021, 12, 31), "from 2020 to 2021", "Who spoke?"),
    ("What happened yesterday?", D(2023, 8, 18), D(2023, 8, 18), "yesterday", "What happened?"),
    ("What did the minister say today?", NEWEST, NEWEST, "today", "What did the minister say?"),
    ("Who was arrested last week?", D(2023, 8, 7), D(2023, 8, 13), "last week", "Who was arrested?"),
    ("Who was arrested last month?", D(2023, 7, 1), D(2023, 7, 31), "last month", "Who was arrested?"),
    ("Who was arrested last year?", D(2022, 1, 1), D(2022, 12, 31), "last year", "Who was arrested?"),
    ("What changed this month?", D(2023, 8, 1), NEWEST, "this month", "What changed?"),
    ("What changed in the past week?", D(2023, 8, 13), NEWEST, "in the past week", "What changed?"),
    ("What changed over the last 3 days?", D(2023, 8, 17), NEWEST, "over the last 3 days", "What changed?"),
    ("What changed in the last two months?", D(2023, 6, 20), NEWEST, "in the last two months", "What changed?"),
])
def test_clear_periods_are_read_with_their_dates_and_taken_out_of_the_question(question, since, until, phrase, rest):
    period = read_period(question, newest=NEWEST)
    assert (period.since, period.until, period.phrase) == (since, until, phrase)
    assert question[period.start:period.end] == phrase
    assert without_period(question, period) == rest


@pytest.mark.parametrize("question", [
    "What did the mayor say in May?",                       # a month alone: which year?
    "Did May resign after the vote?",                       # May as a name
    "Which Republican senator said troops would not pull out in May?",
    "Who won the 2020 election?",                           # a year naming a thing, not a period
    "What was the title of the 2019 al-Qaeda video?",
    "Who won in 2020 elections in Ohio?",                   # "in YEAR" running into a noun
    "Which country won the 2001 Eurovision Song Contest?",
    "How many cars built before 1986 will need new fuel?",  # before / after / by: event times, left alone
    "How many troops stay in Afghanistan after May 2021?",
    "By what percentage will emissions fall by 2010?",
    "How much did casinos earn in the 2000-2001 financial year?",
    "Since when has he led the monitoring team?",
    "What has the damage bill reached since November 20?",  # a day without a year
    "Who was charged over the September 11 attacks?",
    "What was last year's budget?",                          # possessives
    "What did yesterday's ruling say?",
    "What happened in the last month of the war?",
    "The last week of the trial was tense, who spoke?",
    "Was this the week the plan failed?",
    "What happened in 2021-13-01?",                          # not a date
    "What happened on February 30, 2021?",
    "What happened in 1850?",                                # outside 1900-2099
    "How many people live in 20000 homes?",
])
def test_anything_less_clear_is_not_a_period(question):
    assert read_period(question, newest=NEWEST) is None


def test_relative_periods_need_a_newest_date_absolute_ones_do_not():
    assert read_period("Who was arrested last week?", newest=None) is None
    assert read_period("Who was arrested in 2021?", newest=None).since == D(2021, 1, 1)


def test_the_first_period_of_a_question_is_taken():
    period = read_period("What was said in 2020 and since March 2021?", newest=NEWEST)
    assert period.phrase == "in 2020"


def test_a_range_ending_before_it_starts_is_not_a_period():
    assert read_period("Who spoke between 2022 and 2020?", newest=NEWEST) is None
