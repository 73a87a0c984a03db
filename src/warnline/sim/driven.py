"""A seeded raid driven through a node on a manual clock: no loops, no sockets.

For what must compare two nodes decision by decision (a restart from a snapshot against
a full replay, `warnline bench restart`): every submission goes through
`Node.submit_reports` into the node's journal, a tick is journaled per step and
`Node.settle` does the process loop's work. Every account has a console that receipts
each alert it is shown, and watch officers acknowledge their partner's alerts, so the
dispatcher, read-back log and escalation all have state; person channels hand every
message over at once. The scenario is built once and its steps replayed to any node.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from warnline.accounts import Accounts, Role, User
from warnline.agreement.model import Agreement
from warnline.channels.base import Handover, Outbound
from warnline.domain import ManualClock, MsgType
from warnline.ingest.signature import SignedRequest
from warnline.journal import Event
from warnline.journal.kinds import Kind
from warnline.node import Node
from warnline.sim.feed import SensorFeed
from warnline.sim.raid import raid_steps, signed_submissions
from warnline.sim.scenario import build_scenario

__all__ = [
    "PERSON_CHANNELS",
    "RaidSteps",
    "accepting_channels",
    "connect_consoles",
    "drive",
    "quiet",
    "raid_accounts",
    "settle_consoles",
]

PERSON_CHANNELS = ("sms", "voice", "email", "webhook", "apprise")
Step = tuple[datetime, list[SignedRequest]]


@dataclass(frozen=True, kw_only=True)
class RaidSteps:
    """The signed submissions of a seeded raid, step by step (scenario time, requests)."""

    start: datetime
    steps: tuple[Step, ...]

    @classmethod
    def build(
        cls, agreement: Agreement, *, start: datetime, duration_s: float, seed: int
    ) -> RaidSteps:
        scenario = build_scenario(agreement, start=start, duration_s=duration_s, seed=seed)
        feed = SensorFeed(scenario, seed=seed)
        steps = []
        for _, t, ready in raid_steps(scenario, feed, tick_s=0.5, batch_s=1.0, drain_s=30.0):
            at = scenario.at(t)
            steps.append((at, [req for _, req in signed_submissions(ready or [], at)]))
        return cls(start=scenario.start, steps=tuple(steps))


def raid_accounts(agreement: Agreement) -> Accounts:
    """A watch and a commander account per partner (fixed hashes: nobody signs in)."""
    users = []
    for code in sorted(agreement.partners):
        watch = Role.CELL if code == agreement.coordination_cell else Role.WATCH
        for name, role in (
            (f"{code.lower()}-watch", watch),
            (f"{code.lower()}-cmd", Role.COMMANDER),
        ):
            users.append(User(username=name, partner=code, role=role, password_hash="-"))
    return Accounts(users)


class _Accepting:
    """A person channel whose next hop takes every message at once."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def send(self, out: Outbound) -> Handover:
        return Handover(outcome="delivered")

    async def close(self) -> None:
        return None


def accepting_channels() -> dict[str, _Accepting]:
    return {name: _Accepting(name) for name in PERSON_CHANNELS}


class _Console:
    """A console that shows whatever it is sent and says so (a receipt per alert)."""

    def __init__(self, user: str, shown: list[tuple[str, str, int, bool]]) -> None:
        self.user = user
        self.shown = shown

    async def send_text(self, data: str) -> None:
        message = json.loads(data)
        if message.get("type") == "alert":
            alert = message["alert"]
            ended = alert["msg_type"] == MsgType.CANCEL.value
            self.shown.append((self.user, alert["alert_id"], int(alert["version"]), ended))


def connect_consoles(node: Node) -> list[tuple[str, str, int, bool]]:
    """A console for every account; what they were shown, to receipt and acknowledge."""
    shown: list[tuple[str, str, int, bool]] = []
    for user in node.accounts.users():
        node.console.connect(user.username, _Console(user.username, shown))
    return shown


async def drive(
    node: Node,
    clock: ManualClock,
    steps: Sequence[Step] | Iterator[Step],
    shown: list[tuple[str, str, int, bool]],
) -> int:
    """Feed `steps` to `node` as a served node would meet them; return the reports sent."""
    sent = 0
    for at, requests in steps:
        clock.set(at)
        for request in requests:
            sent += len(await node.commands.submit_reports(request))
        now = clock.now()
        await node.inbox.append([Event(event_id=f"tick:{now.isoformat()}", kind=Kind.TICK, at=now)])
        await settle_consoles(node, shown)
    return sent


def quiet(after: datetime, seconds: float, *, tick_s: float = 0.5) -> Iterator[Step]:
    """Ticks only, every `tick_s`, for `seconds` after `after`."""
    t = tick_s
    while t <= seconds:
        yield after + timedelta(seconds=t), []
        t += tick_s


async def settle_consoles(node: Node, shown: list[tuple[str, str, int, bool]]) -> None:
    """The node's loop until nothing is left: consoles' receipts and watch officers'
    acknowledgements of what they were shown, person channels' results."""
    for _ in range(20):  # bounded: receipts and results settle within a few turns
        await node.settle()
        for _ in range(10):
            if not node.outreach.in_flight():
                break
            await asyncio.sleep(0)
        if not shown and not node.outreach.in_flight():
            await node.settle()
            return
        seen, shown[:] = list(shown), []
        for user, alert_id, version, _ in seen:
            await node.commands.receipt(user, alert_id, version, 1)
        for user, alert_id, version, ended in seen:
            alert = node.dispatcher.latest.get(alert_id)
            partner = node.accounts.partner_of(user)
            if alert is None or ended or partner != alert.partner:
                continue
            if user.endswith("-watch") and node.accounts.may_acknowledge(user):
                await node.commands.acknowledge(user, alert_id, version, "console")
