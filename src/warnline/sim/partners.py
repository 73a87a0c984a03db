"""The partners' systems in a process of their own, as they are in a real coalition.

In one process the simulated partners' signing, encoding and HTTP sending shared the
event loop (and the core) with the node they fed: at 20x the node then fell behind
because of its own load generator, and its decisions differed from 2x. Here the
sensor feed runs in a child process on the same scenario clock (the parent hands over the
monotonic instant scenario time started; the clock is system-wide), submits through the
node's front door as before, and reports back what was accepted and which object each
report came from (ground truth for the score, never sent to the node).

    parent: spawn -> child builds scenario and feed -> "ready" -> parent starts the clock
            -> origin on stdin -> child feeds the raid -> result file -> exit 0
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.load import load_agreement
from warnline.agreement.model import Agreement
from warnline.domain import ScaledClock
from warnline.errors import WarnlineError
from warnline.ingest.asterix import spec
from warnline.sim import phones
from warnline.sim.actors import AsterixLink, ExerciseLog, PartnerSystem, run_feed
from warnline.sim.asterix import Encoder, UdpSender
from warnline.sim.cot_sender import CotPartnerSystem
from warnline.sim.feed import SensorFeed
from warnline.sim.scenario import build_scenario

READY = "ready"
START_WITHIN_S = 120.0  # wall seconds the child may take to build its scenario


class FeedProcessError(WarnlineError):
    """The partners' process failed or said something it should not."""


@dataclass(frozen=True, kw_only=True)
class FeedSpec:
    agreement: str | None  # path, or None for the embedded default
    start: str  # scenario start, ISO 8601
    duration_s: float
    seed: int
    scale: float
    speed: float
    base_url: str
    cap_partners: tuple[str, ...]
    result: str  # path of the result file the child writes
    asterix: dict[str, tuple[str, int]] = field(default_factory=dict)  # partner -> UDP address
    cot_partners: tuple[str, ...] = ()  # TAK systems: they stream CoT to `cot_address`
    cot_address: str = ""  # host:port of the node's CoT listener for those partners


@dataclass(frozen=True, kw_only=True)
class FeedResult:
    accepted_reports: set[str]
    rejected_submissions: int
    truth_of: dict[str, str | None]  # report key -> object id (None: clutter)
    asterix_sent: int = 0  # reports sent as ASTERIX over UDP (no answer to count)
    asterix_datagrams: int = 0
    cot_sent: int = 0  # CoT events the TAK systems sent
    cot_refused: int = 0  # refusals the node sent back to them


