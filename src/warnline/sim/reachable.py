"""The exercise's duty officers, reachable through real loopback peers.

Peers are started here on 127.0.0.1: an SMTP sink (the mail relay), the SMPP message
centre with the officers' mobile phones, sipp phones (one that answers and presses 1, one
that answers and never does, one that presses 2), a webhook receiver (partners' systems), a
JSON notification gateway for Apprise, and one partner system that is down (its webhook
route goes dead, as the coordination cell sees). What comes back is not channel objects
but the `[channels.*]` tables of a node config pointing at them: the exercise's node is
built from its config like any served node (`sim/served.py`, `serve/builder.py`).

JOR's off-shift watch officer takes over the watch for the raid (a roster take-over
through the API). Who acknowledges on which device is fixed here, so a run
shows every path: SMS replies, keypad 1, and officers who never answer.

Commanders answer lead offers on the phone too: ISR's, away from the console, replies
"ACCEPT <code>" by SMS (and presses 1 on a call, as for alerts: whichever answer comes
first counts); QAT's, away too, presses 2; JOR's presses 1 and also answers on its
console (the first answer counts: at exercise speeds an offer lasts a few wall seconds,
and a call often takes longer to be answered). The other commanders answer on their
consoles; their phones pick up and never press, so a keypad cannot answer for them.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.model import Agreement
from warnline.channels.voice import missing_tools
from warnline.dispatch.roster import on_duty
from warnline.sim.peers import SmtpSink, WebhookReceiver, loopback_port
from warnline.sim.phones import SipPhones, sipp_missing
from warnline.sim.smsc import Smsc

SMS_ACK = {"JOR", "SAU"}  # watch officers who answer an SMS with "ACK <code>"
NEVER = {"EGY"}  # a watch floor that never answers: escalation runs to the end
VOICE_LISTEN_ONLY = {"QAT"}  # picks up, hears the warning, never presses 1
WEBHOOK_DOWN = {"EGY"}  # the partner's system is down: its webhook route goes dead
OFFER_BY_PHONE = {"ISR": "sms", "JOR": "keypad 1", "QAT": "keypad 2"}  # how they answer
AWAY = {"ISR", "QAT"}  # commanders away from their consoles: they answer on the phone only


SMPP_SECRET = "secrets/smpp"  # the bind password's file, beside the node config


@dataclass
class Reachable:
    channels: dict[str, dict[str, Any]]  # [channels.<name>] tables of the node config
    secrets: dict[str, str]  # file (relative to the config) -> secret
    smtp: SmtpSink
    smsc: Smsc
    systems: WebhookReceiver
    gateway: WebhookReceiver
    phones: list[SipPhones] = field(default_factory=list)
    voice_note: str = ""

    async def stop(self) -> None:
        for phones in self.phones:
            await phones.stop()
        await self.smsc.stop()
        self.smtp.stop()
        await self.systems.stop()
        await self.gateway.stop()

    def counts(self) -> dict[str, Any]:
        """What the peers themselves saw (evidence next to the journal's figures)."""
        return {
            "emails_received": len(self.smtp.messages),
            "sms_submitted": len(self.smsc.submitted),
            "sms_receipts": self.smsc.receipts,
            "sms_ack_replies": self.smsc.replies,
            "sms_offer_replies": self.smsc.offer_replies,
            "webhooks_received": len(self.systems.received),
            "webhooks_rejected": self.systems.rejected,
            "gateway_notifications": len(self.gateway.received),
            "voice": self.voice_note or "sipp phones",
        }


def _urls(agreement: Agreement, channel: str, url: str, dead: str = "") -> dict[str, str]:
    """Each partner with a contact on `channel`: its system at `url` (or `dead`, for the
    partners whose system is down)."""
    return {
        code: dead if dead and code in WEBHOOK_DOWN else url
        for code, p in sorted(agreement.partners.items())
        if any(channel in c.addresses for c in p.contacts)
    }


def _phones(agreement: Agreement) -> dict[str, str]:
    out = {}
    for p in agreement.partners.values():
        for c in p.contacts:
            number = c.addresses.get("sms", "").lstrip("+")
            if not number:
                continue
            if c.role == "commander" and OFFER_BY_PHONE.get(p.code) == "sms":
                out[number] = "accept"  # answers offers, acknowledges alerts, by SMS
            elif p.code in NEVER or c.role != "watch":
                out[number] = "read"
            else:
                out[number] = "ack" if p.code in SMS_ACK else "read"
    return out


def _voice_routes(agreement: Agreement) -> dict[str, str]:
    """Numbers not reached through the phone that presses 1 (the default trunk), by the
    name of the trunk they are called through."""
    routes = {}
    for p in agreement.partners.values():
        for c in p.contacts:
            number = c.addresses.get("voice", "").lstrip("+")
            if not number:
                continue
            if c.role == "commander":
                way = OFFER_BY_PHONE.get(p.code)
                if way is None:  # answers on the console: a keypad must not answer for it
                    routes[number] = "listen"
                elif way == "keypad 2":
                    routes[number] = "decline"
            elif p.code in NEVER | VOICE_LISTEN_ONLY:
                routes[number] = "listen"
    return routes


def _trunk(port: int) -> dict[str, Any]:
    """A loopback trunk to the sipp phones on `port`, with local ports of its own."""
    low = loopback_port()
    return {
        "host": "127.0.0.1",
        "port": port,
        "sip_port": loopback_port(),
        "rtp_low": low,
        "rtp_high": low + 40,
    }


async def start_reachable(agreement: Agreement, *, lifetime_s: float = 3600.0) -> Reachable:
    """Start the peers; `lifetime_s` bounds the sipp processes should `stop` never run."""
    hub_key = exercise_signing_key("HUB")
    public = base64.b64encode(bytes(hub_key.verify_key)).decode()
    smtp, smsc = SmtpSink(), Smsc(phones=_phones(agreement))
    systems, gateway = (
        WebhookReceiver(public_key=public),
        WebhookReceiver(public_key=public, signed=False),
    )
    url, gateway_url = await systems.start(), await gateway.start()
    dead = f"http://127.0.0.1:{loopback_port()}/warnline"
    smtp_port, smsc_port = smtp.start(), await smsc.start()
    channels: dict[str, dict[str, Any]] = {
        "webhook": {"urls": _urls(agreement, "webhook", url, dead), "retries": 2},
        "email": {"host": "127.0.0.1", "port": smtp_port},
        "sms": {"host": "127.0.0.1", "port": smsc_port, "password_file": SMPP_SECRET},
        "apprise": {"urls": _urls(agreement, "apprise", gateway_url.replace("http://", "json://"))},
    }
    reach = Reachable(
        channels=channels,
        secrets={SMPP_SECRET: secrets.token_urlsafe(16)},
        smtp=smtp,
        smsc=smsc,
        systems=systems,
        gateway=gateway,
    )
    why_not = sipp_missing() or (
        ", ".join(missing_tools()) + " missing" if missing_tools() else None
    )
    if why_not is None:
        lifetime = int(lifetime_s) + 120
        press = SipPhones(
            behaviour="press", port=loopback_port(), media_port=loopback_port(), lifetime_s=lifetime
        )
        listen = SipPhones(
            behaviour="listen",
            port=loopback_port(),
            media_port=loopback_port(),
            lifetime_s=lifetime,
        )
        decline = SipPhones(
            behaviour="decline",
            port=loopback_port(),
            media_port=loopback_port(),
            lifetime_s=lifetime,
        )
        try:
            for phones in (press, listen, decline):
                reach.phones.append(phones)
                await phones.start()
        except BaseException:  # a phone that did not start (or a stop): none left running
            await reach.stop()
            raise
        channels["voice"] = {
            **_trunk(press.port),
            "listen_s": 5,  # a keypad answer comes ~0.8 s after pick-up; a silent call ends sooner
            "trunks": {"listen": _trunk(listen.port), "decline": _trunk(decline.port)},
            "routes": _voice_routes(agreement),
        }
    else:
        reach.voice_note = f"voice left out: {why_not}"
    return reach


async def stand_in(
    base: str, agreement: Agreement, password: str, at: datetime, minutes: float
) -> str:
    """JOR's off-shift watch officer takes over the watch for `minutes` (through the API,
    as a watch floor would); returns who stands in.

    Each request opens its own connection: on a loaded machine the many sign-ins at the
    start (password hashing) can hold the server's loop past its keep-alive timeout, and
    a reused connection is then closed under the second request (httpx.ReadError)."""
    jor = agreement.partners["JOR"]
    on = {c.name for c in on_duty(jor, "watch", at)}
    off = next(c.name for c in jor.contacts if c.role == "watch" and c.name not in on)
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        r = await client.post(
            "/api/v1/session", json={"username": "jor-watch", "password": password}
        )
        r.raise_for_status()
        headers = {"authorization": f"Bearer {r.json()['token']}"}
    body = {"role": "watch", "contact": off, "minutes": minutes}
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        r = await client.post("/api/v1/roster/takeovers", json=body, headers=headers)
        r.raise_for_status()
    return off
