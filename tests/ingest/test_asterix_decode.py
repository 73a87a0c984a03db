"""ASTERIX in (decision 76): CAT062 and CAT048 decoded with libasterix in the agreed
edition, checked field by field against an independent decoder (`asterix-decoder`, in
its own environment: tests/asterix_oracle.py), and against what the sender meant."""

from __future__ import annotations

import dataclasses
import importlib
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from tests import asterix_oracle
from warnline.agreement.asterix import EDITIONS
from warnline.agreement.model import Agreement, AsterixSettings
from warnline.domain import Identity, Position, Report, Velocity
from warnline.ingest.asterix import (
    FT,
    GEOD,
    NM,
    AsterixDecoder,
    Reason,
    extended,
    observed_at,
    spec,
)
from warnline.sim.asterix import GEOMETRIC_MAX_M, Encoder, blocks

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PAIRS = list(zip(EDITIONS[62], EDITIONS[48], strict=True))


def settings(agreement: Agreement, e62: str = "1.20", e48: str = "1.31") -> AsterixSettings:
    base = agreement.partners["JOR"].asterix
    assert base is not None
    return dataclasses.replace(base, editions={62: e62, 48: e48})


def reports(n: int, seed: int) -> list[Report]:
    """Varied reports of both JOR sensors around their radars: friends, first reports of
    a track (tentative), plots without a track, without velocity or altitude, and high
    ballistic altitudes (past I062/130's range)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        plot = i % 2 == 1
        sensor, lat0, lon0 = (
            ("jor-radar-2", 29.5321, 35.0063) if plot else ("jor-radar-1", 31.9454, 35.9284)
        )
        alt = float(rng.choice([0.0, rng.uniform(50, 12_000), rng.uniform(60_000, 200_000)]))
        if plot:
            alt = min(alt, 35_000.0)
        out.append(
            Report(
                report_id=f"r{i}", partner="JOR", sensor=sensor,
                sensor_track=None if i % 7 == 3 else f"{sensor}:{i % 5}",
                observed_at=NOW - timedelta(seconds=float(rng.uniform(0, 30))),
                position=Position(
                    lat=lat0 + float(rng.uniform(-2, 2)), lon=lon0 + float(rng.uniform(-2, 2)),
                    alt_m=alt,
                ),
                altitude_measured=i % 6 != 5,
                velocity=None if i % 4 == 2 else Velocity(
                    east=float(rng.uniform(-900, 900)), north=float(rng.uniform(-900, 900))
                ),
                accuracy_m=float(rng.uniform(100, 900)),
                identity=Identity.FRIEND if i % 5 == 0 else Identity.HOSTILE,
            )
        )  # fmt: skip
    return out


def test_the_agreed_editions_are_those_the_library_has() -> None:
    generated = importlib.import_module("asterix.generated")
    for cat, editions in EDITIONS.items():
        have = [f"{c.cv_edition[0]}.{c.cv_edition[1]}" for c in generated.manifest["CATS"][cat]]
        assert list(editions) == have


def _oracle_item(record: dict[str, Any], item: str, field: str) -> float:
    return float(record[item][field]["val"])


def test_every_edition_decodes_as_the_independent_decoder_does(agreement: Agreement) -> None:
    sent = reports(60, seed=3)
    datagrams, decoded = [], []
    for e62, e48 in PAIRS:
        st = settings(agreement, e62, e48)
        enc = Encoder(st)
        records = [enc.record(r) for r in sent]
        dgs = blocks(st, [(r[0], r[1]) for r in records if r is not None])
        assert len(dgs) == 1  # one datagram per edition: the oracle's records stay in order
        out = [AsterixDecoder("JOR", st).decode(d, now=NOW) for d in dgs]
        assert all(not o.faults for o in out), [o.first for o in out]
        datagrams += dgs
        decoded.append([r for o in out for r in o.reports])
    oracle = asterix_oracle.decode(datagrams)
    by_edition = iter(decoded)
    records_seen = 0
    for theirs in _regroup(oracle, len(PAIRS)):
        ours = next(by_edition)
        assert len(ours) == len(theirs) == len(sent)
        for mine, rec in zip(ours, theirs, strict=True):
            _same(mine, rec, agreement)
            records_seen += 1
    assert records_seen == len(sent) * len(PAIRS)


def _regroup(oracle: list[list[dict[str, Any]]], editions: int) -> list[list[dict[str, Any]]]:
    """The oracle's records per edition (each edition's datagrams are consecutive)."""
    flat = [rec for dg in oracle for rec in dg]
    per = len(flat) // editions
    return [flat[i * per : (i + 1) * per] for i in range(editions)]


def _same(mine: Report, rec: dict[str, Any], agreement: Agreement) -> None:
    st = agreement.partners["JOR"].asterix
    assert st is not None
    sensor = next(s for s in st.sensors if s.sensor == mine.sensor)
    assert (rec["I010"]["SAC"]["val"], rec["I010"]["SIC"]["val"]) == (sensor.sac, sensor.sic)
    if rec["category"] == 62:
        tod = _oracle_item(rec, "I070", "ToT")
        assert mine.position.lat == pytest.approx(_oracle_item(rec, "I105", "Lat"), abs=1e-9)
        assert mine.position.lon == pytest.approx(_oracle_item(rec, "I105", "Lon"), abs=1e-9)
        if "I130" in rec:
            assert mine.position.alt_m == pytest.approx(_oracle_item(rec, "I130", "Alt") * FT)
        elif "I135" in rec:
            assert mine.position.alt_m == pytest.approx(_oracle_item(rec, "I135", "CTBA") * FT)
        else:
            assert not mine.altitude_measured
        if "I185" in rec:
            assert mine.velocity is not None
            assert mine.velocity.east == pytest.approx(_oracle_item(rec, "I185", "Vx"))
            assert mine.velocity.north == pytest.approx(_oracle_item(rec, "I185", "Vy"))
        else:
            assert mine.velocity is None
        assert mine.sensor_track == f"{mine.sensor}:{rec['I040']['TrkN']['val']}"
        friendly = rec["I080"].get("MD4", {}).get("val") == 1
        tentative = rec["I080"]["CNF"]["val"] == 1
        tentative_word = sensor.tentative_identity
        want = Identity.FRIEND if friendly else tentative_word if tentative else sensor.identity
        assert mine.identity is want
    else:
        tod = _oracle_item(rec, "I140", "ToD")
        rho = _oracle_item(rec, "I040", "RHO") * NM
        theta = _oracle_item(rec, "I040", "THETA")
        if "I090" in rec:
            alt = _oracle_item(rec, "I090", "FL") * 100 * FT
            assert mine.position.alt_m == pytest.approx(alt)
            ground = math.sqrt(max(0.0, rho**2 - (alt - sensor.alt_m) ** 2))
        else:
            assert not mine.altitude_measured
            ground = rho
        lon, lat, _ = GEOD.fwd(sensor.lon, sensor.lat, theta, ground)
        assert (mine.position.lat, mine.position.lon) == pytest.approx((lat, lon), abs=1e-9)
        if "I200" in rec:
            assert mine.velocity is not None
            speed = _oracle_item(rec, "I200", "CGS") * NM / 3600  # knots
            heading = math.degrees(math.atan2(mine.velocity.east, mine.velocity.north)) % 360
            assert mine.velocity.ground_speed == pytest.approx(speed, rel=1e-6)
            assert heading == pytest.approx(_oracle_item(rec, "I200", "CHdg"), abs=1e-6)
        if "I161" in rec:
            assert mine.sensor_track == f"{mine.sensor}:{rec['I161']['Tn']['val']}"
        else:
            assert mine.sensor_track is None
        friendly = rec["I020"].get("FOEFRI", {}).get("val") == 1
        assert mine.identity is (Identity.FRIEND if friendly else sensor.identity)
    ticks = round(tod * 128)
    assert mine.observed_at == observed_at(ticks, NOW)


def test_what_is_decoded_is_what_was_sent(agreement: Agreement) -> None:
    st = settings(agreement)
    enc = Encoder(st)
    sent = reports(80, seed=11)
    records = [enc.record(r) for r in sent]
    dgs = blocks(st, [(r[0], r[1]) for r in records if r is not None])
    got = {r.key: r for d in dgs for r in AsterixDecoder("JOR", st).decode(d, now=NOW).reports}
    assert len(got) == len(sent)
    for report, record in zip(sent, records, strict=True):
        assert record is not None
        mine = got[record[2]]  # the sender knows the id the node gives its report
        assert mine.source_format == "asterix" and mine.partner == "JOR"
        assert abs((mine.observed_at - report.observed_at).total_seconds()) < 1 / 128
        _, _, off = GEOD.inv(report.position.lon, report.position.lat, mine.position.lon,
                             mine.position.lat)  # fmt: skip
        # CAT048's polar resolution: 1/256 NM of range, 360/65536 degrees of azimuth.
        _, _, rng = GEOD.inv(35.0063, 29.5321, report.position.lon, report.position.lat)
        assert off < (
            5.0 if mine.sensor == "jor-radar-1" else 8.0 + rng * math.radians(360 / 65536)
        )
        high = report.position.alt_m > GEOMETRIC_MAX_M  # past what CAT062 can say
        assert mine.altitude_measured == (report.altitude_measured and not high)
        if mine.altitude_measured:
            assert mine.position.alt_m == pytest.approx(report.position.alt_m, abs=10.0)
        assert (mine.velocity is None) == (report.velocity is None)
        assert (
            mine.accuracy_m == pytest.approx(report.accuracy_m, abs=0.5)
            or mine.sensor == "jor-radar-2"
        )
        if report.velocity is not None and mine.velocity is not None:
            assert mine.velocity.east == pytest.approx(report.velocity.east, abs=0.5)
            assert mine.velocity.north == pytest.approx(report.velocity.north, abs=0.5)


def test_the_cartesian_position_is_taken_from_the_system_reference_point(
    agreement: Agreement,
) -> None:
    """I062/100 (no I062/105): x, y in the system's stereographic plane about the
    sensor's reference point from the agreement."""
    from pyproj import Transformer

    st = settings(agreement)
    ref = st.sensors[0]
    forward = Transformer.from_crs(
        "EPSG:4326", f"+proj=stere +lat_0={ref.lat} +lon_0={ref.lon} +k=1 +ellps=WGS84",
        always_xy=True,
    )  # fmt: skip
    x, y = forward.transform(36.8, 32.6)
    s = spec(62, "1.20")
    rec = s.cv_record.create({
        "010": (("SAC", ref.sac), ("SIC", ref.sic)), "070": 128 * 43_200, "040": 9,
        "100": (("X", (x, "m")), ("Y", (y, "m"))),
    })  # fmt: skip
    data = s.create([rec]).unparse().to_bytes()
    (report,) = AsterixDecoder("JOR", st).decode(data, now=NOW).reports
    assert (report.position.lat, report.position.lon) == pytest.approx((32.6, 36.8), abs=1e-5)
    assert not report.altitude_measured
    (theirs,) = asterix_oracle.decode([data])
    assert _oracle_item(theirs[0], "I100", "X") == pytest.approx(x, abs=0.5)


