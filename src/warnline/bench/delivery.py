"""`warnline bench delivery`: alert decision to hand-off per channel, and how many console
recipients one node serves with p99 under 1 s.

Hand-off: from the escalator's decision (the step is due and its attempt is made) through
release, message rendering and the channel to the moment the next hop took the message: a
webhook's 2xx, the relay's 250, the SMS centre's submit_sm_resp, the call being answered,
the notification gateway's reply. Every peer is a real one on 127.0.0.1 (the same peers as
the exercise). Peer measured in the same run: a bare HTTP POST to the same webhook receiver
(no signature, no escalation), the floor of any HTTP-based channel.

Console: N real WebSocket clients connected to a websockets server that hands each socket
to the node's ConsoleChannel; one alert decision (the dispatcher's due attempts) is sent to
all N, and each client's arrival time is taken. Peer: websockets' own `broadcast` of the
same message to the same N clients.
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import websockets

from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.load import default_agreement
from warnline.agreement.model import Agreement, EscalationPolicy, EscalationStep
from warnline.channels import ConsoleChannel
from warnline.channels.apprise_channel import AppriseChannel
from warnline.channels.base import Outbound, PersonChannel
from warnline.channels.email import EmailChannel
from warnline.channels.sms import SmsChannel
from warnline.channels.voice import Trunk, VoiceChannel
from warnline.channels.webhook import WebhookChannel
from warnline.dispatch import Dispatcher
from warnline.dispatch.escalation import Escalator, ack_code
from warnline.domain import Alert, AlertStatus, Attempt, MsgType, Severity, ThreatKind, Urgency
from warnline.domain.codec import to_json
from warnline.journal import Event, MemoryJournal
from warnline.journal.kinds import Kind
from warnline.journal.payloads import payload
from warnline.release import Release
from warnline.release.messages import person_message
from warnline.sim.peers import SmtpSink, WebhookReceiver, loopback_port
from warnline.sim.phones import SipPhones
from warnline.sim.smsc import Smsc

JOR_WATCH = "JOR/watch/jor-air-operations-centre-watch"


def _pct(xs: list[float]) -> dict[str, float]:
    s = sorted(xs)
    return {
        "n": len(s),
        "p50_ms": round(statistics.median(s), 2),
        "p99_ms": round(s[min(len(s) - 1, int(len(s) * 0.99))], 2),
    }


def _alert(i: int, at: Any) -> Alert:
    return Alert(
        alert_id=f"A-B{i:05d}-JOR-amman",
        version=1,
        incident_id=f"B{i:05d}",
        area_id="JOR-amman",
        area_name="Amman",
        partner="JOR",
        msg_type=MsgType.ALERT,
        status=AlertStatus.EXERCISE,
        sent_at=at,
        severity=Severity.SEVERE,
        urgency=Urgency.IMMEDIATE,
        time_to_arrival_s=240.0,
        expected_at=at,
        kinds={ThreatKind.DRONE: 1},
        headline="Aerial threat to Amman",
        reason="benchmark",
    )


def _agreement(channel: str, address: str) -> Agreement:
    a = default_agreement()
    jor = a.partners["JOR"]
    contacts = tuple(
        replace(c, addresses={**c.addresses, channel: address}) if c.contact_id == JOR_WATCH else c
        for c in jor.contacts
    )
    policy = EscalationPolicy(
        min_severity=Severity.MINOR,
        steps=(EscalationStep(after_s=0, channels=(channel,), roles=("watch",)),),
    )
    jor = replace(jor, contacts=contacts, escalation=(policy,), roster=())
    return replace(a, partners={**a.partners, "JOR": jor})


async def _handoffs(channel: PersonChannel, address: str, trials: int) -> list[float]:
    ag = _agreement(channel.name, address)
    release = Release(ag)
    esc = Escalator(agreement=ag, role_of=lambda u: "watch", channels=[channel.name])
    journal = MemoryJournal()
    contact = esc.contacts[JOR_WATCH]
    out: list[float] = []
    for i in range(trials):
        alert = _alert(i, datetime.now(UTC))
        ev = Event(
            event_id=f"alert:{alert.alert_id}:v1",
            kind=Kind.ALERT,
            at=alert.sent_at,
            payload=to_json(alert),
        )
        pos = journal.last_seq()
        journal.append([ev])
        esc.observe(journal.read(pos))
        decided = time.perf_counter()
        due = esc.due(alert.sent_at)
        journal.append(due)
        attempt = next(e for e in due if e.kind == Kind.ATTEMPT)
        view = release.alert("JOR", alert)
        assert view is not None
        code = ack_code(alert.alert_id, 1, JOR_WATCH)
        msg = person_message(alert, view, language=contact.language, code=code)
        began = time.perf_counter()
        h = await channel.send(
            Outbound(
                address=payload(attempt, Attempt).address,
                recipient=JOR_WATCH,
                language=contact.language,
                message=msg,
                ack_code=code,
            )
        )
        if h.outcome == "failed":
            raise RuntimeError(f"{channel.name}: {h.detail}")
        took = h.handoff_s if h.handoff_s is not None else time.perf_counter() - began
        out.append((began - decided + took) * 1000)
    return out


async def _channels(trials: int, voice_trials: int) -> dict[str, Any]:
    key = exercise_signing_key("HUB")
    public = base64.b64encode(bytes(key.verify_key)).decode()
    receiver, gateway = (
        WebhookReceiver(public_key=public),
        WebhookReceiver(public_key=public, signed=False),
    )
    url, gw = await receiver.start(), await gateway.start()
    sink, smsc = SmtpSink(), Smsc(phones={"000962000001": "read"}, reply_delay_s=0.0)
    smtp_port, smsc_port = sink.start(), await smsc.start()
    phones = SipPhones(behaviour="press", port=loopback_port(), media_port=loopback_port())
    await phones.start()
    low = loopback_port()
    trunk = Trunk(
        host="127.0.0.1", port=phones.port, sip_port=loopback_port(), rtp_low=low, rtp_high=low + 40
    )
    sms = SmsChannel(host="127.0.0.1", port=smsc_port, receipt_wait_s=1.0)
    sms.start()
    plan: list[tuple[PersonChannel, str, int]] = [
        (WebhookChannel(key=key), url, trials),
        (EmailChannel(host="127.0.0.1", port=smtp_port), "jor-watch@example.invalid", trials),
        (sms, "+000962000001", trials),
        (AppriseChannel(), gw.replace("http://", "json://"), max(10, trials // 4)),
        (VoiceChannel(trunk=trunk, listen_s=1.5), "+000962000001", voice_trials),
    ]
    figures: dict[str, Any] = {}
    try:
        for channel, address, n in plan:
            await _handoffs(channel, address, 3)  # warm-up (imports, first connections)
            figures[channel.name] = _pct(await _handoffs(channel, address, n))
            await channel.close()
        async with httpx.AsyncClient() as client:
            floor = []
            for _ in range(trials):
                t = time.perf_counter()
                await client.post(url, content=b"{}")
                floor.append((time.perf_counter() - t) * 1000)
        figures["peer_bare_http_post"] = _pct(floor)
    finally:
        await phones.stop()
        await smsc.stop()
        sink.stop()
        await receiver.stop()
        await gateway.stop()
    return figures


class _Sock:
    """The server side of one client's WebSocket, as the console channel sees it."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send_text(self, data: str) -> None:
        await self.ws.send(data)


