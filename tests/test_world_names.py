"""The name rules of the world index (services/extract/world_names.py): lookup keys, display names, the
spellings of a division, and ACLED's country names. Pure functions: no index is built here."""

from __future__ import annotations

import pytest

from services.extract.world_names import (
    acled_country_name,
    clean,
    country_surfaces,
    division_aliases,
    english_name,
    latin,
    norm,
    norm_letters,
    variants,
)


@pytest.mark.parametrize("a,b", [("Shabelle", "Shabeelle"), ("Hiraan", "Hiiraan"), ("Culiacán", "Culiacan"),
                                 ("Ta‘izz", "Taizz"), ("Al-Bayda'", "Al Bayda")])
def test_spellings_news_and_data_disagree_on_share_one_key(a, b):
    assert norm(a) == norm(b)


def test_short_keys_keep_their_double_letters():
    assert norm("More") == "more" and norm("Moore") == "moore"
    assert norm_letters("shabeelle") == norm("Shabelle") == "shabele"


def test_display_form_and_script():
    assert clean("  Ta’izz ") == "Ta'izz"
    assert latin("Ḩalab") and latin("Ta‘izz")
    assert not latin("حلب") and not latin("")


def test_a_division_is_found_without_its_type_word_or_article():
    assert variants("Nineveh Governorate") == {"Nineveh Governorate", "Nineveh"}
    assert "Anbar" in variants("Al Anbar")
    assert "Qoriyoley" in variants("Degmada Qoriyoley")
    assert variants("Ede") == {"Ede"}  # nothing to drop; too short a bare name is never made


def test_english_names_by_rule():
    assert english_name("Shabeellaha Hoose", ["Lower Shabeelle", "Shabeellaha Hoose"], True) == "Lower Shabeelle"
    assert english_name("Nīnawá", ["Nineveh", "Nineveh Governorate"], True) == "Nineveh"
    assert english_name("Qoriyoley District", [], False) == "Qoriyoley"
    assert english_name("Sinaloa", ["Estado de Sinaloa"], True) == "Sinaloa"


@pytest.mark.parametrize("cc,fallback,name", [
    ("SO", "Somalia", "Somalia"), ("CD", "Congo, The Democratic Republic of the", "Democratic Republic of Congo"),
    ("VG", "Virgin Islands, British", "British Virgin Islands"), ("XX", "Atlantis ", "Atlantis"),
])
def test_acled_country_names(cc, fallback, name):
    assert acled_country_name(cc, fallback) == name


def test_a_country_is_found_by_its_plain_names_not_its_abbreviations():
    row = ["Congo", "CD", "COD", "203312", "Democratic Republic of the Congo", "DR Congo", "D.R.C.|Zaire|Congo (DRC)"]
    out = country_surfaces(row, None, "Democratic Republic of the Congo")
    assert {"DR Congo", "Zaire", "Democratic Republic of Congo"} <= out
    assert "D.R.C." not in out and "Congo (DRC)" not in out


def test_division_aliases_are_read_by_iso_code_from_the_data_file():
    aliases = division_aliases()
    assert "Socotra" in aliases["YE-SU"] and "Distrito Federal" in aliases["MX-CMX"]
    assert all(code[:2].isupper() and "-" in code and names for code, names in aliases.items())
