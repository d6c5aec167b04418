"""Names the world gazetteer must not take as places, from ``data/not_places.yaml``: world regions and institutions
that GeoNames also gives some small town ("Middle East", Maryland; "White House", Tennessee), the titles that put a
person's name after them ("Mr Whitelaw", "President Hernandez"), and the capitalised words that may stand right
before a place without being part of a name with it ("In", "West", "Monday").

``not_places`` depends only on the data file, read once.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

NOT_PLACES_FILE = Path(__file__).with_name("data") / "not_places.yaml"


@lru_cache(maxsize=1)
def not_places() -> dict[str, frozenset[str]]:
    """``regions`` (never places), ``titles`` and ``leads`` (see the module), each lower case."""
    import yaml

    data = yaml.safe_load(NOT_PLACES_FILE.read_text(encoding="utf-8")) or {}
    out = {k: frozenset(str(v).lower() for v in data.get(k) or ()) for k in ("regions", "titles")}
    out["leads"] = frozenset(str(data.get("leads") or "").lower().split())  # one string: YAML would read "on" as true
    return out
