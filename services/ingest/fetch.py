"""Careful HTTP fetching for untrusted URLs.

Every request has a connect timeout, a per-read timeout and a hard total deadline (a server
that trickles one byte a second is cut off), a body size cap enforced while streaming, a
bounded redirect chain followed by hand so that every hop is checked, and an address check
(``addresses.AddressPolicy``) on every hop and every resolved address: non-public targets only
for allow-listed hosts, link-local and cloud metadata addresses never.
Compressed bodies (gzip, deflate, br) are decoded by httpx.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import httpx

from services.common.addresses import AddressPolicy, default_port

if TYPE_CHECKING:
    from .settings import IngestSettings


class FetchError(Exception):
    """A fetch that failed; ``kind`` is a short, bounded label for metrics."""

    kind = "error"

    def __init__(self, message: str, *, url: str = "", status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.retry_after_s = retry_after_s


class FetchTimeout(FetchError):
    kind = "timeout"


class BodyTooLarge(FetchError):
    kind = "too_large"


class TooManyRedirects(FetchError):
    kind = "too_many_redirects"


class BlockedAddress(FetchError):
    kind = "blocked_address"


class ConnectFailed(FetchError):
    kind = "connect"


class BadUrl(FetchError):
    kind = "bad_url"


class HttpStatusError(FetchError):
    kind = "http_status"


@dataclass
class FetchResult:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    elapsed_s: float
    redirects: list[tuple[int, str]] = field(default_factory=list)

    @property
    def permanent_redirect_to(self) -> str | None:
        """The final URL when every hop was permanent (301/308): the feed has moved."""
        if self.redirects and all(code in (301, 308) for code, _ in self.redirects):
            return self.redirects[-1][1]
        return None


_REDIRECTS = (301, 302, 303, 307, 308)


async def check_address(url: str, policy: AddressPolicy) -> None:
    """Refuse a URL unless every address its host resolves to is one ``policy`` allows.

    Raises BadUrl for anything but http(s) with a host, ConnectFailed when the name does not
    resolve and BlockedAddress when any resolved address is refused.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadUrl(f"not an http(s) URL: {url!r}", url=url)
    host = parts.hostname
    try:
        port = parts.port or default_port(parts.scheme)
    except ValueError as exc:
        raise BadUrl(f"invalid port in {url!r}", url=url) from exc
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectFailed(f"cannot resolve {host}: {exc}", url=url) from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    refusal = policy.refusal(host, port, addresses)
    if refusal:
        raise BlockedAddress(refusal, url=url)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


class Fetcher:
    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        total_timeout_s: float = 30.0,
        max_redirects: int = 5,
        allowed_hosts: tuple[str, ...] | list[str] = (),
        max_connections: int = 64,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.total_timeout_s = total_timeout_s
        self.max_redirects = max_redirects
        self.policy = AddressPolicy.from_entries(allowed_hosts)
        self.client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(connect=connect_timeout_s, read=read_timeout_s, write=read_timeout_s,
                                  pool=total_timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
            transport=transport,
            trust_env=False,  # no proxies or netrc picked up from the environment
        )

    @classmethod
    def for_settings(cls, settings: IngestSettings) -> Fetcher:
        """The fetcher ingest runs with: every limit and the address allow-list from its settings."""
        return cls(user_agent=settings.ingest_user_agent, connect_timeout_s=settings.ingest_connect_timeout_s,
                   read_timeout_s=settings.ingest_read_timeout_s, total_timeout_s=settings.ingest_total_timeout_s,
                   max_redirects=settings.ingest_max_redirects, allowed_hosts=settings.ingest_allowed_hosts,
                   max_connections=settings.ingest_concurrency)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(self, url: str, *, max_bytes: int, headers: dict[str, str] | None = None,
                  accept_status: tuple[int, ...] = (200,)) -> FetchResult:
        try:
            return await asyncio.wait_for(self._get(url, max_bytes, headers or {}, accept_status),
                                          timeout=self.total_timeout_s)
        except TimeoutError as exc:
            raise FetchTimeout(f"no complete response within {self.total_timeout_s:.0f}s", url=url) from exc

    async def _get(self, url: str, max_bytes: int, headers: dict[str, str],
                   accept_status: tuple[int, ...]) -> FetchResult:
        started = time.monotonic()
        redirects: list[tuple[int, str]] = []
        current = url
        while True:
            # Checked on every hop: a public feed may redirect to a private or metadata address.
            await check_address(current, self.policy)
            response = await self._send(current, headers)
            try:
                if response.status_code in _REDIRECTS:
                    if len(redirects) >= self.max_redirects:
                        raise TooManyRedirects(f"more than {self.max_redirects} redirects from {url}", url=url)
                    current = _redirect_target(current, response)
                    redirects.append((response.status_code, current))
                    continue
                if response.status_code not in accept_status:
                    raise HttpStatusError(
                        f"HTTP {response.status_code} from {current}", url=current, status=response.status_code,
                        retry_after_s=_retry_after(response.headers.get("retry-after")),
                    )
                body = await _read_body(current, response, max_bytes)
                return FetchResult(url=current, status=response.status_code, headers=response.headers,
                                   body=body, elapsed_s=time.monotonic() - started, redirects=redirects)
            finally:
                await response.aclose()

    async def _send(self, url: str, headers: dict[str, str]) -> httpx.Response:
        """Open one request (no redirects followed); transport failures become FetchErrors."""
        try:
            request = self.client.build_request("GET", url, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            raise BadUrl(f"invalid URL {url!r}: {exc}", url=url) from exc
        try:
            return await self.client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{type(exc).__name__} fetching {url}", url=url) from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise BadUrl(f"invalid URL {url!r}: {exc}", url=url) from exc
        except httpx.HTTPError as exc:
            raise ConnectFailed(f"{type(exc).__name__} fetching {url}: {exc}", url=url) from exc


def _redirect_target(current: str, response: httpx.Response) -> str:
    location = response.headers.get("location")
    if not location:
        raise HttpStatusError(f"redirect {response.status_code} without Location", url=current,
                              status=response.status_code)
    return urljoin(current, location)


async def _read_body(url: str, response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body, refused as soon as it (or its declared length) exceeds ``max_bytes``."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"{url} declares {declared} bytes (limit {max_bytes})", url=url)
    chunks = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise BodyTooLarge(f"{url} sent more than {max_bytes} bytes", url=url)
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise FetchTimeout(f"read timed out on {url}", url=url) from exc
    except httpx.DecodingError as exc:
        raise HttpStatusError(f"undecodable body from {url}: {exc}", url=url, status=response.status_code) from exc
    except httpx.HTTPError as exc:
        raise ConnectFailed(f"{type(exc).__name__} reading {url}: {exc}", url=url) from exc
    return b"".join(chunks)
