"""The assess stage against the default coalition's real geography."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
from pyproj import Geod

import warnline.assess
from warnline.agreement.load import default_agreement
from warnline.assess import KIND_LIMITS, Assessor
from warnline.assess.kinematics import MIN_HALF_WIDTH_M, sample_times, time_to_ground
from warnline.domain import (
    Assessment,
    Identity,
    Position,
    ThreatKind,
    Track,
    TrackState,
    Velocity,
)
from warnline.domain.plane import regional_plane

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GEOD = Geod(ellps="WGS84")
AMMAN = (31.9454, 35.9284)  # lat, lon of the JOR-amman circle (radius 15 km)


@pytest.fixture(scope="module")
def assessor() -> Assessor:
    return Assessor(agreement=default_agreement())


def track(
    track_id: str,
    *,
    lat: float,
    lon: float,
    speed: float,
    heading: float,
    kind: ThreatKind = ThreatKind.DRONE,
    alt_m: float = 500.0,
    climb: float = 0.0,
    sigma_m: float = 200.0,
    age_s: float = 0.0,
    identity: Identity = Identity.HOSTILE,
) -> Track:
    rad = math.radians(heading)
    return Track(
        track_id=track_id,
        state=TrackState.CONFIRMED,
        updated_at=AT - timedelta(seconds=age_s),
        first_seen=AT - timedelta(seconds=120),
        position=Position(lat=lat, lon=lon, alt_m=alt_m),
        velocity=Velocity(east=speed * math.sin(rad), north=speed * math.cos(rad), up=climb),
        sigma_m=sigma_m,
        kind=kind,
        identity=identity,
        confidence=0.9,
        contributors=(),
        report_count=4,
    )


def offset(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    """(lat, lon) `distance_m` from a point along `bearing`."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, bearing, distance_m)
    return lat2, lon2


def bearing(frm: tuple[float, float], to: tuple[float, float]) -> float:
    azimuth, _, _ = GEOD.inv(frm[1], frm[0], to[1], to[0])
    return float(azimuth) % 360.0


def tta(assessment: Assessment) -> dict[str, float]:
    return {a.area_id: a.time_to_arrival_s for a in assessment.areas}


def along_across(assessment: Assessment) -> tuple[np.ndarray, np.ndarray, float]:
    """Corridor ring in the plane, in metres along and across the predicted path."""
    plane = regional_plane()
    start, end = assessment.path[0], assessment.path[-1]
    x0, y0 = plane.point_xy(start.lon, start.lat)
    x1, y1 = plane.point_xy(end.lon, end.lat)
    length = math.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    ring = np.array(assessment.corridor)
    x, y = plane.to_xy(ring[:, 0], ring[:, 1])
    return (x - x0) * ux + (y - y0) * uy, -(x - x0) * uy + (y - y0) * ux, length


def test_drone_heading_for_amman(assessor: Assessor) -> None:
    lat, lon = offset(*AMMAN, 90.0, 50_000.0)
    drone = track("d1", lat=lat, lon=lon, speed=50.0, heading=bearing((lat, lon), AMMAN))
    [result] = assessor.assess([drone], AT)
    arrivals = tta(result)
    assert arrivals["JOR"] == 0.0  # it is already over Jordan
    expected = (50_000.0 - 15_000.0) / 50.0  # to the edge of the 15 km circle
    assert arrivals["JOR-amman"] == pytest.approx(expected, rel=0.10)
    amman = next(a for a in result.areas if a.area_id == "JOR-amman")
    assert amman.partner == "JOR" and amman.name == "Amman" and amman.area_kind == "defended"
    assert amman.expected_at == AT + timedelta(seconds=amman.time_to_arrival_s)
    assert result.track_id == "d1" and result.assessed_at == AT


def test_track_heading_away_endangers_nobody(assessor: Assessor) -> None:
    over_sea = offset(32.0853, 34.7818, 270.0, 150_000.0)  # 150 km west of Tel Aviv
    outbound = track("sea", lat=over_sea[0], lon=over_sea[1], speed=50.0, heading=270.0)
    over_iraq = track("irq", lat=33.0, lon=42.5, speed=60.0, heading=80.0)
    results = assessor.assess([outbound, over_iraq], AT)
    assert [r.areas for r in results] == [(), ()]
    assert all(len(r.corridor) > 3 for r in results)


