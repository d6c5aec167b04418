"""The evaluation command bench/eval_extract.py (and its modules bench/eval_world.py, bench/eval_case_wiki.py):
its scoring helpers, its loaders on small records built here, and short runs on the real data."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from datetime import date
from types import SimpleNamespace

from tests.conftest import ROOT, shared_path


def _load():
    spec = importlib.util.spec_from_file_location("eval_extract", ROOT / "bench" / "eval_extract.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["eval_extract"] = mod
    spec.loader.exec_module(mod)
    return mod


def _world():
    _load()
    return sys.modules["eval_world"]


def _case_wiki():
    _load()
    return sys.modules["eval_case_wiki"]


# -- actor names ---------------------------------------------------------------------------------

def test_acled_actor_names_map_to_ours_and_pairs_are_unordered():
    ev = _load()
    mil = ev.acled_actor("Military Forces of Afghanistan (2014-) Special Forces")
    assert ev.acled_actor("Police Forces of Afghanistan (2014-) National Directorate of Security") == \
        ev.acled_actor("Police Forces of Afghanistan")
    either = ev.acled_actor("Taliban and/or Islamic State (Afghanistan)")
    assert ev.acled_actor("") is None
    assert ev.pair_ok((mil, either), ("Islamic State (Afghanistan)", "Military Forces of Afghanistan"))
    assert ev.pair_ok((mil, either), ("Military Forces of Afghanistan", "Taliban"))
    assert not ev.pair_ok((mil, either), ("Taliban", None))
    assert ev.pair_ok((either, None), ("Taliban", None))
    assert not ev.pair_ok((either, None), ("Taliban", "Military Forces of Afghanistan"))


def test_era_suffix_and_the_sub_unit_after_it_are_dropped():
    ev = _load()
    somalia = ev.acled_actor("Military Forces of Somalia (2022-) Puntland Dervish Force")
    assert ev.pair_ok((somalia, None), ("Military Forces of Somalia", None))
    assert ev.pair_ok((somalia, None), ("Military Forces of Somalia (2022-)", None))  # ours may carry the era too
    assert not ev.pair_ok((somalia, None), ("Police Forces of Somalia", None))
    assert not ev.pair_ok((somalia, None), ("Puntland Dervish Force", None))
    mexico = ev.acled_actor("Police Forces of Mexico (2018-) State Police")
    assert ev.pair_ok((mexico, None), ("police forces of  MEXICO", None))  # case and whitespace do not count
    closed = ev.acled_actor("Military Forces of Afghanistan (2004-2021)")
    assert ev.pair_ok((closed, None), ("Military Forces of Afghanistan", None))
    # a country in brackets is part of the name, not an era
    assert not ev.pair_ok((ev.acled_actor("Civilians (Somalia)"), None), ("Civilians (Kenya)", None))


def test_acronym_before_a_colon_and_and_or_alternatives():
    ev = _load()
    cjng = ev.acled_actor("CJNG: Jalisco New Generation Cartel")
    for ours in ("CJNG: Jalisco New Generation Cartel", "Jalisco New Generation Cartel", "CJNG"):
        assert ev.pair_ok((cjng, None), (ours, None)), ours
    assert not ev.pair_ok((cjng, None), ("Sinaloa Cartel", None))
    aussom = ev.acled_actor("AUSSOM: Africa Union Support and Stabilisation Mission in Somalia (2025-) (Uganda)")
    assert ev.pair_ok((aussom, None), ("AUSSOM", None))
    assert ev.pair_ok((aussom, None), ("Africa Union Support and Stabilisation Mission in Somalia", None))
    both = ev.acled_actor("Al Shabaab and/or Islamic State Somalia Province")
    assert ev.pair_ok((both, None), ("Al Shabaab", None))
    assert ev.pair_ok((both, None), ("Islamic State Somalia Province", None))
    assert not ev.pair_ok((both, None), ("Al Shabaab and Islamic State Somalia Province", None))
    # a faction of a group is the group
    assert ev.pair_ok((ev.acled_actor("Taliban - Red Unit"), None), ("Taliban", None))


def test_nato_accepts_nato_and_the_us_military_only():
    ev = _load()
    nato = ev.acled_actor("NATO: North Atlantic Treaty Organization")
    for ours in ("NATO: North Atlantic Treaty Organization", "NATO", "Military Forces of the United States"):
        assert ev.pair_ok((nato, None), (ours, None)), ours
    assert not ev.pair_ok((nato, None), ("Military Forces of Afghanistan", None))
    # the rule is the organisation's, not a general "foreign forces" one
    us = ev.acled_actor("Military Forces of the United States (2025-)")
    assert ev.pair_ok((us, None), ("Military Forces of the United States", None))
    assert not ev.pair_ok((us, None), ("NATO: North Atlantic Treaty Organization", None))


# -- provinces -----------------------------------------------------------------------------------

def test_province_spellings_compare_equal():
    ev = _load()
    for a, b in (("Urozgan", "Uruzgan"), ("Sar-e Pol", "Sar-e Pul"), ("Nimruz", "Nimroz"), ("paktya", "Paktia")):
        assert ev.province_key(a) == ev.province_key(b), (a, b)
    assert ev.province_key("Kunar") != ev.province_key("Kunduz")


def test_province_normaliser_for_any_country():
    ev = _load()
    for a, b in (("Al Hudaydah", "Hudaydah"), ("Al-Hudaydah Governorate", "Hudaydah"), ("Ad Dali", "Dali"),
                 ("Nuevo León", "Nuevo Leon"), ("Lower Shabelle Region", "Lower Shabelle"), ("Şa‘dah", "Sadah"),
                 ("Ta‘izz", "Taizz"), ("Jalisco State", "jalisco"), ("El Beni Department", "Beni")):
        assert ev.province_norm(a) == ev.province_norm(b), (a, b)
    # an article is only an article before a separate word: Aden, Asir and Anbar keep their letters
    assert ev.province_norm("Aden") == "aden"
    assert ev.province_norm("Asir") == "asir"
    assert ev.province_norm("Bari") != ev.province_norm("Bay")
    assert ev.province_norm("") is None
    assert ev.same_province("Al Hudaydah", "YE", "Al Hudaydah Governorate", "YE")
    assert not ev.same_province("Al Hudaydah", "SA", "Al Hudaydah", "YE")  # the right name in the wrong country
    assert not ev.same_province(None, "YE", "Al Hudaydah", "YE")
    assert ev.same_province("Urozgan", "AF", "Uruzgan", "AF")  # Afghanistan: through the curated gazetteer


def test_province_uses_the_world_resolver_when_it_has_one(monkeypatch):
    w = _world()
    names = {"Mexico City": "Ciudad de Mexico", "Distrito Federal": "Ciudad de Mexico", "Jalisco": "Jalisco"}
    resolver = SimpleNamespace(resolve_admin1=lambda name, cc: names.get(name) if cc == "MX" else None)
    w._resolved.cache_clear()
    monkeypatch.setattr(w, "default_world", lambda: SimpleNamespace())
    assert not w.same_province("Mexico City", "MX", "Distrito Federal", "MX")  # no resolver: by name only
    w._resolved.cache_clear()
    monkeypatch.setattr(w, "default_world", lambda: resolver)
    assert w.same_province("Mexico City", "MX", "Distrito Federal", "MX")
    assert w.same_province("Mexico City", None, "Distrito Federal", "MX")  # our country unknown: the file's
    assert not w.same_province("Jalisco", "MX", "Distrito Federal", "MX")
    assert not w.same_province("Nowhere", "MX", "Somewhere", "MX")  # two unresolved names are not equal
    w._resolved.cache_clear()


def test_file_country_is_the_most_common_actor_suffix():
    w = _world()
    rows = [{"Actor1": "Civilians (Somalia)", "Actor2": "Al Shabaab"},
            {"Actor1": "Protesters (Somalia)", "Actor2": "Civilians (International)"},
            {"Actor1": "Military Forces of Ethiopia (2018-)", "Actor2": "Civilians (Ethiopia)"}]
    assert w.file_country(rows) == "SO"
    assert w.file_country([{"Actor1": "Al Shabaab", "Actor2": ""}]) is None


def test_dates_are_scored_by_the_claimed_precision():
    ev = _load()
    truth = date(2019, 6, 10)
    assert ev.date_ok(ev.Guess(None, date(2019, 6, 10), "day", None, (None, None), 0), truth)
    assert not ev.date_ok(ev.Guess(None, date(2019, 6, 11), "day", None, (None, None), 0), truth)
    assert ev.date_ok(ev.Guess(None, date(2019, 6, 15), "week", None, (None, None), 0), truth)
    assert ev.date_ok(ev.Guess(None, date(2019, 6, 28), "month", None, (None, None), 0), truth)


# -- --acled on any file -------------------------------------------------------------------------

_COLUMNS = ["event_date", "Type", "Sub_type", "Actor1", "Actor2", "admin1", "Location", "latitude", "longitude",
            "Fatalities", "Notes"]


def test_acled_option_scores_any_acled_layout_file(tmp_path, capsys):
    path = tmp_path / "tiny-somalia.csv"
    rows = [
        ["03 July 2025", "Battles", "Armed clash", "Military Forces of Somalia (2022-) Jubaland Security Force",
         "Al Shabaab", "Lower Juba", "Kismayo", "-0.35", "42.54", "2",
         "On 3 July 2025, Jubaland forces clashed with Al Shabaab militants near Kismayo (Lower Juba). "
         "Two militants were killed."],
        ["04 July 2025", "Protests", "Peaceful protest", "Protesters (Somalia)", "", "Banadir", "Mogadishu",
         "2.04", "45.34", "0", "On 4 July 2025, residents protested against rising prices in Mogadishu (Banadir)."],
        ["05 July 2025", "Violence against civilians", "Attack", "Unidentified Armed Group (Somalia)",
         "Civilians (Somalia)", "Bari", "Bosaso", "11.28", "49.18", "1",
         "On 5 July 2025, gunmen shot and killed a civilian in Bosaso town (Bari)."],
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(_COLUMNS)
        w.writerows(rows)
    assert _load().main(["--acled", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ACLED Somalia: tiny-somalia.csv (3 notes)" in out
    for label in ("province (admin1)", "country", "event date (within precision)", "sub-event type",
                  "actor pair (unordered)", "fatalities exact", "same, without ACLED 0-against-stated-toll rows",
                  "notes that gave no event", "naive baseline", "time:"):
        assert label in out, label
    for target in ("≥90%", "≥80%", "≥75%", "≥85%", "≤5%"):
        assert target in out, target
    assert "/3)" in out
    for other in ("Seeds", "ISAF", "CASE", "WikiEvents", "Afghanistan 2019"):
        assert other not in out, other  # --acled scores those files and nothing else


def test_acled_option_rejects_a_file_of_another_layout(tmp_path, capsys):
    path = tmp_path / "other.csv"
    path.write_text("date,text\n2020-01-01,hello\n", encoding="utf-8")
    assert _load().main(["--acled", str(path)]) == 2
    assert "not an ACLED-layout file" in capsys.readouterr().err
    assert _load().main(["--acled", str(tmp_path / "absent.csv")]) == 2
    assert "absent.csv is missing" in capsys.readouterr().err


# -- CASE 2021 and WikiEvents loaders --------------------------------------------------------------

def test_story_dates_without_a_published_date():
    cw = _case_wiki()
    assert cw.story_date({"published_at": "2020-05-01T10:00:00Z", "text": "in 2015"}) == (date(2020, 5, 1),
                                                                                           "published_at")
    assert cw.story_date({"id": "64_VOA_EN_NW_2017.06.05.3887168", "text": ""}) == (date(2017, 6, 5), "id")
    assert cw.story_date({"text": "Attacks in March 2015 and in 2012 killed 4."}) == (date(2015, 3, 31), "text")
    assert cw.story_date({"text": "Clashes in 2016 left 3 dead."}) == (date(2016, 12, 31), "text")
    assert cw.story_date({"text": "Police fired tear gas."}) == (cw.FIXED_PUBLISHED, "fixed")


def test_case_loader_on_a_synthetic_record(tmp_path):
    cw = _case_wiki()
    path = tmp_path / "case.jsonl"
    recs = [
        {"id": "c1", "title": None, "text": "Warplanes struck the village, killing 6 civilians.", "published_at": None,
         "labels": {"SubType": "AIR_STRIKE", "acled_event_type": "Explosions/Remote violence",
                    "acled_sub_event_type": "Air/drone strike"}},
        {"id": "c2", "title": None, "text": "Floods hit the province in June 2018.", "published_at": None,
         "labels": {"SubType": "NATURAL_DISASTER", "acled_event_type": None, "acled_sub_event_type": None}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n\n", encoding="utf-8")
    one, two = cw.load_case(path)
    assert (one.id, one.sub_event_type, one.event_type, one.task_class) == \
        ("c1", "Air/drone strike", "Explosions/Remote violence", "AIR_STRIKE")
    assert (two.sub_event_type, two.event_type, two.task_class) == (None, None, "NATURAL_DISASTER")
    assert (one.published, two.published) == (cw.FIXED_PUBLISHED, date(2018, 6, 30))
    assert len(cw.load_case(path, limit=1)) == 1
    t = cw.CaseTally()
    t.add(one, [SimpleNamespace(confidence=0.9, sub_event_type="Air/drone strike",
                                event_type="Explosions/Remote violence")])
    t.add(two, [])
    assert (t.score["ours"]["sub"], t.score["ours"]["type"], t.score["ours"]["non_event"]) == (1, 1, 1)
    t.add(two, [SimpleNamespace(confidence=0.5, sub_event_type="Armed clash", event_type="Battles")])
    assert t.score["ours"]["non_event"] == 1 and t.false_events == {"NATURAL_DISASTER": {"Armed clash": 1}}


def _wiki_record() -> dict:
    # the title runs into the body without a space, and the token offsets drift from the text (as in the
    # real file): the loader must place sentences by their text and triggers within them
    text = "Bomb kills 3 in KabulA car bomb killed three people in Kabul on Monday. Police arrested two men."
    sents = ["Bomb kills 3 in Kabul", "A car bomb killed three people in Kabul on Monday.",
             "Police arrested two men."]
    sentences, drift = [], 0
    for s in sents:
        toks, pos = [], 0
        for word in s.replace(".", " .").split():
            i = s.index(word, pos)
            toks.append([word, i + drift + 5, i + drift + 5 + len(word)])
            pos = i + len(word)
        sentences.append([toks, s])
        drift += len(s) + 2
    return {"id": "synthetic_1", "title": None, "published_at": None, "text": text, "labels": {
        "event_mentions": [
            {"id": "E1", "event_type": "Life.Die.Unspecified",
             "trigger": {"start": 1, "end": 2, "text": "kills", "sent_idx": 0},
             "arguments": [{"role": "Place", "text": "Kabul"}]},
            {"id": "E2", "event_type": "Conflict.Attack.DetonateExplode",
             "trigger": {"start": 8, "end": 9, "text": "killed", "sent_idx": 1},
             "arguments": [{"role": "Place", "text": "Kabul"}, {"role": "Victim", "text": "people"}]},
            {"id": "E3", "event_type": "Justice.ArrestJailDetain.Unspecified",
             "trigger": {"start": 17, "end": 18, "text": "arrested", "sent_idx": 2},
             "arguments": [{"role": "Place", "text": "province"}]},
        ],
        "sentences": sentences, "place_args": ["Kabul", "province"]}}


def test_wikievents_loader_places_sentences_and_triggers(tmp_path):
    cw = _case_wiki()
    path = tmp_path / "wiki.jsonl"
    path.write_text(json.dumps(_wiki_record()) + "\n", encoding="utf-8")
    (a,) = cw.load_wiki(path)
    assert a.id == "synthetic_1" and a.published == cw.FIXED_PUBLISHED
    die, attack, arrest = a.mentions
    assert a.text[die.trigger[0]:die.trigger[1]] == "kills"
    assert a.text[attack.trigger[0]:attack.trigger[1]] == "killed"
    assert a.text[arrest.trigger[0]:arrest.trigger[1]] == "arrested"
    assert a.text[attack.sentence[0]:attack.sentence[1]] == "A car bomb killed three people in Kabul on Monday."
    assert (die.countries, attack.countries, arrest.countries) == ({"AF"}, {"AF"}, frozenset())
    assert a.country() == "AF"

    def event(start, end, country="AF", confidence=0.8):
        return SimpleNamespace(evidence=[SimpleNamespace(start=start, end=end)], country=country,
                               confidence=confidence, sub_event_type="Remote explosive/landmine/IED")

    s0, s1 = attack.sentence
    on_attack = event(s0, s1)
    assert cw.covers(on_attack, attack) and not cw.covers(on_attack, die)
    assert not cw.covers(event(s0, attack.trigger[0]), attack)  # the trigger itself must be in the evidence
    t = cw.WikiTally()
    t.add(a, [on_attack, event(arrest.sentence[0], arrest.sentence[1]), event(0, 3, "PK")])
    c = t.c
    assert (c["mentions"], c["covered"], c["placed"], c["placed_right"]) == (2, 1, 2, 1)
    assert (c["events"], c["stray"]) == (3, 0)  # the arrest and the title's mention count for precision
    assert (c["articles"], c["articles_event"], c["articles_placed"], c["articles_right"]) == (1, 1, 1, 1)
    t2 = cw.WikiTally()
    t2.add(a, [event(a.text.index("Police"), len(a.text), "US"), event(s0, s1, "PK")])
    assert t2.c["covered"] == 1 and t2.c["placed_right"] == 0 and t2.c["articles_right"] == 0


def test_a_repeated_sentence_is_placed_at_its_own_occurrence():
    cw = _case_wiki()
    text = "Shots rang out. Two died. Shots rang out."
    sentences = [[[["Shots", 0, 5], ["rang", 6, 10], ["out", 11, 14], [".", 14, 15]], "Shots rang out."],
                 [[["Two", 0, 3], ["died", 4, 8], [".", 8, 9]], "Two died."],
                 [[["Shots", 0, 5], ["rang", 6, 10], ["out", 11, 14], [".", 14, 15]], "Shots rang out."]]
    assert cw._sentence_spans(text, sentences) == [(0, 15, 0), (16, 25, 4), (26, 41, 7)]


def test_place_arguments_resolve_to_countries():
    cw = _case_wiki()
    assert cw.place_country("Helmand Province") == "AF"
    assert cw.place_country("Syria") == "SY"
    assert cw.place_country("U.S.") == "US"
    assert cw.place_country("Mosul") == "IQ"
    assert cw.place_country("Lyon") == "FR"  # the city, not the US county the index ranks first
    assert cw.place_country("province") is None
    assert cw.place_country("Rue Victor Hugo") is None  # not the town of its first or last word


# -- the real files ------------------------------------------------------------------------------

def test_article_death_toll_is_the_first_counted_victim_and_scored_on_the_best_event():
    cw = _case_wiki()
    tokens = ["Campbell", ",", "29", ",", "died", ".", "The", "blast", "killed", "at", "least", "26", "people", ".",
              "Later", "30", "people", "died", "."]
    ents = [{"id": "T1", "start": 0, "end": 1}, {"id": "T2", "start": 11, "end": 12},
            {"id": "T3", "start": 15, "end": 16}]
    die = [{"event_type": "Life.Die.Unspecified", "arguments": [{"entity_id": e, "role": "Victim"}]}
           for e in ("T1", "T3", "T2")]
    labels = {"tokens": tokens, "entity_mentions": ents, "event_mentions": die}
    assert cw.death_toll(labels) == 26  # the first count in the text; "Campbell, 29," is an age
    assert cw.death_toll({**labels, "event_mentions": die[:1]}) is None
    text = "A bomb killed 26 people in Kabul."
    m = cw.WikiMention("Conflict.Attack.DetonateExplode", (0, len(text)), (7, 13), frozenset({"AF"}))

    def event(fatalities, confidence):
        return SimpleNamespace(evidence=[SimpleNamespace(start=0, end=len(text))], country="AF",
                               confidence=confidence, fatalities=fatalities, sub_event_type="Attack")

    for events, right in (([event(26, 0.9), event(3, 0.5)], 1), ([event(3, 0.9), event(26, 0.5)], 0), ([], 0)):
        t = cw.WikiTally()
        t.add(cw.Article("a", text, date(2020, 1, 1), [m], [], 26), events)
        assert (t.c["articles_toll"], t.c["articles_toll_right"]) == (1, right)


def test_real_case_and_wikievents_files_load_completely():
    cw = _case_wiki()
    snippets = cw.load_case(shared_path("data", "case2021", "case2021-task2-snippets.jsonl"))
    assert len(snippets) == 1019
    assert sum(s.sub_event_type is None for s in snippets) == 190
    path = shared_path("data", "wikievents", "wikievents-dev-test.jsonl")
    articles = cw.load_wiki(path)
    raw = cw.read_jsonl(path)
    assert len(articles) == 40
    for a, rec in zip(articles, raw, strict=True):
        assert len(a.mentions) == len(rec["labels"]["event_mentions"])
        for m, r in zip(a.mentions, rec["labels"]["event_mentions"], strict=True):
            assert a.text[m.trigger[0]:m.trigger[1]] == r["trigger"]["text"], (a.id, r["id"])
            assert m.sentence[0] <= m.trigger[0] < m.trigger[1] <= m.sentence[1]


def test_short_run_prints_every_table(capsys):
    for parts in (("data", "acled"), ("data", "acled-world"), ("data", "isaf"), ("data", "case2021"),
                  ("data", "wikievents")):
        shared_path(*parts)
    assert _load().main(["--limit", "15"]) == 0
    out = capsys.readouterr().out
    for title in ("Seeds", "ACLED Afghanistan 2019 Q2 (15 notes)", "ACLED Somalia", "ACLED Mexico", "ACLED Yemen",
                  "ISAF", "CASE 2021", "WikiEvents", "naive baseline", "target", "notes that gave no event",
                  "non-events that gave no event", "attack/death mentions inside an event's evidence",
                  "best event's fatalities exact"):
        assert title in out, title
    assert out.count("  time: ") == 8


def test_only_selects_one_set(capsys):
    shared_path("data", "case2021")
    assert _load().main(["--only", "case", "--limit", "20", "--errors", "2"]) == 0
    out = capsys.readouterr().out
    assert "CASE 2021 task 2 snippets (20:" in out
    assert "sub-event type by class" in out  # --errors prints the per-class confusion summary
    for other in ("ACLED Afghanistan", "ACLED Somalia", "Seeds", "ISAF", "WikiEvents"):
        assert other not in out, other
