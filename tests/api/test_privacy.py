"""Membership privacy on every surface of a served node: every read surface, error path
and metric, asked by each partner's watch officer, commander and administrator and by an
outsider, tells nothing of the member whose membership is private (its code, country,
areas, or that it exists), and an id that is not the caller's is answered exactly like one
that does not exist."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx

from tests.api.conftest import Live, wait_for
from tests.factories import T0, signed, wire_report
from warnline.release import COALITION_PARTNER
from warnline.sim.stream_client import connect_stream

HIDDEN = "QAT"


def _markers(live: Live) -> list[str]:
    p = live.node.agreement.partners[HIDDEN]
    return [p.code, p.name, *(a.area_id for a in p.areas), *(a.name for a in p.areas)]


async def _raid(live: Live, c: httpx.AsyncClient) -> None:
    """A drone on Doha seen only by QAT; one on Amman seen only by BHR (which does not
    release to JOR)."""
    for i in range(0, 40, 2):
        t = T0 + timedelta(seconds=i)
        live.clock.set(t + timedelta(seconds=1))
        step = (50.0 * i) / (111_320.0 * 0.9)
        for partner, lat, lon in ((HIDDEN, 25.2854, 51.85 - step), ("BHR", 31.95, 36.35 - step)):
            body, headers = signed(
                [wire_report(f"{partner}{i}", t=t, position={"lat": lat, "lon": lon})],
                partner=partner,
                at=live.clock.now(),
            )
            r = await c.post("/api/v1/reports", content=body, headers=headers)
            assert r.status_code == 202, r.text
        await asyncio.sleep(0.06)


def _clean(text: str, asked: str, markers: list[str]) -> None:
    """No marker outside the id the caller itself put in the request."""
    rest = text.replace(asked, "")
    for marker in markers:
        assert marker not in rest, (marker, asked, text[:300])
    for label in (f'"{COALITION_PARTNER}"', f"{COALITION_PARTNER} (withheld)"):
        assert label not in rest, (asked, text[:300])  # not even that a member is hidden


async def test_no_surface_tells_of_a_private_member(coalition: Live) -> None:
    live = coalition
    markers = _markers(live)
    async with httpx.AsyncClient(base_url=live.base) as c:
        await _raid(live, c)
        cell = await live.token(c, "usa-watch")

        async def both_alerted():  # type: ignore[no-untyped-def]
            areas = {a["area_id"] for a in (await c.get("/api/v1/alerts", headers=cell)).json()}
            return {"QAT-doha", "JOR-amman"} <= areas

        await wait_for(both_alerted, "alerts on Doha and Amman")
        alert_ids = [a["alert_id"] for a in (await c.get("/api/v1/alerts", headers=cell)).json()]
        incident_ids = [
            i["incident_id"] for i in (await c.get("/api/v1/incidents", headers=cell)).json()
        ]
        assert any(HIDDEN in a for a in alert_ids) and len(incident_ids) >= 2
        assert not any(HIDDEN in i for i in incident_ids)  # ids tell no area

        viewers: list[tuple[str, dict[str, str]]] = [("outsider", {})]
        for code in live.node.agreement.partners:
            if code in (HIDDEN, live.node.agreement.coordination_cell):
                continue
            for suffix in ("watch", "cmd", "admin"):
                user = f"{code.lower()}-{suffix}"
                viewers.append((user, await live.token(c, user)))
        c = httpx.AsyncClient(base_url=live.base)  # holds no session cookie: the outsider's
        reads = ["/api/v1/me", "/api/v1/tracks", "/api/v1/incidents", "/api/v1/alerts",
                 "/api/v1/alerts?active=true", "/api/v1/alerts?since=0", "/api/v1/assignments",
                 "/api/v1/areas", "/api/v1/readiness", "/api/v1/channels", "/metrics",
                 "/healthz", "/api/v1/cap/certificate"]  # fmt: skip
        reads += [f"/api/v1/feeds/{p}/cap.atom" for p in [*live.node.agreement.partners, "ZZZ"]]
        for user, auth in viewers:
            own: set[str] = set()  # incidents it sees, or whose lead it takes part in
            own_alerts: set[str] = set()
            if auth:
                for kind in ("incidents", "assignments"):
                    listed = (await c.get(f"/api/v1/{kind}", headers=auth)).json()
                    own |= {i["incident_id"] for i in listed}
                listed = (await c.get("/api/v1/alerts", headers=auth)).json()
                own_alerts = {a["alert_id"] for a in listed}
            for path in reads:
                r = await c.get(path, headers=auth)
                _clean(r.text, path.split("/")[4] if "/feeds/" in path else "\0", markers)
            own_incidents: set[str] = set()  # those it may read the timeline of
            if auth:
                listed = (await c.get("/api/v1/incidents", headers=auth)).json()
                own_incidents = {i["incident_id"] for i in listed}
            for incident in own_incidents:  # its timelines name no hidden member either
                r = await c.get(f"/api/v1/incidents/{incident}/timeline", headers=auth)
                assert r.status_code == 200, (user, incident)
                _clean(r.text, "\0", markers)
            # Every id-taking endpoint: another's id answers exactly like an unknown one.
            others = [a for a in alert_ids if a not in own_alerts]
            unseen = [i for i in incident_ids if i not in own]
            probes = [
                ("GET", "/api/v1/alerts/{}/cap", None, others, "A-nope"),
                ("POST", "/api/v1/alerts/{}/ack", {}, others, "A-nope"),
                ("GET", "/api/v1/incidents/{}/lead", None, unseen, "Inope"),
                (
                    "GET",
                    "/api/v1/incidents/{}/timeline",
                    None,
                    [i for i in incident_ids if i not in own_incidents],
                    "Inope",
                ),
                ("POST", "/api/v1/incidents/{}/lead", {"accept": True}, unseen, "Inope"),
                ("POST", "/api/v1/incidents/{}/override", {"lead": "JOR"}, incident_ids, "Inope"),
            ]
            for method, template, body, real_ids, fake in probes:
                unknown = await c.request(method, template.format(fake), headers=auth, json=body)
                _clean(unknown.text, fake, markers)
                for real in real_ids:
                    r = await c.request(method, template.format(real), headers=auth, json=body)
                    _clean(r.text, real, markers)
                    assert r.status_code == unknown.status_code, (user, method, template, real)
                    assert r.text.replace(real, fake) == unknown.text, (user, template, real)
        # Signed acknowledgements from a partner's system: another's alert, an unknown one.
        for real in [a for a in alert_ids if "JOR" not in a]:
            paths = (f"/api/v1/alerts/{real}/signed-ack", "/api/v1/alerts/A-nope/signed-ack")
            answers = []
            for path in paths:  # a signature covers its path, and is good once
                body, headers = signed(
                    {"version": 1}, partner="JOR", path=path, at=live.clock.now()
                )
                answers.append(await c.post(path, content=body, headers=headers))
            r, unknown = answers
            assert r.status_code == unknown.status_code == 404
            assert r.text.replace(real, "A-nope") == unknown.text
        # The console stream's first messages (hello, picture, open lead steps).
        for code in ("JOR", "SAU", "ARE", "BHR"):
            auth = await live.token(c, f"{code.lower()}-watch")
            ws = await connect_stream(live.base, auth["authorization"][7:])
            got: list[str] = []
            pictures = 0
            for _ in range(50):  # hello, picture, open lead steps, until the next picture push
                try:
                    msg = str(await asyncio.wait_for(ws.recv(), 1.0))
                except TimeoutError:
                    break
                got.append(msg)
                pictures += json.loads(msg)["type"] == "picture"
                if pictures == 2:
                    break
            await ws.close()
            assert got and json.loads(got[0])["type"] == "hello"
            for msg in got:
                _clean(str(msg), "\0", markers)