async def _console(n: int) -> dict[str, Any]:
    console = ConsoleChannel()
    server_side: list[Any] = []
    ready = asyncio.Event()

    async def handler(ws: Any) -> None:
        user = await ws.recv()
        console.connect(user, _Sock(ws))
        server_side.append(ws)
        if len(server_side) == n:
            ready.set()
        await ws.wait_closed()

    users = [f"watch-{i:05d}" for i in range(n)]
    async with websockets.serve(handler, "127.0.0.1", 0, max_queue=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        clients = [await websockets.connect(f"ws://127.0.0.1:{port}") for _ in users]
        for c, u in zip(clients, users, strict=True):
            await c.send(u)
        await asyncio.wait_for(ready.wait(), 60)
        d = Dispatcher(recipients=lambda p: users, partner_of=lambda u: "JOR")
        release = Release(default_agreement())

        alert = _alert(0, datetime.now(UTC))
        ev = Event(event_id="alert:b:v1", kind=Kind.ALERT, at=alert.sent_at, payload=to_json(alert))
        journal = MemoryJournal()
        journal.append([ev])
        d.observe(journal.read(0))
        got: list[float] = []

        async def recv_one(c: Any) -> None:
            await c.recv()
            got.append(time.perf_counter())

        waiters = [asyncio.create_task(recv_one(c)) for c in clients]
        decided = time.perf_counter()
        attempts = d.due(alert.sent_at, console.reachable)
        for a in attempts:
            view = release.alert("JOR", alert)
            await console.send(payload(a, Attempt).recipient, {"type": "alert", "alert": view})
        await asyncio.gather(*waiters)
        node_ms = [(t - decided) * 1000 for t in got]
        # Peer: websockets' broadcast of the same bytes to the same clients.
        got.clear()
        waiters = [asyncio.create_task(recv_one(c)) for c in clients]
        t0 = time.perf_counter()
        websockets.broadcast(server_side, '{"type":"alert"}')
        await asyncio.gather(*waiters)
        peer_ms = [(t - t0) * 1000 for t in got]
        for c in clients:
            await c.close()
    return {"recipients": n, "console": _pct(node_ms), "peer_broadcast": _pct(peer_ms)}


async def _run(trials: int, voice_trials: int, sizes: list[int]) -> dict[str, Any]:
    handoff = await _channels(trials, voice_trials)
    console = []
    for n in sizes:
        r = await _console(n)
        console.append(r)
        if r["console"]["p99_ms"] >= 1000:
            break
    # 8,000 clients in this process use 16,000 descriptors: about the limit here (20,000).
    under = [r["recipients"] for r in console if r["console"]["p99_ms"] < 1000]
    return {
        "handoff": handoff,
        "console_fanout": console,
        "console_recipients_p99_under_1s": max(under, default=0),
    }


def run(
    trials: int = 100, voice_trials: int = 10, sizes: list[int] | None = None
) -> dict[str, Any]:
    return asyncio.run(_run(trials, voice_trials, sizes or [100, 500, 1000, 2000, 4000, 8000]))
