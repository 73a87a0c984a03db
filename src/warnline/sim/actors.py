"""The exercise's players: partners' systems that submit signed reports over HTTP,
and duty officers who watch their console stream and acknowledge (or do not)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from nacl.signing import SigningKey
from websockets.exceptions import ConnectionClosed

from warnline.domain import ScaledClock
from warnline.domain.codec import to_json
from warnline.ingest.cap_adapter import encode_observations
from warnline.ingest.signature import sign_request
from warnline.sim.asterix import Encoder, UdpSender, blocks
from warnline.sim.feed import Observation, SensorFeed
from warnline.sim.stream_client import open_stream

log = logging.getLogger("warnline.sim")
CAP_BATCH = 200  # observations per CAP message (one info block each), well under the limit
AsterixLink = tuple[Encoder, UdpSender]


@dataclass
class ExerciseLog:
    """What the players saw, to check the node against (not the node's own word)."""

    accepted_reports: set[str] = field(default_factory=set)  # report keys answered 202
    rejected_submissions: int = 0
    asterix_sent: int = 0  # reports sent as ASTERIX (UDP: no answer, so not "accepted")
    asterix_datagrams: int = 0
    renamed: dict[str, str] = field(default_factory=dict)  # sim report key -> ASTERIX key
    received: Counter[tuple[str, str]] = field(default_factory=Counter)  # (user, version_key)
    acks_sent: Counter[str] = field(default_factory=Counter)  # by channel
    ack_errors: int = 0
    rekeyed: dict[str, str] = field(default_factory=dict)  # report key -> key on arrival


class PartnerSystem:
    """Sends a partner's observations in signed batches, once per `batch_s`; with
    `cap=True` it is the partner's civil-defence gateway and sends CAP 1.2 instead; with
    `asterix` its air-defence system sends its ASTERIX sensors' reports over UDP
    (sim/asterix.py)."""

    def __init__(
        self,
        *,
        partner: str,
        key: SigningKey,
        base_url: str,
        clock: ScaledClock,
        log_: ExerciseLog,
        cap: bool = False,
        asterix: AsterixLink | None = None,
    ) -> None:
        self.partner = partner
        self.asterix = asterix
        self.key = key
        self.base_url = base_url
        self.clock = clock
        self.log = log_
        self.queue: list[Observation] = []
        self.cap = cap
        self._cap_messages = 0

    async def send(self, client: httpx.AsyncClient, batch: list[Observation]) -> None:
        if self.asterix is not None:
            batch = self._send_asterix(batch)
            if not batch:
                return
        if self.cap:
            for i in range(0, len(batch), CAP_BATCH):
                await self._post(client, *self._cap_body(batch[i : i + CAP_BATCH]))
            return
        body = json.dumps({"reports": [wire(o) for o in batch]}).encode()
        await self._post(client, body, "application/json", "reports")

    def _send_asterix(self, batch: list[Observation]) -> list[Observation]:
        """Sends what its ASTERIX sensors saw; returns the rest (for HTTP)."""
        assert self.asterix is not None
        encoder, sender = self.asterix
        records, rest = [], []
        for o in batch:
            if encoder.sensor(o.report.sensor) is None:
                rest.append(o)
                continue
            encoded = encoder.record(o.report)
            if encoded is None:
                continue  # ASTERIX cannot carry it (a plot out of I048/040's range)
            cat, raw, key = encoded
            records.append((cat, raw))
            self.log.renamed[o.report.key] = key
        datagrams = blocks(encoder.settings, records)
        sender.send(datagrams)
        self.log.asterix_sent += len(records)
        self.log.asterix_datagrams += len(datagrams)
        return rest

    def _cap_body(self, batch: list[Observation]) -> tuple[bytes, str, str]:
        self._cap_messages += 1
        body = encode_observations(
            [o.report for o in batch],
            identifier=f"{self.partner}-CD-{self._cap_messages:06d}",
            sender=f"civil-defence@{self.partner.lower()}.invalid",
            sent=self.clock.now(),
            status="Exercise",
        )
        return body, "application/cap+xml", "cap"

    async def _post(self, client: httpx.AsyncClient, body: bytes, ctype: str, path: str) -> None:
        target = f"/api/v1/{path}"
        for attempt in range(5):  # a refused connection is retried: nothing may be lost
            # Each attempt is signed anew (a signature is accepted once); a resent report
            # is still a no-op, by its id.
            headers = sign_request(
                "POST", target, body, partner=self.partner, key=self.key, created=self.clock.now()
            ) | {"content-type": ctype}
            try:
                resp = await client.post(f"{self.base_url}{target}", content=body, headers=headers)
            except httpx.TransportError:
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            if resp.status_code in (429, 503) and attempt < 4:  # told to retry shortly
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            if resp.status_code == 202:
                self.log.accepted_reports.update(resp.json()["reports"])
            else:
                self.log.rejected_submissions += 1
                log.warning("%s submission refused: %s", self.partner, resp.text[:300])
            return


def wire(o: Observation) -> dict[str, Any]:
    """The report as the partner's system sends it: no altitude key when the sensor
    measured none (the adapter then knows the altitude is unknown, not zero)."""
    d = to_json(o.report)
    for k in ("partner", "source_format", "releasability", "altitude_measured"):
        d.pop(k, None)
    if not o.altitude_measured:
        d["position"].pop("alt_m", None)
    return d


def batch_time(due_s: float, now_s: float, until_s: float) -> float:
    """The scenario time a batch due at `due_s` covers when the sender reaches it at
    `now_s`: everything due by now when late, never past the end."""
    return min(max(due_s, now_s), until_s)


async def run_feed(
    feed: SensorFeed,
    systems: dict[str, PartnerSystem],
    clock: ScaledClock,
    until_s: float,
    batch_s: float = 1.0,
) -> None:
    """Pace the sensor feed on the scenario clock and hand batches to each partner.

    A partner's system that falls behind (a loaded machine, a slow answer) sends
    everything due by now in its next batch, as a real one would, rather than replaying
    each missed interval one request at a time: at 20x a 1 s interval is 50 ms of wall
    time, and catching up interval by interval left the senders minutes behind the node,
    whose stale-report bound then refused most of what they sent."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        pending: list[Observation] = []
        t = 0.0
        while t <= until_s:
            now_s = (clock.now() - clock.start).total_seconds()
            if now_s < t:
                await asyncio.sleep(clock.wall_seconds(t - now_s))
            else:
                t = batch_time(t, now_s, until_s)
            pending.extend(feed.until(t))
            ready = [o for o in pending if o.deliver_s <= t]
            pending = [o for o in pending if o.deliver_s > t]
            by_partner: dict[str, list[Observation]] = {}
            for o in ready:
                by_partner.setdefault(o.report.partner, []).append(o)
            await asyncio.gather(
                *(systems[p].send(client, b) for p, b in sorted(by_partner.items()))
            )
            t += batch_s


def spawn_answer(tasks: set[asyncio.Task[None]], work: Coroutine[Any, Any, None]) -> None:
    """Run one of an actor's delayed answers in a task kept in `tasks` until it ends.
    The node closing the stream or its port under a pending answer (the exercise being
    stopped) leaves that answer unsent: expected at a stop, so not an error to print."""

    async def guarded() -> None:
        try:
            await work
        except (ConnectionClosed, httpx.TransportError):
            log.debug("an answer was left unsent: the node closed the connection")

    task = asyncio.create_task(guarded())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def end_tasks(tasks: set[asyncio.Task[None]]) -> None:
    """Cancel an actor's pending answers before its connections close: an exercise that
    stops early must not leave them to fire into a closed client."""
    for t in list(tasks):
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class DutyOfficer:
    """Signs in, follows the stream, acknowledges most alerts after a human delay.

    `p_ack` is the share of alerts this officer acknowledges; half of the
    acknowledgements go through the console stream, half through the HTTP API.
    """

    def __init__(
        self,
        *,
        username: str,
        password: str,
        base_url: str,
        clock: ScaledClock,
        p_ack: float,
        rng: np.random.Generator,
        log_: ExerciseLog,
        system_key: SigningKey | None = None,
    ) -> None:
        self.username = username
        self.password = password
        self.system_key = system_key  # set: API acknowledgements go through the partner's system
        self.base_url = base_url
        self.clock = clock
        self.p_ack = p_ack
        self.rng = rng
        self.log = log_
        self._acked: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.connected = asyncio.Event()  # signed in and following the stream

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10.0) as http:
            resp = await http.post(
                "/api/v1/session", json={"username": self.username, "password": self.password}
            )
            resp.raise_for_status()
            token = resp.json()["token"]
            try:
                async with open_stream(self.base_url, token, max_size=None) as ws:
                    self.connected.set()
                    async for raw in ws:
                        msg = json.loads(raw)
                        if msg.get("type") == "alert":
                            await self._on_alert(ws, http, token, msg["alert"])
            finally:
                await end_tasks(self._tasks)

    async def _on_alert(
        self, ws: Any, http: httpx.AsyncClient, token: str, alert: dict[str, Any]
    ) -> None:
        key = (self.username, alert["version_key"])
        self.log.received[key] += 1
        await ws.send(
            json.dumps(
                {
                    "type": "received",
                    "alert_id": alert["alert_id"],
                    "version": alert["version"],
                    "count": self.log.received[key],
                }
            )
        )
        mine = alert["partner"] == self.username.split("-")[0].upper()
        if not mine or alert["msg_type"] == "Cancel" or alert["alert_id"] in self._acked:
            return
        if self.rng.random() > self.p_ack:
            self._acked.add(alert["alert_id"])  # this officer lets this alert go unanswered
            return
        self._acked.add(alert["alert_id"])
        delay = float(self.rng.uniform(3.0, 20.0))
        via_api = bool(self.rng.random() < 0.5)
        spawn_answer(self._tasks, self._ack_later(ws, http, token, alert, delay, via_api))

    async def _ack_later(
        self,
        ws: Any,
        http: httpx.AsyncClient,
        token: str,
        alert: dict[str, Any],
        delay: float,
        via_api: bool,
    ) -> None:
        await asyncio.sleep(self.clock.wall_seconds(delay))
        if via_api and self.system_key is not None:
            body = json.dumps({"version": alert["version"]}).encode()
            target = f"/api/v1/alerts/{alert['alert_id']}/signed-ack"
            headers = sign_request(
                "POST", target, body, partner=alert["partner"], key=self.system_key,
                created=self.clock.now(),
            )  # fmt: skip
            r = await http.post(target, content=body, headers=headers)
            if r.status_code == 200:
                self.log.acks_sent["api-signed"] += 1
            else:
                self.log.ack_errors += 1
        elif via_api:
            r = await http.post(
                f"/api/v1/alerts/{alert['alert_id']}/ack",
                json={"version": alert["version"]},
                headers={"authorization": f"Bearer {token}"},
            )
            if r.status_code == 200:
                self.log.acks_sent["api"] += 1
            else:
                self.log.ack_errors += 1
        else:
            await ws.send(
                json.dumps(
                    {"type": "ack", "alert_id": alert["alert_id"], "version": alert["version"]}
                )
            )
            self.log.acks_sent["console"] += 1
