from datetime import date

from services.extract.dates import dateline_date, find_dates, is_background

PUB = date(2020, 1, 29)  # a Wednesday


def _days(text, ref=PUB):
    return [(d.day, d.precision) for d in find_dates(text, ref)]


def test_weekdays_resolve_to_the_latest_such_day_on_or_before_publication():
    assert _days("early Wednesday") == [(date(2020, 1, 29), "day")]
    assert _days("on Tuesday night") == [(date(2020, 1, 28), "day")]
    assert _days("on Sunday") == [(date(2020, 1, 26), "day")]


def test_relative_expressions():
    assert _days("yesterday") == [(date(2020, 1, 28), "day")]
    assert _days("in the past 24 hours") == [(date(2020, 1, 28), "day")]
    assert _days("over the past two days") == [(date(2020, 1, 28), "week")]


def test_explicit_dates_in_common_formats():
    assert _days("on Jan. 27") == [(date(2020, 1, 27), "day")]
    assert _days("on 27 January 2020") == [(date(2020, 1, 27), "day")]
    assert _days("on 2020-01-27") == [(date(2020, 1, 27), "day")]
    assert _days("on Dec. 30", date(2020, 1, 5)) == [(date(2019, 12, 30), "day")]


def test_dates_after_publication_are_ignored():
    assert _days("the talks resume on March 3, 2020") == []


def test_dateline():
    assert dateline_date("KABUL, Jan. 29 (Xinhua) -- More than two dozen", date(2020, 2, 1)) == date(2020, 1, 29)


def test_background_sentences():
    assert is_background("Kunduz city fell to the Taliban in September 2015 but was retaken.", date(2016, 4, 17))
    assert is_background("The militants occupied the city again in 2015 and 2016.", date(2021, 8, 9))
    assert not is_background("Fighting erupted on Sunday in Kunduz.", date(2021, 8, 9))
