"""The lightweight consoles of `warnline bench console`, in their own process: the
bench's process also drives Chromium and the partners' feed, and a console's arrival
time must not wait on those.

Two modes, from one JSON argument:
- `node`: one console per token on the node's stream (`connect_stream`), each answering
  alerts with a receipt as the page does, until the bench writes a line to stdin. Per alert
  version first seen: decision (`sent_at`) to arrival; per picture: each track's
  `updated_at` to arrival, and the picture's `at` to arrival.
- `peer`: as many plain WebSocket clients on the peer (`bench/console_peer.py`), until
  it says `done`; per message, the peer's send time to arrival.

Arrival is read as the frame comes off the socket, before it is parsed. Only the first
`PARSE_PICTURES` consoles parse a whole picture (each track's `updated_at`); the others
read its head (`type`, `at`): 50 consoles parsing 400 KB a second each is this process's
own CPU, and on a loaded machine it fell behind the node it measures. Prints `ready`
once every console is in, then one JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import time
from datetime import datetime
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from warnline.bench.ingest_load import percentiles
from warnline.sim.stream_client import connect_stream

PARSE_PICTURES = 5  # consoles that parse every picture whole
HEAD = re.compile(r'^\{"type": ?"picture", ?"at": ?"([^"]+)"')


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class Tally:
    """What all consoles of the process saw (ms lists, summarised at the end)."""

    def __init__(self) -> None:
        self.alert_ms: list[float] = []
        self.versions: set[tuple[str, str, int]] = set()  # (console, alert_id, version)
        self.picture_age_ms: list[float] = []
        self.picture_transit_ms: list[float] = []
        self.pictures = 0
        self.picture_bytes: list[int] = []
        self.alert_bytes: list[int] = []
        self.peer_ms: dict[str, list[float]] = {"alert": [], "picture": []}
        self.errors: list[str] = []


async def _node_console(
    base: str, name: str, token: str, open_: list[ClientConnection], tally: Tally,
    ready: asyncio.Event, whole: bool,
) -> None:  # fmt: skip
    ws = await connect_stream(base, token, max_size=None)
    open_.append(ws)
    try:
        while True:
            try:
                raw = await ws.recv()
            except websockets.ConnectionClosed:
                return
            arrived = time.time()
            head = HEAD.match(raw[:80]) if isinstance(raw, str) and not whole else None
            if head is not None:  # a picture, read by its head
                tally.pictures += 1
                tally.picture_bytes.append(len(raw))
                tally.picture_transit_ms.append((arrived - _unix(head.group(1))) * 1000)
                continue
            msg = json.loads(raw)
            kind = msg.get("type")
            if kind == "hello":
                ready.set()
            elif kind == "alert":
                a = msg["alert"]
                key = (name, a["alert_id"], int(a["version"]))
                if key not in tally.versions:
                    tally.versions.add(key)
                    tally.alert_ms.append((arrived - _unix(a["sent_at"])) * 1000)
                    tally.alert_bytes.append(len(raw))
                receipt = {"type": "received", "alert_id": a["alert_id"], "version": a["version"]}
                await ws.send(json.dumps(receipt))
            elif kind == "picture":
                tally.pictures += 1
                tally.picture_bytes.append(len(raw))
                tally.picture_transit_ms.append((arrived - _unix(msg["at"])) * 1000)
                tally.picture_age_ms.extend(
                    (arrived - _unix(t["updated_at"])) * 1000 for t in msg["tracks"]
                )
    finally:
        await ws.close()


async def _peer_console(url: str, tally: Tally, ready: asyncio.Event) -> None:
    async with websockets.connect(url, max_size=None) as ws:
        ready.set()
        await _read_peer(ws, tally)


async def _read_peer(ws: ClientConnection, tally: Tally) -> None:
    async for raw in ws:
        arrived = time.time()
        msg = json.loads(raw)
        if msg.get("kind") == "done":
            return
        tally.peer_ms[msg["kind"]].append((arrived - msg["peer_sent"]) * 1000)


async def _stop_on_stdin(conns: list[ClientConnection]) -> None:
    """The bench writes a line when the raid is over: every console closes."""
    await asyncio.to_thread(sys.stdin.readline)
    await asyncio.gather(*(ws.close() for ws in conns), return_exceptions=True)


async def run(args: dict[str, Any]) -> dict[str, Any]:
    tally = Tally()
    if args["mode"] == "node":
        tokens: dict[str, str] = args["tokens"]
        ready = [asyncio.Event() for _ in tokens]
        conns: list[ClientConnection] = []
        tasks = [
            asyncio.create_task(
                _node_console(args["base"], n, t, conns, tally, r, i < PARSE_PICTURES)
            )
            for i, ((n, t), r) in enumerate(zip(tokens.items(), ready, strict=True))
        ]
        tasks.append(asyncio.create_task(_stop_on_stdin(conns)))
    else:
        ready = [asyncio.Event() for _ in range(args["clients"])]
        tasks = [asyncio.create_task(_peer_console(args["url"], tally, r)) for r in ready]
    waiting = asyncio.gather(*(r.wait() for r in ready))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(waiting, 60)
    print("ready" if all(r.is_set() for r in ready) else "not ready", flush=True)
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, BaseException):
            tally.errors.append(repr(outcome))
    return {
        "consoles": len(ready),
        "alert_versions_seen": len(tally.versions),
        "alert_ms": percentiles(tally.alert_ms),
        "alert_bytes": percentiles([float(b) for b in tally.alert_bytes]),
        "pictures": tally.pictures,
        "picture_bytes": percentiles([float(b) for b in tally.picture_bytes]),
        "picture_age_ms": percentiles(tally.picture_age_ms),
        "picture_transit_ms": percentiles(tally.picture_transit_ms),
        "peer_alert_ms": percentiles(tally.peer_ms["alert"]),
        "peer_picture_ms": percentiles(tally.peer_ms["picture"]),
        "errors": tally.errors[:5],
    }


def main() -> None:
    print(json.dumps(asyncio.run(run(json.loads(sys.argv[1])))), flush=True)


if __name__ == "__main__":
    main()
