"""The hub signs what it derives: every JSON answer under /api/v1 carries an Ed25519
signature over its exact body bytes, verifiable with the agreement's hub key.

Header: `X-Warnline-Hub-Signature: ed25519=<base64>`. Problem documents are signed
too, so a partner can prove what the hub refused as well as what it said.
"""

from __future__ import annotations

import base64
from typing import Any

from nacl.signing import SigningKey, VerifyKey
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-warnline-hub-signature"


class HubSignature:
    """Pure ASGI middleware (no body streaming is broken: only complete JSON bodies,
    which the API's answers are, get buffered and signed)."""

    def __init__(self, app: ASGIApp, *, key: SigningKey) -> None:
        self.app = app
        self.key = key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/api/v1/"):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                assert start is not None
                payload = b"".join(body)
                headers = list(start.get("headers", []))
                if _is_json(headers):
                    sig = base64.b64encode(self.key.sign(payload).signature)
                    headers.append((HEADER.encode(), b"ed25519=" + sig))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": payload})
                return
            await send(message)

        await self.app(scope, receive, wrapped)


def _is_json(headers: list[Any]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-type":
            return bool(
                value.startswith(b"application/json")
                or value.startswith(b"application/problem+json")
            )
    return False


def verify_hub_signature(body: bytes, header: str, hub_public_key_b64: str) -> bool:
    """What a partner runs: True if `header` is the hub's signature of `body`."""
    if not header.startswith("ed25519="):
        return False
    try:
        VerifyKey(base64.b64decode(hub_public_key_b64)).verify(body, base64.b64decode(header[8:]))
    except Exception:
        return False
    return True
