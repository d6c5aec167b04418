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


def canonical_url(url: str) -> str:
    url = url.strip()
    normalised = courlan.normalize_url(url, strict=True) or url
    parts = urlsplit(normalised)
    host = (parts.hostname or "").lower()
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
            break
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = _AMP_PATH.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=False) if k.lower() not in _DROP_PARAMS]
    # https and http of one page are one article; keep a single scheme in the key.
    return urlunsplit(("https", host, path, urlencode(sorted(query)), ""))


def story_id_for(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
