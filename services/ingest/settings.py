"""Settings of the ingest service (``WIREWATCH_INGEST_*`` plus the common ones)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from services.common.addresses import AllowedHost
from services.common.settings import CommonSettings

DEFAULT_FEEDS_FILE = Path(__file__).with_name("feeds.yaml")


class IngestSettings(CommonSettings):
    ingest_feeds_file: Path = Field(DEFAULT_FEEDS_FILE, description="YAML file listing the feeds to poll")
    ingest_database_url: str | None = Field(
        None, description="Ingest state database (default: SQLite `ingest.db` in the data directory)"
    )
    ingest_poll_interval_s: float = Field(900.0, description="Default interval between polls of one feed")
    ingest_min_interval_s: float = Field(120.0, description="Never poll a feed more often than this")
    ingest_max_interval_s: float = Field(6 * 3600.0, description="Never poll a live feed less often than this")
    ingest_concurrency: int = Field(32, description="Requests in flight at once, all hosts together")
    ingest_claim_batch: int = Field(64, ge=1, description="Feeds one replica takes the lease on at a time")
    ingest_replica_id: str | None = Field(
        None, description="This replica's name, unique among live replicas (default: the host name, a pod's "
                          "name in Kubernetes); a restarted replica takes back the leases its dead predecessor held"
    )
    ingest_per_host_concurrency: int = Field(4, description="Requests in flight at once to one host")
    ingest_connect_timeout_s: float = Field(5.0, description="TCP/TLS connect timeout")
    ingest_read_timeout_s: float = Field(10.0, description="Longest wait for the next bytes of a response")
    ingest_total_timeout_s: float = Field(30.0, description="Hard cap on one request, however the server trickles")
    ingest_max_feed_bytes: int = Field(5_000_000, description="Largest feed body accepted")
    ingest_max_page_bytes: int = Field(5_000_000, description="Largest article page accepted")
    ingest_max_redirects: int = Field(5, description="Longest redirect chain followed")
    ingest_allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Comma-separated `host` or `host:port` entries that may be loopback or private "
                        "(tests, `run`'s local site); link-local and cloud metadata addresses are never fetched"
    )
    ingest_respect_robots: bool = Field(True, description="Honour robots.txt for article pages")
    ingest_user_agent: str = Field(
        "Wirewatch/0.1 (self-hosted news-to-events monitor; set WIREWATCH_INGEST_USER_AGENT to add a contact)",
        description="User-Agent sent with every request",
    )
    ingest_near_duplicate_threshold: float = Field(
        0.4, gt=0, le=1, description="Estimated Jaccard similarity (word 3-grams) from which a story is a "
                                     "near-duplicate of an earlier one; an identical lead always is"
    )
    ingest_max_items_per_feed: int = Field(200, description="Entries taken from one feed per poll")
    ingest_publish_chunk: int = Field(
        16, ge=1, description="Most new stories of one feed published and acknowledged together, in feed "
                              "order: each publish takes the next story and those after it already built, so "
                              "the first go out while the rest of the page is still being fetched"
    )

    @field_validator("ingest_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        """A comma-separated string (as in the environment) or a sequence; each entry must parse."""
        if isinstance(value, str):
            entries = [e.strip() for e in value.split(",") if e.strip()]
        elif isinstance(value, list | tuple) and all(isinstance(e, str) for e in value):
            entries = list(value)
        else:
            raise ValueError(f"expected comma-separated or a list of host[:port] strings, not {value!r}")
        for entry in entries:
            AllowedHost.parse(entry)
        return tuple(entries)
