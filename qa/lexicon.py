"""Every word list the reader uses, in one place: general English, not words of any gold question.

Owns: the nouns that name a kind of answer ("which *newspaper*" asks for an organisation), the
reporting and denial verbs, honorifics, units of time and measure, currency words, and the
groups of news words that stand for one another. Each list says what it is for. Entries are
chosen for English at large and checked on the tune split of the gold sets only.
Does not: look at text; the functions here only map a word to what the lists say of it.
"""
from __future__ import annotations

import functools
import re
from typing import Literal

from index.terms import normalise

AnswerKind = Literal["person", "organisation", "place", "date", "duration", "age", "money", "count", "percent",
                     "quantity", "title", "group", "thing", "phrase"]
"""What a question asks for. `thing`: a noun phrase of no named type ("what explosive …");
`phrase`: no span at all, the best sentence is the answer (why, how, what happened)."""


def _stems(text: str) -> frozenset[str]:
    return frozenset(normalise(w) for w in text.split())


# Nouns naming a person by role: "which *spokesman* …", "who is the *coach* …".
PERSON_NOUNS = _stems("""person man woman boy girl child son daughter father mother wife husband brother
sister official spokesman spokeswoman spokesperson leader commander senator president minister chief coordinator
analyst veteran journalist reporter engineer expert diplomat envoy general officer head emir member lawmaker
politician author writer scientist researcher doctor surgeon judge magistrate lawyer barrister solicitor candidate
ambassador secretary director chair chairman chairwoman founder activist ceo executive governor mayor premier king
queen prince princess cleric negotiator adviser advisor representative deputy manager ranger teacher nurse worker
farmer resident witness soldier pilot driver rider economist professor student owner prosecutor priest imam
councillor councilor volunteer survivor coach player batsman bowler captain skipper striker goalkeeper singer actor
actress artist inspector commissioner investigator detective police policeman constable sergeant superintendent
treasurer chancellor backbencher mp athlete swimmer runner cyclist golfer champion winner loser opponent rival
victim suspect accused defendant plaintiff hostage prisoner refugee bishop pope archbishop sheikh mullah warlord
militant fighter gunman bomber hijacker terrorist agent spy chef designer architect photographer presenter host
editor publisher producer director composer novelist poet broadcaster peer boss tycoon entrepreneur
businessman businesswoman billionaire millionaire footballer cricketer boxer jockey trainer referee umpire midfielder
defender winger forward keeper comedian musician rapper guitarist drummer vocalist frontman dancer star celebrity character
playwright screenwriter filmmaker hacker programmer investor shareholder campaigner protester inventor creator""")

# Nouns naming a person by kinship or friendship: "the son *of* X" is of a person, where "the MP
# *for* X" and "the coach *of* X" are of a place or a body (see qa.spans).
RELATIVE_NOUNS = _stems("""son daughter father mother wife husband brother sister child widow widower friend cousin
uncle aunt nephew niece grandson granddaughter grandfather grandmother partner fiancee fiance girlfriend boyfriend""")

# Nouns naming a place: "in which *county* …", "to which *town* …".
PLACE_NOUNS = _stems("""place province country nation city town village suburb state territory region district county
area capital location border island peninsula continent neighbourhood neighborhood street road avenue river lake
sea ocean mountain valley port harbour harbor airport base camp site venue stadium ground park beach coast
municipality parish borough shire centre center building prison jail hotel mosque church temple square bridge""")

# Nouns naming an organisation: "which *newspaper* …", "which *team* …".
ORGANISATION_NOUNS = _stems("""organisation organization company firm business corporation group party newspaper
paper magazine journal broadcaster channel network station agency bank airline carrier union council committee
commission court ministry department government parliament university college school hospital charity band club
team side league federation association institute foundation publisher label studio retailer supermarket store
chain manufacturer maker insurer regulator authority army navy militia faction movement alliance coalition
consortium bloc syndicate cartel network outfit organisation""")

# Words that end the name of a sports club ("Halesworth *United*", "Selby *Rovers*"): a name with
# one is a club, whatever the tagger says of it.
CLUB_WORDS = _stems("united rovers athletic wanderers albion rangers harriers hotspur fc afc")

