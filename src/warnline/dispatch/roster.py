"""Who holds a duty role at a given moment: the roster, and take-overs of a shift.

Escalation steps name roles, never people; the person is looked up here at the time of
the alert, so a shift hand-over between alert and escalation does not move an alert to
someone who never saw its first warning. A take-over (someone stands in for the rest of
a shift) is a journaled input, so replay resolves the same person.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from warnline.agreement.model import Contact, Partner
from warnline.domain import Takeover
from warnline.journal import Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import event


def takeover_event(t: Takeover) -> Event:
    return event(
        Kind.TAKEOVER, t, event_id=f"takeover:{t.partner}:{t.role}:{t.at.isoformat()}", at=t.at
    )


def on_duty(
    partner: Partner, role: str, at: datetime, takeovers: Sequence[Takeover] = ()
) -> tuple[Contact, ...]:
    """Contacts holding `role` at `at`: the latest take-over in force, else the shifts
    covering that minute, else (no shifts for the role) every contact with the role."""
    holders = [c for c in partner.contacts if c.role == role]
    live = [
        t
        for t in takeovers
        if t.partner == partner.code and t.role == role and t.at <= at < t.until
    ]
    if live:
        name = max(live, key=lambda t: t.at).contact
        chosen = [c for c in holders if c.name == name]
        if chosen:
            return tuple(chosen)
    shifts = [s for s in partner.roster if s.role == role]
    if not shifts:
        return tuple(holders)
    minute = at.hour * 60 + at.minute
    names = {s.contact for s in shifts if s.covers(minute)}
    return tuple(c for c in holders if c.name in names)
