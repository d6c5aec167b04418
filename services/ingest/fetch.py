"""Careful HTTP fetching for untrusted URLs.

Every request has a connect timeout, a per-read timeout and a hard total deadline (a server
that trickles one byte a second is cut off), a body size cap enforced while streaming, a
bounded redirect chain followed by hand so that every hop is checked, and an address check
that refuses loopback, private, link-local (cloud metadata) and other non-public targets unless
the settings allow them. Compressed bodies (gzip, deflate, br) are decoded by httpx.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx


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


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


async def check_address(url: str, allow_private: bool, exempt: tuple = ()) -> None:
    """Refuse URLs whose host resolves to a non-public address, unless allowed or ``exempt``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadUrl(f"not an http(s) URL: {url!r}", url=url)
    if allow_private:
        return
    host = parts.hostname
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConnectFailed(f"cannot resolve {host}: {exc}", url=url) from exc
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not _is_public(ip) and not any(ip in net for net in exempt):
            raise BlockedAddress(f"{host} resolves to non-public address {ip}", url=url)


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
        allow_private: bool = False,
        exempt_networks: tuple[str, ...] = (),
        max_connections: int = 64,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.total_timeout_s = total_timeout_s
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self.exempt = tuple(ipaddress.ip_network(n) for n in exempt_networks)
        self.client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate, br"},
            timeout=httpx.Timeout(connect=connect_timeout_s, read=read_timeout_s, write=read_timeout_s,
                                  pool=total_timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
            transport=transport,
            trust_env=False,  # no proxies or netrc picked up from the environment
        )

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
            await check_address(current, self.allow_private, self.exempt)
            try:
                request = self.client.build_request("GET", current, headers=headers)
            except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
                raise BadUrl(f"invalid URL {current!r}: {exc}", url=current) from exc
            try:
                response = await self.client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise FetchTimeout(f"{type(exc).__name__} fetching {current}", url=current) from exc
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise BadUrl(f"invalid URL {current!r}: {exc}", url=current) from exc
            except httpx.HTTPError as exc:
                raise ConnectFailed(f"{type(exc).__name__} fetching {current}: {exc}", url=current) from exc
            try:
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise HttpStatusError(f"redirect {response.status_code} without Location", url=current,
                                              status=response.status_code)
                    if len(redirects) >= self.max_redirects:
                        raise TooManyRedirects(f"more than {self.max_redirects} redirects from {url}", url=url)
                    current = urljoin(current, location)
                    redirects.append((response.status_code, current))
                    continue
                if response.status_code not in accept_status:
                    raise HttpStatusError(
                        f"HTTP {response.status_code} from {current}", url=current, status=response.status_code,
                        retry_after_s=_retry_after(response.headers.get("retry-after")),
                    )
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise BodyTooLarge(f"{current} declares {declared} bytes (limit {max_bytes})", url=current)
                chunks = []
                size = 0
                try:
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise BodyTooLarge(f"{current} sent more than {max_bytes} bytes", url=current)
                        chunks.append(chunk)
                except httpx.TimeoutException as exc:
                    raise FetchTimeout(f"read timed out on {current}", url=current) from exc
                except httpx.DecodingError as exc:
                    raise HttpStatusError(f"undecodable body from {current}: {exc}", url=current,
                                          status=response.status_code) from exc
                except httpx.HTTPError as exc:
                    raise ConnectFailed(f"{type(exc).__name__} reading {current}: {exc}", url=current) from exc
                return FetchResult(url=current, status=response.status_code, headers=response.headers,
                                   body=b"".join(chunks), elapsed_s=time.monotonic() - started,
                                   redirects=redirects)
            finally:
                await response.aclose()
