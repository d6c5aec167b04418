"""Actor recognition (services/extract/actors.py, data/actors.yaml)."""

import pytest

from services.extract.actors import default_actor_book


@pytest.mark.parametrize("text,name", [
    ("an attack on Arbaki fighters", "Militia (Pro-Government)"),
    ("pro-government militias held the pass", "Militia (Pro-Government)"),
    ("two NDS officers were wounded", "Police Forces of Afghanistan"),
    ("a Public Protection Force convoy", "Police Forces of Afghanistan"),
    ("a policeman on duty", "Police Forces of Afghanistan"),
    ("fighting between IS fighters and others", "Islamic State (Afghanistan)"),
    ("with help from NATO aircraft", "NATO: North Atlantic Treaty Organization"),
    ("American troops withdrew", "Military Forces of the United States"),
    ("special forces raided a compound", "Military Forces of Afghanistan"),
])
def test_canonical_names(text, name):
    book = default_actor_book()
    assert name in [book.resolve(m.name, "AF") for m in book.find(text)]


def test_arbaki_militants_are_one_mention_not_also_the_taliban():
    names = [m.name for m in default_actor_book().find("three Arbaki militants were hurt")]
    assert names == ["Militia (Pro-Government)"]


def test_acronyms_only_as_written():
    book = default_actor_book()
    assert all(m.name != "Islamic State (Afghanistan)" for m in book.find("this is militants' ground"))
    assert not [m for m in book.find("the nds said") if m.surface == "nds"]


@pytest.mark.parametrize("text,country,name", [
    ("soldiers opened fire", "SO", "Military Forces of Somalia"),
    ("protesters gathered", "MX", "Protesters (Mexico)"),
    ("gunmen attacked a bus", "MX", "Unidentified Armed Group (Mexico)"),
    ("gunmen attacked a bus", "NG", "Unidentified Armed Group (Nigeria)"),
    ("militants attacked a base", "SO", "Al Shabaab"),
    ("militants attacked a base", "AF", "Taliban"),
    ("IS fighters attacked a base", "SO", "Islamic State Somalia Province"),
    ("coalition forces struck a compound", "AF", "NATO: North Atlantic Treaty Organization"),
    ("coalition forces struck a compound", "SO", "Unidentified Military Forces"),
    ("Kenyan troops patrolled the border", "SO", "Military Forces of Kenya"),
    ("Hawiye-Abgal sub-clan militia fought back", "SO", "Hawiye-Abgal Sub-Clan Militia (Somalia)"),
])
def test_generic_actors_are_named_for_the_event_s_country(text, country, name):
    book = default_actor_book()
    assert name in [book.resolve(m.name, country) for m in book.find(text)]


def test_interaction_codes_and_sides_of_resolved_names():
    book = default_actor_book()
    assert book.inter_of("Military Forces of Somalia") == 1 and book.side.get("Civilians (Mexico)") == "civilians"
    assert book.inter_of("Protesters (Yemen)") == 6 and book.inter_of("Dir Clan Militia (Somalia)") == 4


def test_organised_crime_s_marks_make_unidentified_armed_men_a_gang_where_the_data_says_so():
    book = default_actor_book()
    template = "Unidentified Armed Group ({country})"
    marks = book.marks("Gunmen on a motorcycle carried out a drive-by shooting. The victim's hands were tied.")
    assert marks == {"organised_crime"}
    assert book.resolve(template, "MX", marks) == "Unidentified Gang (Mexico)"
    assert book.resolve(template, "MX") == "Unidentified Armed Group (Mexico)"  # no mark: ACLED's armed group
    assert book.resolve(template, "NG", marks) == "Unidentified Armed Group (Nigeria)"  # not a gang country
    assert book.marks("Gunmen shot a man outside his house.") == frozenset()


def test_an_organisation_s_name_and_the_generic_word_for_its_people_are_one_mention():
    book = default_actor_book()
    [m] = book.find("12 pro-Houthi fighters were killed")
    assert (m.name, m.surface) == ("Military Forces of Yemen (2016-) Supreme Political Council", "pro-Houthi fighters")
    # a force of its own stays: Houthi police are police (the Houthis' own, as ACLED names them)
    assert "Police Forces of Yemen (2016-) Supreme Political Council" in \
        [m.name for m in book.find("Houthi police arrested 3 protesters")]
    assert [m.name for m in book.find("pro-Hadi and affiliated forces attacked")] == ["Military Forces of Yemen (2012-)"]
    assert "Military Forces of Yemen (2012-)" not in [m.name for m in book.find("pro-government militants")]


def test_a_coalition_member_s_forces_are_the_coalition_in_its_country():
    book = default_actor_book()
    [m] = book.find("Saudi forces fired artillery at villages")
    assert book.resolve(m.name, "YE") == "Operation Restoring Hope"
    assert book.resolve(m.name, "SA") == "Military Forces of Saudi Arabia"  # at home it is its own military
    [m] = book.find("Saudi rocket and artillery shelling was reported")
    assert book.resolve(m.name, "YE") == "Operation Restoring Hope"


def test_children_and_women_are_civilians():
    book = default_actor_book()
    assert [book.resolve(m.name, "YE") for m in book.find("injuring a child and two women")] == \
        ["Civilians (Yemen)", "Civilians (Yemen)"]


@pytest.mark.parametrize("text,name", [
    # a named state's security services are its police, not its army
    ("Houthi security forces carried out an arrest campaign in Sanaa.", "Police Forces of Yemen (2016-) Supreme Political Council"),
    ("Members of the pro-Hadi Special Security forces opened fire on a car.", "Police Forces of Yemen (2012-) Special Security Forces"),
    ("Pro-Houthi forces fired machine guns at the factory.", "Military Forces of Yemen (2016-) Supreme Political Council"),
])
def test_security_services_are_police(text, name):
    found = default_actor_book().find(text)
    assert found and found[0].name == name, found


def _demonym_notes() -> list[str]:
    """The real ACLED notes of Somalia, Mexico and Yemen (every 4th), as written, upper-cased and lower-cased."""
    import csv

    from tests.conftest import shared_path

    notes = []
    for path in sorted(shared_path("data", "acled-world").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            notes += [row["Notes"] for row in csv.DictReader(f)][::4]
    return notes + [n.upper() for n in notes[::10]] + [n.lower() for n in notes[::10]]


def test_demonym_countries_are_the_winners_of_the_full_demonym_alternation_on_real_notes():
    book = default_actor_book()
    full = book._demonym_regex  # every demonym tried at every position: what the prefiltered search must give
    assert full is not None
    found = 0
    for note in _demonym_notes():
        expected = {m.lastgroup[1:] for m in full.finditer(note) if m.lastgroup}
        assert book.demonym_countries(note) == expected, note
        found += bool(expected)
    assert found > 100  # the sample names many peoples


@pytest.mark.parametrize("text,countries", [
    ("South Sudanese troops crossed", {"SS"}),  # the longer name at a position wins: not Sudan's as well
    ("Somali and Kenyan forces; somali", {"SO", "KE"}),  # case-sensitive: a people's adjective is capitalised
    ("nothing here", set()),
])
def test_demonym_countries(text, countries):
    assert default_actor_book().demonym_countries(text) == countries
