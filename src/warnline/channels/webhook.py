"""Signed webhooks: the alert as JSON POSTed to a partner system, retried with back-off.

Signed with the hub's Ed25519 key over "<unix time>.<body>", so a partner verifies with
the hub public key it already holds from the agreement: no shared secret to hand out
per partner, and the time stops a captured request from being replayed later. A 2xx is
`delivered`; a 4xx other than 408/429 is the partner refusing it (no retry); anything
else (5xx, timeout, refused connection) is retried `retries` times, waiting
`backoff_s`, then twice that, and so on.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time

import httpx
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from warnline.channels.base import Handover, Outbound

SIGNATURE_HEADER = "Warnline-Signature"


def sign(body: bytes, key: SigningKey, at: int) -> str:
    sig = key.sign(f"{at}.".encode() + body).signature
    return f"t={at},ed25519={base64.b64encode(sig).decode()}"


def verify(
    body: bytes, header: str, public_key_b64: str, *, now: float, tolerance_s: float = 300
) -> bool:
    """True when `header` signs `body` with the hub key and is no older than tolerance."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        at = int(parts["t"])
        sig = base64.b64decode(parts["ed25519"])
        VerifyKey(base64.b64decode(public_key_b64)).verify(f"{at}.".encode() + body, sig)
    except (KeyError, ValueError, BadSignatureError):
        return False
    return abs(now - at) <= tolerance_s


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        *,
        key: SigningKey,
        retries: int = 3,
        backoff_s: float = 0.2,
        timeout_s: float = 3.0,
    ) -> None:
        self.key = key
        self.retries = retries
        self.backoff_s = backoff_s
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def send(self, out: Outbound) -> Handover:
        body = json.dumps(
            {"type": "alert", "recipient": out.recipient, "alert": out.message.view},
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        wait = self.backoff_s
        detail = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(wait)
                wait *= 2
            headers = {
                "content-type": "application/json",
                SIGNATURE_HEADER: sign(body, self.key, int(time.time())),
            }
            try:
                resp = await self._client.post(out.address, content=body, headers=headers)
            except httpx.HTTPError as exc:
                detail = f"{type(exc).__name__}: {exc}"
                continue
            if 200 <= resp.status_code < 300:
                return Handover(outcome="delivered", detail=f"HTTP {resp.status_code}")
            detail = f"HTTP {resp.status_code}"
            if 400 <= resp.status_code < 500 and resp.status_code not in (408, 429):
                break
        return Handover(outcome="failed", detail=detail)

    async def close(self) -> None:
        await self._client.aclose()
