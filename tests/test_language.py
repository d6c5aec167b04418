"""A text's language, offline (services/common/language.py), and the bounded label metrics use for it."""

from __future__ import annotations

import pytest

from services.common.language import LABELLED_LANGUAGES, detect_language, language_label

ENGLISH = "Gunmen killed three soldiers in an attack on a checkpoint near the town on Monday, officials said."
FRENCH = ("Des hommes armés ont tué trois soldats lors d'une attaque contre un poste de contrôle près de la ville "
          "lundi, selon les autorités.")
ARABIC = "قتل مسلحون ثلاثة جنود في هجوم على نقطة تفتيش بالقرب من المدينة يوم الاثنين، حسبما قال مسؤولون."


@pytest.mark.parametrize("text,code", [(ENGLISH, "en"), (FRENCH, "fr"), (ARABIC, "ar")], ids=["en", "fr", "ar"])
def test_detect_language(text, code):
    assert detect_language(text) == code
    assert detect_language(text) == detect_language(text)  # the same text, the same code


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_no_language_without_text(text):
    assert detect_language(text) is None


def test_the_language_is_read_from_the_start_of_a_long_text():
    text = ENGLISH * 25  # well over the 2,000 characters read
    assert len(text) > 2000
    assert detect_language(text + " " + FRENCH * 200) == "en"


@pytest.mark.parametrize("code", ["en", "fr", "ar", "so", "es", "uk"])
def test_a_labelled_language_is_its_own_label(code):
    assert code in LABELLED_LANGUAGES
    assert language_label(code) == code


@pytest.mark.parametrize("code", ["af", "xx", "zu", "la", "en-GB"])
def test_any_other_language_is_other(code):
    assert language_label(code) == "other"


@pytest.mark.parametrize("code", [None, ""])
def test_no_language_is_unknown(code):
    assert language_label(code) == "unknown"


def test_the_label_set_is_bounded():
    labels = {language_label(c) for c in [None, *LABELLED_LANGUAGES, *(f"q{i}" for i in range(100))]}
    assert labels == set(LABELLED_LANGUAGES) | {"other", "unknown"}


def test_threads_arriving_together_load_the_model_once(monkeypatch):
    import threading

    import py3langid.langid as langid

    from services.common import language

    loads: list[int] = []
    real = langid._load_identifier

    def counted(*args, **kwargs):
        loads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(langid, "IDENTIFIER", None)  # as in a fresh process
    monkeypatch.setattr(langid, "_load_identifier", counted)
    monkeypatch.setattr(language, "_loaded", False)
    start = threading.Barrier(6)
    found: list[str | None] = []

    def detect() -> None:
        start.wait()
        found.append(detect_language(ENGLISH))

    threads = [threading.Thread(target=detect) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == ["en"] * 6 and len(loads) == 1
