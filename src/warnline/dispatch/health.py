"""Channel health for the coordination cell, folded from journaled delivery results.

Kept per channel, and per route for channels whose addresses name their own endpoint
(a partner's webhook URL): "webhook 10.0.0.5:443" can be dead while webhooks work. The
view names each by the partners whose deliveries went that way ("EGY webhook"), since a
duty officer knows partners and channels, not addresses.

A channel is dead after `dead_after` failures in a row (each failure already includes
the channel's own retries, e.g. a webhook's three tries with back-off) and alive again at its next
success. Counting from the journal (not from the adapters) means the cell sees the
same state after a restart, and the summary counts what the record shows. Lead offers
sent to commanders' phones (`offer.result`) count like alerts' deliveries: one SMS
centre carries both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from warnline.domain import AttemptResult, DeliveryOutcome, OfferResult
from warnline.journal import Entry
from warnline.journal.kinds import Kind
from warnline.journal.payloads import payload


@dataclass
class ChannelState:
    channel: str
    ok: int = 0
    failed: int = 0
    failures_in_row: int = 0
    last_error: str = ""
    last_at: datetime | None = None
    dead: bool = False
    deaths: int = 0
    medium: str = ""  # the channel alone ("webhook"), without its route
    partners: set[str] = field(default_factory=set)  # whose deliveries went this way

    def label(self) -> str:
        """What a duty officer calls it: "EGY webhook", or "sms" for a shared gateway."""
        medium = self.medium or self.channel.split(" ", 1)[0]
        if self.channel != medium and len(self.partners) == 1:
            return f"{next(iter(self.partners))} {medium}"
        if self.channel != medium and self.partners:
            return f"{medium} of {', '.join(sorted(self.partners))}"
        return medium


class ChannelHealth:
    def __init__(self, *, dead_after: int = 2, configured: Iterable[str] = ()) -> None:
        self.dead_after = dead_after
        # A configured channel shows (ok, nothing sent yet) before its first result: the
        # cell sees what the node can reach, not only what it has tried.
        self.channels: dict[str, ChannelState] = {c: ChannelState(channel=c) for c in configured}

    def observe(self, entries: Iterable[Entry]) -> list[ChannelState]:
        """Fold results; return the channels whose dead/alive state changed."""
        changed: list[ChannelState] = []
        for entry in entries:
            ev = entry.event
            if ev.kind == Kind.RESULT:
                r: AttemptResult | OfferResult = payload(ev, AttemptResult)
            elif ev.kind == Kind.OFFER_RESULT:
                r = payload(ev, OfferResult)
            else:
                continue
            name = f"{r.channel} {r.route}" if r.route else r.channel
            st = self.channels.setdefault(name, ChannelState(channel=name))
            st.medium = r.channel
            if r.partner:
                st.partners.add(r.partner)
            st.last_at = ev.at
            was = st.dead
            if r.outcome is DeliveryOutcome.FAILED:
                st.failed += 1
                st.failures_in_row += 1
                st.last_error = r.detail
                if st.failures_in_row >= self.dead_after and not st.dead:
                    st.dead, st.deaths = True, st.deaths + 1
            else:
                st.ok += 1
                st.failures_in_row = 0
                st.dead = False
            if st.dead != was:
                changed.append(st)
        return changed

    def view(self) -> list[dict[str, Any]]:
        return [
            {
                "channel": s.channel,
                "label": s.label(),
                "partners": sorted(s.partners),
                "route": s.channel.split(" ", 1)[1] if " " in s.channel else "",
                "status": "dead" if s.dead else "ok",
                "ok": s.ok,
                "failed": s.failed,
                "failures_in_row": s.failures_in_row,
                "last_error": s.last_error,
                "last_at": None if s.last_at is None else s.last_at.isoformat(),
            }
            for s in sorted(self.channels.values(), key=lambda s: s.channel)
        ]

    def dead(self) -> list[str]:
        return sorted(s.channel for s in self.channels.values() if s.dead)
