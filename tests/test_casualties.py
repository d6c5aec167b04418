"""casualty_figures and conservative_total on invented wire-style sentences: one reading rule per case."""

from __future__ import annotations

import pytest

from services.common.contracts import Casualty
from services.extract.actors import default_actor_book
from services.extract.casualties import casualty_figures, conservative_total

MIL, POL = "Military Forces of Afghanistan", "Police Forces of Afghanistan"
TAL, CIV = "Taliban", "Civilians (Afghanistan)"


@pytest.fixture(scope="module")
def book():
    return default_actor_book()


def _read(book, sentence, country="AF"):
    return [(c.group, c.kind, c.min) for c in casualty_figures(sentence, book, country=country)]


@pytest.mark.parametrize("sentence,expected", [
    # the verb right before the figure
    ("Gunmen stormed a checkpoint, killing 4 soldiers.", [(MIL, "killed", 4)]),
    ("Troops arrested 6 suspected insurgents in the raid.", [(TAL, "captured", 6)]),
    # the first casualty word after the group
    ("6 policemen were injured in the blast.", [(POL, "wounded", 6)]),
    ("8 Taliban militants were killed in the strike.", [(TAL, "killed", 8)]),
    # a figure's own passive verb wins over the verb before it
    ("Troops killed 3 militants and 2 others were arrested.", [(TAL, "killed", 3), (TAL, "captured", 2)]),
])
def test_the_kind_comes_from_the_nearest_verb(book, sentence, expected):
    assert _read(book, sentence) == expected


@pytest.mark.parametrize("sentence,expected", [
    ("The blast killed 1 policeman and 2 militants near the gate.", [(POL, "killed", 1), (TAL, "killed", 2)]),
    ("2 soldiers and 3 policemen were killed in the ambush.", [(MIL, "killed", 2), (POL, "killed", 3)]),
    # a verb of its own ends the list
    ("Militants stormed a checkpoint, killing 4 soldiers and wounding 3 others.",
     [(MIL, "killed", 4), (MIL, "wounded", 3)]),
])
def test_a_listed_figure_keeps_its_own_group(book, sentence, expected):
    assert _read(book, sentence) == expected


@pytest.mark.parametrize("sentence,expected", [
    ("6 civilians, 4 women and 2 children, were killed when a mortar hit their home.", [(CIV, "killed", 6)]),
    ("Police arrested 5 suspected militants, 2 of them commanders.", [(TAL, "captured", 5)]),
    ("Troops killed 9 militants, among them 3 Taliban commanders.", [(TAL, "killed", 9)]),
])
def test_a_breakdown_or_part_of_a_figure_is_not_another_figure(book, sentence, expected):
    assert _read(book, sentence) == expected


@pytest.mark.parametrize("sentence,expected", [
    # the group just counted
    ("9 soldiers were killed and 24 were wounded in the ambush.", [(MIL, "killed", 9), (MIL, "wounded", 24)]),
    # the side the subject fights
    ("Soldiers clashed with Taliban militants, killing 7.", [(TAL, "killed", 7)]),
    ("Security forces responded, killing 2 and wounding one.", [(TAL, "killed", 2), (TAL, "wounded", 1)]),
])
def test_a_bare_figure_counts_a_group_named_elsewhere(book, sentence, expected):
    assert _read(book, sentence) == expected


@pytest.mark.parametrize("sentence,expected", [
    ("Two men were detained by soldiers near the bridge.", [(TAL, "captured", 2)]),
    ("Soldiers detained two men near the bridge.", [(TAL, "captured", 2)]),
    # people an armed group takes are not counted by role; the people it kills are civilians
    ("Militants abducted two men near the bridge.", []),
    ("Gunmen shot dead two men near the mosque.", [(CIV, "killed", 2)]),
    # every role listed without a number is one more person
    ("Commandos detained a Taliban leader and facilitator in the village.",
     [(TAL, "captured", 1), (TAL, "captured", 1)]),
    # an office holder, no number written
    ("The district police chief was killed in the attack.", [(POL, "killed", 1)]),
    # an occupation
    ("2 teachers were killed by gunmen in the village.", [(CIV, "killed", 2)]),
])
def test_people_counted_by_role(book, sentence, expected):
    assert _read(book, sentence) == expected


