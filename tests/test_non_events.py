"""What ACLED does not code, and attributions (services/extract/non_events.py)."""

import pytest

from services.extract.non_events import attribution, not_an_event


@pytest.mark.parametrize("sentence,sub", [
    ("Four workers were injured when a tank exploded at the chemical plant.", "Remote explosive/landmine/IED"),
    ("Heavy floods destroyed homes and the clashes of the weather went on.", "Armed clash"),
    ("Police arrested three men for drug smuggling at the border.", "Arrests"),
])
def test_disasters_and_ordinary_crime_are_not_events(sentence, sub):
    assert not_an_event(sentence, sub)


@pytest.mark.parametrize("sentence,sub", [
    ("Militants detonated a bomb at the chemical plant, killing four.", "Remote explosive/landmine/IED"),
    ("Police arrested three Islamic State militants at the border.", "Arrests"),
    ("A suicide bomber struck the market.", "Suicide bomb"),
])
def test_political_violence_is_kept(sentence, sub):
    assert not not_an_event(sentence, sub)


def test_a_claim_of_responsibility_is_an_attribution():
    s = "The group claimed responsibility for the attack on the convoy."
    assert attribution(s, s.index("attack"))
    s = "Gunmen attacked the convoy on Monday."
    assert not attribution(s, s.index("attacked"))
