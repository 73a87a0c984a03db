"""The peer of `warnline bench console`: a plain `websockets` server in its own process
that broadcasts frames of the sizes the node sent during the raid, on the raid's own
schedule (compressed to the peer's span), to as many clients as the node had. No
journal, no decisions, no release rules: what any WebSocket push on this machine pays.

Argument: JSON with `port`, `clients` and `schedule_file` (a JSON file holding
[[offset_s, kind, bytes], ...]).
Once `clients` are connected it replays the schedule, then sends `done` and exits.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve


def frame(kind: str, size: int) -> str:
    """A message of `kind` about `size` bytes long, stamped with its send time."""
    head = json.dumps({"kind": kind, "peer_sent": time.time(), "pad": ""})
    return head[:-2] + "x" * max(0, size - len(head)) + '"}'


async def run(args: dict[str, Any]) -> None:
    clients: set[ServerConnection] = set()
    full = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        clients.add(ws)
        if len(clients) >= args["clients"]:
            full.set()
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with serve(handler, "127.0.0.1", args["port"], max_size=None):
        print("listening", flush=True)
        await asyncio.wait_for(full.wait(), 120)
        start = time.monotonic() + 0.5
        schedule = json.loads(Path(args["schedule_file"]).read_text())
        for offset, kind, size in schedule:
            await asyncio.sleep(max(0.0, start + offset - time.monotonic()))
            broadcast(clients, frame(kind, int(size)))
        await asyncio.sleep(0.5)
        broadcast(clients, json.dumps({"kind": "done"}))
        await asyncio.sleep(1.0)


def main() -> None:
    asyncio.run(run(json.loads(sys.argv[1])))


if __name__ == "__main__":
    main()