def test_a_named_person_is_one_of_the_group_named_with_the_role(book):
    [c] = casualty_figures("Police killed Qari Rahim, a Taliban commander, in the operation.", book, country="AF")
    assert (c.group, c.kind, c.min, c.max) == (TAL, "killed", 1, 1)
    assert c.text.startswith("Qari Rahim, a Taliban commander")


def test_a_pronoun_counts_the_single_person_just_named(book):
    [c] = casualty_figures("Afghan commandos raided a compound and targeted a Taliban commander, killing him.",
                           book, country="AF")
    assert (c.group, c.kind, c.min, c.text) == (TAL, "killed", 1, "him.")
    # ... once: the person the pronoun stands for is counted already
    assert _read(book, "1 soldier was killed when 2 gunmen shot and killed him at the gate.") == \
        [(MIL, "killed", 1)]


@pytest.mark.parametrize("sentence", [
    "12 Taliban militants were killed or wounded in the clash.",
    "Troops killed or wounded 12 Taliban militants.",
    "A suicide bomber struck the market, killing and injuring 14 civilians.",
])
def test_an_ambiguous_kind_is_not_counted(book, sentence):
    assert _read(book, sentence) == []


@pytest.mark.parametrize("sentence,expected", [
    ("On June 3 soldiers were killed in the ambush.", []),  # "3 soldiers were killed", but 3 is the day
    ("On 12 May 2021 militants killed 2 policemen.", [(POL, "killed", 2)]),
])
def test_the_numbers_of_a_date_are_not_figures(book, sentence, expected):
    assert _read(book, sentence) == expected


def test_a_group_naming_a_thing_counts_nobody(book):
    assert _read(book, "2 Taliban vehicles were destroyed and 5 militants were killed.") == [(TAL, "killed", 5)]


def test_people_taken_and_then_killed_count_as_killed(book):
    assert _read(book, "2 aid workers were kidnapped and later killed by gunmen.") == [(CIV, "killed", 2)]


def test_bounds_are_kept(book):
    [c] = casualty_figures("More than 20 Taliban militants were killed in the operation.", book, country="AF")
    assert (c.min, c.max, c.lower_bound) == (20, None, True)
    [c] = casualty_figures("Several suspected insurgents were detained.", book, country="AF")
    assert (c.kind, c.min, c.max, c.lower_bound) == ("captured", 3, None, True)


def test_the_country_names_generic_groups(book):
    sentence = "Al Shabaab militants ambushed a convoy, killing 3 soldiers."
    assert _read(book, sentence, "SO") == [("Military Forces of Somalia", "killed", 3)]
    assert _read(book, sentence, "AF") == [(MIL, "killed", 3)]
    assert _read(book, sentence, None) == [(book.soldiers, "killed", 3)]  # no country: the generic name
    assert _read(book, "Gunmen killed 2 civilians in the market.", "SO") == [("Civilians (Somalia)", "killed", 2)]


def test_given_mentions_are_the_ones_found(book):
    sentence = "The blast killed 1 policeman and 2 militants near the gate."
    assert casualty_figures(sentence, book, book.find(sentence), "AF") == casualty_figures(sentence, book, None, "AF")
    assert casualty_figures(sentence, book, []) == []  # no actor named, no role: nobody counted


# -- conservative_total -------------------------------------------------------------------------------------------

def _total(book, sentences, kind="killed", groups=None):
    pairs = [(c, s) for s in sentences for c in casualty_figures(s, book, country="AF")]
    return conservative_total(pairs, kind, groups)


def test_across_sentences_a_group_counts_with_its_lowest_figure(book):
    assert _total(book, ["Troops killed 6 Taliban militants in the valley.",
                         "Officials said 4 Taliban militants were killed."]) == 4


def test_within_a_sentence_figures_add_up_and_groups_add_up(book):
    assert _total(book, ["2 soldiers and 3 policemen were killed in the ambush."]) == 5
    sentence = "Invented: 2 policemen were killed near the gate and 3 policemen near the wall."
    pairs = [(Casualty(group=POL, kind="killed", min=2, max=2, text="2 policemen"), sentence),
             (Casualty(group=POL, kind="killed", min=3, max=3, text="3 policemen"), sentence)]
    assert conservative_total(pairs) == 5
    assert conservative_total(pairs, groups={MIL}) == 0
    assert conservative_total(pairs, "wounded") == 0