def test_track_over_a_territory_arrives_now(assessor: Assessor) -> None:
    riyadh = track("r", lat=24.7136, lon=46.6753, speed=40.0, heading=45.0)
    [result] = assessor.assess([riyadh], AT)
    assert tta(result)["SAU"] == 0.0
    assert tta(result)["SAU-riyadh"] == 0.0
    assert result.areas[0].time_to_arrival_s == 0.0


def test_ballistic_corridor_is_long_narrow_and_ends_at_impact(assessor: Assessor) -> None:
    start = (30.5, 42.0)  # over western Iraq
    missile = track(
        "b1",
        lat=start[0],
        lon=start[1],
        speed=2500.0,
        heading=bearing(start, AMMAN),
        kind=ThreatKind.BALLISTIC_MISSILE,
        alt_m=100_000.0,
        climb=-500.0,
    )
    drone = track("d", lat=start[0], lon=start[1], speed=50.0, heading=bearing(start, AMMAN))
    ballistic, slow = assessor.assess([missile, drone], AT)
    # Under gravity from 100 km, falling at 500 m/s: about 101 s to the ground.
    assert ballistic.horizon_s == pytest.approx(time_to_ground(100_000.0, -500.0))
    assert 100.0 < ballistic.horizon_s < 101.0
    _, across, length = along_across(ballistic)
    assert length == pytest.approx(2500.0 * ballistic.horizon_s, rel=0.02)
    assert np.abs(across).max() < 0.07 * length  # tan 3 degrees plus the starting width
    _, across_slow, length_slow = along_across(slow)
    assert np.abs(across_slow).max() > 0.3 * length_slow


def test_corridor_widens_with_time(assessor: Assessor) -> None:
    drone = track("w", lat=29.0, lon=33.5, speed=60.0, heading=30.0)  # over Sinai
    [result] = assessor.assess([drone], AT)
    along, across, length = along_across(result)
    near = np.abs(across[along < 0.1 * length]).max()
    far = np.abs(across[along > 0.7 * length]).max()
    assert 0.8 * MIN_HALF_WIDTH_M < near <= MIN_HALF_WIDTH_M  # starts at its minimum width
    assert far > 10 * near
    assert len(result.corridor) <= 64
    assert result.corridor[0] == result.corridor[-1]


def test_fast_missile_does_not_skip_a_small_area(assessor: Assessor) -> None:
    """At 3 km/s a 10 s step is 30 km: the samples must tighten so a 5 km circle is hit."""
    sitra = default_agreement().area("BHR-sitra").geometry.centroid
    lat, lon = offset(sitra.y, sitra.x, 300.0, 50_000.0)
    missile = track(
        "fast",
        lat=lat,
        lon=lon,
        speed=3000.0,
        heading=bearing((lat, lon), (sitra.y, sitra.x)),
        kind=ThreatKind.BALLISTIC_MISSILE,
        alt_m=60_000.0,
        climb=-400.0,
    )
    [result] = assessor.assess([missile], AT)
    assert tta(result)["BHR-sitra"] == pytest.approx((50_000 - 5_000) / 3000.0, rel=0.10)
    times = sample_times(150.0, step_s=10.0, speed=3000.0, start_m=2000.0, spread=0.05)
    widths = 2000.0 + 3000.0 * times * 0.05
    assert np.all(np.diff(times) * 3000.0 <= widths[:-1] / 2 + 1e-6)


def test_falling_rocket_stops_at_the_ground(assessor: Assessor) -> None:
    lat, lon = offset(31.2518, 34.7913, 225.0, 20_000.0)  # 20 km south-west of Beersheba
    rocket = track(
        "rk",
        lat=lat,
        lon=lon,
        speed=500.0,
        heading=45.0,
        kind=ThreatKind.ROCKET,
        alt_m=9_000.0,
        climb=-100.0,
    )
    [result] = assessor.assess([rocket], AT)
    assert result.horizon_s == pytest.approx(time_to_ground(9_000.0, -100.0))  # about 35 s
    assert "ISR-beersheba" in tta(result)
    assert "ISR-tel-aviv" not in tta(result)  # 90 km away: beyond 35 s at 500 m/s