# Words that end the name of a competition ("the FA *Cup*", "the Davis *Cup*", "the Ryder *Cup*"):
# an event, no person.
EVENT_WORDS = _stems("cup trophy championship championships olympics paralympics prix")

# Nouns naming a titled thing: a work, a product, an event, a law, a vessel.
TITLE_NOUNS = _stems("""book novel film movie song album single play musical opera show series programme program
game title name word phrase slogan nickname codename alias pseudonym product brand model car vehicle ship boat vessel yacht aircraft
plane jet rocket satellite shuttle spacecraft module operation mission tournament event race cup trophy prize award
festival law bill act treaty accord agreement report study painting poem drug medicine vaccine software website
app virus""")

# Nouns asking for a settlement, which a country cannot answer: "in which *city* …".
SETTLEMENT_NOUNS = _stems("city town village suburb hamlet township municipality")

# The world's countries by their usual English names (lower case), so that "which city" is not
# answered with one.
COUNTRIES = frozenset("""afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan
bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia botswana brazil brunei
bulgaria burkina burma burundi cambodia cameroon canada chad chile china colombia comoros congo croatia cuba
cyprus czechia denmark djibouti dominica ecuador egypt eritrea estonia eswatini ethiopia fiji finland france gabon
gambia georgia germany ghana greece grenada guatemala guinea guyana haiti honduras hungary iceland india indonesia
iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya kiribati kosovo kuwait kyrgyzstan laos latvia
lebanon lesotho liberia libya liechtenstein lithuania luxembourg madagascar malawi malaysia maldives mali malta
mauritania mauritius mexico micronesia moldova monaco mongolia montenegro morocco mozambique myanmar namibia nauru
nepal netherlands holland nicaragua niger nigeria norway oman pakistan palau palestine panama paraguay peru
philippines poland portugal qatar romania russia rwanda samoa senegal serbia seychelles singapore slovakia slovenia
somalia spain sudan suriname sweden switzerland syria taiwan tajikistan tanzania thailand togo tonga tunisia turkey
turkmenistan tuvalu uganda ukraine uruguay uzbekistan vanuatu venezuela vietnam yemen zambia zimbabwe britain
england scotland wales america""".split()) | frozenset({"united states", "united kingdom", "new zealand",
    "south africa", "south korea", "north korea", "saudi arabia", "sri lanka", "papua new guinea", "east timor",
    "united arab emirates", "the united states", "the united kingdom", "the netherlands", "the philippines",
    "costa rica", "el salvador", "ivory coast", "sierra leone", "czech republic", "dominican republic",
    "great britain", "the us", "the uk", "us", "uk", "usa"})

# Nouns asking for what something is called: "what *name* does he go by", "the *codename* of the taskforce".
NAMING_NOUNS = _stems("name codename nickname alias pseudonym")

# Nouns that ask for a sort of the noun after "of": "what *kind* of attitudes", "which *type* of
# aircraft". The question is about that noun: a known kind of it ("aircraft": a title) asks for a
# name, any other ("attitudes") for how the article describes it, which its sentence says.
SORT_NOUNS = _stems("kind type sort form variety category")

# Prepositions a place follows in an article: "left *for* nearby Mittagong", "held *in* Perth" (a
# place answer is looked for after them).
PLACE_PREPOSITIONS = frozenset("in at near from to into across outside inside".split())

# Prepositions by which a question limits its fact to a named place ("go on sale *in* Australia"):
# those of PLACE_PREPOSITIONS that locate rather than give a direction ("a flight *from* London"
# is not a fact about London alone), and "throughout".
PLACE_LIMIT_PREPOSITIONS = frozenset("in at near across outside inside into throughout".split())

# Prepositions before a venue: a name after one of them and an article ("*at* a packed Mill Lane",
# "*inside* the new Kestrel Arena") is a place, since English gives a person's name no article there.
VENUE_PREPOSITIONS = frozenset("at in on into inside outside".split())

# Prepositions that give where someone or something comes from, for a question ending in a
# stranded "from" ("which town does she come from?", "which club did they buy him from?"): a place
# after another preposition ("broke the record *at* the Manchester Velodrome") is where the news
# happened, not the origin asked for.
ORIGIN_PREPOSITIONS = frozenset("from of".split())

