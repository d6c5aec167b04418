"""Properties of URL canonicalisation over mutated real article links: never raises, one fixed point."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.ingest.urls import InvalidUrl, canonical_url, story_id_for
from tests.conftest import shared_path
from tests.strategies import archive_items, mutated_text

PROPERTY = settings(max_examples=150, deadline=2000)


@pytest.fixture(scope="module")
def links() -> list[str]:
    items = archive_items(shared_path("data", "rss-archive", "bbc-cnn-guardian-2021.jsonl.gz"), 400)
    return sorted({i["link"] for i in items if i.get("link")})


def test_canonical_urls_never_raise_and_are_a_fixed_point(links):
    @PROPERTY
    @given(url=st.one_of(mutated_text(links), st.text(max_size=200).map(lambda t: f"https://{t}")))
    def check(url: str) -> None:
        # ingest canonicalises only links that start like web URLs (others are not article pages)
        assume(url.strip().startswith(("http://", "https://")))
        try:
            canon = canonical_url(url)
        except InvalidUrl:
            return  # the one error it may raise; the service counts the item as unusable
        assert canon.startswith("https://")
        assert canonical_url(canon) == canon, (url, canon)
        assert len(story_id_for(canon)) == 32

    check()
