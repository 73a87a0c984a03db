"""Voice calls over SIP with RTP (G.711 mu-law): synthesised speech, keypad answers.

A call that is answered is `delivered` (a person picked up and heard the warning); a "1"
pressed while listening acknowledges an alert, and of a lead offer's call "1" accepts and
"2" declines (the outbound names the keys it takes); no answer within `ring_s` is `failed`.

The calls themselves are placed by pyVoIP in a worker process (`voice_worker`,
`voice_calls`): its threads poll their sockets, and in the node's process they took about
a third of its CPU while calls were up. The rest of Warnline only sees `send() -> Handover`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from warnline.channels.base import Handover, Outbound
from warnline.channels.voice_calls import Trunk, missing_tools, speech

__all__ = ["Trunk", "VoiceChannel", "kill_workers", "missing_tools", "speech"]

START_WITHIN_S = 30.0  # wall seconds the worker may take to import pyVoIP and say ready
STOP_WITHIN_S = 10.0
_LIVE: set[int] = set()  # pids of running voice workers


def kill_workers() -> None:
    """SIGKILL every voice worker still running (synchronous: safe from a signal handler
    just before the process exits at once)."""
    for pid in list(_LIVE):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        _LIVE.discard(pid)


class VoiceChannel:
    name = "voice"

    def __init__(
        self,
        *,
        trunk: Trunk,
        routes: Mapping[str, Trunk] | None = None,
        local_ip: str = "127.0.0.1",
        ring_s: float = 15.0,
        listen_s: float = 10.0,
    ) -> None:
        self.trunk = trunk
        self.routes = dict(routes or {})
        self.local_ip = local_ip
        self.ring_s = ring_s
        self.listen_s = listen_s
        self._proc: asyncio.subprocess.Process | None = None
        self._starting = asyncio.Lock()
        self._pending: dict[int, asyncio.Future[Handover]] = {}
        self._next = 0
        self._reader: asyncio.Task[None] | None = None

    async def send(self, out: Outbound) -> Handover:
        try:
            proc = await self._worker()
        except (OSError, RuntimeError) as exc:
            return Handover(outcome="failed", detail=f"voice worker: {exc}")
        self._next += 1
        call_id = self._next
        fut: asyncio.Future[Handover] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = fut
        request = {
            "id": call_id,
            "number": out.address,
            "spoken": out.message.spoken,
            "language": out.message.spoken_language,
            "keys": list(out.keys),
        }
        assert proc.stdin is not None
        try:
            proc.stdin.write((json.dumps(request) + "\n").encode())
            await proc.stdin.drain()
            return await fut
        except (BrokenPipeError, ConnectionResetError):
            return Handover(outcome="failed", detail="voice worker ended")
        finally:
            self._pending.pop(call_id, None)

    async def _worker(self) -> asyncio.subprocess.Process:
        async with self._starting:
            if self._proc is not None:
                return self._proc
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "warnline.channels.voice_worker",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                # Its own process group: a terminal's Ctrl-C is the node's to handle and
                # must not reach a worker still importing (before it can ignore SIGINT).
                process_group=0,
            )  # fmt: skip
            _LIVE.add(proc.pid)
            self._proc = proc  # from now on `close` ends it, even while it starts
            try:
                assert proc.stdin is not None and proc.stdout is not None
                # The trunks' passwords go down the pipe, never on a command line.
                proc.stdin.write((json.dumps(self._config()) + "\n").encode())
                await proc.stdin.drain()
                try:
                    line = await asyncio.wait_for(proc.stdout.readline(), START_WITHIN_S)
                except TimeoutError:
                    line = b""
                if json.loads(line or b"{}").get("ready") is not True:
                    raise RuntimeError("did not start")
            except BaseException:  # failed, or the send was cancelled (a stop): not left behind
                if self._proc is proc:
                    self._proc = None
                await self._end(proc)
                raise
            self._reader = asyncio.create_task(self._read(proc))
            return proc

    def _config(self) -> dict[str, Any]:
        return {
            "trunk": asdict(self.trunk),
            "routes": {n: asdict(t) for n, t in self.routes.items()},
            "local_ip": self.local_ip,
            "ring_s": self.ring_s,
            "listen_s": self.listen_s,
        }

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        async for line in proc.stdout:
            answer = json.loads(line)
            fut = self._pending.get(answer.pop("id"))
            if fut is not None and not fut.done():
                fut.set_result(Handover(**answer))
        # The worker ended (closed, or died): the next call starts another, and the calls
        # it held fail (escalation goes on to its next step).
        if self._proc is proc:
            self._proc = None
        for fut in self._pending.values():
            if not fut.done():
                fut.set_result(Handover(outcome="failed", detail="voice worker ended"))
        await proc.wait()
        _LIVE.discard(proc.pid)

    async def _end(self, proc: asyncio.subprocess.Process) -> None:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), STOP_WITHIN_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        _LIVE.discard(proc.pid)

    async def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            await self._end(proc)
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
