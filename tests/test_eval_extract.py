"""The evaluation command bench/eval_extract.py: its scoring helpers and a short run on the real data."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date

from tests.conftest import ROOT, shared_path


def _load():
    spec = importlib.util.spec_from_file_location("eval_extract", ROOT / "bench" / "eval_extract.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["eval_extract"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_acled_actor_names_map_to_ours_and_pairs_are_unordered():
    ev = _load()
    mil = ev.acled_actor("Military Forces of Afghanistan (2014-) Special Forces")
    assert mil == {"Military Forces of Afghanistan"}
    assert ev.acled_actor("Police Forces of Afghanistan (2014-) National Directorate of Security") == \
        {"Police Forces of Afghanistan"}
    either = ev.acled_actor("Taliban and/or Islamic State (Afghanistan)")
    assert {"Taliban", "Islamic State (Afghanistan)"} <= either
    assert ev.acled_actor("") is None
    assert ev.pair_ok((mil, either), ("Islamic State (Afghanistan)", "Military Forces of Afghanistan"))
    assert not ev.pair_ok((mil, either), ("Taliban", None))
    assert ev.pair_ok((either, None), ("Taliban", None))


def test_province_spellings_compare_equal():
    ev = _load()
    for a, b in (("Urozgan", "Uruzgan"), ("Sar-e Pol", "Sar-e Pul"), ("Nimruz", "Nimroz"), ("paktya", "Paktia")):
        assert ev.province_key(a) == ev.province_key(b), (a, b)
    assert ev.province_key("Kunar") != ev.province_key("Kunduz")


def test_dates_are_scored_by_the_claimed_precision():
    ev = _load()
    truth = date(2019, 6, 10)
    assert ev.date_ok(ev.Guess(None, date(2019, 6, 10), "day", None, (None, None), 0), truth)
    assert not ev.date_ok(ev.Guess(None, date(2019, 6, 11), "day", None, (None, None), 0), truth)
    assert ev.date_ok(ev.Guess(None, date(2019, 6, 15), "week", None, (None, None), 0), truth)
    assert ev.date_ok(ev.Guess(None, date(2019, 6, 28), "month", None, (None, None), 0), truth)


def test_short_run_prints_every_table(capsys):
    shared_path("data", "acled")
    shared_path("data", "isaf")
    assert _load().main(["--limit", "15"]) == 0
    out = capsys.readouterr().out
    for title in ("Seeds", "ACLED", "ISAF", "naive baseline", "target"):
        assert title in out
