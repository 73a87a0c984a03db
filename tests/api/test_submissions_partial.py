"""POST /api/v1/reports accepts a batch in part, against a real node on 127.0.0.1: a report
refused alone is listed by index; a request the node cannot trust is refused in full."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from tests.api.conftest import Live
from tests.factories import REPORTS, signed, wire_report
from warnline.api.submissions import SubmissionOut
from warnline.journal.kinds import Kind

MOVED = {"position": {"lat": 31.0, "lon": 36.6, "alt_m": 150.0}}


def _reports(live: Live) -> list[Any]:
    return [e.event for e in live.journal.read() if e.event.kind == Kind.REPORT]


async def test_three_good_two_bad_accepts_the_three(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        body, headers = signed([wire_report("taken")])
        assert (await c.post(REPORTS, content=body, headers=headers)).status_code == 202
        batch = [
            wire_report("g0"),
            wire_report("b1", accuracy_m=-1),
            wire_report("g2"),
            wire_report("taken", **MOVED),
            wire_report("g4"),
        ]
        body, headers = signed(batch)
        r = await c.post(REPORTS, content=body, headers=headers)
    assert r.status_code == 202 and r.headers["content-type"] == "application/json"
    answer = r.json()
    assert answer["accepted"] == 3 and answer["reports"] == ["JOR/g0", "JOR/g2", "JOR/g4"]
    schema, conflict = answer["refused"]
    assert schema["index"] == 1 and schema["report_id"] == "b1" and schema["status"] == 422
    assert schema["field"] == "reports.1.accuracy_m" and "greater than 0" in schema["reason"]
    assert conflict["index"] == 3 and conflict["report_id"] == "taken"
    assert conflict["field"] == "reports.3.report_id" and conflict["status"] == 409
    assert "already accepted with different content" in conflict["reason"]
    stored = _reports(live)
    assert [e.event_id for e in stored] == [
        "report:JOR:taken",
        "report:JOR:g0",
        "report:JOR:g2",
        "report:JOR:g4",
    ]
    assert stored[0].payload["report"]["position"]["lat"] == 31.95  # the first content kept
    assert len({e.payload["submission"] for e in stored[1:]}) == 1  # one submission, as before


async def test_an_identical_resend_in_a_partial_batch_stays_accepted(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        body, headers = signed([wire_report("once")])
        assert (await c.post(REPORTS, content=body, headers=headers)).status_code == 202
        body, headers = signed([wire_report("once"), wire_report("bad", kind="spaceship")])
        r = await c.post(REPORTS, content=body, headers=headers)
    assert r.status_code == 202 and r.json()["reports"] == ["JOR/once"]
    assert [x["index"] for x in r.json()["refused"]] == [1]
    assert [e.event_id for e in _reports(live)] == ["report:JOR:once"]


async def test_an_all_bad_batch_keeps_the_problem_answer(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        body, headers = signed([wire_report("taken")])
        assert (await c.post(REPORTS, content=body, headers=headers)).status_code == 202
        body, headers = signed([wire_report("a", accuracy_m=-1), wire_report("b", kind="x")])
        r = await c.post(REPORTS, content=body, headers=headers)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["field"] == "reports.0.accuracy_m" and r.json()["type"].endswith("/schema")
        body, headers = signed([wire_report("taken", **MOVED), wire_report("taken", **MOVED)])
        r = await c.post(REPORTS, content=body, headers=headers)
        assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["field"] == "reports.0.report_id"
        body, headers = signed(wire_report("one", accuracy_m=-1))  # one report, no list
        r = await c.post(REPORTS, content=body, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "accuracy_m"
    assert [e.event_id for e in _reports(live)] == ["report:JOR:taken"]


async def test_a_bad_signature_refuses_the_whole_batch(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        body, headers = signed([wire_report("g0"), wire_report("b1", accuracy_m=-1)])
        r = await c.post(REPORTS, content=body.replace(b"g0", b"g9"), headers=headers)
        assert r.status_code == 401 and r.json()["field"] == "content-digest"
        body, headers = signed([wire_report("g0"), wire_report("g1")], partner="ISR")
        r = await c.post(REPORTS, content=body, headers=headers | {"X-Warnline-Partner": "JOR"})
        assert r.status_code == 401 and r.json()["field"] == "signature"
    assert _reports(live) == []


async def test_a_duplicate_key_anywhere_refuses_the_whole_batch(live: Live) -> None:
    good = json.dumps(wire_report("g0")).encode()
    twice = json.dumps(wire_report("g1", velocity={"east": -50.0, "north": 0.0}))
    twice_bytes = twice.encode().replace(b'"east": -50.0', b'"east": -50.0, "east": 5.0')
    async with httpx.AsyncClient(base_url=live.base) as c:
        for body, field in (
            (b"[" + good + b"," + twice_bytes + b"]", "east"),
            (b'{"reports": [' + good + b'], "reports": []}', "reports"),
        ):
            signed_body, headers = signed(body)
            r = await c.post(REPORTS, content=signed_body, headers=headers)
            assert r.status_code == 422 and "duplicate key" in r.json()["detail"]
            assert r.json()["field"] == field
    assert _reports(live) == []


async def test_the_openapi_document_describes_the_partial_answer(live: Live) -> None:
    async with httpx.AsyncClient(base_url=live.base) as c:
        doc = (await c.get("/openapi.json")).json()
    answer = doc["paths"]["/api/v1/reports"]["post"]["responses"]["202"]
    ref = answer["content"]["application/json"]["schema"]["$ref"]
    schemas = doc["components"]["schemas"]
    out = schemas[ref.rsplit("/", 1)[1]]
    assert {"accepted", "reports", "refused"} <= set(out["properties"])
    refusal = schemas["RefusalOut"]["properties"]
    assert {"index", "report_id", "field", "reason", "status"} == set(refusal)


def test_the_documented_partial_answer_is_one_the_node_gives() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "partner-api.md").read_text()
    (example,) = re.findall(r"```json\n(.*?)```", doc, re.S)
    answer = SubmissionOut.model_validate_json(example)
    assert answer.accepted == len(answer.reports) and [r.index for r in answer.refused] == [1, 2]
    assert {r.status for r in answer.refused} == {409, 422}
