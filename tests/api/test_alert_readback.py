"""Read-back without loss: `GET /api/v1/alerts?since=CURSOR` returns every version after
the cursor, oldest first, and the cursor for the next poll; polling while versions are
issued never skips one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from shapely.geometry import shape

from tests.api.conftest import Live, drive_drone, wait_for
from tests.factories import T0
from warnline.alerting.readback import AlertLog
from warnline.bench.cap import _alert
from warnline.domain import Alert
from warnline.domain.codec import to_json
from warnline.journal import Event, MemoryJournal


def _issued(live: Live, partner: str) -> list[tuple[str, int]]:
    return [
        (e.event.payload["alert_id"], e.event.payload["version"])
        for e in live.journal.read()
        if e.event.kind == "alert.issued" and e.event.payload["partner"] == partner
    ]


async def read_back_one_at_a_time(
    c: httpx.AsyncClient, live: Live, headers: dict[str, str]
) -> list[tuple[str, int]]:
    """Every alert version the caller may see, read from cursor 0 a page of one at a time
    (at most 100 pages: bounded) until the cursor stops moving."""
    got: list[tuple[str, int]] = []
    cursor = 0
    for _ in range(100):
        r = await c.get(
            f"{live.base}/api/v1/alerts", params={"since": cursor, "limit": 1}, headers=headers
        )
        assert r.status_code == 200, r.text
        page = r.json()
        got += [(a["alert_id"], a["version"]) for a in page["alerts"]]
        if page["next"] == cursor:
            break
        cursor = page["next"]
    return got


async def test_polling_while_versions_are_issued_loses_nothing(live: Live) -> None:
    async with httpx.AsyncClient(timeout=10) as c:
        jor = await live.token(c, "jor-watch")
        got: list[dict[str, object]] = []
        cursor = 0
        driving = asyncio.create_task(drive_drone(live, c, seconds=40))

        async def poll() -> bool:
            nonlocal cursor
            r = await c.get(
                f"{live.base}/api/v1/alerts", params={"since": cursor, "limit": 1}, headers=jor
            )
            assert r.status_code == 200, r.text
            page = r.json()
            assert page["next"] >= cursor
            got.extend(page["alerts"])
            cursor = page["next"]
            return bool(page["alerts"])

        while not driving.done():
            await poll()
            await asyncio.sleep(0)
        await driving

        async def issued_for_jor() -> list[tuple[str, int]]:
            return _issued(live, "JOR")

        issued = await wait_for(issued_for_jor, "alerts for JOR")
        while await poll():
            pass
        keys = [(a["alert_id"], a["version"]) for a in got]
        assert keys == _issued(live, "JOR") and len(issued) >= 2
        cursors = [a["cursor"] for a in got]
        assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)
        # Nothing new: the same cursor comes back with an empty page.
        r = await c.get(f"{live.base}/api/v1/alerts", params={"since": cursor}, headers=jor)
        assert r.json() == {"alerts": [], "next": cursor}


async def test_each_version_carries_area_geometry_and_full_time(live: Live) -> None:
    async with httpx.AsyncClient(timeout=10) as c:
        jor, isr = await live.token(c, "jor-watch"), await live.token(c, "isr-watch")
        await drive_drone(live, c, seconds=20)

        async def page():  # type: ignore[no-untyped-def]
            r = await c.get(f"{live.base}/api/v1/alerts", params={"since": 0}, headers=jor)
            return r.json()["alerts"]

        alerts = await wait_for(page, "alert versions")
        for a in alerts:
            assert a["partner"] == "JOR" and a["stage"] and a["tracks"] and a["incidents"]
            area = live.node.agreement.area(a["area_id"]).geometry
            assert a["area"]["type"] == "MultiPolygon"
            assert shape(a["area"]).covers(area)
            circle = a["circle"]  # defended areas only: a territory goes by its rings
            if a["area_id"].count("-"):
                assert circle["radius_km"] == a["area_circle"][2]
            else:
                assert circle is None and a["area_circle"] is None
            sent = datetime.fromisoformat(a["sent_at"])
            assert sent.tzinfo is not None
        # Another partner gets none of JOR's versions, but its cursor moves on.
        r = await c.get(f"{live.base}/api/v1/alerts", params={"since": 0}, headers=isr)
        assert r.json()["alerts"] == [] and r.json()["next"] >= alerts[-1]["cursor"]
        # `active=true` still lists the live ones, latest version each.
        r = await c.get(f"{live.base}/api/v1/alerts", params={"active": "true"}, headers=jor)
        assert {a["alert_id"] for a in r.json()} == {a["alert_id"] for a in alerts}


async def test_since_and_limit_are_checked(live: Live) -> None:
    async with httpx.AsyncClient(timeout=10) as c:
        jor = await live.token(c, "jor-watch")
        for params in ({"since": -1}, {"since": 0, "limit": 0}, {"since": "x"}):
            r = await c.get(f"{live.base}/api/v1/alerts", params=params, headers=jor)
            assert r.status_code in (400, 422), (params, r.status_code)
        spec = (await c.get(f"{live.base}/openapi.json")).json()
        get = spec["paths"]["/api/v1/alerts"]["get"]
        assert {p["name"] for p in get["parameters"]} >= {"since", "limit", "active"}
        assert "without loss" in get["description"]


def _version(n: int, at: datetime) -> Alert:
    base = _alert()
    return Alert(**{**{f: getattr(base, f) for f in base.__slots__}, "version": n, "sent_at": at})


def test_log_pages_follow_the_journal_while_it_grows() -> None:
    """Interleave appends and polls of one version each: every version comes back once,
    in journal order, whatever the interleaving."""
    journal = MemoryJournal()
    versions = {n: _version(n, T0 + timedelta(seconds=n, microseconds=n)) for n in range(1, 31)}
    log = AlertLog(lambda _id, v: versions.get(v))
    seen: list[int] = []
    cursor = 0
    read = 0
    for n in range(1, 31):
        noise = Event(event_id=f"tick:{n}", kind="clock.tick", at=datetime.now(UTC))
        alert = Event(
            event_id=f"alert:{n}", kind="alert.issued", at=T0, payload=to_json(versions[n])
        )
        journal.append([noise, alert] if n % 2 else [alert, noise])
        if n % 3 == 0:
            new = journal.read(read)
            log.observe(new)
            log.observe(new)  # seen twice (a recovery replay): still once
            read = new[-1].seq
        for seq, a in log.after(cursor):
            seen.append(a.version)
            cursor = seq
            break  # a page of one
    log.observe(journal.read(read))
    seen += [a.version for _, a in log.after(cursor)]
    assert seen == list(range(1, 31))
    assert log.last == max(e.seq for e in journal.read() if e.event.kind == "alert.issued")


async def test_a_cursor_older_than_retention_is_served_from_the_journal(live: Live) -> None:
    """The read-back log keeps only recent versions (bounded memory); a poller behind
    that still gets every version after its cursor, read back from the journal."""
    live.node.views.alert_log.retain_s = 4.0  # scenario seconds
    async with httpx.AsyncClient(timeout=10) as c:
        jor = await live.token(c, "jor-watch")
        await drive_drone(live, c, seconds=40)

        async def issued_for_jor() -> list[tuple[str, int]]:
            return _issued(live, "JOR")

        issued = await wait_for(issued_for_jor, "alerts for JOR")
        assert live.node.views.alert_log.forgotten > 0
        assert len(live.node.views.alert_log) < len(_issued(live, "USA") + issued)
        got = await read_back_one_at_a_time(c, live, jor)
        assert got == _issued(live, "JOR") and len(got) >= 2


async def test_a_forgotten_alerts_cap_is_read_back_from_the_journal(live: Live) -> None:
    async with httpx.AsyncClient(timeout=10) as c:
        jor = await live.token(c, "jor-watch")
        await drive_drone(live, c, seconds=40)

        async def issued_for_jor() -> list[tuple[str, int]]:
            return _issued(live, "JOR")

        alert_id, version = (await wait_for(issued_for_jor, "alerts for JOR"))[0]
        url = f"{live.base}/api/v1/alerts/{alert_id}/cap"
        kept = await c.get(url, params={"version": version}, headers=jor)
        assert kept.status_code == 200
        live.node.pipeline.alerting.history.pop(alert_id)  # as retention does once it ended
        again = await c.get(url, params={"version": version}, headers=jor)
        assert again.status_code == 200 and again.text == kept.text
        missing = await c.get(f"{live.base}/api/v1/alerts/A-JOR-nowhere/cap", headers=jor)
        assert missing.status_code == 404
