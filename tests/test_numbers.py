import pytest

from services.extract.numbers import find_quantities


@pytest.mark.parametrize("text,lo,hi,floor", [
    ("At least 13 troopers", 13, None, True),
    ("more than two dozen security personnel", 24, None, True),
    ("over 24 soldiers", 24, None, True),
    ("dozens of Taliban", 12, None, True),
    ("tens of people", 10, None, True),
    ("a dozen soldiers", 12, 12, False),
    ("twenty-five civilians", 25, 25, False),
    ("about 14 bodies", 14, 14, False),
    ("10 to 15 people", 10, 15, False),
    ("1,200 families", 1200, 1200, False),
    ("multiple suspected insurgents", 3, None, True),
    ("2-5 Taliban militants", 2, 5, False),
    # vague plurals: the smallest count the word can fairly mean, as a lower bound
    ("a few gunmen", 3, None, True),
    ("a number of fighters", 3, None, True),
    ("a couple of guards", 2, None, True),
    ("numerous rebels", 4, None, True),
    ("several men", 3, None, True),
    # a ceiling: no floor is stated
    ("up to 40 fighters", 0, 40, False),
    ("as many as seven guards", 0, 7, False),
])
def test_quantities(text, lo, hi, floor):
    q = find_quantities(text)[0]
    assert (q.min, q.max, q.lower_bound) == (lo, hi, floor)


def test_words_inside_other_words_are_not_numbers():
    assert find_quantities("Afghan forces") == []
