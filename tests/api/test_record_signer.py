"""The console learns at sign-in who signs the record's heads and with which key: the key
the node's journal seals with, which verifies the head the node serves."""

from __future__ import annotations

import base64

import httpx
import nacl.signing
import pytest

from tests.api.conftest import Live, drive_drone
from warnline.audit.heads import parse_head, verify_head
from warnline.errors import AuditError


async def test_me_names_the_key_the_heads_verify_with(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        await drive_drone(live, c, seconds=4)  # something journaled and sealed
        auth = await live.token(c, "jor-watch")
        me = (await c.get("/api/v1/me", headers=auth)).json()
        head = parse_head((await c.get("/api/v1/audit/head", headers=auth)).json())
    signer = me["record_signer"]
    assert signer["signer"] == head.signer == "HUB"
    key = nacl.signing.VerifyKey(base64.b64decode(signer["public_key"]))
    verify_head(head, {"HUB": key})  # raises unless the head verifies with that key
    other = nacl.signing.SigningKey.generate().verify_key
    with pytest.raises(AuditError, match="does not verify"):
        verify_head(head, {"HUB": other})
