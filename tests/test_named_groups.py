"""Groups the text names itself (services/extract/named_groups.py, actors.yaml ``named_groups``)."""

import pytest

from services.extract.actors import default_actor_book


def _names(text: str, cc: str) -> list[str]:
    book = default_actor_book()
    return [book.resolve(m.name, cc) or m.name for m in book.find(text)]


@pytest.mark.parametrize("text,cc,names", [
    # several names before one kind word are one group each; particles inside a name are kept
    ("clashes erupted between Bani Ali and Al Badi tribesmen", "YE",
     ["Bani Ali Tribal Militia (Yemen)", "Al Badi Tribal Militia (Yemen)"]),
    ("fighting between Al Tilan and Al Dahshal Ba al Harith tribal militias", "YE",
     ["Al Tilan Tribal Militia (Yemen)", "Al Dahshal Ba al Harith Tribal Militia (Yemen)"]),
    ("government forces clashed with Al Bujayri tribes", "YE", ["Military Forces of Yemen", "Al Bujayri Tribal Militia (Yemen)"]),
    ("Hawiye-Abgal sub-clan militia fought back", "SO", ["Hawiye-Abgal Sub-Clan Militia (Somalia)"]),
    # a country's adjective is no group's name; the generic actor stays
    ("Somali clan militias fought", "SO", ["Unidentified Clan Militia (Somalia)"]),
    ("unidentified tribesmen clashed", "YE", ["Unidentified Tribal Militia (Yemen)"]),
    # criminal groups named by themselves: ACLED's "<Name> Gang", a cartel with an article too
    ("Los Boshes members threw Molotov cocktails", "MX", ["Los Boshes Gang"]),
    ("members of the Los Enanos gang stabbed a resident", "MX", ["Los Enanos Gang", "Civilians (Mexico)"]),
    ("members of Los Pinas Cartel ambushed police", "MX", ["Los Pinas Gang", "Police Forces of Mexico"]),
    ("members of El Senoron Gang delivered boxes", "MX", ["El Senoron Gang"]),
    # a named organisation wins over a name built from the text; a place with an article is no gang
    ("clashes between Al Shabaab and Hawiye clan militia", "SO", ["Al Shabaab", "Hawiye Clan Militia (Somalia)"]),
    ("residents of Los Angeles Tetela lynched two armed men", "MX",
     ["Civilians (Mexico)", "Unidentified Armed Group (Mexico)"]),
])
def test_named_groups(text, cc, names):
    assert _names(text, cc) == names


def test_a_named_group_has_its_kind_s_side_and_code():
    book = default_actor_book()
    book.find("members of Los Boshes attacked")
    assert book.side.get("Los Boshes Gang") == "nonstate" and book.inter_of("Los Boshes Gang") == 3
    assert book.side.get("Al Badi Tribal Militia (Yemen)") == "identity" and book.inter_of("Al Badi Tribal Militia (Yemen)") == 4