# Words before "in" or "at" that still give an origin ("born in Leeds", "based in Cardiff",
# "raised in Hull", "grew up in Bath").
ORIGIN_WORDS = frozenset("born based raised bred grew up native hails".split())

# Nouns asking for a group of people: "what *nationality* …".
GROUP_NOUNS = _stems("nationality ethnicity religion faith tribe race citizenship people")

# Nouns asking for a measured quantity: "to what *speed* …", "what *distance* …".
MEASURE_NOUNS = _stems("""speed distance height length width depth weight temperature size area volume capacity
altitude range magnitude""")

# Nouns asking for a figure of any form, a rate, a sum, a measure or a bare number: "to what *level* …",
# "what speed *limit* …" (asked as a quantity; see qa.spans).
FIGURE_NOUNS = _stems("level rate limit threshold target ceiling cap margin gap deficit premium discount")

# Nouns asking for a difference, which a time may give as well as a number ("by what *margin* did
# he break the record": "41 seconds"); each is a FIGURE_NOUN too.
DIFFERENCE_NOUNS = _stems("margin gap deficit")
# Words that mark a figure as a difference: "*by* 41 seconds", "taking 41 seconds *off*", "two
# points *clear*", "half a second *faster*".
DIFFERENCE_BEFORE = frozenset({"by"})
DIFFERENCE_AFTER = frozenset("""off ahead clear behind faster slower quicker better short more less fewer higher lower
inside outside""".split())

# Abbreviated magnitudes news writes against a figure: "£790m", "$4.1bn", "20k" (thousand,
# million, billion, trillion). A figure's span keeps the one attached to it.
MAGNITUDE_SUFFIXES = frozenset("k m mn bn b tn".split())

# Nouns asking for a sum of money: "what *fee* …", "what *price* …".
MONEY_NOUNS = _stems("""fee price cost salary wage fine sum amount payment bill bid offer value budget prize money
compensation damages ransom bail debt loss profit revenue turnover reward bounty""")

# Nouns asking for a count: "what *number* of …", "what *total* …".
COUNT_NOUNS = _stems("number total tally toll count score strength crowd attendance")

# Nouns asking for a share of a whole, a percentage: "what *proportion* …", "how big a *stake* …".
SHARE_NOUNS = _stems("percentage proportion percent share stake")

# Nouns asking for a length of time: "what prison *term*", "what *sentence* was he given".
DURATION_NOUNS = _stems("term sentence stint spell tenure")

# Nouns asking for an age.
AGE_NOUNS = _stems("age")

# Nouns asking for a date or a time.
DATE_NOUNS = _stems("date day year month time season decade century")

# Units of time: a number followed by one is a duration ("14 years", "three-month").
DURATION_UNITS = _stems("""second minute hour day night week fortnight month year decade century term""")

# Units of measure: a number followed by one is a quantity ("30 kilometres").
MEASURE_UNITS = _stems("""metre meter kilometre kilometer km m cm mm mile yard foot feet inch kilogram kilo kg
gram tonne ton pound lb litre liter gallon hectare acre degree knot mph kph km/h megawatt watt volt""")

# Words of money: beside a number they make it a sum ("$2 million", "14 million euros").
CURRENCY_WORDS = _stems("""dollar euro pound yen yuan rupee franc afghani rouble ruble dinar riyal dirham lira
peso cent pence usd eur gbp aud""")
CURRENCY_SIGNS = frozenset("$€£¥")

# Verbs of a 'how much' question that ask for a sum of money ("how much did it *cost*").
MONEY_VERBS = _stems("""cost price pay paid spend spent worth budget fund funding raise raised fine fined charge
charged salary owe owed loan ransom compensation sum fee offer offered earn earned bid donate donated""")

# Verbs that report speech or a stance; their subject is who said it.
# Verbs whose object "what" is a sum of money: "what does it cost", "what will she earn".
SUM_VERBS = _stems("cost earn pay")

REPORTING_VERBS = _stems("""say tell deny claim reject warn add state insist admit accuse announce confirm believe
argue suggest explain describe report predict dismiss refuse criticise criticize blame urge call allege
acknowledge concede maintain stress note express vow threaten promise dispute question condemn praise""")

