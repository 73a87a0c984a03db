"""A lead offer reaches a commander away from the console by SMS, through the real SMPP
peer, and the reply answers it: "ACCEPT <code>" makes that partner lead; a code from
another number, an unknown code or a code of a closed offer answers nothing. By voice,
through a sipp phone, the keypad answers: "1" accepts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import PASSWORD, Live, drive_drone, wait_for
from tests.factories import T0, free_port
from warnline.accounts import Accounts, Role, User
from warnline.agreement.model import Agreement, EscalationPolicy, EscalationStep
from warnline.api.server import serving
from warnline.channels.sms import SmsChannel
from warnline.channels.voice import Trunk, VoiceChannel
from warnline.domain import ManualClock, Severity
from warnline.journal import SQLiteJournal
from warnline.node import Node, NodeSettings
from warnline.sim.phones import SipPhones
from warnline.sim.smsc import Smsc
from warnline.summary import summarize

pytestmark = pytest.mark.slow
JOR_WATCH_NUMBER, JOR_CMD_NUMBER = "000962000001", "000962000002"
JOR_CMD = "JOR/commander/jor-duty-air-commander"


@asynccontextmanager
async def offer_node(
    agreement: Agreement, tmp_path: Path, commander_phone: str
) -> AsyncIterator[tuple[Live, Smsc]]:
    """JOR's policy pages its commander by SMS; offers wait long enough for a test."""
    policy = EscalationPolicy(
        min_severity=Severity.MINOR,
        repeat_s=60,
        steps=(
            EscalationStep(after_s=0, channels=("console",), roles=("watch",)),
            EscalationStep(after_s=30, channels=("sms",), roles=("commander",)),
        ),
    )
    jor = replace(agreement.partners["JOR"], escalation=(policy,))
    rules = replace(agreement.response, offer_timeout_s=600, decide_within_s=900)
    ag = replace(agreement, partners={**agreement.partners, "JOR": jor}, response=rules)
    smsc = Smsc(phones={JOR_WATCH_NUMBER: "read", JOR_CMD_NUMBER: commander_phone})
    sms = SmsChannel(host="127.0.0.1", port=await smsc.start())
    pw = Accounts.hash_password(PASSWORD)
    users = [
        User(username="jor-watch", partner="JOR", role=Role.WATCH, password_hash=pw),
        User(username="usa-watch", partner="USA", role=Role.CELL, password_hash=pw),
    ]
    clock = ManualClock(T0)
    journal = SQLiteJournal(tmp_path / "journal.db")
    node = Node(
        agreement=ag,
        journal=journal,
        clock=clock,
        accounts=Accounts(users),
        settings=NodeSettings(speed=10, picture_push_s=0.2),
        channels={"sms": sms},
    )
    sms.on_reply = node.outreach.on_sms_reply
    try:
        async with serving(node, port=free_port()) as base:
            yield Live(base=base, node=node, clock=clock, journal=journal), smsc
    finally:
        await smsc.stop()
        journal.close()


def payloads(live: Live, kind: str, pick: Callable[[dict[str, Any]], bool] = bool) -> list[Any]:
    return [
        e.event.payload
        for e in live.journal.iter_all()
        if e.event.kind == kind and pick(e.event.payload)
    ]


async def test_sms_accept_makes_that_partner_lead(agreement: Agreement, tmp_path: Path) -> None:
    async with offer_node(agreement, tmp_path, "accept") as (live, smsc):
        async with httpx.AsyncClient(timeout=5) as client:
            await drive_drone(live, client)

        async def led() -> list[Any]:
            return payloads(live, "assignment.made", lambda p: p["status"] == "lead")

        (lead, *_) = await wait_for(led, "JOR to lead", timeout_s=15)
        assert lead["lead"] == "JOR" and lead["trigger"] == "accepted" and lead["by"] == JOR_CMD
        (answer,) = payloads(live, "response.answer")
        assert answer["channel"] == "sms" and answer["user"] == JOR_CMD and answer["accept"]
        assert answer["version"] == lead["version"] - 1
        (offer_sms,) = [m for m in smsc.submitted if m.destination == JOR_CMD_NUMBER]
        # In the commander's language (Arabic), with the sector's name and the code.
        assert "عرض قيادة" in offer_sms.text and "Levant" in offer_sms.text
        assert "ACCEPT " in offer_sms.text and "DECLINE " in offer_sms.text
        assert "ISR" not in offer_sms.text  # the ranking names other candidates: not sent
        (attempt,) = payloads(live, "offer.attempt")
        assert attempt["recipient"] == JOR_CMD and attempt["channel"] == "sms"
        assert payloads(live, "offer.result")[0]["outcome"] == "delivered"
        assert smsc.offer_replies == 1
        assert live.node.outreach.offers.escalator.pending() == []


