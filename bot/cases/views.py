"""Plain, immutable views of a case for the dialogue layer.

The repository returns these instead of ORM objects, so nothing that leaves it
is bound to a session. The birth date is deliberately not part of the view: it
is only used to verify a lookup and must never be shown back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from bot.cases.vocab import STEPS_WITH_OUTCOME


@dataclass(frozen=True)
class ContactView:
    """The contact person of a case."""

    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class EventView:
    """One dated step of a case; ``outcome`` only for decisions."""

    date: date
    type: str
    note: str
    outcome: Optional[str] = None

    @property
    def is_decision(self) -> bool:
        """True for ``besluit_genomen`` and ``beslissing_op_bezwaar``."""
        return self.type in STEPS_WITH_OUTCOME


@dataclass(frozen=True)
class CaseView:
    """A case as the bot may explain it; ``events`` are sorted by date (oldest first)."""

    case_number: str
    municipality: str
    law: str
    status: str
    contact: ContactView
    events: tuple[EventView, ...]
    updated_at: datetime

    def last_event(self, event_type: Optional[str] = None) -> Optional[EventView]:
        """The most recent event, or the most recent one of ``event_type``."""
        for event in reversed(self.events):
            if event_type is None or event.type == event_type:
                return event
        return None

    @property
    def status_event(self) -> Optional[EventView]:
        """The most recent event whose type is the current status (dates the current step)."""
        return self.last_event(self.status)

    @property
    def last_decision(self) -> Optional[EventView]:
        """The most recent decision (besluit or beslissing op bezwaar), if any."""
        for event in reversed(self.events):
            if event.is_decision:
                return event
        return None
