"""The CoT adapter's two halves, between the listeners and the node.

`CotFeed` pushes each partner's released picture: once per `push_s` (wall), for every
partner with a TAK client online, it reads the same released views the console draws
(`picture_for`, `alerts_for`: release is the only path), encodes one frame per partner
(`PictureFrames`) and hands the bytes to every listener; a client that connects gets
the current events at once. It runs beside the decision loop, never in it, and gives
the event loop back between partners.

`CotIntake` turns what a client sent into its partner's reports through the node's
command (the checks, rate limits, releasability defaults and journal of every other
format), and answers each refused event with a CoT message the sender can read.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from warnline.cot.decode import CotEvent, from_proto, from_xml, to_report
from warnline.cot.encode import error_event, pong
from warnline.cot.frames import PictureFrames
from warnline.cot.server import CotClient, CotServer
from warnline.cot.stream import Message, Oversize
from warnline.domain import Clock, Report
from warnline.errors import InputError

__all__ = ["CotFeed", "CotIntake", "PictureSource"]

log = logging.getLogger("warnline.cot")
MAX_REFUSALS_TOLD = 1000  # distinct refusals remembered per client (each told once)


class PictureSource(Protocol):
    """What the feed reads: `ReleasedViews` (node/views.py) is one."""

    def picture_for(self, viewer: str, *, tentative: bool = True) -> dict[str, Any]: ...

    def alerts_for(self, viewer: str, *, active_only: bool = False) -> list[dict[str, Any]]: ...


class CotFeed:
    def __init__(
        self,
        *,
        source: PictureSource,
        clock: Clock,
        push_s: float = 1.0,
        coast_after_s: float = 15.0,
        drop_after_s: float = 60.0,
    ) -> None:
        self.source = source
        self.clock = clock
        self.push_s = push_s
        self.coast_after_s = coast_after_s
        self.drop_after_s = drop_after_s
        self.servers: list[CotServer] = []
        self._frames: dict[str, PictureFrames] = {}
        self.sent: Counter[str] = Counter()  # events by what (track, shape, alert, deletion)
        self.frames = 0

    def attach(self, server: CotServer) -> None:
        self.servers.append(server)
        server.on_connect = self._greet

    def _greet(self, client: CotClient) -> None:
        frames = self._frames.get(client.partner)
        if frames is not None:
            snapshot = frames.snapshot()
            if snapshot:
                for s in self.servers:
                    if client in s.clients:
                        s.send(client, snapshot)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.push_s)
            try:
                await self.push()
            except Exception:  # a bad view must not end the stream for everyone
                log.exception("CoT push failed; trying again at the next push")

    async def push(self) -> None:
        online = set().union(*(s.partners_online() for s in self.servers))
        for partner in list(self._frames):
            if partner not in online:
                del self._frames[partner]  # a returning client starts from a full frame
        for partner in sorted(online):
            frames = self._frames.get(partner)
            if frames is None:
                frames = self._frames[partner] = PictureFrames(
                    coast_after_s=self.coast_after_s, drop_after_s=self.drop_after_s,
                    alert_stale_s=max(30.0, 10 * self.push_s), refresh_s=max(5.0, 3 * self.push_s),
                )  # fmt: skip
            picture = self.source.picture_for(partner, tentative=False)
            alerts = self.source.alerts_for(partner, active_only=True)
            frame = frames.frame(picture, alerts, self.clock.now())
            self.frames += 1
            self.sent.update(frame.counts)
            if frame.data:
                for s in self.servers:
                    s.publish(partner, frame.data)
            await asyncio.sleep(0)


# The node's command for streamed reports: refusals by index, with why.
SubmitReports = Callable[[list[Report]], Awaitable[list[tuple[int, InputError]]]]


class CotIntake:
    def __init__(self, *, submit: SubmitReports, clock: Clock) -> None:
        self.submit = submit
        self.clock = clock
        self.counts: Counter[str] = Counter()  # accepted, refused, pings, by encoding
        self._serial = 0

    async def __call__(self, client: CotClient, messages: list[Message | Oversize]) -> list[bytes]:
        replies: list[bytes] = []
        reports: list[Report] = []
        uids: list[str] = []
        for m in messages:
            if isinstance(m, Oversize):
                self._refuse(client, None, f"message larger than allowed ({m.size} bytes)", replies)
                continue
            try:
                ev = from_proto(m.data) if m.proto else from_xml(m.data)
            except InputError as exc:
                self._refuse(client, None, _why(exc), replies)
                continue
            except Exception:  # a fault of ours must not end the sender's stream either
                log.exception("a CoT event could not be read")
                self._refuse(client, None, "the event could not be read", replies)
                continue
            self.counts["proto" if m.proto else "xml"] += 1
            if ev.type.startswith("t-x-c-t"):  # a TAK client's ping
                self.counts["pings"] += 1
                replies.append(pong(self.clock.now()))
                continue
            report = self._report(client, ev, replies)
            if report is not None:
                reports.append(report)
                uids.append(ev.uid)
        if reports:
            try:
                refused = await self.submit(reports)
            except InputError as whole:  # the whole lot: rate, a conflicting resend
                refused = [(i, whole) for i in range(len(reports))]
            for i, fault in refused:
                self._refuse(client, uids[i], _why(fault), replies)
            self.counts["accepted"] += len(reports) - len(refused)
        return replies

    def _report(self, client: CotClient, ev: CotEvent, replies: list[bytes]) -> Report | None:
        if ev.type == "t-x-d-d":
            return None  # a sender deleting its own track: the picture ages it out
        try:
            return to_report(ev, partner=client.partner)
        except (InputError, ValueError) as exc:
            self._refuse(client, ev.uid, _why(exc), replies)
            return None

    def _refuse(
        self, client: CotClient, uid: str | None, reason: str, replies: list[bytes]
    ) -> None:
        self.counts["refused"] += 1
        told = f"{uid}|{reason}"
        if told in client.refusals:
            return  # said once already: a TAK client's own position every few seconds
        if len(client.refusals) < MAX_REFUSALS_TOLD:
            client.refusals.add(told)
        self._serial += 1
        replies.append(error_event(uid, reason, serial=self._serial, now=self.clock.now()))


_COT_FIELD = {"observed_at": "event.time", "velocity": "event.detail.track",
              "report_id": "event.uid"}  # fmt: skip


def _why(exc: Exception) -> str:
    """The refusal in the sender's terms: a report's field named as the CoT field."""
    field = getattr(exc, "field", None)
    if not isinstance(exc, InputError) or not field:
        return str(exc)
    if field.startswith("reports."):
        name = field.split(".", 2)[-1]
        field = _COT_FIELD.get(name, name)
    return f"{field}: {exc.reason}"
