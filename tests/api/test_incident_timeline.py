"""An incident's timeline and its record entries: what each viewer is given, and that
each step's entry is proved to be in the record the hub's signed head names."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

import httpx

from tests.api.conftest import Live, drive_drone, wait_for
from tests.factories import T0, signed, wire_report
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.audit import parse_head, verify_head
from warnline.audit.proofs import verify_inclusion
from warnline.errors import AuditError
from warnline.journal import Event, chain_hash
from warnline.sim.stream_client import connect_stream

HUB_KEYS = {"HUB": exercise_signing_key("HUB").verify_key}


def _verified(proof: dict[str, Any]) -> bool:
    """What a partner's system does with an entry's proof and the head it holds."""
    head = parse_head(proof["head"])
    verify_head(head, HUB_KEYS)
    if proof["entry"] is not None:  # the body given is the one the hash covers
        e = proof["entry"]
        ev = Event(event_id=e["event_id"], kind=e["kind"], at=datetime.fromisoformat(e["at"]),
                   payload=e["payload"])  # fmt: skip
        if chain_hash(e["prev_hash"], e["seq"], ev) != proof["hash"]:
            return False
    return verify_inclusion(
        proof["hash"], proof["seq"], head.size, proof["audit_path"], head.root
    ) and (head.size == proof["tree_size"])


async def _incident_of(c: httpx.AsyncClient, auth: dict[str, str], area: str) -> str:
    async def alerted():  # type: ignore[no-untyped-def]
        alerts = (await c.get("/api/v1/alerts", headers=auth)).json()
        return next((a["incident_id"] for a in alerts if a["area_id"] == area), None)

    found: str = await wait_for(alerted, f"an alert on {area}")
    return found


async def test_every_step_is_proved_against_the_signed_head(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        jor, cell = await live.token(c, "jor-watch"), await live.token(c, "usa-watch")
        ws = await connect_stream(live.base, jor["authorization"][7:])  # a console to deliver to
        try:
            await drive_drone(live, c)
            incident = await _incident_of(c, jor, "JOR-amman")
            alert = next(a for a in (await c.get("/api/v1/alerts", headers=jor)).json()
                         if a["area_id"] == "JOR-amman")  # fmt: skip
            r = await c.post(f"/api/v1/alerts/{alert['alert_id']}/ack", headers=jor, json={})
            assert r.status_code == 200, r.text

            async def complete():  # type: ignore[no-untyped-def]
                got = await c.get(f"/api/v1/incidents/{incident}/timeline", headers=cell)
                kinds = {s["kind"] for s in got.json()["steps"]}
                return got.json() if {"reports", "alert", "ack", "delivery"} <= kinds else None

            timeline = await wait_for(complete, "reports, alert, ack and delivery steps")
        finally:
            await ws.close()
        seqs = [s["record"]["seq"] for s in timeline["steps"]]
        assert seqs == sorted(seqs) and timeline["incident"]["incident_id"] == incident
        reports = [s for s in timeline["steps"] if s["kind"] == "reports"]
        assert reports[0]["details"]["source"] == "JOR"
        assert reports[0]["details"]["sensor"] == "radar-1"
        assert reports[0]["details"]["count"] >= 10  # one step for the whole sensor track
        assert reports[0]["last_record"]["seq"] > reports[0]["record"]["seq"]
        ack = next(s for s in timeline["steps"] if s["kind"] == "ack")
        assert ack["details"]["user"] == "jor-watch"
        delivery = next(s for s in timeline["steps"] if s["kind"] == "delivery")
        assert delivery["details"]["recipient"] == "jor-watch"
        assert delivery["details"]["channel"] == "console"
        assert delivery["details"]["attempts"] >= 1

        refs = [s["record"] for s in timeline["steps"]]
        refs += [s["last_record"] for s in timeline["steps"] if s.get("last_record")]
        for ref in refs:
            proof = (await c.get(ref["proof"], headers=cell)).json()
            assert proof["hash"] == ref["hash"] and proof["entry"] is not None
            assert _verified(proof), ref

        # JOR's own timeline of its incident: its reports, disclosed to it, and proved.
        mine = (await c.get(f"/api/v1/incidents/{incident}/timeline", headers=jor)).json()
        assert {"reports", "alert", "ack"} <= {s["kind"] for s in mine["steps"]}
        for step in mine["steps"]:
            proof = (await c.get(step["record"]["proof"], headers=jor)).json()
            assert proof["disclosed"] == step["record"]["disclosed"]
            assert _verified(proof), step


async def test_a_changed_entry_or_proof_does_not_verify(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        cell = await live.token(c, "usa-watch")
        await drive_drone(live, c, seconds=12)
        await wait_for(lambda: _sealed(c, cell), "a signed head")
        proof = (await c.get("/api/v1/audit/entries/3", headers=cell)).json()
        assert _verified(proof)

        changed = json.loads(json.dumps(proof))
        changed["entry"]["payload"]["forged"] = True
        assert not _verified(changed)  # the body no longer hashes to the leaf
        moved = json.loads(json.dumps(proof))
        moved["hash"] = "0" * 64
        moved["entry"] = None
        assert not _verified(moved)  # another leaf at that place
        bent = json.loads(json.dumps(proof))
        bent["audit_path"][0] = "f" * 64
        assert not _verified(bent)
        forged = json.loads(json.dumps(proof))
        forged["head"]["root"] = "1" * 64
        try:
            _verified(forged)
        except AuditError:
            pass
        else:
            raise AssertionError("a head with another root passed its signature check")

        beyond = await c.get(f"/api/v1/audit/entries/{proof['tree_size'] + 1000}", headers=cell)
        assert beyond.status_code == 404
        assert beyond.headers["content-type"] == "application/problem+json"
        async with httpx.AsyncClient(base_url=live.base) as outsider:  # no session cookie
            assert (await outsider.get("/api/v1/audit/entries/3")).status_code == 401


async def _sealed(c: httpx.AsyncClient, auth: dict[str, str]) -> bool:
    r = await c.get("/api/v1/audit/head", headers=auth)
    return r.status_code == 200 and r.json()["size"] >= 5


async def _bhr_drone_on_amman(live: Live, c: httpx.AsyncClient) -> None:
    """A drone on Amman seen only by BHR, whose reports are not released to JOR."""
    for i in range(0, 30, 2):
        t = T0 + timedelta(seconds=i)
        live.clock.set(t + timedelta(seconds=1))
        lon = 36.35 - (50.0 * i) / (111_320.0 * 0.848)
        body, headers = signed(
            [wire_report(f"b{i}", t=t, position={"lat": 31.95, "lon": lon, "alt_m": 150.0})],
            partner="BHR",
            at=live.clock.now(),
        )
        r = await c.post("/api/v1/reports", content=body, headers=headers)
        assert r.status_code == 202, r.text
        await asyncio.sleep(0.06)


async def test_a_partner_sees_only_what_is_released_to_it(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        jor, cell = await live.token(c, "jor-watch"), await live.token(c, "usa-watch")
        isr = await live.token(c, "isr-watch")
        await _bhr_drone_on_amman(live, c)
        incident = await _incident_of(c, jor, "JOR-amman")  # warned, without the source
        path = f"/api/v1/incidents/{incident}/timeline"

        full = (await c.get(path, headers=cell)).json()
        by_bhr = [s for s in full["steps"] if s["kind"] == "reports"]
        assert by_bhr and all(s["details"]["source"] == "BHR" for s in by_bhr)
        assert by_bhr[0]["details"]["sensor"] == "radar-1"
        track = by_bhr[0]["details"]["track_id"]

        seen = (await c.get(path, headers=jor)).json()
        assert "reports" not in {s["kind"] for s in seen["steps"]}
        alerts = [s for s in seen["steps"] if s["kind"] == "alert"]
        assert alerts and all(s["details"]["tracks"] == [] for s in alerts)
        assert all(not s["record"]["disclosed"] for s in alerts)  # its body names the track
        text = json.dumps(seen)
        assert track not in text and "BHR" not in text and "radar-1" not in text
        # The cell's alert steps are the same entries, disclosed to it in full.
        cell_alerts = {s["record"]["seq"] for s in full["steps"] if s["kind"] == "alert"}
        assert {s["record"]["seq"] for s in alerts} == cell_alerts

        # Asked for a BHR report's entry or a withheld alert's, JOR gets the proof alone.
        for seq in (by_bhr[0]["record"]["seq"], alerts[0]["record"]["seq"]):
            proof = (await c.get(f"/api/v1/audit/entries/{seq}", headers=jor)).json()
            assert proof["entry"] is None and not proof["disclosed"] and _verified(proof)
            assert "BHR" not in json.dumps(proof) and track not in json.dumps(proof)
        full_proof = (await c.get(f"/api/v1/audit/entries/{alerts[0]['record']['seq']}",
                                  headers=cell)).json()  # fmt: skip
        assert full_proof["entry"]["payload"]["withheld_tracks"] == [track]

        # ISR sees neither the track nor an alert: the incident is as unknown to it.
        hidden = await c.get(path, headers=isr)
        unknown = await c.get("/api/v1/incidents/I-nope/timeline", headers=isr)
        assert hidden.status_code == unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        assert unknown.json()["status"] == 404
        assert hidden.text.replace(incident, "I-nope") == unknown.text


async def test_the_timeline_is_in_the_openapi_document(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        spec = (await c.get("/openapi.json")).json()
    timeline = spec["paths"]["/api/v1/incidents/{incident_id}/timeline"]["get"]
    assert "IncidentTimeline" in json.dumps(timeline["responses"]["200"])
    entry = spec["paths"]["/api/v1/audit/entries/{seq}"]["get"]
    assert "EntryProof" in json.dumps(entry["responses"]["200"])