# Verbs whose object is what was said: "what did the spokeswoman *say* about the river" asks for a
# statement, which the best sentence gives, not a thing a span names.
SPEECH_VERBS = _stems("""say tell claim deny warn add state insist admit argue suggest explain report allege
acknowledge concede maintain stress""")

# Verbs too general to constrain an answer, and verbs of being somewhere ("how many wolves *live*
# in the valley" is answered by "there are 14 wolves"): a question's predicate is checked only
# when it is not one.
LIGHT_VERBS = _stems("""be have do get make take go come give put set keep let seem become happen include
there live exist remain stay stand lie sit""")

# Verbs that only frame the verb after them with an expectation, a plan or an attempt ("is
# *expected* to cost", "*plans* to cut", "*hopes* to open"): the relation asked is that verb's, so
# a sentence saying only "expected" does not hold it.
FRAMING_VERBS = _stems("expect plan hope aim intend want try seek")

# Modal verbs: a question with one asks what will or may be, not what happened (see
# qa.question.asks_past). Of them, POSSIBILITY_MODALS and hedging adverbs make a clause a
# possibility rather than a fact ("he hoped to arrange a title fight, *possibly* in Cardiff"): a
# place or a date given so does not answer a question about what happened (see
# qa.scoring.hypothetical). "Would" is left out: "said Ramon Puerta *would* assume the presidency"
# reports what was decided.
MODAL_VERBS = frozenset("will would could might may should shall".split())
POSSIBILITY_MODALS = frozenset("could might may".split())
HEDGE_WORDS = frozenset("possibly perhaps maybe potentially probably".split())

# Nouns that ask for a cause: "what *reasons* did the firm give for closing the depots" asks
# why, and is answered by the sentence giving one (see qa.reader.gives_cause).
CAUSE_NOUNS = _stems("reason cause explanation motive rationale")

# Words by which news English gives a cause: "*because* of", "*blamed* rising costs", "*citing*
# falling sales", "*attributed* the fall to", "the *reason* was", "*caused* by". CAUSE_BEFORE_TO
# give one only before "to" and a noun: "*due to* falling demand", not "*due to* open in May".
CAUSE_WORDS = _stems("because blame cite attribute reason cause")
CAUSE_BEFORE_TO = _stems("due owing thanks")

# Words that open a sentence going on about something already named ("*The* plant, near Port
# Talbot, ..." after "is to build a new factory in south Wales").
ANAPHORIC_DETERMINERS = frozenset("the this its".split())

# Words that deny or reject something: as a verb ("denied", "rejected"), or the noun "denial" and
# the adjectives "untrue", "false", "baseless" (see `denies_by`): the noun "refuse" (rubbish, "a
# piece of space refuse") and "a pay dispute" deny nothing.
DENIAL_WORDS = _stems("""deny denies denied denial reject rejects rejected refute refuted dismiss dismissed untrue
false baseless refuse refused dispute disputed rebuff rebuffed""")
DENIAL_NOUNS_ADJECTIVES = _stems("denial untrue false baseless")


def denies_by(lemma: str, pos: str, next_pos: str = "", next_text: str = "") -> bool:
    """Whether a word, by its lemma and spaCy's coarse tag, denies or rejects something. The noun
    and the adjectives deny nothing right before a noun or a hyphen (`next_pos`, `next_text`: the
    word after it): "*false* information", "a *denial*-of-service attack", but "claims are *untrue*".

    >>> denies_by("deny", "VERB"), denies_by("refuse", "NOUN"), denies_by("denial", "NOUN"), denies_by("false", "ADJ")
    (True, False, True, True)
    >>> denies_by("false", "ADJ", "NOUN", "information"), denies_by("denial", "NOUN", "PUNCT", "-")
    (False, False)
    """
    stem = normalise(lemma.lower())
    if stem not in DENIAL_WORDS:
        return False
    modifies = next_pos in ("NOUN", "PROPN") or next_text == "-"
    return pos in ("VERB", "AUX") or (stem in DENIAL_NOUNS_ADJECTIVES and not modifies)