def test_rising_ballistic_object_is_predicted_to_its_impact(assessor: Assessor) -> None:
    """Still climbing, its corridor ends where gravity brings it down, not 1,800 km on."""
    start = (30.5, 42.0)
    missile = track(
        "b2",
        lat=start[0],
        lon=start[1],
        speed=2000.0,
        heading=bearing(start, AMMAN),
        kind=ThreatKind.BALLISTIC_MISSILE,
        alt_m=40_000.0,
        climb=800.0,
    )
    [result] = assessor.assess([missile], AT)
    assert result.horizon_s == pytest.approx(time_to_ground(40_000.0, 800.0))
    assert 190.0 < result.horizon_s < 210.0  # (800 + sqrt(800² + 2 g 40 km)) / g


def test_an_unnamed_fast_high_object_is_predicted_as_ballistic(assessor: Assessor) -> None:
    start = (30.5, 42.0)
    plot = track(
        "u", lat=start[0], lon=start[1], speed=2500.0, heading=90.0, alt_m=100_000.0,
        climb=-500.0, kind=ThreatKind.UNKNOWN,
    )  # fmt: skip
    [result] = assessor.assess([plot], AT)
    assert result.horizon_s == pytest.approx(time_to_ground(100_000.0, -500.0))


def test_track_is_extrapolated_to_the_assessment_time(assessor: Assessor) -> None:
    old = track("old", lat=30.0, lon=31.0, speed=100.0, heading=90.0, age_s=60.0)
    [result] = assessor.assess([old], AT)
    _, _, moved = GEOD.inv(31.0, 30.0, result.path[0].lon, result.path[0].lat)
    assert moved == pytest.approx(6_000.0, rel=0.02)


def test_velocity_follows_true_north_in_the_plane(assessor: Assessor) -> None:
    """At 30 degrees east, grid north of the plane is ~7 degrees off true north."""
    north = track("n", lat=27.0, lon=30.0, speed=100.0, heading=0.0)
    [result] = assessor.assess([north], AT)
    end = result.path[-1]
    assert end.lon == pytest.approx(30.0, abs=0.02)
    assert end.lat == pytest.approx(27.0 + 180_000.0 / 110_800.0, abs=0.03)


def test_stationary_track_endangers_only_what_it_is_over(assessor: Assessor) -> None:
    hover = track("h", lat=25.2854, lon=51.531, speed=0.0, heading=0.0, sigma_m=100.0)
    [result] = assessor.assess([hover], AT)
    assert tta(result) == {"QAT": 0.0, "QAT-doha": 0.0}
    assert len(result.path) == 1


def test_areas_sorted_by_arrival_then_id(assessor: Assessor) -> None:
    lat, lon = offset(*AMMAN, 90.0, 120_000.0)
    drone = track("s", lat=lat, lon=lon, speed=80.0, heading=bearing((lat, lon), AMMAN))
    [result] = assessor.assess([drone], AT)
    keys = [(a.time_to_arrival_s, a.area_id) for a in result.areas]
    assert keys == sorted(keys) and len(keys) >= 3


def test_output_order_is_input_order_and_not_threatening_tracks_are_assessed(
    assessor: Assessor,
) -> None:
    tracks = [
        track(f"t{i}", lat=22.0 + i * 0.7, lon=33.0 + i * 1.1, speed=150.0, heading=i * 37.0)
        for i in range(15)
    ]
    tracks[3] = track(
        "friend", lat=31.9, lon=35.9, speed=100.0, heading=10.0, identity=Identity.FRIEND
    )
    results = assessor.assess(tracks, AT)
    assert [r.track_id for r in results] == [t.track_id for t in tracks]
    assert tta(results[3])["JOR"] == 0.0
    reversed_results = assessor.assess(tracks[::-1], AT)
    assert reversed_results[::-1] == results


def test_deterministic(assessor: Assessor) -> None:
    rng = np.random.default_rng(11)
    kinds = list(ThreatKind)
    tracks = [
        track(
            f"r{i}",
            lat=float(rng.uniform(21.0, 34.0)),
            lon=float(rng.uniform(30.0, 57.0)),
            speed=float(rng.uniform(0.0, 2500.0)),
            heading=float(rng.uniform(0.0, 360.0)),
            kind=kinds[i % len(kinds)],
            alt_m=float(rng.uniform(0.0, 90_000.0)),
            climb=float(rng.uniform(-800.0, 100.0)),
            sigma_m=float(rng.uniform(10.0, 3000.0)),
        )
        for i in range(60)
    ]
    first = assessor.assess(tracks, AT)
    assert assessor.assess(tracks, AT) == first
    assert Assessor(agreement=default_agreement()).assess(tracks, AT) == first
    assert sum(len(r.areas) for r in first) > 0


