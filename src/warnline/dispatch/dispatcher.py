"""Who must get which alert version, on which channel, and when to try again.

The dispatcher is a fold over the journal: `alert.issued` creates one pending
delivery per recipient; a receipt from the recipient's device (`delivery.result`),
an acknowledgement by the recipient's partner (`ack.received`) or a newer version
of the same alert ends it. `due()` returns the attempts to make now, as events to
journal before anything is sent; an attempt without a receipt is retried after
`retry_s`. It speaks no wire protocol: channels do.

Memory stays bounded over a long raid: `retain_s` (journal time) after an alert's
Cancel, everything kept for it (latest version, pending deliveries, receipts,
acknowledgements) is forgotten; an acknowledgement or receipt for it is then refused
like one for an alert that never existed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warnline.domain import Acknowledgement, Alert, Attempt, AttemptResult, DeliveryOutcome, MsgType
from warnline.journal import Entry, Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import event, payload


@dataclass
class Pending:
    alert: Alert
    recipient: str
    channel: str
    attempts: int = 0
    next_at: datetime | None = None  # None: try as soon as reachable


@dataclass
class DispatchState:
    pending: dict[tuple[str, str, str], Pending] = field(
        default_factory=dict
    )  # alert, recipient, channel
    delivered: dict[tuple[str, int, str], int] = field(
        default_factory=dict
    )  # receipts per version+recipient
    acks: dict[str, list[Acknowledgement]] = field(default_factory=dict)


class Dispatcher:
    def __init__(
        self,
        *,
        recipients: Callable[[str], Sequence[str]],
        partner_of: Callable[[str], str],
        channel: str = "console",
        retry_s: float = 10.0,
        retain_s: float = 900.0,
    ) -> None:
        self.recipients = recipients
        self.partner_of = partner_of
        self.channel = channel
        self.retry = timedelta(seconds=retry_s)
        self.retain = timedelta(seconds=retain_s)
        self.state = DispatchState()
        self.latest: dict[str, Alert] = {}
        self._ended: dict[str, datetime] = {}  # alert -> when its Cancel came, in order

    def observe(self, entries: Iterable[Entry]) -> list[Alert]:
        """Fold journal entries; return alert versions that became newly pending."""
        fresh: list[Alert] = []
        newest: datetime | None = None
        for entry in entries:
            ev = entry.event
            newest = ev.at if newest is None or ev.at > newest else newest
            if ev.kind == Kind.ALERT:
                alert = payload(ev, Alert)
                if self._issue(alert):
                    fresh.append(alert)
                    if alert.msg_type is MsgType.CANCEL:
                        self._ended[alert.alert_id] = ev.at
            elif ev.kind == Kind.ACK:
                self._ack(payload(ev, Acknowledgement))
            elif ev.kind == Kind.ATTEMPT:
                a = payload(ev, Attempt)
                p = self.state.pending.get((a.alert_id, a.recipient, a.channel))
                if p is not None and p.alert.version == a.version:
                    p.attempts = max(p.attempts, a.attempt)
                    p.next_at = ev.at + self.retry
            elif ev.kind == Kind.RESULT:
                self._receipt(payload(ev, AttemptResult))
        if newest is not None:
            self._forget(newest)
        return fresh

    def _forget(self, now: datetime) -> None:
        gone = set()
        for alert_id, ended_at in list(self._ended.items()):
            if now - ended_at < self.retain:
                break
            del self._ended[alert_id]
            gone.add(alert_id)
        if not gone:
            return
        for alert_id in gone:
            self.latest.pop(alert_id, None)
            self.state.acks.pop(alert_id, None)
        s = self.state
        s.pending = {k: p for k, p in s.pending.items() if k[0] not in gone}
        s.delivered = {k: n for k, n in s.delivered.items() if k[0] not in gone}

    def _issue(self, alert: Alert) -> bool:
        current = self.latest.get(alert.alert_id)
        if current is not None and current.version >= alert.version:
            return False
        self.latest[alert.alert_id] = alert
        for recipient in self.recipients(alert.partner):
            # A newer version supersedes whatever was pending for the older one.
            self.state.pending[(alert.alert_id, recipient, self.channel)] = Pending(
                alert=alert, recipient=recipient, channel=self.channel
            )
        return True

    def _ack(self, ack: Acknowledgement) -> None:
        self.state.acks.setdefault(ack.alert_id, []).append(ack)
        for key, p in list(self.state.pending.items()):
            if (
                key[0] == ack.alert_id
                and p.alert.version <= ack.version
                and self.partner_of(p.recipient) == ack.partner
            ):
                del self.state.pending[key]

    def _receipt(self, r: AttemptResult) -> None:
        k = (r.alert_id, r.version, r.recipient)
        self.state.delivered[k] = self.state.delivered.get(k, 0) + 1
        p = self.state.pending.get((r.alert_id, r.recipient, r.channel))
        if p is not None and p.alert.version <= r.version:
            del self.state.pending[(r.alert_id, r.recipient, r.channel)]

    def due(self, at: datetime, reachable: Callable[[str], bool]) -> list[Event]:
        """Attempts to make now, as journal events; state moves on at once so a
        second call before the events are read back does not repeat them."""
        out = []
        for (alert_id, recipient, channel), p in sorted(self.state.pending.items()):
            if p.next_at is not None and p.next_at > at:
                continue
            if not reachable(recipient):
                continue
            p.attempts += 1
            p.next_at = at + self.retry
            attempt = Attempt(
                alert_id=alert_id,
                version=p.alert.version,
                recipient=recipient,
                partner=p.alert.partner,
                channel=channel,
                attempt=p.attempts,
            )
            out.append(
                event(
                    Kind.ATTEMPT,
                    attempt,
                    event_id=f"attempt:{alert_id}:v{p.alert.version}:{recipient}:{channel}:{p.attempts}",
                    at=at,
                )
            )
        return out

    def acks_for(self, alert_id: str) -> list[Acknowledgement]:
        return self.state.acks.get(alert_id, [])


def ack_event(ack: Acknowledgement) -> Event:
    return event(Kind.ACK, ack, event_id=f"ack:{ack.alert_id}:v{ack.version}:{ack.user}", at=ack.at)


def receipt_event(
    *, alert_id: str, version: int, recipient: str, channel: str, at: datetime, n: int
) -> Event:
    receipt = AttemptResult(
        alert_id=alert_id,
        version=version,
        recipient=recipient,
        channel=channel,
        outcome=DeliveryOutcome.DELIVERED,
    )
    return event(
        Kind.RESULT,
        receipt,
        event_id=f"receipt:{alert_id}:v{version}:{recipient}:{channel}:{n}",
        at=at,
    )
