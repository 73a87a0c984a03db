"""The exercise reads one incident's record as the cell and as a partner would.

After the raid, while the node still serves: the cell's watch and the watch officer of
the partner the incident warned each fetch its timeline through the HTTP API, and every
step's record entry is checked the way a partner's own system would check it: the
signed head against the hub's public key, the entry's inclusion proof against that
head's root, and a disclosed entry's body against its hash. The counts go into the
summary (`incident_timeline`); anything that does not verify is a failure there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
import nacl.signing

from warnline.audit import parse_head, verify_head
from warnline.audit.proofs import verify_inclusion
from warnline.errors import AuditError
from warnline.journal import Event, chain_hash

MAX_PROOFS = 1500  # per viewer: bounds the check's time on a long raid


async def check_timelines(
    base: str,
    passwords: Mapping[str, str],
    *,
    cell: str,
    hub_keys: Mapping[str, nacl.signing.VerifyKey],
) -> dict[str, Any]:
    """Pick the incident that warned the most areas; fetch its timeline as the cell and
    as the first partner it warned; verify every step's entry."""
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as c:
        cell_auth = await _sign_in(c, f"{cell.lower()}-watch", passwords)
        listed = (await c.get("/api/v1/incidents", headers=cell_auth)).json()
        alerts = (await c.get("/api/v1/alerts", headers=cell_auth)).json()
        if not listed:
            return {"incidents": 0, "steps": 0, "verified": 0, "failed": 0, "viewers": {}}
        chosen = max(listed, key=lambda i: (len(i["alerts"]), i["incident_id"]))
        partners = sorted({a["partner"] for a in alerts if a["alert_id"] in chosen["alerts"]})
        partner = next((p for p in partners if p != cell), None)
        viewers = {cell: cell_auth}
        if partner is not None:
            viewers[partner] = await _sign_in(c, f"{partner.lower()}-watch", passwords)
        out: dict[str, Any] = {"incidents": len(listed), "incident": chosen["incident_id"]}
        per: dict[str, dict[str, Any]] = {}
        for code, auth in viewers.items():
            r = await c.get(f"/api/v1/incidents/{chosen['incident_id']}/timeline", headers=auth)
            r.raise_for_status()
            per[code] = await _verify_steps(c, auth, r.json()["steps"], hub_keys)
    out["viewers"] = per
    out["steps"] = sum(v["steps"] for v in per.values())
    out["verified"] = sum(v["verified"] for v in per.values())
    out["failed"] = sum(v["checked"] - v["verified"] for v in per.values())
    return out


async def _sign_in(c: httpx.AsyncClient, user: str, passwords: Mapping[str, str]) -> dict[str, str]:
    r = await c.post("/api/v1/session", json={"username": user, "password": passwords[user]})
    r.raise_for_status()
    return {"authorization": f"Bearer {r.json()['token']}"}


async def _verify_steps(
    c: httpx.AsyncClient,
    auth: dict[str, str],
    steps: list[dict[str, Any]],
    hub_keys: Mapping[str, nacl.signing.VerifyKey],
) -> dict[str, Any]:
    refs = [s["record"] for s in steps]
    refs += [s["last_record"] for s in steps if s.get("last_record")]
    checked = verified = disclosed = 0
    failures: list[dict[str, Any]] = []
    for ref in refs[:MAX_PROOFS]:
        r = await c.get(ref["proof"], headers=auth)
        checked += 1
        proof = r.json() if r.status_code == 200 else {}
        disclosed += proof.get("entry") is not None
        if proof.get("hash") == ref["hash"] and proves(proof, hub_keys):
            verified += 1
        elif len(failures) < 3:
            failures.append({"seq": ref["seq"], "status": r.status_code})
    kinds: dict[str, int] = {}
    for s in steps:
        kinds[s["kind"]] = kinds.get(s["kind"], 0) + 1
    return {
        "steps": len(steps),
        "checked": checked,
        "verified": verified,
        "disclosed": disclosed,
        "failures": failures,
        **{f"kind.{k}": n for k, n in sorted(kinds.items())},
    }


def proves(proof: dict[str, Any], hub_keys: Mapping[str, nacl.signing.VerifyKey]) -> bool:
    """Does `proof` (GET /audit/entries/{seq}) show its entry in the record that a head
    signed by the hub names, and, if the entry's body came with it, is that body the
    one its hash covers?"""
    try:
        head = parse_head(proof["head"])
        verify_head(head, hub_keys)
    except AuditError:
        return False
    entry = proof.get("entry")
    if entry is not None:
        ev = Event(
            event_id=entry["event_id"],
            kind=entry["kind"],
            at=datetime.fromisoformat(entry["at"]),
            payload=entry["payload"],
        )
        if chain_hash(entry["prev_hash"], entry["seq"], ev) != proof["hash"]:
            return False
    return head.size == proof["tree_size"] and verify_inclusion(
        proof["hash"], proof["seq"], head.size, proof["audit_path"], head.root
    )
