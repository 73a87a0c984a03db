"""A TAK client watching a partner's CoT stream, as the partner's TAK users would.

It is PyTAK (the TAK integration library partners script their TAK tools with),
connected over plain TCP to the node's CoT listener; PyTAK splits the stream into
events, and this only tallies what arrived. PyTAK's run loop never returns: `stop`
cancels it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
PREFIX = "warnline."


@dataclass
class TakTally:
    events: int = 0
    types: Counter[str] = field(default_factory=Counter)
    tracks: set[str] = field(default_factory=set)  # track ids
    track_types: dict[str, str] = field(default_factory=dict)  # track id -> last CoT type
    deleted: set[str] = field(default_factory=set)  # uids a deletion named
    alerts: set[str] = field(default_factory=set)  # alert ids
    alert_areas: set[str] = field(default_factory=set)
    shapes: set[str] = field(default_factory=set)
    unparsed: int = 0

    def add(self, data: bytes) -> None:
        self.events += 1
        try:
            ev = etree.fromstring(data.strip(), parser=_PARSER)
        except etree.XMLSyntaxError:
            self.unparsed += 1
            return
        uid, kind = ev.get("uid", ""), ev.get("type", "")
        self.types[kind] += 1
        detail = ev.find("detail")
        hint = None if detail is None else detail.find("__warnline")
        if kind.startswith("a-") and uid.startswith(PREFIX + "track."):
            track_id = uid.removeprefix(PREFIX + "track.")
            self.tracks.add(track_id)
            self.track_types[track_id] = kind
        elif kind == "t-x-d-d" and detail is not None:
            link = detail.find("link")
            if link is not None:
                self.deleted.add(link.get("uid", ""))
        elif kind.startswith("b-a") and hint is not None:
            self.alerts.add(hint.get("alert_id", ""))
            self.alert_areas.add(hint.get("area_id", ""))
        elif kind.startswith("u-d"):
            self.shapes.add(uid)

    def view(self) -> dict[str, Any]:
        ended = {u.removeprefix(PREFIX + "track.") for u in self.deleted}
        return {
            "events": self.events,
            "tracks": len(self.tracks),
            "deletions": len(self.deleted),
            "tracks_deleted": len(ended & self.tracks),
            "alerts": len(self.alerts),
            "shapes": len(self.shapes),
            "types": dict(sorted(self.types.items())),
            "unparsed": self.unparsed,
        }


class TakWatcher:
    """PyTAK connected to `host:port`; every event it reads goes into `tally`."""

    def __init__(self, host: str, port: int) -> None:
        # Not "tcp+ro": PyTAK then keeps no reference to its writer, whose collection
        # closes the connection.
        self.url = f"tcp://{host}:{port}"
        self.tally = TakTally()
        self.connected = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []

    async def start(self, attempts: int = 50) -> None:
        with warnings.catch_warnings():  # its optional HTTP transport is not installed
            warnings.simplefilter("ignore")
            import pytak
        logging.getLogger("pytak").setLevel(logging.WARNING)  # not a line per worker started
        config = {"COT_URL": self.url, "PYTAK_NO_HELLO": "1"}
        for i in range(attempts):  # the listener may still be starting
            try:
                tool = pytak.CLITool(config)
                await tool.setup()
                break
            except OSError:
                if i == attempts - 1:
                    raise
                await asyncio.sleep(0.1)
        self._tasks = [
            asyncio.create_task(tool.run(), name="pytak"),
            asyncio.create_task(self._drain(tool.rx_queue), name="pytak-tally"),
        ]
        self.connected.set()

    async def _drain(self, queue: asyncio.Queue[bytes]) -> None:
        while True:
            self.tally.add(await queue.get())

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(t, 5.0)
        self._tasks = []
