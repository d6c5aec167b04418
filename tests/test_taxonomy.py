"""ACLED's taxonomy (services/extract/taxonomy.py): disorder types, interaction codes and civilian targeting."""

from __future__ import annotations

import pytest

from services.common.contracts import Actor
from services.extract.actors import default_actor_book
from services.extract.classify import Trigger
from services.extract.taxonomy import (
    CIVILIANS_CODE,
    DISORDER_TYPE,
    EVENT_TYPES,
    InteractionCodes,
    interaction_codes,
)


def _trigger(event_type: str) -> Trigger:
    return Trigger(event_type, EVENT_TYPES[event_type][0], 0, 0, "", 0)


@pytest.mark.parametrize("event_type,disorder", [
    ("Battles", "Political violence"),
    ("Explosions/Remote violence", "Political violence"),
    ("Violence against civilians", "Political violence"),
    ("Riots", "Political violence"),
    ("Protests", "Demonstrations"),
    ("Strategic developments", "Strategic developments"),
])
def test_disorder_type_of_each_event_type(event_type, disorder):
    assert DISORDER_TYPE[event_type] == disorder


def test_every_event_type_has_a_disorder_type_and_nothing_else_has():
    assert set(DISORDER_TYPE) == set(EVENT_TYPES)
    assert set(DISORDER_TYPE.values()) == {"Political violence", "Demonstrations", "Strategic developments"}


def test_sub_event_types_are_acled_s_and_belong_to_one_event_type():
    subs = [s for subs in EVENT_TYPES.values() for s in subs]
    assert len(subs) == len(set(subs)) == 25
    assert "Abduction/forced disappearance" in EVENT_TYPES["Violence against civilians"]
    assert "Air/drone strike" in EVENT_TYPES["Explosions/Remote violence"]
    assert "Excessive force against protesters" in EVENT_TYPES["Protests"]


@pytest.mark.parametrize("inter1,inter2,interaction", [
    (1, 7, 17), (7, 1, 17),  # the lower code first, whichever actor it is
    (2, 1, 12), (1, 1, 11), (3, 8, 38),
    (6, None, 60), (None, 6, 60), (2, None, 20),  # one actor: its code times ten
    (None, None, None),
])
def test_interaction_puts_the_lower_code_first(inter1, inter2, interaction):
    assert InteractionCodes(inter1, inter2).interaction == interaction


@pytest.mark.parametrize("event_type,inter2,expected", [
    ("Violence against civilians", 7, True),
    ("Violence against civilians", None, True),  # always, whoever the counterpart
    ("Violence against civilians", 2, True),
    ("Explosions/Remote violence", CIVILIANS_CODE, True),
    ("Riots", CIVILIANS_CODE, True),  # mob violence against civilians
    ("Explosions/Remote violence", 1, None),
    ("Explosions/Remote violence", None, None),
    ("Battles", 7, None),
    ("Protests", 7, None),
    ("Strategic developments", 7, None),
])
def test_civilian_targeting(event_type, inter2, expected):
    assert InteractionCodes(2, inter2).civilian_targeting(_trigger(event_type)) is expected


def test_explosions_are_civilian_targeting_only_when_the_target_is_civilians():
    # civilians as the first actor are not the target of the explosion
    assert InteractionCodes(7, 1).civilian_targeting(_trigger("Explosions/Remote violence")) is None


@pytest.mark.parametrize("name,code", [
    ("Military Forces of Somalia", 1),
    ("Military Forces of the United States", 1),
    ("Police Forces of Mexico", 1),
    ("Al Shabaab", 2),
    ("Unidentified Gang (Mexico)", 3),
    ("Hawiye-Murusade Sub-Clan Militia (Somalia)", 4),
    ("Rioters (Mexico)", 5),
    ("Protesters (Yemen)", 6),
    ("Civilians (Mexico)", 7),
    ("Operation Restoring Hope", 8),
])
def test_interaction_codes_of_real_actors(name, code):
    codes = interaction_codes(default_actor_book(), Actor(name=name), None)
    assert (codes.inter1, codes.inter2, codes.interaction) == (code, None, code * 10)


def test_interaction_codes_of_two_actors_from_the_actor_book():
    book = default_actor_book()
    somalia, shabaab = Actor(name="Military Forces of Somalia"), Actor(name="Al Shabaab")
    civilians = Actor(name="Civilians (Mexico)")
    assert interaction_codes(book, shabaab, somalia) == InteractionCodes(2, 1)
    assert interaction_codes(book, shabaab, somalia).interaction == 12
    assert interaction_codes(book, somalia, civilians).interaction == 17
    assert interaction_codes(book, None, Actor(name="Protesters (Yemen)")) == InteractionCodes(None, 6)
    assert interaction_codes(book, None, None).interaction is None


def test_an_actor_the_book_does_not_know_has_no_code():
    codes = interaction_codes(default_actor_book(), Actor(name="Nobody We Know"), Actor(name="Al Shabaab"))
    assert codes == InteractionCodes(None, 2)
    assert codes.interaction == 20


def test_a_bombing_of_civilians_is_civilian_targeting_with_real_actors():
    book = default_actor_book()
    codes = interaction_codes(book, Actor(name="Al Shabaab"), Actor(name="Civilians (Somalia)"))
    assert codes.civilian_targeting(_trigger("Explosions/Remote violence")) is True
    codes = interaction_codes(book, Actor(name="Al Shabaab"), Actor(name="Military Forces of Somalia"))
    assert codes.civilian_targeting(_trigger("Explosions/Remote violence")) is None
