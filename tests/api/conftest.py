"""A real node served by uvicorn on 127.0.0.1, shared by the API and the console tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.factories import T0, free_port, signed, wire_report
from warnline.accounts import Accounts, Role, User
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.model import Agreement
from warnline.api.server import serving
from warnline.audit import HeadSigner
from warnline.domain import ManualClock
from warnline.journal import SQLiteJournal
from warnline.node import Node, NodeSettings

PASSWORD = "correct horse battery staple"


@dataclass
class Live:
    base: str
    node: Node
    clock: ManualClock
    journal: SQLiteJournal

    async def token(self, client: httpx.AsyncClient, user: str) -> dict[str, str]:
        r = await client.post(
            f"{self.base}/api/v1/session", json={"username": user, "password": PASSWORD}
        )
        r.raise_for_status()
        return {"authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
async def live(agreement: Agreement, tmp_path: Path) -> AsyncIterator[Live]:
    pw = Accounts.hash_password(PASSWORD)
    users = [
        User(username="jor-watch", partner="JOR", role=Role.WATCH, password_hash=pw),
        User(username="isr-watch", partner="ISR", role=Role.WATCH, password_hash=pw),
        User(username="usa-watch", partner="USA", role=Role.CELL, password_hash=pw),
        User(username="jor-observer", partner="JOR", role=Role.OBSERVER, password_hash=pw),
        User(username="jor-cmd", partner="JOR", role=Role.COMMANDER, password_hash=pw),
        User(username="isr-cmd", partner="ISR", role=Role.COMMANDER, password_hash=pw),
    ]
    clock = ManualClock(T0)
    sealer = HeadSigner(key=exercise_signing_key("HUB"), clock=clock)
    journal = SQLiteJournal(tmp_path / "journal.db", sealer=sealer)
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=clock,
        accounts=Accounts(users),
        settings=NodeSettings(speed=10, picture_push_s=0.2),
    )
    async with serving(node, port=free_port(), hub_key=exercise_signing_key("HUB")) as base:
        yield Live(base=base, node=node, clock=clock, journal=journal)
    journal.close()


@pytest.fixture
async def patient(agreement: Agreement, tmp_path: Path) -> AsyncIterator[Live]:
    """A node whose offers wait long enough for a test to answer them."""
    rules = replace(agreement.response, offer_timeout_s=600, decide_within_s=900)
    pw = Accounts.hash_password(PASSWORD)
    users = [
        User(username=u, partner=u[:3].upper(), role=r, password_hash=pw)
        for u, r in (("jor-watch", Role.WATCH), ("jor-cmd", Role.COMMANDER),
                     ("isr-cmd", Role.COMMANDER), ("usa-watch", Role.CELL))
    ]  # fmt: skip
    clock = ManualClock(T0)
    journal = SQLiteJournal(tmp_path / "journal.db")
    node = Node(
        agreement=replace(agreement, response=rules),
        journal=journal,
        clock=clock,
        accounts=Accounts(users),
        settings=NodeSettings(speed=10, picture_push_s=0.2),
    )
    async with serving(node, port=free_port()) as base:
        yield Live(base=base, node=node, clock=clock, journal=journal)
    journal.close()


async def drive_drone(
    live: Live, client: httpx.AsyncClient, seconds: int = 30, *, start_s: int = 0
) -> None:
    """A drone flying west towards Amman, reported by JOR every 2 s from `start_s` to
    `seconds` into the flight; time advances."""
    for i in range(start_s, seconds, 2):
        t = T0 + timedelta(seconds=i)
        live.clock.set(t + timedelta(seconds=1))
        lon = 36.35 - (50.0 * i) / (111_320.0 * 0.848)
        body, headers = signed(
            [wire_report(f"d{i}", t=t, position={"lat": 31.95, "lon": lon, "alt_m": 150.0})]
        )
        r = await client.post(f"{live.base}/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 202, r.text
        await asyncio.sleep(0.06)  # let a tick at this time land


async def wait_for(pred, what: str, timeout_s: float = 10.0):  # type: ignore[no-untyped-def]
    for _ in range(int(timeout_s / 0.05)):
        got = await pred()
        if got:
            return got
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


SCRAPE_TOKEN = "scrape-token-of-the-hub-operator"


@pytest.fixture
async def coalition(agreement: Agreement, tmp_path: Path) -> AsyncIterator[Live]:
    """A node with a watch officer, a commander and an administrator of every partner
    (`<code>-watch`, `<code>-cmd`, `<code>-admin`; the cell's watch has the cell role)
    and a metrics scrape token."""
    import hashlib

    pw = Accounts.hash_password(PASSWORD)
    users = []
    for code in agreement.partners:
        cell = code == agreement.coordination_cell
        for suffix, role in (("watch", Role.CELL if cell else Role.WATCH),
                             ("cmd", Role.COMMANDER), ("admin", Role.ADMIN)):  # fmt: skip
            users.append(
                User(username=f"{code.lower()}-{suffix}", partner=code, role=role, password_hash=pw)
            )
    clock = ManualClock(T0)
    journal = SQLiteJournal(tmp_path / "journal.db")
    digest = hashlib.sha256(SCRAPE_TOKEN.encode()).hexdigest()
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=clock,
        accounts=Accounts(users, scrape_token_sha256=digest),
        settings=NodeSettings(speed=10, picture_push_s=0.2),
    )
    async with serving(node, port=free_port()) as base:
        yield Live(base=base, node=node, clock=clock, journal=journal)
    journal.close()
