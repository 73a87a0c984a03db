"""Wiring of person-addressed delivery: escalator decisions out to channels, results and
acknowledgements back into the journal.

The node hands every batch of journal entries here. The escalator (a pure fold) says which
steps and attempts are due; they are journaled first, then each attempt is sent in its own
task (a phone call lasts seconds and must not hold up the console), and its outcome comes
back as a journaled `delivery.result`. A keypad "1" during a call or an "ACK <code>" SMS
reply becomes an `ack.received` input like a console acknowledgement. Lead offers reach
commanders' phones the same way (`outreach_offers.py`). Channel health is
folded from the results; the coordination cell's consoles are told when a channel dies
or recovers.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from datetime import datetime
from typing import Any

from warnline.agreement.model import Agreement, Contact
from warnline.channels.base import Handover, Outbound, PersonChannel
from warnline.dispatch import ack_event
from warnline.dispatch.escalation import Escalator, ack_code, result_event
from warnline.dispatch.health import ChannelHealth
from warnline.domain import Acknowledgement, Alert, Attempt
from warnline.journal import Entry, Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import payload
from warnline.outreach_offers import OfferOutreach
from warnline.release import Release
from warnline.release.messages import person_message

log = logging.getLogger("warnline.outreach")
_ACK = re.compile(r"\bACK\s*(\d{6})\b", re.IGNORECASE)
HANDOFF_SAMPLES = 10_000  # hand-off times kept per channel for the figures (the latest)


class Outreach:
    def __init__(
        self,
        *,
        agreement: Agreement,
        release: Release,
        channels: Mapping[str, PersonChannel],
        append: Callable[[list[Event]], Awaitable[list[int]]],
        now: Callable[[], datetime],
        role_of: Callable[[str], str | None],
        notify_cell: Callable[[dict[str, Any]], Awaitable[None]],
        concurrency: int = 16,
    ) -> None:
        self.agreement = agreement
        self.release = release
        self.channels = dict(channels)
        self.append = append
        self.now = now
        self.notify_cell = notify_cell
        self.escalator = Escalator(agreement=agreement, role_of=role_of, channels=self.channels)
        self.health = ChannelHealth(configured=self.channels)
        self.codes: dict[str, tuple[str, int, str]] = {}  # ack code -> alert, version, contact
        # channel -> decision-to-hand-off times, the latest HANDOFF_SAMPLES of each
        self.handoff_ms: dict[str, deque[float]] = {}
        self._forgotten = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._limit = asyncio.Semaphore(concurrency)
        self.offers = OfferOutreach(
            agreement=agreement,
            release=release,
            channels=self.channels,
            append=append,
            now=now,
            spawn=self._spawn,
            limit=self._limit,
        )

    def observe(self, entries: Iterable[Entry]) -> list[str]:
        """Fold entries; return channels whose health changed (for the cell)."""
        entries = list(entries)
        self.escalator.observe(entries)
        self.offers.observe(entries)
        for e in entries:
            if e.event.kind != Kind.ATTEMPT:
                continue
            a = payload(e.event, Attempt)
            if a.channel in self.channels:
                self.codes[ack_code(a.alert_id, a.version, a.recipient)] = (
                    a.alert_id,
                    a.version,
                    a.recipient,
                )
        if self.escalator.forgotten != self._forgotten:  # codes of forgotten alerts go too
            self._forgotten = self.escalator.forgotten
            live = self.escalator.escalations
            self.codes = {c: v for c, v in self.codes.items() if v[0] in live}
        return [s.channel for s in self.health.observe(entries)]

    async def step(self, entries: list[Entry], alerts: Mapping[str, Alert]) -> None:
        """After the node has folded `entries`: tell the cell, journal and send what is due."""
        changed = self.observe(entries)
        if changed:
            await self.notify_cell({"type": "channel.health", "channels": self.health.view()})
        if not self.channels:
            return  # no person-addressed channel configured: nothing to decide
        await self.offers.step()
        due = self.escalator.due()
        if not due:
            return
        await self.append(due)
        decided = asyncio.get_running_loop().time()
        for ev in due:
            if ev.kind != Kind.ATTEMPT:
                continue
            a = payload(ev, Attempt)
            alert = alerts.get(a.alert_id)
            if alert is None or alert.version != a.version:
                continue
            self._spawn(self._send(ev, a, alert, decided))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run one send (or journal write) in its own task, kept until it ends."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, attempt: Event, a: Attempt, alert: Alert, decided: float) -> None:
        contact = self.escalator.contacts[a.recipient]
        view = self.release.alert(contact.partner, alert)
        channel = self.channels[a.channel]
        if view is None:  # cannot happen for an alert's own partner; never send unreleased
            handover = Handover(outcome="failed", detail="not released to the recipient")
        else:
            out = Outbound(
                address=a.address,
                recipient=contact.contact_id,
                language=contact.language,
                message=person_message(
                    alert,
                    view,
                    language=contact.language,
                    code=ack_code(alert.alert_id, alert.version, contact.contact_id),
                    prompts=contact.prompts,
                    exercise=self.agreement.exercise,
                ),
                ack_code=ack_code(alert.alert_id, alert.version, contact.contact_id),
            )
            async with self._limit:
                loop = asyncio.get_running_loop()
                began = loop.time()
                try:
                    handover = await channel.send(out)
                except Exception as exc:  # an adapter bug must not stop escalation
                    log.exception("channel %s failed", channel.name)
                    handover = Handover(outcome="failed", detail=f"{type(exc).__name__}: {exc}")
                took = handover.handoff_s if handover.handoff_s is not None else loop.time() - began
                if handover.outcome != "failed":
                    self.handoff_ms.setdefault(channel.name, deque(maxlen=HANDOFF_SAMPLES)).append(
                        (began - decided + took) * 1000
                    )
        events = [
            result_event(attempt, outcome=handover.outcome, at=self.now(), detail=handover.detail)
        ]
        if handover.acknowledged:
            events.append(self._ack_event(contact, alert.alert_id, alert.version, channel.name))
        await self.append(events)

    def _ack_event(self, contact: Contact, alert_id: str, version: int, channel: str) -> Event:
        return ack_event(
            Acknowledgement(
                alert_id=alert_id,
                version=version,
                partner=contact.partner,
                user=contact.contact_id,
                channel=channel,
                at=self.now(),
            )
        )

    def on_sms_reply(self, number: str, text: str) -> None:
        """An inbound SMS: "ACK <code>" from the phone the code was sent to acknowledges;
        "ACCEPT <code>" / "DECLINE <code>" answers a lead offer."""
        if self.offers.on_sms_reply(number, text):
            return
        m = _ACK.search(text)
        found = None if m is None else self.codes.get(m[1])
        if found is None:
            log.info("SMS from %s not understood as an acknowledgement", number)
            return
        alert_id, version, recipient = found
        contact = self.escalator.contacts[recipient]
        if contact.addresses.get("sms", "").lstrip("+") != number.lstrip("+"):
            log.warning("ACK code for %s came from another number", recipient)
            return
        self._spawn(self._append_ack(contact, alert_id, version))

    async def _append_ack(self, contact: Contact, alert_id: str, version: int) -> None:
        await self.append([self._ack_event(contact, alert_id, version, "sms")])

    def handoff_summary(self) -> dict[str, dict[str, float]]:
        """Decision to hand-off per channel in this run (p50, p99, n)."""
        out = {}
        for name, xs in sorted(self.handoff_ms.items()):
            s = sorted(xs)
            out[name] = {
                "n": len(s),
                "p50": round(s[len(s) // 2], 1),
                "p99": round(s[min(len(s) - 1, int(len(s) * 0.99))], 1),
            }
        return out

    def in_flight(self) -> int:
        return len(self._tasks)

    async def stop(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for ch in self.channels.values():
            await ch.close()