def test_empty_batch(assessor: Assessor) -> None:
    assert assessor.assess([], AT) == []


def test_corridor_contains_the_path(assessor: Assessor) -> None:
    drone = track("c", lat=26.0, lon=50.0, speed=45.0, heading=120.0)
    [result] = assessor.assess([drone], AT)
    corridor = shapely.Polygon(result.corridor)
    assert corridor.is_valid
    for p in result.path:
        assert corridor.buffer(1e-6).contains(shapely.Point(p.lon, p.lat))


def test_kind_limits_cover_every_kind() -> None:
    assert set(KIND_LIMITS) == set(ThreatKind)
    assert KIND_LIMITS[ThreatKind.BALLISTIC_MISSILE].falls
    assert not KIND_LIMITS[ThreatKind.DRONE].falls


def test_exports() -> None:
    assert sorted(warnline.assess.__all__) == ["Assessor", "KIND_LIMITS", "KindLimits"]


def test_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        Assessor(agreement=default_agreement(), step_s=0.0)


def test_a_steady_track_gets_a_narrower_corridor_than_a_new_one(assessor: Assessor) -> None:
    start = (29.0, 33.5)
    new = track("n", lat=start[0], lon=start[1], speed=50.0, heading=30.0)
    steady = replace(new, track_id="s", velocity_sigma_ms=1.0)
    wide, narrow = assessor.assess([new, steady], AT)
    _, across_wide, _ = along_across(wide)
    _, across_narrow, _ = along_across(narrow)
    assert np.abs(across_narrow).max() < 0.5 * np.abs(across_wide).max()


def test_a_circling_decoy_endangers_only_what_its_circle_reaches(assessor: Assessor) -> None:
    """Tangent to its circle, 40 km short of Amman and heading straight at it: a straight
    prediction sends it to Amman; the proven turn keeps it on its 5 km circle."""
    lat, lon = offset(AMMAN[0], AMMAN[1], 90.0, 40_000.0)
    straight = track("s", lat=lat, lon=lon, speed=60.0, heading=270.0)
    circling = replace(straight, track_id="c", turn_rate_dps=math.degrees(60.0 / 5_000.0))
    ahead, around = assessor.assess([straight, circling], AT)
    assert "JOR-amman" in tta(ahead)
    assert "JOR-amman" not in tta(around)
    assert around.horizon_s <= 2 * math.pi * 5_000.0 / 60.0 + 1e-6


def test_a_ballistic_object_endangers_nothing_it_overflies_high_up(assessor: Assessor) -> None:
    """At its apex, 150 km over the Gulf, on its way down to Barakah: Doha, which it
    passes over still above 100 km, is not at risk; where it comes down is."""
    agreement = default_agreement()
    doha = agreement.area("QAT-doha").geometry.centroid
    barakah = agreement.area("ARE-barakah").geometry.centroid
    course = bearing((doha.y, doha.x), (barakah.y, barakah.x))
    start = offset(doha.y, doha.x, (course + 180.0) % 360.0, 50_000.0)
    _, _, dist = GEOD.inv(start[1], start[0], barakah.x, barakah.y)
    fall = time_to_ground(150_000.0, 0.0)
    missile = track(
        "b3", lat=start[0], lon=start[1], speed=dist / fall, heading=course,
        kind=ThreatKind.BALLISTIC_MISSILE, alt_m=150_000.0, climb=0.0,
    )  # fmt: skip
    [result] = assessor.assess([missile], AT)
    risk = tta(result)
    assert "QAT-doha" not in risk
    assert risk["ARE-barakah"] == pytest.approx(fall, rel=0.1)
    # Already back below 100 km, the same object endangers what lies ahead at once.
    low = replace(missile, position=replace(missile.position, alt_m=60_000.0))
    assert "QAT-doha" in tta(assessor.assess([low], AT)[0])


BARAKAH = (23.9592, 52.2567)  # lat, lon of ARE-barakah, some 70 km from Saudi Arabia


