"""The processes of `warnline bench cot`: the stream's source and the TAK clients.

    source warnline PORT   a `CotServer` on PORT that fans the raid's events out itself
                           (as the node's CoT feed does: encode once, write to every client)
    source taky PORT       a TAK client of the taky server on PORT that sends the same events
    clients PORT N ID      N TAK clients (plain asyncio sockets) that count and time events

Commands come on stdin, one a line; answers go to stdout. The source: `probe ID` sends
one probe event, `trial ID RATE SECONDS` sends RATE events a second, in batches every
20 ms, and answers `done SENT`. The clients answer `connected` once every socket is
open, `ready` once every socket has seen the probe, and to `expect SENT` a JSON line:
each socket's count of the trial's events and the latency of the newest event in each
read (its `time`, the source's clock, against ours: the same machine).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta

from warnline.cot.encode import Cot
from warnline.cot.server import CotServer

TRACKS = 300
BATCH_S = 0.02
SETTLE_S = 3.0  # the clients wait this long without progress before reporting


def events(trial: str, n: int, first: int) -> bytes:
    """n track updates of the 300-track raid, the time in each the moment of sending."""
    now = datetime.now(UTC)
    out = []
    for i in range(first, first + n):
        track = i % TRACKS
        ev = Cot(
            uid=f"bench.{trial}.t{track:03d}", type="a-h-A-M-F-Q", how="m-f", start=now,
            stale=now + timedelta(seconds=60), lat=31.0 + track * 0.001, lon=36.0 - i * 1e-6,
            hae=150.0, ce=100.0, le=50.0,
            body=f'<track course="270.0" speed="50.0"/><contact callsign="T{track:03d}"/>',
        )  # fmt: skip
        out.append(ev.render(now))
    return b"".join(out)


async def source(kind: str, port: int) -> None:
    if kind == "warnline":
        server = CotServer(host="127.0.0.1", port=port, partner="JOR", partners=frozenset({"JOR"}))
        await server.start()

        def send(data: bytes) -> None:
            server.publish("JOR", data)
    else:
        _, writer = await asyncio.open_connection("127.0.0.1", port)

        def send(data: bytes) -> None:
            writer.write(data)

    print("listening", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().split():
        if line[0] == "probe":
            now = datetime.now(UTC)
            send(Cot(uid=f"bench.{line[1]}.probe", type="a-u-G", how="h-g-i-g-o", start=now,
                     stale=now, lat=0, lon=0, body="").render(now))  # fmt: skip
            print("ok", flush=True)
        elif line[0] == "trial":
            trial, rate, seconds = line[1], float(line[2]), float(line[3])
            sent, start = 0, time.monotonic()
            while True:
                elapsed = time.monotonic() - start
                due = int(rate * min(elapsed, seconds))
                if due > sent:
                    send(events(trial, due - sent, sent))
                    sent = due
                if elapsed >= seconds:
                    break
                await asyncio.sleep(BATCH_S)
            print(f"done {sent}", flush=True)


class Counting(asyncio.Protocol):
    def __init__(self, trial: str, latencies: list[float]) -> None:
        self.probe = f"bench.{trial}.probe".encode()
        self.marker = f'uid="bench.{trial}.t'.encode()
        self.latencies = latencies
        self.count = 0
        self.probed = False
        self.changed = time.monotonic()
        self._tail = b""

    def data_received(self, data: bytes) -> None:
        joined = self._tail + data
        self._tail = joined[-(len(self.marker) - 1) :]
        n = joined.count(self.marker)
        if not self.probed and self.probe in joined:
            self.probed = True
        if n:
            self.count += n
            self.changed = time.monotonic()
            at = joined.rfind(b'time="')
            if at >= 0 and len(joined) >= at + 30:
                sent = datetime.fromisoformat(joined[at + 6 : at + 29].decode() + "+00:00")
                self.latencies.append((datetime.now(UTC) - sent).total_seconds())


async def clients(port: int, n: int, trial: str) -> None:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    conns = []
    for _ in range(n):
        _, proto = await loop.create_connection(
            lambda: Counting(trial, latencies), "127.0.0.1", port
        )
        conns.append(proto)
    print("connected", flush=True)
    while not all(c.probed for c in conns):
        await asyncio.sleep(0.02)
    print("ready", flush=True)
    line = await asyncio.to_thread(sys.stdin.readline)
    expected = int(line.split()[1])
    while not all(c.count >= expected for c in conns):
        if time.monotonic() - max(c.changed for c in conns) > SETTLE_S:
            break
        await asyncio.sleep(0.05)
    print(json.dumps({"received": [c.count for c in conns], "latencies": latencies}), flush=True)


def main(argv: list[str]) -> int:
    if argv[0] == "source":
        asyncio.run(source(argv[1], int(argv[2])))
    else:
        asyncio.run(clients(int(argv[1]), int(argv[2]), argv[3]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
