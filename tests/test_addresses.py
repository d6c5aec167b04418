"""The address policy: private hosts only when allow-listed, link-local and metadata never."""

from __future__ import annotations

import ipaddress

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from services.common.addresses import AddressPolicy, AllowedHost
from services.fixturesite import FixtureSite
from services.fixturesite.server import send
from services.ingest.fetch import BlockedAddress
from services.ingest.metrics import IngestMetrics
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings
from services.ingest.state import IngestState


def ips(*texts: str) -> list:
    return [ipaddress.ip_address(t) for t in texts]


def test_public_addresses_are_allowed_and_private_ones_are_not():
    policy = AddressPolicy()
    assert policy.refusal("news.example", 443, ips("93.184.216.34", "2606:2800:220:1::1")) is None
    for private in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "::1", "fc00::1", "100.64.0.1", "0.0.0.0"):
        assert policy.refusal("news.example", 443, ips(private)), private


def test_every_resolved_address_counts():
    # a name with one public and one metadata address is refused: the connection may use either
    policy = AddressPolicy.from_entries(["news.example"])
    assert "169.254.169.254" in policy.refusal("news.example", 80, ips("93.184.216.34", "169.254.169.254"))
    assert AddressPolicy().refusal("news.example", 80, ips("93.184.216.34", "10.0.0.1"))
    assert AddressPolicy().refusal("news.example", 80, []) == "news.example resolved to no address"


@pytest.mark.parametrize("address", [
    "169.254.169.254", "169.254.170.2", "169.254.0.1", "fe80::1", "fd00:ec2::254", "100.100.100.200",
    "192.0.0.192", "168.63.129.16", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1",
])
def test_link_local_and_metadata_addresses_are_never_allowed(address):
    policy = AddressPolicy.from_entries(["metadata.example", "metadata.example:80", address])
    assert "never fetched" in policy.refusal("metadata.example", 80, ips(address))
    assert "never fetched" in policy.refusal(address, 80, ips(address))


def test_an_allowed_entry_matches_its_host_and_port_exactly():
    policy = AddressPolicy.from_entries(["127.0.0.1:8765", "LocalHost", "[::1]:9000"])
    assert policy.refusal("127.0.0.1", 8765, ips("127.0.0.1")) is None
    assert policy.refusal("127.0.0.1", 8766, ips("127.0.0.1"))
    assert policy.refusal("localhost", 1234, ips("127.0.0.1", "::1")) is None
    assert policy.refusal("0:0::1", 9000, ips("::1")) is None  # one spelling per IP literal
    assert policy.refusal("::1", 9001, ips("::1"))
    assert policy.refusal("127.0.0.2", 8765, ips("127.0.0.2"))


@pytest.mark.parametrize("entry", ["", "http://127.0.0.1:80/", "user@host", "host:port", "host:99999"])
def test_malformed_entries_are_refused(entry):
    with pytest.raises(ValueError):
        AllowedHost.parse(entry)


def test_the_setting_reads_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("WIREWATCH_INGEST_ALLOWED_HOSTS", "127.0.0.1:8765, localhost ,")
    assert IngestSettings().ingest_allowed_hosts == ("127.0.0.1:8765", "localhost")
    monkeypatch.setenv("WIREWATCH_INGEST_ALLOWED_HOSTS", "127.0.0.1:http")
    with pytest.raises(ValidationError, match="allowed host"):
        IngestSettings()


def test_the_setting_takes_a_sequence_of_strings_and_refuses_anything_else():
    assert IngestSettings(ingest_allowed_hosts=["localhost", "127.0.0.1:8765"]).ingest_allowed_hosts == (
        "localhost", "127.0.0.1:8765")
    for value in ([8765], 8765, {"localhost": 1}):
        with pytest.raises(ValidationError, match="host\\[:port\\] strings"):
            IngestSettings(ingest_allowed_hosts=value)


async def test_the_service_fetches_exactly_the_allowed_hosts():
    with FixtureSite() as site, FixtureSite() as other:
        for s in (site, other):
            s.routes["/x"] = lambda h: send(h, 200, b"ok", "text/plain")
        settings = IngestSettings(ingest_allowed_hosts=(site.netloc,))
        state = IngestState(settings.sqlite_url("ingest"))
        service = IngestService(settings, [], None, state, IngestMetrics(CollectorRegistry()))
        try:
            assert (await service.fetcher.get(f"{site.base_url}/x", max_bytes=10)).body == b"ok"
            with pytest.raises(BlockedAddress):
                await service.fetcher.get(f"{other.base_url}/x", max_bytes=10)
        finally:
            await service.aclose()
            state.close()
