"""The exercise generator: seeded, plausible, and seen by sensors the way radars see."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import shapely

from tests.factories import T0
from warnline.agreement.model import Agreement
from warnline.domain import Identity, ThreatKind
from warnline.sim.feed import SensorFeed
from warnline.sim.scenario import LAUNCH_AREAS, build_scenario, first_entry


def test_same_seed_same_scenario_and_reports(agreement: Agreement) -> None:
    a = build_scenario(agreement, start=T0, duration_s=300, seed=5)
    b = build_scenario(agreement, start=T0, duration_s=300, seed=5)
    assert a == b
    ra = [o.report for o in SensorFeed(a, seed=5).until(120)]
    rb = [o.report for o in SensorFeed(b, seed=5).until(120)]
    assert ra == rb and len(ra) > 100
    assert build_scenario(agreement, start=T0, duration_s=300, seed=6) != a


def test_revisit_scale_makes_the_same_raid_denser(agreement: Agreement) -> None:
    base = build_scenario(agreement, start=T0, duration_s=300, seed=5)
    dense = build_scenario(agreement, start=T0, duration_s=300, seed=5, revisit_scale=0.25)
    assert dense.threats == base.threats  # the same objects, flying the same paths
    assert [s.period_s / 4 for s in base.sensors] == [s.period_s for s in dense.sensors]
    assert [replace(s, period_s=0.0) for s in dense.sensors] == [
        replace(s, period_s=0.0) for s in base.sensors
    ]
    few = len(SensorFeed(base, seed=5).until(200))
    many = len(SensorFeed(dense, seed=5).until(200))
    assert 3.0 * few < many < 5.0 * few
    with pytest.raises(ValueError, match="revisit_scale 0"):
        build_scenario(agreement, start=T0, duration_s=300, seed=5, revisit_scale=0.0)


def test_mixed_raid_arrives_within_the_exercise(agreement: Agreement) -> None:
    s = build_scenario(agreement, start=T0, duration_s=600, seed=7)
    kinds = {t.kind for t in s.threats if t.identity is Identity.HOSTILE}
    assert kinds == {ThreatKind.BALLISTIC_MISSILE, ThreatKind.CRUISE_MISSILE, ThreatKind.DRONE}
    assert any(t.identity is Identity.FRIEND for t in s.threats)
    land = shapely.union_all([p.territory.geometry for p in agreement.partners.values()])
    for t in s.threats:
        if t.threat:  # every entry into a territory can be warned of: none before 60 s
            entry = first_entry(t, land)
            assert entry is None or 60.0 <= entry <= 600, (t.threat_id, entry)
        st = t.state(t.arrival_s - 1)
        assert st is not None
        speed = math.hypot(st[3], st[4])
        assert speed < 3000, (t.threat_id, speed)
    hostile = [t for t in s.threats if t.identity is Identity.HOSTILE and not t.decoy]
    assert all(t.origin != t.aim for t in hostile)
    assert len(LAUNCH_AREAS) >= 3


def test_sensors_see_low_fliers_only_near_the_horizon(agreement: Agreement) -> None:
    s = build_scenario(agreement, start=T0, duration_s=300, seed=7)
    radar = s.sensors[0]
    assert radar.sees(radar.lat + 0.3, radar.lon, 100.0)  # ~33 km, low: within the horizon
    assert not radar.sees(radar.lat + 2.0, radar.lon, 100.0)  # ~220 km, low: below the horizon
    assert radar.sees(radar.lat + 2.0, radar.lon, 100_000.0)  # high: a ballistic missile is seen


def test_reports_carry_each_sensors_noise_delay_and_identity_progression(
    agreement: Agreement,
) -> None:
    s = build_scenario(agreement, start=T0, duration_s=300, seed=7)
    obs = SensorFeed(s, seed=7).until(200)
    by_track: dict[str, list] = {}  # type: ignore[type-arg]
    for o in obs:
        assert o.deliver_s * 1 >= (o.report.observed_at - T0).total_seconds()
        if o.truth is not None:  # clutter has no sensor track and random identities
            by_track.setdefault(o.report.sensor_track or "", []).append(o.report)
    hostile_seen = [
        rs for rs in by_track.values() if any(r.identity is Identity.HOSTILE for r in rs)
    ]
    assert hostile_seen
    for rs in hostile_seen:
        assert rs[0].identity is Identity.SUSPECT  # first sight is not yet classified hostile
    assert {r.partner for o in obs for r in [o.report]} >= {"JOR", "SAU"}


def test_low_fliers_are_in_a_radars_view_before_they_enter(agreement: Agreement) -> None:
    # An entry that no radar could see coming is a warning nobody could give: the
    # generator redraws it. Checked with the sensors' own view (blind sectors and
    # outages aside: other partners are meant to fill those).
    land = shapely.union_all([p.territory.geometry for p in agreement.partners.values()])
    for seed in (7, 11, 23):
        s = build_scenario(agreement, start=T0, duration_s=600, seed=seed)
        radars = [
            replace(r, blind_sector=None, outage=None) for r in s.sensors if not r.early_warning
        ]
        low = [t for t in s.threats if t.threat and t.kind is not ThreatKind.BALLISTIC_MISSILE]
        assert len(low) > 20
        for t in low:
            entry = first_entry(t, land)
            if entry is None:
                continue
            lat, lon, alt = (t.state(max(t.launch_s, entry - 60.0)) or (0.0, 0.0, 0.0))[:3]
            assert any(r.sees(lat, lon, alt) for r in radars), (seed, t.threat_id)
            if t.kind is ThreatKind.DRONE:  # in flight long enough to warn at its pace
                at = t.state(entry) or (0.0, 0.0)
                tts = next(
                    p.territory.time_to_shelter_s
                    for p in agreement.partners.values()
                    if p.territory.geometry.contains(shapely.Point(at[1], at[0]))
                )
                assert entry - t.launch_s >= tts + 60.0, (seed, t.threat_id)


def test_positions_are_the_states_of_many_instants(agreement: Agreement) -> None:
    s = build_scenario(agreement, start=T0, duration_s=600, seed=7)
    for t in s.threats:
        ts = np.linspace(t.launch_s, t.arrival_s, 7)
        lat, lon, alt = t.positions(ts)
        for i, at in enumerate(ts):
            st = t.state(float(at))
            assert st is not None
            assert (lat[i], lon[i], alt[i]) == pytest.approx(st[:3], abs=1e-9), t.threat_id


def test_friendly_traffic_flies_on_past_the_raid(agreement: Agreement) -> None:
    # Nothing vanishes in mid-air at the end: the score follows objects after the feed stops.
    s = build_scenario(agreement, start=T0, duration_s=600, seed=7)
    airliners = [t for t in s.threats if t.kind is ThreatKind.AIRCRAFT]
    assert airliners and all(t.state(600.0 + 300.0) is not None for t in airliners)
