"""Which network destinations ingest may fetch from.

Public addresses are always allowed. Loopback and private addresses are refused unless the
URL's host (and port) is on an explicit allow-list, so a test or ``wirewatch run`` opens exactly
the local site it serves and nothing else on the machine or its network. Link-local addresses
and cloud metadata endpoints are refused whatever the allow-list says, including when they are
reached through an IPv4-mapped, NAT64 or 6to4 IPv6 address: a feed that redirects there could
otherwise read the host's cloud credentials.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Never fetched, whatever is allowed. Link-local covers 169.254.169.254 (AWS, GCP, Azure,
# OpenStack, DigitalOcean, Oracle) and 169.254.170.2 (ECS task credentials).
NEVER_ALLOWED = tuple(ipaddress.ip_network(n) for n in (
    "169.254.0.0/16",      # IPv4 link-local, the usual metadata range
    "fe80::/10",           # IPv6 link-local
    "fd00:ec2::254/128",   # AWS instance metadata over IPv6
    "100.100.100.200/32",  # Alibaba Cloud metadata
    "192.0.0.192/32",      # Oracle Cloud metadata (legacy)
    "168.63.129.16/32",    # Azure wire server (a public address, so the public rule would allow it)
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64 well-known prefix, 6to4), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def _never_allowed(ip: IPAddress) -> bool:
    candidates = [ip] + [v4 for v4 in (_embedded_ipv4(ip),) if v4 is not None]
    return any(c in net for c in candidates for net in NEVER_ALLOWED if c.version == net.version)


def _is_public(ip: IPAddress) -> bool:
    # An IPv6 address that carries an IPv4 one reaches that IPv4 address: judge that one.
    ip = _embedded_ipv4(ip) or ip
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


def _normal_host(host: str) -> str:
    """One spelling per host: lower case, IP literals in their compressed form."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.lower()


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


@dataclass(frozen=True)
class AllowedHost:
    """One allow-list entry: a host name or IP literal, on one port or (``port is None``) on any."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> AllowedHost:
        """``host``, ``host:port``, ``v6``, ``[v6]`` or ``[v6]:port``; raises ValueError on anything else."""
        text = entry.strip()
        try:
            return cls(str(ipaddress.ip_address(text)))  # a bare IP literal, IPv6 without brackets
        except ValueError:
            pass
        if not text or "/" in text or "@" in text:
            raise ValueError(f"allowed host {entry!r} is not host or host:port")
        try:
            parts = urlsplit(f"//{text}")
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"allowed host {entry!r}: {exc}") from exc
        if not parts.hostname:
            raise ValueError(f"allowed host {entry!r} has no host")
        return cls(_normal_host(parts.hostname), port)

    def matches(self, host: str, port: int) -> bool:
        return _normal_host(host) == self.host and self.port in (None, port)


@dataclass(frozen=True)
class AddressPolicy:
    """Decides, from a URL's host, port and every address it resolved to, whether it may be fetched."""

    allowed: tuple[AllowedHost, ...] = ()

    @classmethod
    def from_entries(cls, entries: tuple[str, ...] | list[str]) -> AddressPolicy:
        return cls(tuple(AllowedHost.parse(e) for e in entries))

    def is_allowed_host(self, host: str, port: int) -> bool:
        return any(a.matches(host, port) for a in self.allowed)

    def refusal(self, host: str, port: int, addresses: list[IPAddress]) -> str | None:
        """Why ``host:port`` may not be fetched, or None when every one of ``addresses`` is fine.

        Every resolved address counts: a name that resolves to one public and one metadata
        address is refused, since the connection may use either.
        """
        if not addresses:
            return f"{host} resolved to no address"
        allowed_host = self.is_allowed_host(host, port)
        for ip in addresses:
            if _never_allowed(ip):
                return f"{host} resolves to link-local or metadata address {ip}, never fetched"
            if not allowed_host and not _is_public(ip):
                return (f"{host} resolves to non-public address {ip} "
                        f"(not in WIREWATCH_INGEST_ALLOWED_HOSTS)")
        return None
