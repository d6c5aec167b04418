"""The careful fetcher against a real local HTTP server that misbehaves on purpose."""

from __future__ import annotations

import gzip
import time

import pytest

from services.fixturesite import FixtureSite
from services.fixturesite.server import send
from services.ingest.fetch import (
    BlockedAddress,
    BodyTooLarge,
    Fetcher,
    FetchTimeout,
    HttpStatusError,
    TooManyRedirects,
)
from services.ingest.settings import IngestSettings


@pytest.fixture
def site():
    with FixtureSite() as s:
        yield s


def fetcher(site: FixtureSite | None = None, **kw) -> Fetcher:
    """A fetcher allowed exactly the site's host:port (nothing else private or loopback)."""
    base = dict(user_agent="wirewatch-test", connect_timeout_s=2, read_timeout_s=1, total_timeout_s=3,
                max_redirects=3, allowed_hosts=(site.netloc,) if site else ())
    return Fetcher(**{**base, **kw})


async def test_trickling_server_is_cut_off_at_the_total_timeout(site):
    def trickle(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        for _ in range(60):  # one byte every 0.2 s: each read is fast, the whole never ends in time
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.2)

    site.routes["/slow"] = trickle
    f = fetcher(site)
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        await f.get(f"{site.base_url}/slow", max_bytes=10_000)
    assert time.monotonic() - started < 5
    await f.aclose()


async def test_oversize_bodies_are_refused(site):
    site.routes["/declared"] = lambda h: send(h, 200, b"x" * 5000, "text/html")

    def undeclared(h):  # no Content-Length: the cap is enforced while streaming
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(b"y" * 50_000)
        h.close_connection = True

    site.routes["/undeclared"] = undeclared
    f = fetcher(site)
    with pytest.raises(BodyTooLarge):
        await f.get(f"{site.base_url}/declared", max_bytes=1000)
    with pytest.raises(BodyTooLarge):
        await f.get(f"{site.base_url}/undeclared", max_bytes=1000)
    await f.aclose()


async def test_gzip_bomb_is_refused_by_decoded_size(site):
    bomb = gzip.compress(b"\0" * 2_000_000)
    site.routes["/bomb"] = lambda h: send(h, 200, bomb, "text/html", headers={"Content-Encoding": "gzip"})
    f = fetcher(site)
    with pytest.raises(BodyTooLarge):
        await f.get(f"{site.base_url}/bomb", max_bytes=100_000)
    await f.aclose()


async def test_redirect_chain_longer_than_the_limit_stops(site):
    for i in range(6):
        site.routes[f"/r{i}"] = (lambda n: lambda h: send(h, 302, b"", "text/plain",
                                                          headers={"Location": f"/r{n + 1}"}))(i)
    site.routes["/r6"] = lambda h: send(h, 200, b"done", "text/plain")
    f = fetcher(site, max_redirects=3)
    with pytest.raises(TooManyRedirects):
        await f.get(f"{site.base_url}/r0", max_bytes=1000)
    ok = await fetcher(site, max_redirects=10).get(f"{site.base_url}/r0", max_bytes=1000)
    assert ok.body == b"done" and len(ok.redirects) == 6
    await f.aclose()


async def test_permanent_redirect_is_reported(site):
    site.routes["/old"] = lambda h: send(h, 301, b"", "text/plain", headers={"Location": "/new"})
    site.routes["/new"] = lambda h: send(h, 200, b"feed", "application/rss+xml")
    res = await fetcher(site).get(f"{site.base_url}/old", max_bytes=1000)
    assert res.permanent_redirect_to == f"{site.base_url}/new"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/x", "http://10.0.0.8/x", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/x", "http://192.168.1.1/", "http://localhost/x", "http://100.100.100.200/latest/",
])
async def test_private_and_metadata_addresses_are_refused(url):
    f = fetcher()
    with pytest.raises(BlockedAddress):
        await f.get(url, max_bytes=1000)
    await f.aclose()


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://169.254.170.2/v2/credentials", "http://[fe80::1]/",
    "http://[fd00:ec2::254]/latest/", "http://100.100.100.200/latest/", "http://[::ffff:169.254.169.254]/",
])
async def test_metadata_addresses_are_refused_even_when_allow_listed(url):
    host = url.split("/")[2]
    f = fetcher(allowed_hosts=(host,))
    with pytest.raises(BlockedAddress, match="never fetched"):
        await f.get(url, max_bytes=1000)
    await f.aclose()


async def test_a_redirect_to_a_metadata_address_is_refused(site):
    # The site's own loopback address is allowed; the check runs again on the hop it redirects to.
    site.routes["/hop"] = lambda h: send(h, 302, b"", "text/plain",
                                          headers={"Location": "http://169.254.169.254/latest/"})
    f = fetcher(site)
    with pytest.raises(BlockedAddress, match="169.254.169.254"):
        await f.get(f"{site.base_url}/hop", max_bytes=1000)
    await f.aclose()


async def test_only_the_allowed_port_of_a_loopback_host_is_fetched(site):
    with FixtureSite() as other:
        other.routes["/secret"] = lambda h: send(h, 200, b"internal", "text/plain")
        site.routes["/hop"] = lambda h: send(h, 302, b"", "text/plain",
                                              headers={"Location": f"{other.base_url}/secret"})
        f = fetcher(site)
        with pytest.raises(BlockedAddress, match="not in WIREWATCH_INGEST_ALLOWED_HOSTS"):
            await f.get(f"{site.base_url}/hop", max_bytes=1000)
        with pytest.raises(BlockedAddress):
            await f.get(f"http://localhost:{site.server.server_address[1]}/hop", max_bytes=1000)
        await f.aclose()
        assert "/secret" not in other.hits


async def test_a_host_allowed_on_any_port(site):
    site.routes["/ok"] = lambda h: send(h, 200, b"ok", "text/plain")
    f = fetcher(allowed_hosts=("127.0.0.1",))
    assert (await f.get(f"{site.base_url}/ok", max_bytes=100)).body == b"ok"
    await f.aclose()


async def test_429_carries_retry_after(site):
    site.routes["/busy"] = lambda h: send(h, 429, b"slow down", "text/plain", headers={"Retry-After": "120"})
    with pytest.raises(HttpStatusError) as err:
        await fetcher(site).get(f"{site.base_url}/busy", max_bytes=1000)
    assert err.value.status == 429 and err.value.retry_after_s == 120


async def test_user_agent_is_sent(site):
    site.routes["/ua"] = lambda h: send(h, 200, b"ok", "text/plain")
    await fetcher(site, user_agent="Wirewatch-test/1").get(f"{site.base_url}/ua", max_bytes=100)
    assert site.requests[-1][1]["User-Agent"] == "Wirewatch-test/1"


async def test_the_fetcher_for_settings_takes_every_limit_and_the_allow_list_from_them():
    settings = IngestSettings(ingest_connect_timeout_s=1.5, ingest_read_timeout_s=2.5, ingest_total_timeout_s=7,
                              ingest_max_redirects=2, ingest_allowed_hosts=["127.0.0.1:8765"],
                              ingest_user_agent="wirewatch-settings-test")
    f = Fetcher.for_settings(settings)
    try:
        assert (f.total_timeout_s, f.max_redirects) == (7, 2)
        assert (f.client.timeout.connect, f.client.timeout.read) == (1.5, 2.5)
        assert f.client.headers["User-Agent"] == "wirewatch-settings-test"
        assert f.policy.is_allowed_host("127.0.0.1", 8765) and not f.policy.is_allowed_host("127.0.0.1", 8766)
    finally:
        await f.aclose()