# Words before a name that mark it as a person's ("Mr Rich", "Dr Jones", "Senator Brown").
HONORIFICS = frozenset("""Mr Mrs Ms Miss Dr Sir Dame Lord Lady Professor Prof Rev Father Sheikh Mullah Senator Sen
President Premier Prince Princess King Queen Judge Justice Captain Capt General Gen Colonel Col Major Lieutenant
Sergeant Sgt Inspector Detective Constable Superintendent Commissioner Minister Governor Mayor""".split())

# Titles of peers and knights, part of a name given without a first name ("Lord Ellesmere"), so an
# answer leads with them (a subset of HONORIFICS; see qa.reader.make_lead).
NAME_TITLES = frozenset("Lord Lady Baroness Baron Dame Sir".split())

# Words that stand for a person already named: a speaker given as one is resolved from the article.
PERSON_PRONOUNS = frozenset("he she him her his hers i we they them".split())

# British spellings and their American forms, so "defence" finds "defense" and "honour" finds
# "honor" (news in either spelling, questions in either). Applied to both sides of a comparison
# (question stems and article stems alike), after `normalise`.
SPELLING_WORDS = {"defence": "defense", "offence": "offense", "licence": "license", "pretence": "pretense",
                  "programme": "program", "grey": "gray", "aluminium": "aluminum", "jewellery": "jewelry",
                  "plough": "plow", "sceptic": "skeptic", "sceptical": "skeptical", "catalogue": "catalog",
                  "aeroplane": "airplane", "manoeuvre": "maneuver", "paediatric": "pediatric",
                  "anaemia": "anemia", "oestrogen": "estrogen", "foetus": "fetus", "mould": "mold",
                  "moustache": "mustache", "pyjama": "pajama", "draught": "draft", "kerb": "curb",
                  "tonne": "ton"}
# Roots spelled -our in British English (also inside "honourable", "neighbourhood", "favourite").
OUR_ROOTS = ("colour", "honour", "labour", "favour", "neighbour", "behaviour", "harbour", "rumour", "vigour",
             "humour", "flavour", "endeavour", "armour", "saviour", "parlour", "valour", "odour", "clamour",
             "splendour", "fervour", "rancour", "glamour", "savour", "vapour", "tumour")
# -tre nouns (British) and -ter (American): "centre", "metre", "theatre", "litre", "fibre".
_TRE = re.compile(r"(?<=[a-z]{2})tre$")
# -ise/-isation (British, and common in Australian news) against -ize/-ization: both become -is-.
_IZE = re.compile(r"(?<=[a-z]{3})(i|y)z(?=e$|ed$|er$|es$|ing$|ation|$)")
# a doubled l before -ed/-ing in British English ("travelled", "cancelled"), single in American
_ELL = re.compile(r"(?<=[a-z]{3}[aeiou])ll$")


def american_spelling(stem: str) -> str:
    """One spelling for a word's British and American forms (a normalised stem in, a stem out).

    >>> [american_spelling(w) for w in ("defence", "honourable", "centre", "organis", "organiz", "travell")]
    ['defense', 'honorable', 'center', 'organis', 'organis', 'travel']
    >>> [american_spelling(w) for w in ("enroll", "enrol", "small", "tell")]
    ['enrol', 'enrol', 'small', 'tell']
    """
    if stem in SPELLING_WORDS:
        return SPELLING_WORDS[stem]
    for root in OUR_ROOTS:
        if stem.startswith(root):
            return root[:-2] + "r" + stem[len(root):]
    stem = _TRE.sub("ter", stem)
    stem = _IZE.sub(lambda m: m.group(1) + "s", stem)
    return _ELL.sub("l", stem)


