"""Webhook (signed, retried with back-off) and e-mail (SMTP) against real loopback peers."""

from __future__ import annotations

import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from nacl.signing import SigningKey

from tests.channels.conftest import outbound
from tests.factories import free_port
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.channels.apprise_channel import AppriseChannel
from warnline.channels.email import EmailChannel
from warnline.channels.webhook import WebhookChannel, sign, verify
from warnline.sim.peers import SmtpSink, WebhookReceiver

HUB = exercise_signing_key("HUB")
HUB_PUBLIC = __import__("base64").b64encode(bytes(HUB.verify_key)).decode()


def test_signature_binds_body_key_and_time() -> None:
    header = sign(b"{}", HUB, 1000)
    assert verify(b"{}", header, HUB_PUBLIC, now=1000)
    assert not verify(b"{ }", header, HUB_PUBLIC, now=1000)  # changed body
    assert not verify(b"{}", header, HUB_PUBLIC, now=2000)  # replayed later
    other = sign(b"{}", SigningKey.generate(), 1000)
    assert not verify(b"{}", other, HUB_PUBLIC, now=1000)
    assert not verify(b"{}", "garbage", HUB_PUBLIC, now=time.time())


async def test_webhook_delivers_signed_alert() -> None:
    peer = WebhookReceiver(public_key=HUB_PUBLIC)
    url = await peer.start()
    ch = WebhookChannel(key=HUB, backoff_s=0.01)
    try:
        h = await ch.send(outbound(url))
    finally:
        await ch.close()
        await peer.stop()
    assert h.outcome == "delivered" and peer.rejected == 0
    body = peer.received[0]
    assert body["alert"]["alert_id"] == "A-JOR-amman" and body["alert"]["ack_code"] == "123456"


async def test_webhook_retries_with_backoff_then_delivers() -> None:
    peer = WebhookReceiver(public_key=HUB_PUBLIC, fail_next=2)
    url = await peer.start()
    ch = WebhookChannel(key=HUB, retries=3, backoff_s=0.05)
    started = time.monotonic()
    try:
        h = await ch.send(outbound(url))
    finally:
        await ch.close()
        await peer.stop()
    assert h.outcome == "delivered" and peer.requests == 3
    assert time.monotonic() - started >= 0.05 + 0.1  # waited 0.05 s, then 0.1 s


async def test_webhook_gives_up_and_reports_failure() -> None:
    peer = WebhookReceiver(public_key=HUB_PUBLIC, fail_next=10)
    url = await peer.start()
    ch = WebhookChannel(key=HUB, retries=2, backoff_s=0.01)
    try:
        h = await ch.send(outbound(url))
        dead = await ch.send(outbound(f"http://127.0.0.1:{free_port()}/x"))
    finally:
        await ch.close()
        await peer.stop()
    assert h.outcome == "failed" and h.detail == "HTTP 503" and peer.requests == 3
    assert dead.outcome == "failed" and "ConnectError" in dead.detail


async def test_webhook_refused_signature_is_not_retried() -> None:
    peer = WebhookReceiver(public_key=HUB_PUBLIC)
    url = await peer.start()
    ch = WebhookChannel(key=SigningKey.generate(), retries=3, backoff_s=0.01)
    try:
        h = await ch.send(outbound(url))
    finally:
        await ch.close()
        await peer.stop()
    assert h.outcome == "failed" and h.detail == "HTTP 401" and peer.requests == 1


async def test_email_reaches_smtp_peer_in_the_recipients_language() -> None:
    sink = SmtpSink()
    port = sink.start()
    try:
        h = await EmailChannel(host="127.0.0.1", port=port).send(
            outbound("jor-watch@example.invalid", language="ar")
        )
    finally:
        sink.stop()
    assert h.outcome == "sent"
    (msg,) = sink.messages
    assert msg["To"] == "jor-watch@example.invalid"
    assert msg["Content-Language"] == "ar"
    body = msg.get_content()
    assert "تهديد جوي" in body and "Amman" in body and "ACK 123456" in body


async def test_email_to_a_dead_relay_fails() -> None:
    h = await EmailChannel(host="127.0.0.1", port=free_port(), timeout_s=1).send(
        outbound("x@example.invalid")
    )
    assert h.outcome == "failed" and "Refused" in h.detail


class _Relay:
    """A relay that asks for a login (no TLS here) and keeps what the login carried."""

    def __init__(self) -> None:
        self.logins: list[tuple[bytes, bytes]] = []
        self.messages: list[bytes] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login, auth_data.password))
        # handled=False: aiosmtpd answers a failure with 535 itself
        return AuthResult(success=auth_data.password == b"relay-secret", handled=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope.content)
        return "250 OK"


async def test_email_logs_in_to_the_relay_and_a_wrong_password_fails() -> None:
    relay = _Relay()
    port = free_port()
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=port,
        authenticator=relay,
        auth_require_tls=False,
    )
    controller.start()
    try:
        ok = await EmailChannel(
            host="127.0.0.1", port=port, username="hub", password="relay-secret"
        ).send(outbound("jor-watch@example.invalid"))
        wrong = await EmailChannel(
            host="127.0.0.1", port=port, username="hub", password="guess"
        ).send(outbound("jor-watch@example.invalid"))
        # STARTTLS asked of a relay that does not offer it: never sent in the clear.
        clear = await EmailChannel(host="127.0.0.1", port=port, starttls=True).send(
            outbound("jor-watch@example.invalid")
        )
    finally:
        controller.stop()
    assert ok.outcome == "sent" and relay.logins[0] == (b"hub", b"relay-secret")
    assert wrong.outcome == "failed" and "SMTPAuthenticationError" in wrong.detail
    assert clear.outcome == "failed" and "STARTTLS" in clear.detail
    assert len(relay.messages) == 1 and "guess" not in wrong.detail


async def test_apprise_reaches_a_json_gateway_and_reports_a_dead_one() -> None:
    gateway = WebhookReceiver(public_key=HUB_PUBLIC, signed=False)
    url = await gateway.start()
    ch = AppriseChannel()
    try:
        ok = await ch.send(outbound(url.replace("http://", "json://"), language="he"))
        dead = await ch.send(outbound(f"json://127.0.0.1:{free_port()}/x"))
        bad = await ch.send(outbound("no-such-scheme://x"))
    finally:
        await gateway.stop()
    assert ok.outcome == "sent"
    (note,) = gateway.received
    assert "ACK 123456" in note["message"] and "איום אווירי" in note["message"]
    assert dead.outcome == "failed" and bad.outcome == "failed"
