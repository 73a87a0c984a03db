"""Builders of reports and signed submissions shared by the tests."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.domain import (
    AreaAtRisk,
    Assessment,
    AttemptResult,
    Contributor,
    DeliveryOutcome,
    Identity,
    Position,
    Releasability,
    Report,
    ThreatKind,
    Track,
    TrackState,
    Velocity,
)
from warnline.ingest.signature import SignedRequest, sign_request
from warnline.journal import Event, Kind
from warnline.journal.payloads import event

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def make_report(
    *,
    partner: str = "JOR",
    rid: str = "r1",
    t: datetime = T0,
    lat: float = 31.95,
    lon: float = 36.6,
    alt: float = 150.0,
    east: float = -50.0,
    north: float = 0.0,
    kind: ThreatKind = ThreatKind.DRONE,
    identity: Identity = Identity.HOSTILE,
    confidence: float = 0.8,
    sensor: str = "radar-1",
    sensor_track: str | None = "st1",
    accuracy: float = 200.0,
) -> Report:
    return Report(
        report_id=rid,
        partner=partner,
        sensor=sensor,
        sensor_track=sensor_track,
        observed_at=t,
        position=Position(lat=lat, lon=lon, alt_m=alt),
        velocity=Velocity(east=east, north=north),
        accuracy_m=accuracy,
        kind=kind,
        identity=identity,
        confidence=confidence,
    )


def wire_report(rid: str = "r1", t: datetime = T0, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "report_id": rid,
        "sensor": "radar-1",
        "sensor_track": "st1",
        "observed_at": t.isoformat(),
        "position": {"lat": 31.95, "lon": 36.6, "alt_m": 150.0},
        "velocity": {"east": -50.0, "north": 0.0},
        "accuracy_m": 200.0,
        "kind": "drone",
        "identity": "hostile",
        "confidence": 0.8,
    }
    body.update(over)
    return body


REPORTS = "/api/v1/reports"


def signed(
    payload: Any, partner: str = "JOR", *, path: str = REPORTS, at: datetime = T0
) -> tuple[bytes, dict[str, str]]:
    """A body and the headers that sign it for `POST path`, created at `at` (the node's
    clock must be within the signature window of it)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = sign_request(
        "POST", path, body, partner=partner, key=exercise_signing_key(partner), created=at
    )
    return body, headers | {"content-type": "application/json"}


def signed_request(
    payload: Any, partner: str = "JOR", *, path: str = REPORTS, at: datetime = T0
) -> SignedRequest:
    """The same, as the node's intake sees it."""
    body, headers = signed(payload, partner, path=path, at=at)
    return SignedRequest(method="POST", target=path, headers=headers, body=body)


def drone_path(
    start: datetime, n: int, *, partner: str = "JOR", every_s: float = 2.0, prefix: str = "d"
) -> list[Report]:
    """A drone flying west at 50 m/s from 30 km east of Amman (ten minutes out, inside the
    early-warning horizon), reported every `every_s`."""
    out = []
    for i in range(n):
        t = start + timedelta(seconds=i * every_s)
        lon = 36.25 - (50.0 * i * every_s) / (111_320.0 * 0.848)
        out.append(make_report(partner=partner, rid=f"{prefix}{i}", t=t, lon=lon))
    return out


def make_track(
    track_id: str = "T000001",
    *,
    t: datetime = T0,
    lat: float = 31.95,
    lon: float = 36.6,
    kind: ThreatKind = ThreatKind.DRONE,
    identity: Identity = Identity.HOSTILE,
    state: TrackState = TrackState.CONFIRMED,
    contributors: tuple[tuple[str, Releasability], ...] = (("JOR", Releasability()),),
    seen_s: float = 120.0,
) -> Track:
    """A track first seen `seen_s` before `t` (long enough to have shown its course)."""
    pos = Position(lat=lat, lon=lon, alt_m=150.0)
    return Track(
        track_id=track_id,
        state=state,
        updated_at=t,
        first_seen=t - timedelta(seconds=seen_s),
        position=pos,
        velocity=Velocity(east=-50.0, north=0.0),
        sigma_m=200.0,
        kind=kind,
        identity=identity,
        confidence=0.8,
        contributors=tuple(
            Contributor(
                partner=p,
                sensor=f"{p.lower()}-radar",
                releasability=rel,
                last_report_at=t,
                last_position=Position(lat=lat + 0.01 * i, lon=lon, alt_m=150.0),
                report_count=2,
            )
            for i, (p, rel) in enumerate(contributors)
        ),
        report_count=2 * len(contributors),
    )


def make_assessment(track: Track, at: datetime, risks: list[tuple[str, str, float]]) -> Assessment:
    """risks: (area_id, partner, time_to_arrival_s)."""
    return Assessment(
        track_id=track.track_id,
        assessed_at=at,
        path=(track.position,),
        corridor=((36.0, 31.0), (37.0, 31.0), (37.0, 32.0), (36.0, 31.0)),
        areas=tuple(
            AreaAtRisk(
                area_id=a,
                partner=p,
                name=a,
                area_kind="defended" if "-" in a else "territory",
                time_to_arrival_s=tta,
                expected_at=at + timedelta(seconds=tta),
            )
            for a, p, tta in risks
        ),
        horizon_s=1800.0,
    )


def free_port() -> int:
    """A free TCP port on the loopback interface, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


EGY_WATCH = "EGY/watch/egy-air-operations-centre-watch"


def failed_webhook_results(name: str, at: datetime, *, route: str, n: int = 2) -> list[Event]:
    """`n` failed webhook deliveries to Egypt's watch over `route`: enough in a row for
    the channel's health to call it dead (ids named by `name`, so tests do not collide)."""
    return [
        event(
            Kind.RESULT,
            AttemptResult(
                alert_id="A-x",
                version=1,
                recipient=EGY_WATCH,
                partner="EGY",
                channel="webhook",
                route=route,
                outcome=DeliveryOutcome.FAILED,
                detail="ConnectError: refused",
                attempt_id=f"attempt:{name}:{i}",
            ),
            event_id=f"result:{name}:{i}",
            at=at,
        )
        for i in range(n)
    ]