# News verbs and nouns that stand for one another when a question is matched to a sentence.
SYNONYM_GROUPS = (
    "deny denial reject refute dismiss untrue false refuse dispute rebuff",
    "claim say assert allege state insist maintain",
    "kill dead death die slain",
    "lead leader head chief coordinator chair",
    "fighter militant combatant jihadist",
    "troop soldier force",
    "talk negotiation meeting",
    "number estimate figure",
    "win won victory beat defeat",
    "arrest detain custody",
    "injure wound hurt",
    "buy purchase acquire pay",  # "how much did the distributor pay for the film": "was acquired for $2.5m"
    "sell sale",
    "child children kid",
    "home house",
    "elect vote",
    "indigenous aboriginal",
    "join sign",
    "launch release unveil introduce",
    "jail imprison",
    "cut axe shed slash",
    "fall drop decline slip slide dip tumble plunge slump",
    "rise increase climb jump grow gain soar",
    "deal contract agreement",
    "job post",
    "margin majority",
    "move shift relocate",
    "manufacturing production",
    "customer subscriber client",
    "warn caution",
    "author write writer",
    "give hand donate",
    "start begin launch",
    "campaign drive appeal",
    "runner ahead",  # the runner-up is the one the winner finished "ahead of"
    "oppose against",  # "opposed the plan": "62.4% voted against the change"
    "ride cover",  # "what distance did he ride": "covered 49.7km"
    "achieve reach attain",
    "album record",
    "film movie",
    "back support favour endorse",  # "backed the idea": "8,306 in favour"
    "factory plant works",  # "a new car factory": "The plant, near Port Talbot, ..."
    "charge head director chief manager boss",  # "who is in charge of the airport": "its managing director"
    "fight bout contest",  # "where did the title bout take place": "the 12-round contest at the Newport Centre"
    "spend invest",  # "how much is it spending": "£12m was being invested"
    "improve upgrade enhance",  # "to improve its network": "to upgrade the network"
    "price cost budget",  # "how much did it cost to make": "made on a budget of £850,000"; "the price tag on the vessel": "the ship, costing £58m"
    "vessel ship boat",
    "company firm group",  # "which pub company": "pub group Castlegate"; "the shipping group" is a firm
    "provide supply",  # "which company provided the software": "the upgrade had been supplied by Halvorsen Systems"
)


# Verbs saying how long their subject goes on: "a consultation on the plans will *run* for 12
# weeks" tells how long the consultation is open, whatever verb the question asks it by.
LASTING_VERBS = _stems("last run take continue span")


# Words placing a thing in a sequence, by the place they stand for: "the *opening* round" is the
# first, "the *final* round" the last, and one is not the other ("who did he play in the opening
# round": not whom he beat "in the final round").
ORDER_WORDS = {"first": "first", "opening": "first", "second": "second", "third": "third", "fourth": "fourth",
               "fifth": "fifth", "sixth": "sixth", "seventh": "seventh", "eighth": "eighth", "ninth": "ninth",
               "last": "last", "final": "last", "closing": "last"}


# A nation's words: its name, its adjective, its people ("English councils" are councils in
# "England"; "American" is "US", which qa.scoring.stems_of reads as "usa" where it is written in
# capitals, never the pronoun "us"). One word each: "united" and "states" apart mean nothing.
NATION_GROUPS = (
    "afghanistan afghan", "america american usa", "australia australian", "austria austrian",
    "belgium belgian", "brazil brazilian", "britain british briton uk", "canada canadian",
    "china chinese", "denmark danish dane", "egypt egyptian", "england english", "europe european",
    "finland finnish finn", "france french", "germany german", "greece greek", "india indian",
    "iran iranian", "iraq iraqi", "ireland irish", "israel israeli", "italy italian", "japan japanese",
    "korea korean", "mexico mexican", "netherlands dutch holland", "norway norwegian",
    "pakistan pakistani", "poland polish", "portugal portuguese", "russia russian",
    "scotland scottish scot scots", "spain spanish spaniard", "sweden swedish swede",
    "switzerland swiss", "turkey turkish turk", "wales welsh", "africa african", "asia asian",
)


def _synonym_table() -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    for group in SYNONYM_GROUPS + NATION_GROUPS:
        # in both spellings: an article's words are compared by stem_of, which spells them the
        # American way ("in favour": "favor")
        stems = _stems(group) | {american_spelling(stem) for stem in _stems(group)}
        for stem in stems:
            table[stem] = table.get(stem, frozenset()) | stems
    return table


SYNONYMS = _synonym_table()


