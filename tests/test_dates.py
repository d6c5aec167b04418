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
    # a sentence dated within the last week is news, whatever earlier year it names
    assert not is_background("On 5 August 2021, teachers protested over wages unpaid since 2018.", date(2021, 8, 9))
    assert is_background("On 5 August 2019, teachers protested over wages unpaid since 2018.", date(2021, 8, 9))


def test_more_explicit_formats():
    ref = date(2019, 7, 2)
    assert _days("On 12-April-2019, 11 Taliban", ref) == [(date(2019, 4, 12), "day")]
    assert _days("On 27 05 2019, an IED", ref) == [(date(2019, 5, 27), "day")]
    assert _days("On 05/27/2019 a blast", ref) == [(date(2019, 5, 27), "day")]
    assert _days("On 29 or 30 June 2019, a soldier", ref) == [(date(2019, 6, 29), "day")]
    assert _days("On June 29-30 2019, fighting", ref) == [(date(2019, 6, 29), "day")]


def test_report_date_anchors_relative_expressions():
    ref = date(2019, 7, 3)
    # "over the past 24 hours" counts back from the report, not from publication
    assert _days("As reported on July 01 2019, over the past 24 hours, 6 militants were killed", ref) == \
        [(date(2019, 6, 30), "day")]
    # a report date with nothing else dates the event
    assert _days("Reported on 30 June 2019, special forces attacked", ref) == [(date(2019, 6, 30), "day")]
