"""ACLED's taxonomy around an event: its disorder type, and the interaction codes of its actors.

``DISORDER_TYPE`` follows from the event type alone (ACLED codebook, 2023 onwards). ``interaction_codes``
gives each actor's code (1 state forces .. 8 external/other forces) from the actor book and ACLED's
two-digit interaction, the lower code first ("17": state forces against civilians; "60": protesters
alone), so the same actors always give the same codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.common.contracts import Actor

if TYPE_CHECKING:
    from .actors import ActorBook
    from .classify import Trigger

EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "Battles": ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    "Explosions/Remote violence": ("Chemical weapon", "Air/drone strike", "Suicide bomb",
                                   "Shelling/artillery/missile attack", "Remote explosive/landmine/IED", "Grenade"),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Protests": ("Peaceful protest", "Protest with intervention", "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": ("Agreement", "Arrests", "Change to group/activity", "Disrupted weapons use",
                               "Headquarters or base established", "Looting/property destruction",
                               "Non-violent transfer of territory", "Other"),
}

DISORDER_TYPE: dict[str, str] = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Riots": "Political violence",
    "Protests": "Demonstrations",
    "Strategic developments": "Strategic developments",
}

CIVILIANS_CODE = 7


@dataclass(frozen=True)
class InteractionCodes:
    inter1: int | None
    inter2: int | None

    @property
    def interaction(self) -> int | None:
        codes = sorted(c for c in (self.inter1, self.inter2) if c)
        if not codes:
            return None
        return codes[0] * 10 + (codes[1] if len(codes) > 1 else 0)

    def civilian_targeting(self, trigger: Trigger) -> bool | None:
        """ACLED marks events whose target is civilians: violence against civilians always, and explosions or
        mob violence whose counterpart is civilians."""
        if trigger.event_type == "Violence against civilians":
            return True
        if trigger.event_type in ("Explosions/Remote violence", "Riots") and self.inter2 == CIVILIANS_CODE:
            return True
        return None


def interaction_codes(book: ActorBook, actor1: Actor | None, actor2: Actor | None) -> InteractionCodes:
    return InteractionCodes(book.inter_of(actor1.name) if actor1 else None,
                            book.inter_of(actor2.name) if actor2 else None)