class PartnersProcess:
    """The child process, started early and released when the raid starts."""

    def __init__(self, spec: FeedSpec) -> None:
        self.spec = spec
        self._proc: asyncio.subprocess.Process | None = None
        # What was fed: complete after `run`, what was fed so far after a stop.
        self.result = FeedResult(accepted_reports=set(), rejected_submissions=0, truth_of={})

    async def start(self) -> None:
        """Spawn the child and wait until its scenario and feed are built."""
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "warnline.sim.partners", json.dumps(asdict(self.spec)),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            process_group=0,  # a terminal's Ctrl-C is the exercise's to handle, not ours
        )  # fmt: skip
        phones.track(self._proc.pid)  # a second Ctrl-C kills it with the phones
        assert self._proc.stdout is not None
        try:
            line = await asyncio.wait_for(self._proc.stdout.readline(), START_WITHIN_S)
        except TimeoutError:
            await self.stop()
            raise FeedProcessError(
                f"partners' process not ready in {START_WITHIN_S:.0f} s"
            ) from None
        if line.decode().strip() != READY:
            await self.stop()
            raise FeedProcessError(f"partners' process did not start: {line.decode()!r}")

    async def run(self, clock: ScaledClock) -> FeedResult:
        """Hand over the running clock and wait for the raid to be fed; a cancelled
        run ends the child."""
        proc = self._proc
        assert proc is not None and proc.stdin is not None and clock.origin is not None
        try:
            proc.stdin.write(f"{clock.origin!r}\n".encode())
            await proc.stdin.drain()
            code = await proc.wait()
        except BaseException:
            await self.stop()
            raise
        phones.untrack(proc.pid)
        if code != 0:
            raise FeedProcessError(f"partners' process exited with status {code}")
        self.result = self._read() or self.result
        return self.result

    def _read(self) -> FeedResult | None:
        try:
            raw = json.loads(Path(self.spec.result).read_text())
        except (OSError, ValueError):
            return None
        return FeedResult(
            accepted_reports=set(raw["accepted_reports"]),
            rejected_submissions=int(raw["rejected_submissions"]),
            truth_of=dict(raw["truth_of"]),
            asterix_sent=int(raw.get("asterix_sent", 0)),
            asterix_datagrams=int(raw.get("asterix_datagrams", 0)),
            cot_sent=int(raw.get("cot_sent", 0)),
            cot_refused=int(raw.get("cot_refused", 0)),
        )

    async def stop(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        phones.untrack(proc.pid)  # only once it is gone: a second Ctrl-C must still reach it
        self.result = self._read() or self.result  # what it had fed when it stopped


async def _child(spec: FeedSpec) -> dict[str, Any]:
    agreement = load_agreement(None if spec.agreement is None else Path(spec.agreement))
    start = datetime.fromisoformat(spec.start)
    scenario = build_scenario(
        agreement, start=start, duration_s=spec.duration_s, seed=spec.seed, scale=spec.scale
    )
    feed = SensorFeed(scenario, seed=spec.seed)
    xlog = ExerciseLog()
    links = {code: _asterix_link(agreement, code, host, port)
             for code, (host, port) in spec.asterix.items()}  # fmt: skip
    print(READY, flush=True)
    line = await asyncio.to_thread(sys.stdin.readline)
    clock = ScaledClock(start=start, speed=spec.speed, origin=float(line))
    systems = {
        code: PartnerSystem(
            partner=code, key=exercise_signing_key(code), base_url=spec.base_url,
            clock=clock, log_=xlog, cap=code in spec.cap_partners, asterix=links.get(code),
        )
        for code in agreement.partners
    }  # fmt: skip
    tak = {
        code: CotPartnerSystem(
            address=spec.cot_address, partner=code, key=exercise_signing_key(code),
            base_url=spec.base_url, clock=clock, log_=xlog,
        )
        for code in spec.cot_partners
    }  # fmt: skip
    systems.update(tak)
    # SIGTERM (the exercise was stopped) ends the feed where it is, and what was fed so
    # far is still reported; a feed whose exercise is gone (killed) just ends.
    feeding = asyncio.create_task(run_feed(feed, systems, clock, spec.duration_s))
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, feeding.cancel)
    orphaned = asyncio.create_task(_orphaned(os.getppid()))
    await asyncio.wait([feeding, orphaned], return_when=asyncio.FIRST_COMPLETED)
    if not feeding.done():
        feeding.cancel()
        raise SystemExit(3)
    orphaned.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await feeding
    for system in tak.values():
        await system.close()
    for _, sender in links.values():
        sender.close()
    for old, new in xlog.rekeyed.items():  # a CoT report's key is its uid and time
        if old in feed.truth_of:
            feed.truth_of[new] = feed.truth_of.pop(old)
    truth_of = {xlog.renamed.get(k, k): t for k, t in feed.truth_of.items()}
    return {
        "accepted_reports": sorted(xlog.accepted_reports),
        "rejected_submissions": xlog.rejected_submissions,
        "truth_of": truth_of,
        "asterix_sent": xlog.asterix_sent,
        "asterix_datagrams": xlog.asterix_datagrams,
        "cot_sent": sum(s.sent for s in tak.values()),
        "cot_refused": sum(s.refused for s in tak.values()),
    }


def _asterix_link(agreement: Agreement, code: str, host: str, port: int) -> AsterixLink:
    """The partner's ASTERIX encoder (libasterix imported here, before "ready") and its
    socket toward the node's listener."""
    settings = agreement.partners[code].asterix
    if settings is None:
        raise FeedProcessError(f"{code} has no [partners.asterix] in the agreement")
    # The codec is imported now, before "ready": imported at the raid's first send, it
    # held every partner's sending back ~1.5 s of wall time (7 s of raid at 5x).
    for cat, edition in settings.editions.items():
        spec(cat, edition)
    return Encoder(settings), UdpSender(host, port)


async def _orphaned(parent: int, every_s: float = 1.0) -> None:
    while os.getppid() == parent:
        await asyncio.sleep(every_s)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the parent's to handle
    raw = json.loads(argv[1])
    spec = FeedSpec(
        **{
            **raw,
            "cap_partners": tuple(raw["cap_partners"]),
            "asterix": {p: (h, int(port)) for p, (h, port) in raw.get("asterix", {}).items()},
            "cot_partners": tuple(raw["cot_partners"]),
        }
    )
    result = asyncio.run(_child(spec))
    Path(spec.result).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
