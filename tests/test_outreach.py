"""A node escalating to a duty officer's phone over SMPP, end to end: the attempt and its
result are journaled, the "ACK <code>" reply becomes an acknowledgement that stops the
escalation, and channel health is shown to the coordination cell only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import PASSWORD, Live, drive_drone, wait_for
from tests.factories import T0, free_port
from warnline.accounts import Accounts, Role, User
from warnline.agreement.model import Agreement, EscalationPolicy, EscalationStep
from warnline.api.server import serving
from warnline.channels.sms import SmsChannel
from warnline.domain import ManualClock, Severity
from warnline.journal import MemoryJournal, SQLiteJournal
from warnline.node import Node, NodeSettings
from warnline.sim.smsc import Smsc

pytestmark = pytest.mark.slow
JOR_DAY = "JOR/watch/jor-air-operations-centre-watch"


@pytest.fixture
async def phone_node(agreement: Agreement, tmp_path: Path) -> AsyncIterator[tuple[Live, Smsc]]:
    policy = EscalationPolicy(
        min_severity=Severity.MINOR,
        repeat_s=60,
        steps=(EscalationStep(after_s=0, channels=("console", "sms"), roles=("watch",)),),
    )
    jor = replace(agreement.partners["JOR"], escalation=(policy,))
    ag = replace(agreement, partners={**agreement.partners, "JOR": jor})
    smsc = Smsc(phones={"000962000001": "ack"})
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


async def test_sms_reply_acknowledges_and_stops_escalation(
    phone_node: tuple[Live, Smsc],
) -> None:
    live, smsc = phone_node
    async with httpx.AsyncClient(timeout=5) as client:
        await drive_drone(live, client)

        async def acked() -> list[dict[str, object]]:
            return [
                e.event.payload
                for e in live.journal.iter_all()
                if e.event.kind == "ack.received" and e.event.payload["channel"] == "sms"
            ]

        (ack, *_) = await wait_for(acked, "an SMS acknowledgement")
        assert ack["user"] == JOR_DAY and ack["partner"] == "JOR"
        kinds = [e.event.kind for e in live.journal.iter_all()]
        assert "escalation.step" in kinds
        results = [
            e.event.payload
            for e in live.journal.iter_all()
            if e.event.kind == "delivery.result" and e.event.payload["channel"] == "sms"
        ]
        assert results and all(r["outcome"] == "delivered" for r in results)
        assert smsc.replies >= 1
        assert live.node.outreach.escalator.escalations[str(ack["alert_id"])].stopped
        # The acknowledgement shows on the alert as released to the partner.
        jor = await live.token(client, "jor-watch")
        alerts = (await client.get(f"{live.base}/api/v1/alerts", headers=jor)).json()
        assert any(JOR_DAY in a["acknowledged_by"] for a in alerts)
        # Channel health: the cell sees it, a partner gets a problem document.
        cell = await live.token(client, "usa-watch")
        health = (await client.get(f"{live.base}/api/v1/channels", headers=cell)).json()
        assert {h["channel"]: h["status"] for h in health}["sms"] == "ok"
        denied = await client.get(f"{live.base}/api/v1/channels", headers=jor)
        assert denied.status_code == 403
        assert denied.headers["content-type"].startswith("application/problem+json")


def test_role_behind_an_acknowledgement(agreement: Agreement) -> None:
    """Per-role acknowledgement needs the role of whoever acknowledged: a contact's own,
    the contact whose console the account is, else the account's role."""
    users = [
        User(username="jor-watch", partner="JOR", role=Role.WATCH, password_hash="x"),
        User(username="jor-cmd", partner="JOR", role=Role.COMMANDER, password_hash="x"),
    ]
    node = Node(
        agreement=agreement,
        journal=MemoryJournal(),
        clock=ManualClock(T0),
        accounts=Accounts(users),
    )
    assert node.role_of("jor-watch") == "watch"
    assert node.role_of("jor-cmd") == "commander"
    assert node.role_of("ISR/commander/isr-duty-air-commander") == "commander"


def _escalations(n: Node) -> dict[str, tuple[int, int, int, str]]:
    return {
        a: (e.alert.version, e.round, e.step, e.stopped)
        for a, e in n.outreach.escalator.escalations.items()
    }


async def test_restart_repeats_no_hand_over(agreement: Agreement, tmp_path: Path) -> None:
    """Stop the node after its SMS went out, start a new one on the same journal and let
    time pass: the new node resends nothing that was handed over."""
    policy = EscalationPolicy(
        min_severity=Severity.MINOR,
        repeat_s=20,
        steps=(EscalationStep(after_s=0, channels=("sms",), roles=("watch",)),),
    )
    ag = replace(
        agreement,
        partners={
            **agreement.partners,
            "JOR": replace(agreement.partners["JOR"], escalation=(policy,)),
        },
    )
    smsc = Smsc(phones={"000962000001": "read"})
    port = await smsc.start()
    pw = Accounts.hash_password(PASSWORD)
    accounts = Accounts(
        [User(username="jor-watch", partner="JOR", role=Role.WATCH, password_hash=pw)]
    )
    clock = ManualClock(T0)
    path = tmp_path / "journal.db"

    def node(journal: SQLiteJournal) -> Node:
        return Node(
            agreement=ag,
            journal=journal,
            clock=clock,
            accounts=accounts,
            settings=NodeSettings(speed=10, picture_push_s=0.2),
            channels={"sms": SmsChannel(host="127.0.0.1", port=port)},
        )

    try:
        journal = SQLiteJournal(path)
        first = node(journal)
        async with serving(first, port=free_port()) as base, httpx.AsyncClient(timeout=5) as client:
            live = Live(base=base, node=first, clock=clock, journal=journal)
            await drive_drone(live, client, seconds=10)

            async def handed() -> int:
                return len(smsc.submitted) if first.outreach.in_flight() == 0 else 0

            await wait_for(handed, "the first SMS")
        journal.close()
        sent_before = len(smsc.submitted)
        before = _escalations(first)
        journal = SQLiteJournal(path)
        second = node(journal)
        await second.start()
        assert _escalations(second) == before  # rebuilt from the journal, not started over
        try:
            for s in range(12, 80, 4):  # past several repeat rounds
                clock.set(T0 + timedelta(seconds=s))
                second.wake()
                await asyncio.sleep(0.1)
        finally:
            await second.stop()
        keys: dict[tuple[str, int, str], int] = {}
        for e in journal.iter_all():
            p = e.event.payload
            if (
                e.event.kind == "delivery.result"
                and p["channel"] == "sms"
                and p["outcome"] != "failed"
            ):
                k = (p["alert_id"], p["version"], p["recipient"])
                keys[k] = keys.get(k, 0) + 1
        journal.close()
    finally:
        await smsc.stop()
    assert sent_before >= 1
    assert all(n == 1 for n in keys.values()), keys  # one hand-over per version and person
    assert len(smsc.submitted) == len(keys)  # what the centre got: exactly those