def test_a_named_person_or_vague_word_is_a_lower_bound(book):
    assert _total(book, ["Several suspected insurgents were detained."], "captured") == 3
    assert _total(book, ["Police arrested a Taliban commander.", "Several suspected insurgents were detained."],
                  "captured") == 3  # the largest bound
    assert _total(book, ["Several suspected insurgents were detained.", "Police detained 2 suspected insurgents."],
                  "captured") == 2  # a written number wins


def test_additional_people_add_to_the_total(book):
    first = "Police detained 2 suspected insurgents."
    assert _total(book, [first, "Police detained 4 suspected insurgents in a separate raid."], "captured") == 6
    assert _total(book, [first, "The force also detained two suspected insurgents."], "captured") == 4
    assert _total(book, [first, "Police later said 5 suspected insurgents were detained."], "captured") == 2
    # the first report is not additional to anything
    assert _total(book, ["The force also detained two suspected insurgents."], "captured") == 2


def test_a_partisan_claim_does_not_count(book):
    assert _total(book, ["2 soldiers were killed in the clash.", "The Taliban claimed 30 soldiers were killed."]) == 2
    assert _total(book, ["Militants claimed 20 soldiers were killed."]) == 0


@pytest.mark.parametrize("sentence,expected", [
    # bodies are the dead, whatever else the sentence says ("taken to hospital", "injured people")
    ("Separately, health officials in Kunduz said about 14 bodies, including women and children, as well as more "
     "than 30 injured people, had been taken to hospital.", [(CIV, "killed", 14)]),
    ("Police said 12 bodies were found in a ditch near the town.", [(CIV, "killed", 12)]),
    ("Three soldiers later died of their wounds in hospital.", [(MIL, "killed", 3)]),
    # a death toll stands for the dead when the sentence counts none itself; beside its own figures it would count twice
    ("The death toll rose to 23, officials said.", [(CIV, "killed", 23)]),
    ("The death toll from the attack has risen to 40.", [(CIV, "killed", 40)]),
    ("The blast killed 5 people, bringing the death toll to 12.", [(CIV, "killed", 5)]),
    ("The toll road to Kunduz was closed for 3 days.", []),
    # "N fatalities" is a count of the dead; a figure ACLED spreads over events is not this event's
    ("The attack caused 2 fatalities and 1 injured.", [(CIV, "killed", 2)]),
    ("13 fatalities split over 2 events.", []),
    # a person's passive fate with a verb of how before it
    ("Near the market, a man was shot dead.", [(CIV, "killed", 1)]),
    ("In Kunduz, Khanabad, a man was found dead.", [(CIV, "killed", 1)]),
    # the passive's agent did it: only the victims count
    ("Two men were shot dead by several gunmen near the market.", [(CIV, "killed", 2)]),
])
def test_bodies_and_death_tolls_count_the_dead(book, sentence, expected):
    assert _read(book, sentence) == expected


def test_a_total_of_the_dead_is_at_least_the_figures_by_group_not_one_more_group(book):
    assert _total(book, ["Three soldiers later died of their wounds in hospital.", "3 fatalities."]) == 3
    assert _total(book, ["5 soldiers were killed in the ambush.", "The death toll rose to 23."]) == 23
    assert _total(book, ["2 soldiers and 3 policemen were killed.", "2 fatalities."]) == 5


def test_people_detained_in_hospital_are_patients_not_captives(book):
    assert _read(book, "Ninety six people were detained in hospital, and 24 others were treated.", "GB") == []
    assert [k for _, k, _ in _read(book, "Police detained 5 suspects near the hospital.", "GB")] == ["captured"]


@pytest.mark.parametrize("sentence,expected", [
    ("The ministry confirmed that a major general was killed by a roadside bomb.", [(MIL, "killed", 1)]),
    ("A colonel and two soldiers were killed in the attack.", [(MIL, "killed", 1), (MIL, "killed", 2)]),
    ("Taliban fighters killed a police captain.", [(POL, "killed", 1)]),
    ("A major attack was reported, the attorney general said.", []),
])
def test_an_officer_counted_by_rank_is_a_soldier_unless_a_force_is_named(book, sentence, expected):
    assert _read(book, sentence) == expected
