"""CAP costs: encoding one alert version in three languages, signing it, verifying
it as a partner would; and reading partners' CAP input against the JSON peer.

Peers measured in the same run: the unsigned encoding (what a signature adds), and
the JSON adapter reading the same observations (what CAP input costs per report).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from warnline.agreement.load import default_agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.alerting.cap import encode_cap
from warnline.alerting.cap_sign import exercise_cap_signer, verify_cap
from warnline.domain import (
    Alert,
    AlertStage,
    AlertStatus,
    AreaAtRisk,
    Assessment,
    Contributor,
    Identity,
    MsgType,
    Position,
    Releasability,
    Report,
    Severity,
    ThreatKind,
    Track,
    TrackState,
    Urgency,
    Velocity,
)
from warnline.domain.codec import to_json
from warnline.ingest.cap_adapter import encode_observations, parse_cap
from warnline.ingest.json_adapter import parse_submission

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RING = (*tuple((35.8 + 0.01 * i, 31.9 + 0.002 * (i % 7)) for i in range(40)), (35.8, 31.9))


def _alert() -> Alert:
    return Alert(
        alert_id="A-JOR-amman",
        version=1,
        incident_id="I00001",
        area_id="JOR-amman",
        area_name="Amman",
        partner="JOR",
        msg_type=MsgType.ALERT,
        status=AlertStatus.EXERCISE,
        sent_at=T0,
        severity=Severity.SEVERE,
        urgency=Urgency.IMMEDIATE,
        time_to_arrival_s=300.0,
        expected_at=T0 + timedelta(seconds=300),
        kinds={ThreatKind.DRONE: 12, ThreatKind.CRUISE_MISSILE: 3},
        headline="Take shelter now in Amman",
        reason="15 threat tracks of incident I00001 are predicted to enter Amman in 300 s.",
        area_polygons=(RING,),
        incidents=("I00001",),
        area_circle=(35.93, 31.95, 15.2),
        stage=AlertStage.ALERT,
        time_to_shelter_s=90.0,
    )


def _reports(n: int) -> list[Report]:
    return [
        Report(
            report_id=f"r{i}",
            partner="JOR",
            sensor="radar-1",
            sensor_track=f"st{i}",
            observed_at=T0,
            position=Position(lat=31.9 + 0.001 * i, lon=36.5, alt_m=150.0),
            velocity=Velocity(east=-50.0, north=0.0),
            accuracy_m=200.0,
            kind=ThreatKind.DRONE,
            identity=Identity.HOSTILE,
            confidence=0.8,
        )
        for i in range(n)
    ]


def _time_us(fn: Callable[[], object], n: int) -> float:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e6)
    return round(statistics.median(samples), 1)


def grouping(n_tracks: int = 300) -> dict[str, Any]:
    """A raid of `n_tracks` drones and missiles on two partners' areas: alerts issued
    vs the (track, area) pairs a per-track alerting would turn into messages."""

    agreement = default_agreement()
    areas = [("JOR-amman", "JOR"), ("JOR", "JOR"), ("ISR", "ISR")]
    kinds = [ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE, ThreatKind.BALLISTIC_MISSILE]
    tracks, assessments = [], {}
    for i in range(n_tracks):
        pos = Position(lat=31.5 + 0.002 * i, lon=36.8, alt_m=500.0)
        tr = Track(
            track_id=f"T{i:06d}",
            state=TrackState.CONFIRMED,
            updated_at=T0,
            first_seen=T0,
            position=pos,
            velocity=Velocity(east=-60.0, north=0.0),
            sigma_m=300.0,
            kind=kinds[i % 3],
            identity=Identity.HOSTILE,
            confidence=0.9,
            contributors=(
                Contributor(
                    partner="JOR",
                    sensor="radar-1",
                    releasability=Releasability(),
                    last_report_at=T0,
                    last_position=pos,
                    report_count=3,
                ),
            ),
            report_count=3,
        )
        tracks.append(tr)
        at_risk = areas[: 2 + i % 2]
        assessments[tr.track_id] = Assessment(
            track_id=tr.track_id,
            assessed_at=T0,
            path=(pos,),
            corridor=((36.0, 31.0), (37.0, 31.0), (37.0, 32.0), (36.0, 31.0)),
            areas=tuple(
                AreaAtRisk(
                    area_id=a,
                    partner=p,
                    name=a,
                    area_kind="defended" if "-" in a else "territory",
                    time_to_arrival_s=300.0 + i,
                    expected_at=T0 + timedelta(seconds=300 + i),
                )
                for a, p in at_risk
            ),
            horizon_s=1800.0,
        )
    book, alerting = IncidentBook(join_km=500), Alerting(agreement=agreement)
    book.update(tracks, [], T0)
    t = time.perf_counter()
    alerts = alerting.evaluate(book, assessments, T0)
    ms = (time.perf_counter() - t) * 1e3
    pairs = sum(len(a.areas) for a in assessments.values())
    return {
        "tracks": n_tracks,
        "alerts": len(alerts),
        "alerts_by_partner": {
            p: sum(1 for a in alerts if a.partner == p) for p in sorted({a.partner for a in alerts})
        },
        "peer_track_area_pairs": pairs,
        "evaluate_ms": round(ms, 1),
    }


def run(n: int = 300, batch: int = 200) -> dict[str, Any]:
    signer = exercise_cap_signer()
    alert = _alert()
    langs = ("en", "ar", "he")
    xml = encode_cap(alert, sender="hub", languages=langs)
    signed = signer.sign(xml)
    cert = signer.certificate_pem
    encode_us = _time_us(lambda: encode_cap(alert, sender="hub", languages=langs), n)
    sign_us = _time_us(lambda: signer.sign(xml), n)
    verify_us = _time_us(lambda: verify_cap(signed, cert), n)

    reports = _reports(batch)
    cap_body = encode_observations(
        reports, identifier="JOR-CD-1", sender="cd", sent=T0, status="Actual"
    )
    wire = []
    for r in reports:
        d = to_json(r)
        for k in ("partner", "source_format", "releasability"):
            d.pop(k, None)
        wire.append(d)
    json_body = json.dumps({"reports": wire}).encode()
    rounds = max(5, n // 20)
    cap_us = _time_us(lambda: parse_cap(cap_body, partner="JOR"), rounds)
    json_us = _time_us(lambda: parse_submission(json_body, partner="JOR"), rounds)
    return {
        "grouping_raid": grouping(),
        "alert_en_ar_he": {
            "encode_us": encode_us,
            "sign_ecdsa_p256_us": sign_us,
            "verify_us": verify_us,
            "bytes_unsigned": len(xml),
            "bytes_signed": len(signed),
            "peer_sign_over_encode": round(sign_us / encode_us, 2),
        },
        f"input_{batch}_observations": {
            "cap_bytes": len(cap_body),
            "json_bytes": len(json_body),
            "cap_reports_per_s": round(batch / cap_us * 1e6),
            "peer_json_reports_per_s": round(batch / json_us * 1e6),
            "cap_over_json_time": round(cap_us / json_us, 2),
        },
    }
