"""A served node's CoT listeners with real TAK peers: PyTAK reads a partner's released
picture; a partner's system sends CoT (XML and TAK protocol v1) that becomes its reports."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import takproto

from tests.factories import T0, free_port, make_report
from warnline.accounts import Accounts, Role, User
from warnline.domain import ManualClock, Releasability, Report
from warnline.journal.kinds import Kind
from warnline.journal.payloads import Received, payload
from warnline.serve.builder import Built, build
from warnline.serve.config import load_config
from warnline.sim.served import write_node_config
from warnline.sim.tak_watch import TakWatcher

USERS = [
    User(username="usa-cell", partner="USA", role=Role.CELL,
         password_hash=Accounts.hash_password("pw")),
]  # fmt: skip


@dataclasses.dataclass
class Served:
    built: Built
    clock: ManualClock
    jor_port: int  # JOR's picture, plain TCP
    are_port: int  # ARE's reports in (and its picture)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    jor, are = free_port(), free_port()
    path = write_node_config(
        tmp_path, host="127.0.0.1", port=free_port(), agreement=None, tick_s=0.5, users=USERS,
        channels={}, secrets={},
        cot=[
            {"port": jor, "partner": "JOR", "push_s": 0.1},
            {"port": are, "partner": "ARE", "reports": True, "push_s": 0.1},
        ],
    )  # fmt: skip
    clock = ManualClock(T0)
    built = build(load_config(path), path, clock=clock)
    try:
        async with built.serving():
            yield Served(built=built, clock=clock, jor_port=jor, are_port=are)
    finally:
        built.journal.close()


async def until(pred: Callable[[], Any], what: str, timeout_s: float = 15.0) -> Any:
    for _ in range(int(timeout_s / 0.05)):
        got = pred()
        if got:
            return got
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def feed(s: Served, reports: Callable[[int], list[Report]], steps: int) -> None:
    for i in range(steps):
        s.clock.set(T0 + timedelta(seconds=2 * i + 1))
        refused = await s.built.node.commands.submit_stream(reports(i))
        assert refused == []
        await asyncio.sleep(0.06)  # a tick at this time lands (the ticker runs on its own)


def drone(i: int, *, partner: str, st: str, lon: float, release: tuple[str, ...] | None = None,
          rid: str = "d") -> Report:  # fmt: skip
    r = make_report(partner=partner, rid=f"{rid}{i}", t=T0 + timedelta(seconds=2 * i),
                    lon=lon - 0.001 * i, sensor_track=st)  # fmt: skip
    if release is not None:
        r = dataclasses.replace(r, releasability=Releasability(release_to=release))
    return r


async def test_pytak_reads_the_partners_released_picture_and_only_that(served: Served) -> None:
    watcher = TakWatcher("127.0.0.1", served.jor_port)
    await watcher.start()
    try:
        # JOR's own drone, and one of ISR's released to the cell alone.
        await feed(served, lambda i: [
            drone(i, partner="JOR", st="j1", lon=36.35),
            drone(i, partner="ISR", st="i1", lon=35.3, release=("USA",), rid="i"),
        ], steps=6)  # fmt: skip
        tracks = served.built.node.pipeline.picture.tracks()
        by_partner = {t.contributors[0].partner: t.track_id for t in tracks}
        assert set(by_partner) == {"JOR", "ISR"}
        tally = watcher.tally
        await until(lambda: by_partner["JOR"] in tally.tracks, "JOR's track over CoT")
        assert tally.track_types[by_partner["JOR"]] == "a-h-A-M-F-Q"  # hostile drone
        assert by_partner["ISR"] not in tally.tracks  # not released to JOR
        # JOR's areas the drone endangers: alerts, their areas and the corridor as shapes.
        await until(lambda: tally.alerts and tally.shapes, "alerts and shapes")
        owners = {served.built.agreement.area(a).partner for a in tally.alert_areas}
        assert owners == {"JOR"}
        assert f"warnline.track.{by_partner['JOR']}.corridor" in tally.shapes
        assert tally.unparsed == 0
        # The track ends: the stream deletes it.
        served.clock.set(T0 + timedelta(seconds=200))
        await asyncio.sleep(0.6)  # ticks at the new time drop the silent tracks
        await until(lambda: f"warnline.track.{by_partner['JOR']}" in tally.deleted, "deletion")
        assert f"warnline.track.{by_partner['ISR']}" not in tally.deleted
    finally:
        await watcher.stop()


def cot_xml(uid: str, t: str, *, type_: str = "a-h-A-M-F-Q", lat: float = 24.4,
            lon: float = 54.6, extra: str = "") -> bytes:  # fmt: skip
    return (
        f'<event version="2.0" uid="{uid}" type="{type_}" how="m-g" time="{t}" start="{t}" '
        f'stale="{t}"><point lat="{lat}" lon="{lon}" hae="300" ce="150" le="50"/>'
        f'<detail><track course="270" speed="50"/><link uid="ARE-radar-3" relation="p-p" '
        f'type="a-f-G-E-S"/>{extra}</detail></event>'
    ).encode()


async def test_cot_in_becomes_the_partners_reports_and_refusals_come_back(served: Served) -> None:
    served.clock.set(T0 + timedelta(seconds=1))
    reader, writer = await asyncio.open_connection("127.0.0.1", served.are_port)
    try:
        good = cot_xml("ARE-T1", "2026-11-25T12:00:00.500Z")
        proto = takproto.xml2proto(
            cot_xml("ARE-T2", "2026-11-25T12:00:00.700Z", type_="a-s-A-W-M-S-S").decode(),
            takproto.TAKProtoVer.STREAM,
        )
        laughs = (b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaa">]>'
                  b'<event uid="x">&a;</event>')  # fmt: skip
        ground = cot_xml("ARE-GND", "2026-11-25T12:00:00.800Z", type_="a-f-G-U-C")
        writer.write(laughs + good + bytes(proto) + ground + b"<event uid='" + b"x" * 70_000)
        await writer.drain()
        replies = b""
        while replies.count(b"Warnline refused") < 3:
            replies += await asyncio.wait_for(reader.read(65536), 10)
        assert b"DTDs and entity declarations are not accepted" in replies
        assert b"is not an air track" in replies and b"ARE-GND" in replies
        assert b"larger than allowed" in replies
        # The stream goes on after all that: one more good event.
        writer.write(cot_xml("ARE-T1", "2026-11-25T12:00:01.000Z", lon=54.59))
        await writer.drain()
        journal = served.built.journal

        def reports() -> list[Report]:
            return [payload(e.event, Received).report for e in journal.iter_all()
                    if e.event.kind == Kind.REPORT]  # fmt: skip

        got = await until(lambda: len(reports()) >= 3 and reports(), "three CoT reports")
        assert {r.partner for r in got} == {"ARE"} and {r.source_format for r in got} == {"cot"}
        t2 = next(r for r in got if r.sensor_track == "ARE-T2")
        assert t2.kind.value == "ballistic_missile" and t2.identity.value == "suspect"
        t1 = next(r for r in got if r.sensor_track == "ARE-T1")
        assert t1.sensor == "ARE-radar-3" and t1.position.alt_m == 300.0
        assert t1.velocity is not None and round(t1.velocity.east) == -50
        assert t1.releasability == served.built.agreement.partners["ARE"].releasability
    finally:
        writer.close()
