"""Wiring of lead offers to commanders' phones: offer escalation decisions out to the SMS
and voice channels, answers back into the journal as the procedure's input.

The offer escalator (a pure fold, `dispatch/offers.py`) says which steps and attempts are
due; they are journaled first, then each attempt is sent in its own task. The message is
built by the release stage from the offer as released to the commander's partner. An SMS
reply "ACCEPT <code>" / "DECLINE <code>" from the number the code was sent to, or a keypad
"1" / "2" during the offer's call, becomes a `response.answer` like a console answer, with
the channel recorded, while the offer still waits; anything else answers nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any

from warnline.agreement.model import Agreement
from warnline.channels.base import Handover, Outbound, PersonChannel
from warnline.dispatch.offers import OfferEscalator, offer_result_event
from warnline.domain import OfferAttempt
from warnline.journal import Entry, Event
from warnline.journal.kinds import Kind
from warnline.journal.payloads import payload
from warnline.release import Release
from warnline.release.messages import offer_message
from warnline.response.inputs import phone_answer_event

log = logging.getLogger("warnline.outreach")
ANSWER_SMS = re.compile(r"\b(ACCEPT|DECLINE)\s+([A-Za-z0-9]{4,12})\b", re.IGNORECASE)
KEYS = {"1": True, "2": False}  # keypad: accept, decline


class OfferOutreach:
    def __init__(
        self,
        *,
        agreement: Agreement,
        release: Release,
        channels: Mapping[str, PersonChannel],
        append: Callable[[list[Event]], Awaitable[list[int]]],
        now: Callable[[], datetime],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
        limit: asyncio.Semaphore,
    ) -> None:
        self.agreement = agreement
        self.release = release
        self.channels = dict(channels)
        self.append = append
        self.now = now
        self.spawn = spawn
        self.limit = limit
        self.escalator = OfferEscalator(agreement=agreement, channels=self.channels)
        self.sectors = {s.sector_id: s.name for s in agreement.response.sectors}
        self.contacts = {c.contact_id: c for p in agreement.partners.values() for c in p.contacts}

    def observe(self, entries: list[Entry]) -> None:
        self.escalator.observe(entries)

    async def step(self) -> None:
        """Journal the offer steps and attempts that are due, then send each."""
        due = self.escalator.due()
        if not due:
            return
        await self.append(due)
        for ev in due:
            if ev.kind == Kind.OFFER_ATTEMPT:
                self.spawn(self._send(ev))

    async def _send(self, attempt: Event) -> None:
        a = payload(attempt, OfferAttempt)
        sent = self.escalator.attempts.get(attempt.event_id)
        offer = None if sent is None else self.escalator.offer_of(sent)
        view = None if offer is None else self.release.assignment(a.partner, offer)
        channel = self.channels[a.channel]
        contact = self.contacts[a.recipient]
        code = self.escalator.plain.pop(attempt.event_id, "")
        if sent is None or view is None:
            handover = Handover(outcome="failed", detail="offer no longer known or not released")
        else:
            message = offer_message(
                view,
                sector=self.sectors.get(view.get("sector") or "", view.get("sector") or "?"),
                language=contact.language,
                code=code,
                prompts=contact.prompts,
                exercise=self.agreement.exercise,
            )
            out = Outbound(
                address=a.address,
                recipient=contact.contact_id,
                language=contact.language,
                message=message,
                ack_code=code,
                keys=tuple(KEYS),
            )
            async with self.limit:
                try:
                    handover = await channel.send(out)
                except Exception as exc:  # an adapter bug must not stop the offer's escalation
                    log.exception("channel %s failed", channel.name)
                    handover = Handover(outcome="failed", detail=f"{type(exc).__name__}: {exc}")
        events = [
            offer_result_event(
                attempt, outcome=handover.outcome, at=self.now(), detail=handover.detail
            )
        ]
        if sent is not None and handover.key in KEYS:
            answer = self._answer(attempt.event_id, sent, KEYS[handover.key])
            if answer is not None:
                events.append(answer)
        await self.append(events)

    def _answer(self, attempt_id: str, attempt: OfferAttempt, accept: bool) -> Event | None:
        at = self.now()
        if self.escalator.open_attempt(attempt_id, at) is None:
            log.info("answer on %s came after its offer closed", attempt_id)
            return None
        return phone_answer_event(
            attempt_id=attempt_id,
            incident_id=attempt.incident_id,
            version=attempt.version,
            partner=attempt.partner,
            contact_id=attempt.recipient,
            accept=accept,
            channel=attempt.channel,
            at=at,
        )

    def on_sms_reply(self, number: str, text: str) -> bool:
        """An inbound SMS: True when it was an offer answer ("ACCEPT <code>" /
        "DECLINE <code>"), journaled only when the code's offer still waits and the reply
        comes from the number the code was sent to."""
        m = ANSWER_SMS.search(text)
        if m is None:
            return False
        attempt_id = self.escalator.by_answer_code(m[2])
        attempt = None if attempt_id is None else self.escalator.attempts.get(attempt_id)
        if attempt_id is None or attempt is None:
            log.info("SMS offer answer from %s with an unknown code", number)
            return True
        if attempt.address.lstrip("+") != number.lstrip("+"):
            log.warning("offer code for %s came from another number", attempt.recipient)
            return True
        answer = self._answer(attempt_id, attempt, m[1].upper() == "ACCEPT")
        if answer is not None:
            self.spawn(self._append([answer]))
        return True

    async def _append(self, events: list[Event]) -> None:
        await self.append(events)


__all__ = ["ANSWER_SMS", "OfferOutreach"]
