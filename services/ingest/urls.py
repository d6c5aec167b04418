"""URL canonicalisation: one article, one canonical URL, one story id.

courlan does the standard part (scheme/host case, default ports, tracking parameters,
fragments); on top of it we fold the variants news sites publish the same page under:
``www.``/``m.``/``amp.`` hosts, ``/amp`` path suffixes and ``amp``/``outputType=amp`` queries.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import courlan

_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_AMP_PATH = re.compile(r"(/amp/?|\.amp(?=\.html?$)|/amp\.html?)$", re.IGNORECASE)
_DROP_PARAMS = {"amp", "outputtype", "output", "ref", "cmpid", "ocid", "ito", "at_medium", "at_campaign",
                "s_cid", "src", "mc_cid", "mc_eid", "taid", "share"}


class InvalidUrl(ValueError):
    """A link that cannot be parsed as a URL at all; ``kind`` is the bounded metrics label."""

    kind = "bad_url"


def canonical_url(url: str) -> str:
    """The one canonical form of ``url``; canonicalising it again changes nothing.

    Raises InvalidUrl (and nothing else) when ``url`` cannot be parsed at all.
    """
    url = url.strip()
    try:
        url.encode("utf-8")  # a lone surrogate (from a bad character reference) is no URL
        normalised = courlan.normalize_url(url, strict=True) or url
        parts = urlsplit(normalised)
        port = parts.port
    except ValueError as exc:  # an unbalanced "[" in the host, a port that is no number, a lone surrogate
        raise InvalidUrl(f"unparseable URL {url[:200]!r}: {exc}") from exc
    host = (parts.hostname or "").lower()
    # Until none is left ("www.m." too), so that the canonical form of a canonical URL is itself.
    stripped = True
    while stripped:
        stripped = False
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host, stripped = host[len(prefix):], True
                break
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=False) if k.lower() not in _DROP_PARAMS]
    # https and http of one page are one article; keep a single scheme in the key.
    return urlunsplit(("https", host, path, urlencode(sorted(query)), ""))


def story_id_for(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