def test_coasted_simulated_and_test_records_give_no_report(agreement: Agreement) -> None:
    st = settings(agreement)
    s62, s48 = spec(62, "1.20"), spec(48, "1.31")
    base62 = {"010": (("SAC", 232), ("SIC", 1)), "070": 128 * 43_200, "040": 1,
              "105": (("LAT", (31.0, "°")), ("LON", (36.0, "°")))}  # fmt: skip
    status = s62.cv_record.spec("080").cv_rule.cv_variation
    coasted = s62.cv_record.create({**base62, "080": extended(status, {"CST": 1})})
    simulated = s62.cv_record.create({**base62, "080": extended(status, {"SIM": 1})})
    descriptor = s48.cv_record.spec("020").cv_rule.cv_variation
    test_target = s48.cv_record.create({
        "010": (("SAC", 232), ("SIC", 2)), "140": 128 * 43_200,
        "020": extended(descriptor, {"TYP": 1, "TST": 1}),
        "040": (("RHO", (10.0, "NM")), ("THETA", (45.0, "°"))),
    })  # fmt: skip
    data = (
        s62.create([coasted, simulated]).unparse().to_bytes()
        + s48.create([test_target]).unparse().to_bytes()
    )
    out = AsterixDecoder("JOR", st).decode(data, now=NOW)
    assert out.reports == [] and out.faults == {Reason.SKIPPED: 3}


def test_the_date_comes_from_the_receiving_clock_across_midnight() -> None:
    just_before = 128 * (86_400 - 2)
    after_midnight = datetime(2026, 12, 5, 0, 0, 3, tzinfo=UTC)
    assert observed_at(just_before, after_midnight) == datetime(2026, 12, 4, 23, 59, 58, tzinfo=UTC)
    before_midnight = datetime(2026, 12, 4, 23, 59, 59, tzinfo=UTC)
    assert observed_at(128 * 1, before_midnight) == datetime(2026, 12, 5, 0, 0, 1, tzinfo=UTC)
    assert observed_at(128 * 43_200, NOW) == NOW