async def test_only_the_right_code_from_the_right_number_answers(
    agreement: Agreement, tmp_path: Path
) -> None:
    async with offer_node(agreement, tmp_path, "read") as (live, smsc):
        async with httpx.AsyncClient(timeout=5) as client:
            await drive_drone(live, client)

        async def offer_text() -> str:
            texts = [m.text for m in smsc.submitted if m.destination == JOR_CMD_NUMBER]
            return texts[0] if texts else ""

        text = await wait_for(offer_text, "the offer SMS", timeout_s=15)
        code = text.rsplit("DECLINE ", 1)[1].rstrip(".")
        # The code from the watch officer's phone, and a wrong code from the commander's.
        assert smsc.mobile_originated(JOR_WATCH_NUMBER, f"ACCEPT {code}") == 1
        assert smsc.mobile_originated(JOR_CMD_NUMBER, "ACCEPT ZZZZZZ") == 1
        # Then the commander's own decline: that one counts.
        smsc.mobile_originated(JOR_CMD_NUMBER, f"decline {code}")

        async def declined() -> list[Any]:
            return payloads(live, "assignment.made", lambda p: p["trigger"] == "declined")

        (nxt,) = await wait_for(declined, "the decline to be decided")
        assert nxt["by"] == JOR_CMD
        assert nxt["offered_to"] != "JOR" or nxt["purpose"] == "consent"
        (answer,) = payloads(live, "response.answer")
        assert answer["accept"] is False and answer["channel"] == "sms"
        # The same code again, now that its offer is closed: nothing.
        smsc.mobile_originated(JOR_CMD_NUMBER, f"ACCEPT {code}")
        await live.node.settle()
        assert len(payloads(live, "response.answer")) == 1
        assert not payloads(live, "assignment.made", lambda p: p["status"] == "lead")
        # The summary counts the answer that decided, by its channel.
        s = summarize(
            live.journal.iter_all(), cell="USA", users_of={}, accepted_reports=set(), tracks=0
        )
        assert s["offers_answered"] == {"sms": 1} and s["commander_answers"] == 1
        assert s["offer_attempts"]["sms"] >= 1 and s["offer_deliveries"]["sms"] >= 1


async def test_keypad_1_on_the_offer_call_accepts(agreement: Agreement, tmp_path: Path) -> None:
    """The default policy pages commanders by voice (and e-mail): the offer is a call."""
    phone = SipPhones(behaviour="press", port=free_port(), media_port=free_port())
    await phone.start()
    low = free_port()
    trunk = Trunk(
        host="127.0.0.1", port=phone.port, sip_port=free_port(), rtp_low=low, rtp_high=low + 40
    )
    voice = VoiceChannel(trunk=trunk, listen_s=6)
    rules = replace(agreement.response, offer_timeout_s=600, decide_within_s=900)
    pw = Accounts.hash_password(PASSWORD)
    users = [User(username="usa-watch", partner="USA", role=Role.CELL, password_hash=pw)]
    clock = ManualClock(T0)
    journal = SQLiteJournal(tmp_path / "journal.db")
    node = Node(
        agreement=replace(agreement, response=rules),
        journal=journal,
        clock=clock,
        accounts=Accounts(users),
        settings=NodeSettings(speed=10, picture_push_s=0.2),
        channels={"voice": voice},
    )
    try:
        async with serving(node, port=free_port()) as base:
            live = Live(base=base, node=node, clock=clock, journal=journal)
            async with httpx.AsyncClient(timeout=5) as client:
                await drive_drone(live, client)

            async def led() -> list[Any]:
                return payloads(live, "assignment.made", lambda p: p["status"] == "lead")

            (lead, *_) = await wait_for(led, "JOR to lead", timeout_s=30)
            assert lead["lead"] == "JOR" and lead["by"] == JOR_CMD
            (answer,) = payloads(live, "response.answer")
            assert answer["channel"] == "voice" and answer["accept"] is True
            (result,) = payloads(live, "offer.result")
            assert result["outcome"] == "delivered" and result["channel"] == "voice"
            assert not payloads(live, "ack.received")  # an offer's "1" acknowledges no alert
    finally:
        await phone.stop()
        journal.close()
