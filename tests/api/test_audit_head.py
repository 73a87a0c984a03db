"""GET /api/v1/audit/head: a partner fetches the latest signed tree head and can later
hold the journal to it."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import httpx
from nacl.signing import VerifyKey

from tests.api.conftest import Live, drive_drone
from tests.factories import T0, signed, wire_report
from warnline.audit import parse_head, verify_head, verify_journal
from warnline.cli import main


async def test_head_needs_a_partner_session(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        r = await c.get("/api/v1/audit/head")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


async def test_kept_head_verifies_and_the_journal_extends_it(live: Live, tmp_path: Path) -> None:
    hub = {"HUB": live.node.agreement.hub_public_key}
    async with httpx.AsyncClient(base_url=live.base) as c:
        auth = await live.token(c, "isr-watch")
        await drive_drone(live, c, seconds=6)
        first = (await c.get("/api/v1/audit/head", headers=auth)).json()
        body, headers = signed([wire_report("later", t=T0 + timedelta(seconds=7))])
        assert (await c.post("/api/v1/reports", content=body, headers=headers)).status_code == 202
        later = (await c.get("/api/v1/audit/head", headers=auth)).json()
    key = VerifyKey(base64.b64decode(live.node.agreement.hub_public_key))
    head, newer = parse_head(first), parse_head(later)
    verify_head(head, {"HUB": key})
    verify_head(newer, {"HUB": key})
    assert 0 < head.size < newer.size <= live.journal.last_seq()
    assert set(first) == {"version", "size", "root", "timestamp", "signer", "signature"}
    # The journal, read while the node runs, is a superset of both kept heads.
    assert verify_journal(live.journal.path, public_keys=hub, head=head).entries >= newer.size
    kept = tmp_path / "head.json"
    kept.write_text(json.dumps(first))
    assert main(["audit", "verify", str(live.journal.path), "--head", str(kept)]) == 0