def kind_of_noun(stem: str) -> AnswerKind | None:
    """The kind of answer a question's head noun asks for, or None for a noun of no known kind.

    >>> [kind_of_noun(normalise(w)) for w in ("newspaper", "county", "spokesman", "nationality", "film", "tree")]
    ['organisation', 'place', 'person', 'group', 'title', None]
    """
    for nouns, kind in ((PERSON_NOUNS, "person"), (PLACE_NOUNS, "place"), (ORGANISATION_NOUNS, "organisation"),
                        (GROUP_NOUNS, "group"), (DATE_NOUNS, "date"), (MEASURE_NOUNS | FIGURE_NOUNS, "quantity"),
                        (MONEY_NOUNS, "money"), (COUNT_NOUNS, "count"), (AGE_NOUNS, "age"), (DURATION_NOUNS, "duration"),
                        (TITLE_NOUNS, "title")):
        if stem in nouns:
            return kind
    return None


def same_meaning(a: str, b: str) -> bool:
    """Whether two stems are the same word or stand for one another.

    >>> same_meaning("deny", "reject"), same_meaning("deny", "say")
    (True, False)
    """
    return a == b or b in SYNONYMS.get(a, ())


# Job losses as British news writes them: "340 posts will go", "1,200 jobs would be lost", "with
# the loss of 640 jobs". A sentence with a JOB_NOUN and a JOB_LOSS_VERB (or the noun "loss") says
# jobs are cut and lost (see qa.scoring.stems_of).
JOB_NOUNS = _stems("job post position role")
JOB_LOSS_VERBS = _stems("go lose loss disappear vanish")
JOB_LOSS_MEANS = _stems("job cut lose")
WORKER_NOUNS = _stems("worker staff employee people workforce")
"""Who hold jobs: "how many workers will lose their jobs" is answered by "the loss of 640 jobs",
a count of JOB_NOUNS (see qa.spans)."""


# Endings that make a word of the same root: a verb's noun ("perform": "performance",
# "produce": "production", "win": "winner", "appoint": "appointment"). A question's word
# matches a sentence's word that adds or drops one of them (see `derived_forms`).
DERIVATION_SUFFIXES = ("ance", "ence", "ment", "ion", "tion", "ation", "er", "or", "al", "ure", "ing")
# Endings that name the one who does what a verb says ("chair": "chairwoman", "win": "winner"):
# such a noun set beside a name says that name does the asked thing (see qa.scoring.best_span).
AGENT_SUFFIXES = ("er", "or", "man", "woman", "person")


def agent_nouns(stem: str) -> frozenset[str]:
    """The nouns for the one who does what a verb's stem says, by AGENT_SUFFIXES.

    >>> "chairwoman" in agent_nouns("chair"), "winner" in agent_nouns("win"), "chairrman" in agent_nouns("chair")
    (True, True, False)
    """
    if len(stem) < 3:
        return frozenset()
    bases = {stem, stem.removesuffix("e")}
    if stem[-1] not in "aeiouwy" and stem[-2] in "aeiou" and stem[-3] not in "aeiou":  # "win": "winner"
        bases.add(stem + stem[-1])
    return frozenset(base + suffix for base in bases for suffix in AGENT_SUFFIXES)


@functools.lru_cache(maxsize=50_000)
def derived_forms(stem: str) -> frozenset[str]:
    """Words of the same root as a stem, made by adding or dropping one of DERIVATION_SUFFIXES
    (a final "e" dropped, a final consonant doubled); the stem itself is not among them.

    >>> "production" in derived_forms("produce"), "winner" in derived_forms("win"), "perform" in derived_forms("performance")
    (True, True, True)
    >>> "playwright" in derived_forms("play"), derived_forms("go")
    (False, frozenset())
    """
    if len(stem) < 3:
        return frozenset()
    bases = {stem}
    if stem.endswith("e"):
        bases.add(stem[:-1])
    if stem[-1] not in "aeiouwy" and stem[-2] in "aeiou":
        bases.add(stem + stem[-1])
    forms = {base + suffix for base in bases for suffix in DERIVATION_SUFFIXES}
    for suffix in DERIVATION_SUFFIXES:
        root = stem.removesuffix(suffix)
        if root != stem and len(root) >= 3:
            forms |= {root, root + "e"} | ({root[:-1]} if len(root) >= 4 and root[-1] == root[-2] else set())
    forms.discard(stem)
    return frozenset(forms)