def cruise_missile_at(aim: tuple[float, float]) -> Track:
    """A cruise missile over the Gulf, 100 km north-east of `aim`, flying straight at it."""
    start = offset(*aim, 45.0, 100_000.0)
    return track(
        "cm",
        lat=start[0],
        lon=start[1],
        speed=240.0,
        heading=bearing(start, aim),
        kind=ThreatKind.CRUISE_MISSILE,
        alt_m=60.0,
    )


def test_a_strike_weapons_path_ends_past_the_area_it_flies_into(assessor: Assessor) -> None:
    # Flying straight at Barakah, its line runs on into Saudi Arabia, which it will not
    # reach - it strikes first.
    missile = cruise_missile_at(BARAKAH)
    [result] = assessor.assess([missile], AT)
    assert {"ARE", "ARE-barakah"} <= set(tta(result))
    assert "SAU" not in tta(result)
    # The same line with a heading the picture is unsure of says little about the aim,
    # and an aircraft may fly on: both still endanger what lies beyond.
    unsure = replace(missile, track_id="u", velocity_sigma_ms=100.0)
    aircraft = replace(missile, track_id="a", kind=ThreatKind.AIRCRAFT)
    for other in assessor.assess([unsure, aircraft], AT):
        assert "SAU" in tta(other), other.track_id
    # An object nobody has named yet that flies like a strike weapon is taken for one.
    [unknown] = assessor.assess([replace(missile, track_id="k", kind=ThreatKind.UNKNOWN)], AT)
    assert {"ARE", "ARE-barakah"} <= set(tta(unknown))
    assert "SAU" not in tta(unknown)


def _miss_m(assessor: Assessor, missile: Track, area_id: str) -> float:
    """How far the missile's bare centre line passes from the area, in the plane."""
    plane = regional_plane()
    lon, lat = missile.position.lon, missile.position.lat
    x0, y0 = plane.point_xy(lon, lat)
    lon1, lat1, _ = GEOD.fwd(lon, lat, 0.0, 1000.0)
    lon2, lat2, _ = GEOD.fwd(lon, lat, 90.0, 1000.0)
    (xn, yn), (xe, ye) = plane.point_xy(lon1, lat1), plane.point_xy(lon2, lat2)
    v = missile.velocity
    vx = (v.east * (xe - x0) + v.north * (xn - x0)) / 1000.0
    vy = (v.east * (ye - y0) + v.north * (yn - y0)) / 1000.0
    ring = [
        plane.point_xy(x, y) for x, y in default_agreement().area(area_id).geometry.exterior.coords
    ]
    line = shapely.LineString([(x0, y0), (x0 + vx * 2000.0, y0 + vy * 2000.0)])
    return float(line.distance(shapely.Polygon(ring)))


def test_a_course_that_grazes_its_target_still_ends_past_it(assessor: Assessor) -> None:
    # Its centre line passes 1.2-1.8 km beside Barakah's area, 90 km ahead (one
    # assessment out of many, by heading noise): within one sigma of its heading (1.2
    # degrees, 1.9 km there) Barakah is still its target, and Saudi Arabia behind it is
    # not at risk.
    base = cruise_missile_at(BARAKAH)
    start = (base.position.lat, base.position.lon)
    grazing = None
    for step in range(200):
        heading = bearing(start, BARAKAH) - 0.02 * step
        rad = math.radians(heading)
        candidate = replace(
            base,
            velocity=replace(
                base.velocity, east=240.0 * math.sin(rad), north=240.0 * math.cos(rad)
            ),
            velocity_sigma_ms=5.0,
        )
        if 1_200.0 < _miss_m(assessor, candidate, "ARE-barakah") < 1_800.0:
            grazing = candidate
            break
    assert grazing is not None, "no heading found that grazes Barakah"
    [result] = assessor.assess([grazing], AT)
    assert "ARE" in tta(result)
    assert "SAU" not in tta(result)
    # With nothing known of its heading's error the tube is its position's width only
    # (1 km): the miss leaves the country behind at risk, as the bare line did.
    [bare] = assessor.assess([replace(grazing, velocity_sigma_ms=0.0)], AT)
    assert "SAU" in tta(bare)


def test_a_strike_weapon_passing_beside_an_area_still_endangers_what_is_ahead(
    assessor: Assessor,
) -> None:
    # Aimed 25 km north of Barakah's circle: no defended area on its line, nothing cut.
    [result] = assessor.assess([cruise_missile_at(offset(*BARAKAH, 0.0, 40_000.0))], AT)
    assert "SAU" in tta(result)
