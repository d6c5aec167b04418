import pytest

from services.ingest.urls import canonical_url, story_id_for


@pytest.mark.parametrize("variant", [
    "https://www.example.com/news/story-1?utm_source=twitter&utm_medium=social",
    "http://example.com/news/story-1#comments",
    "https://m.example.com/news/story-1",
    "https://amp.example.com/news/story-1",
    "https://www.example.com/news/story-1/amp",
    "https://example.com/news/story-1/?fbclid=abc123",
    "https://EXAMPLE.com/news/story-1?outputType=amp",
])
def test_variants_share_one_canonical_url(variant):
    assert canonical_url(variant) == "https://example.com/news/story-1"


def test_meaningful_query_parameters_stay():
    assert canonical_url("https://example.com/article?id=42&utm_campaign=x") == "https://example.com/article?id=42"


def test_story_id_is_stable():
    a = story_id_for(canonical_url("https://www.example.com/a?utm_source=x"))
    assert a == story_id_for(canonical_url("http://example.com/a"))
    assert len(a) == 32


def test_bundled_feeds_registry_is_valid():
    from services.ingest.feeds import load_feeds
    from services.ingest.settings import DEFAULT_FEEDS_FILE

    feeds = load_feeds(DEFAULT_FEEDS_FILE)
    outlets = {f.outlet for f in feeds}
    assert {"Tolo News", "Xinhua", "Al Jazeera"} <= outlets and len(outlets) >= 13


def test_an_unparseable_link_raises_invalid_url():
    from services.ingest.urls import InvalidUrl

    for link in ("https://[", "https://news.example:port/x", "https://\udcffnews.example/x"):
        with pytest.raises(InvalidUrl):
            canonical_url(link)


def test_repeated_host_prefixes_all_go_so_the_canonical_form_is_a_fixed_point():
    canon = canonical_url("https://www.www.bbc.co.uk/news/x")
    assert canon == "https://bbc.co.uk/news/x" == canonical_url(canon)
    assert canonical_url("https://www.m.example.com/a") == "https://example.com/a"
