"""Actor recognition: surface forms in the text -> canonical actor names (data/actors.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_ACTORS_FILE = Path(__file__).with_name("data") / "actors.yaml"


_ACRONYMS: dict[str, set[str]] = {}
for _a in ("ANA", "ANP", "ALP", "MoD", "ISIL", "ANSF", "ANDSF", "ISKP", "IS-K", "ISIS", "NATO", "ISAF", "ISIS-K", "NDS",
           "AUP", "APPF", "PPF", "IMU", "HiG", "HIG"):
    _ACRONYMS.setdefault(_a.lower(), set()).add(_a)


@dataclass(frozen=True)
class ActorMention:
    name: str
    side: str
    start: int
    end: int
    surface: str


class ActorBook:
    def __init__(self, path: Path = DEFAULT_ACTORS_FILE) -> None:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        self.actors = data["actors"]
        self.side = {a["name"]: a["side"] for a in self.actors}
        parts = []
        self._names = []
        for i, actor in enumerate(self.actors):
            parts.append(f"(?P<a{i}>" + "|".join(actor["patterns"]) + ")")
            self._names.append(actor["name"])
        # the group that people a security force detains or kills unnamed are counted in ("suspects")
        self.suspects: str | None = next((a["name"] for a in self.actors if a["side"] == "nonstate" and
                                          any(re.fullmatch(p, "suspects", re.IGNORECASE) for p in a["patterns"])),
                                         None)
        # the group that soldiers are counted in, for people a text names only by a post they guard
        self.soldiers: str | None = next((a["name"] for a in self.actors if a["side"] == "state" and
                                          any(re.fullmatch(p, "soldiers", re.IGNORECASE) for p in a["patterns"])),
                                         None)
        self._regex = re.compile(r"(?<![\w])(?:" + "|".join(parts) + r")(?![\w])", re.IGNORECASE)

    def find(self, text: str) -> list[ActorMention]:
        out = []
        for m in self._regex.finditer(text):
            for i, name in enumerate(self._names):
                if m.group(f"a{i}"):
                    surface = m.group(f"a{i}")
                    # acronyms count only as written: "ana" or "mod" in prose are not actors
                    if surface.lower() in _ACRONYMS and surface not in _ACRONYMS[surface.lower()]:
                        break
                    out.append(ActorMention(name, self.side[name], m.start(), m.end(), surface))
                    break
        return out


@lru_cache(maxsize=1)
def default_actor_book() -> ActorBook:
    return ActorBook()
