"""A partner's TAK system that streams its sensors' tracks to the node as CoT.

What a partner whose air picture lives in TAK would run: one TCP connection to the
node's CoT listener for this partner, each observation one CoT event (XML), the
sensor's track number as the uid, the producing sensor as the parent link. The node
never acknowledges a CoT event; it answers a refused one with a chat message, which
this counts (on each connection it also sends two events that are not reports: they
must come back refused, the stream going on). Report keys change in transit (the node
names a CoT report `<uid>:<ms>`), so the ground truth is re-keyed here for the score.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from datetime import timedelta
from xml.sax.saxutils import quoteattr

import httpx

from warnline.cot.encode import Cot
from warnline.cot.types import air_type
from warnline.domain import Report
from warnline.sim.actors import PartnerSystem
from warnline.sim.feed import Observation

UNKNOWN = 9999999.0
# What a careless or hostile TAK endpoint also sends, once per connection: an entity
# expansion and the client's own ground position. Each must come back refused, and the
# stream go on.
NOT_REPORTS = (
    b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaa">]><event uid="x">&a;</event>',
    b'<event version="2.0" uid="ARE-TAK-1" type="a-f-G-U-C" how="h-e" '
    b'time="2026-01-01T00:00:00.000Z" start="2026-01-01T00:00:00.000Z" '
    b'stale="2026-01-01T00:10:00.000Z"><point lat="24.4" lon="54.4" hae="10" ce="10" '
    b'le="10"/><detail/></event>',
)


def report_cot(report: Report, *, altitude_measured: bool) -> tuple[str, bytes]:
    """(uid, event) for one observation, as a TAK system would send it."""
    uid = report.sensor_track or f"{report.sensor}.{report.report_id}"
    parts = []
    v = report.velocity
    if v is not None:
        ground = math.hypot(v.east, v.north)
        course = math.degrees(math.atan2(v.east, v.north)) % 360.0
        slope = math.degrees(math.atan2(v.up, ground)) if (ground or v.up) else 0.0
        parts.append(
            f'<track course="{course:.2f}" speed="{math.hypot(ground, v.up):.2f}" '
            f'slope="{slope:.3f}"/>'
        )
    parts.append(f'<link uid={quoteattr(report.sensor)} relation="p-p" type="a-f-G-E-S"/>')
    parts.append(f'<__warnline confidence="{report.confidence:.3f}"/>')
    ev = Cot(
        uid=uid, type=air_type(report.kind, report.identity), how="m-g",
        start=report.observed_at, stale=report.observed_at + timedelta(seconds=30),
        lat=report.position.lat, lon=report.position.lon,
        hae=report.position.alt_m if altitude_measured else UNKNOWN,
        ce=report.accuracy_m, le=UNKNOWN, body="".join(parts),
    )  # fmt: skip
    return uid, ev.render(report.observed_at)


class CotPartnerSystem(PartnerSystem):
    """`PartnerSystem` over the node's CoT listener at `address` ("host:port")."""

    def __init__(self, *, address: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        host, _, port = address.rpartition(":")
        self.host, self.port = host, int(port)
        self._writer: asyncio.StreamWriter | None = None
        self._replies: asyncio.Task[None] | None = None
        self.sent = 0
        self.refused = 0

    async def send(self, client: httpx.AsyncClient, batch: list[Observation]) -> None:
        writer = await self._connect()
        out = []
        for o in batch:
            uid, data = report_cot(o.report, altitude_measured=o.altitude_measured)
            ms = int(o.report.observed_at.timestamp() * 1000)
            self.log.rekeyed[o.report.key] = f"{self.partner}/{uid}:{ms}"
            out.append(data)
        writer.write(b"".join(out))
        await writer.drain()
        self.sent += len(out)

    async def _connect(self) -> asyncio.StreamWriter:
        if self._writer is None or self._writer.is_closing():
            for attempt in range(50):
                try:
                    reader, self._writer = await asyncio.open_connection(self.host, self.port)
                    break
                except OSError:
                    if attempt == 49:
                        raise
                    await asyncio.sleep(0.2)
            self._replies = asyncio.create_task(self._read(reader))
            assert self._writer is not None
            self._writer.write(b"".join(NOT_REPORTS))
        assert self._writer is not None
        return self._writer

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while data := await reader.read(65536):
            self.refused += data.count(b"Warnline refused")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._writer.wait_closed(), 2)
        if self._replies is not None:
            self._replies.cancel()
            await asyncio.gather(self._replies, return_exceptions=True)
