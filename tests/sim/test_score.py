"""The warnings score's definitions, one by one, on a hand-made truth: a cruise missile
crossing the Gulf into Qatar, a decoy loitering at sea, and hand-written alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pyproj import Geod

from tests.factories import T0, make_track
from warnline.agreement.model import Agreement
from warnline.domain import Identity, ThreatKind
from warnline.sim.scenario import Scenario, Threat
from warnline.sim.score import Entry, ReportSeen, score_warnings, territory_entries
from warnline.sim.score_parts import lead_ratio_needed
from warnline.sim.truth import TruthIndex

GEOD = Geod(ellps="WGS84")
QAT_BOX = [[50.7, 24.5], [51.7, 24.5], [51.7, 26.2], [50.7, 26.2], [50.7, 24.5]]
DOHA_BOX = [[51.38, 25.15], [51.68, 25.15], [51.68, 25.42], [51.38, 25.42], [51.38, 25.15]]
JOR_BOX = [[35.0, 29.2], [39.3, 29.2], [39.3, 33.4], [35.0, 33.4], [35.0, 29.2]]


def _cruise_missile(
    threat_id: str, origin: tuple[float, float], aim: tuple[float, float]
) -> Threat:
    """Launched at 0 s, flying straight to `aim` at 240 m/s."""
    az, _, dist = GEOD.inv(origin[1], origin[0], aim[1], aim[0])
    return Threat(
        threat_id=threat_id,
        kind=ThreatKind.CRUISE_MISSILE,
        identity=Identity.HOSTILE,
        origin=origin,
        aim=aim,
        launch_s=0.0,
        arrival_s=dist / 240.0,
        distance_m=dist,
        azimuth_deg=az,
    )


def _scenario() -> Scenario:
    missile = _cruise_missile("X001", (25.3, 52.2), (25.29, 51.45))
    decoy = Threat(
        threat_id="D001",
        kind=ThreatKind.DRONE,
        identity=Identity.HOSTILE,
        origin=(26.6, 52.6),
        aim=(26.6, 52.6),
        launch_s=0.0,
        arrival_s=600.0,
        distance_m=0.0,
        azimuth_deg=0.0,
        decoy=True,
        loiter_radius_m=5000.0,
        altitude_m=1000.0,
    )
    return Scenario(start=T0, duration_s=600.0, threats=(missile, decoy), sensors=())


@pytest.fixture(scope="module")
def entry_s(agreement: Agreement) -> float:
    entries = territory_entries(TruthIndex(_scenario(), until_s=600.0), agreement)
    assert [(e.object_id, e.partner) for e in entries] == [("X001", "QAT")]
    return entries[0].t


def _alert(
    alert_id: str,
    version: int,
    t: float,
    stage: str,
    *,
    partner: str = "QAT",
    area_id: str = "QAT",
    ring: list[list[float]] | None = QAT_BOX,
    tta: float | None = None,
    tracks: tuple[str, ...] = (),
) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "version": version,
        "partner": partner,
        "area_id": area_id,
        "stage": stage,
        "sent_at": (T0 + timedelta(seconds=t)).isoformat(),
        "time_to_arrival_s": tta,
        "tracks": list(tracks),
        "area_polygons": [] if ring is None else [ring],  # none: the agreement's area
        "area_circle": None,
    }


def _score(
    agreement: Agreement,
    alerts: list[dict[str, Any]],
    reports: list[ReportSeen] | None = None,
    snapshots: list[Any] | None = None,
) -> dict[str, Any]:
    return score_warnings(
        scenario=_scenario(),
        agreement=agreement,
        alerts=alerts,
        reports=reports or [],
        snapshots=snapshots or [],
    )


def test_no_alert_is_a_missed_entry(agreement: Agreement, entry_s: float) -> None:
    s = _score(agreement, [])
    assert s["entries"] == 1 and s["missed_warnings"] == 1
    assert s["missed_detail"][0]["object"] == "X001"


def test_an_alert_after_entry_elsewhere_or_ended_does_not_cover_it(
    agreement: Agreement, entry_s: float
) -> None:
    late = _alert("A1", 1, entry_s + 5, "alert")
    wrong_partner = _alert("A2", 1, entry_s - 100, "alert", partner="JOR", ring=QAT_BOX)
    wrong_area = _alert("A3", 1, entry_s - 100, "alert", ring=JOR_BOX)
    ended = [_alert("A4", 1, entry_s - 200, "alert"), _alert("A4", 2, entry_s - 90, "cancel")]
    for alerts in ([late], [wrong_partner], [wrong_area], ended):
        assert _score(agreement, alerts)["missed_warnings"] == 1, alerts


def test_a_covering_alert_is_a_warning_with_its_shelter_lead(
    agreement: Agreement, entry_s: float
) -> None:
    s = _score(agreement, [_alert("A1", 1, entry_s - 150, "alert", ring=None, tta=150.0)])
    assert s["missed_warnings"] == 0 and s["false_warning_rate"] == 0.0
    assert s["shelter_lead_s"]["cruise_missile"]["median"] == pytest.approx(150.0, abs=1.0)
    assert s["tta_error"] == pytest.approx(0.0, abs=0.02)
    early = _score(agreement, [_alert("A1", 1, entry_s - 150, "early_warning")])
    assert early["missed_warnings"] == 0 and early["shelter_lead_s"] == {}


def test_a_warning_no_threat_enters_is_false(agreement: Agreement, entry_s: float) -> None:
    good = _alert("A1", 1, entry_s - 100, "alert")
    false = _alert("A2", 1, 10.0, "alert", partner="JOR", area_id="JOR", ring=JOR_BOX)
    s = _score(agreement, [good, false])
    assert s["false_warning_rate"] == 0.5 and s["false_detail"][0]["alert"] == "A2"
    # entered, but only after the 15-minute window: false as well
    s2 = _score(agreement, [_alert("A3", 1, entry_s - 1000, "alert")])
    assert s2["false_warning_rate"] == 1.0


def test_all_clear_with_the_threat_inside_within_a_minute_is_premature(
    agreement: Agreement, entry_s: float
) -> None:
    alerts = [_alert("A1", 1, entry_s - 100, "alert"), _alert("A1", 2, entry_s - 30, "all_clear")]
    s = _score(agreement, alerts)
    assert s["premature_all_clears"] == 1 and s["missed_warnings"] == 1
    calm = [_alert("A1", 1, 5.0, "alert"), _alert("A1", 2, 10.0, "all_clear")]  # long before
    assert _score(agreement, calm)["premature_all_clears"] == 0


def test_all_clear_while_an_overlapping_alert_shelters_is_a_contradiction(
    agreement: Agreement, entry_s: float
) -> None:
    territory = _alert("A1", 1, entry_s - 100, "alert")
    doha = [
        _alert("A2", 1, entry_s - 100, "alert", area_id="QAT-doha", ring=DOHA_BOX),
        _alert("A2", 2, entry_s - 50, "cancel", area_id="QAT-doha", ring=DOHA_BOX),
    ]
    s = _score(agreement, [territory, *doha])
    assert s["contradictions"] == 1 and s["contradiction_detail"][0]["alert"] == "A2"
    other_partner = _alert("A3", 1, entry_s - 100, "alert", partner="JOR", ring=QAT_BOX)
    assert _score(agreement, [other_partner, *doha])["contradictions"] == 0


def test_over_warning_is_shelter_time_over_threatened_time(
    agreement: Agreement, entry_s: float
) -> None:
    egypt = _alert("A9", 1, 0.0, "alert", partner="EGY", area_id="EGY", ring=[[0, 0], [1, 0]])
    s = _score(agreement, [egypt, _alert("A1", 1, 0.0, "alert")])
    assert s["over_warning_by_territory"]["EGY"] == pytest.approx(600.0 / 60.0)  # floored
    arrival = _scenario().threats[0].arrival_s
    threatened = arrival - max(0.0, entry_s - 420.0)  # QAT: 300 s to shelter + 120 s
    qat = s["over_warning_by_territory"]["QAT"]
    assert qat == pytest.approx(600.0 / threatened, abs=0.02)
    assert s["over_warning"] == max(s["over_warning_by_territory"].values())


def test_a_warner_sheltering_exactly_at_need_has_the_needed_lead(
    agreement: Agreement, entry_s: float
) -> None:
    need_from = max(0.0, entry_s - 420.0)  # QAT: 300 s to shelter + 120 s; the raid starts at 0
    s = _score(agreement, [_alert("A1", 1, need_from, "alert")])
    expected = (entry_s - need_from) / 300.0
    assert s["shelter_lead_ratio"]["cruise_missile"] == pytest.approx(expected, abs=0.01)
    assert s["shelter_lead_ratio_needed"] == {"cruise_missile": pytest.approx(expected, abs=0.01)}
    late = _score(agreement, [_alert("A1", 1, need_from + 60.0, "alert")])
    assert late["shelter_lead_ratio"]["cruise_missile"] < expected - 0.15  # the need is not
    assert late["shelter_lead_ratio_needed"] == s["shelter_lead_ratio_needed"]  # the alerts'


def test_needed_lead_runs_on_while_threats_follow_each_other(agreement: Agreement) -> None:
    def entry(oid: str, t: float) -> Entry:
        return Entry(
            object_id=oid,
            kind="drone",
            partner="QAT",
            t=t,
            lon=51.4,
            lat=25.3,
            leave_t=t + 10.0,
            time_to_shelter_s=agreement.partners["QAT"].territory.time_to_shelter_s,
        )

    assert agreement.partners["QAT"].territory.time_to_shelter_s == 300.0
    first, follower, alone = entry("X1", 1000.0), entry("X2", 1300.0), entry("X3", 3000.0)
    # X2's need (from 880 s) begins before X1 ends inside (1010 s): one run from 580 s,
    # so X2's lead is (1300 - 580) / 300 = 2.4; X1's and X3's are 420 / 300 = 1.4.
    assert lead_ratio_needed([first, follower, alone], agreement) == {"drone": 1.4}
    assert lead_ratio_needed([first, follower], agreement) == {"drone": pytest.approx(1.9)}
    apart = entry("X2", 1500.0)  # its need begins at 1080 s, after X1 ended inside
    assert lead_ratio_needed([first, apart], agreement) == {"drone": 1.4}


def test_most_concurrent_alerts_per_area(agreement: Agreement, entry_s: float) -> None:
    alerts = [_alert(f"A{i}", 1, 10.0 * i, "alert") for i in range(1, 4)]
    alerts.append(_alert("A1", 2, 25.0, "cancel"))  # ends before A3 starts
    assert _score(agreement, alerts)["max_alerts_per_area"] == 2
    assert _score(agreement, alerts[:3])["max_alerts_per_area"] == 3


def test_alerts_resting_only_on_a_decoy_or_clutter(agreement: Agreement, entry_s: float) -> None:
    at = T0 + timedelta(seconds=100)
    sc = _scenario()
    d_lat, d_lon, _ = sc.truth(100.0)["D001"]
    m_lat, m_lon, _ = sc.truth(100.0)["X001"]
    snap = [
        (
            100.0,
            [
                make_track("T1", t=at, lat=d_lat, lon=d_lon),
                make_track("T2", t=at, lat=m_lat, lon=m_lon),
                make_track("T3", t=at, lat=20.0, lon=60.0),  # nothing there: clutter
            ],
        )
    ]
    decoy = _alert("A1", 1, 100.0, "alert", tracks=("T1",))
    real = _alert("A2", 1, 100.0, "alert", tracks=("T1", "T2"))
    clutter = _alert("A3", 1, 100.0, "alert", tracks=("T3",))
    s = _score(agreement, [decoy, real, clutter], snapshots=snap)
    assert s["clutter_or_decoy_only_alerts"] == 2
    assert {d["alert"]: d["rests_on"] for d in s["clutter_or_decoy_detail"]} == {
        "A1": "decoy",
        "A3": "clutter",
    }
    first = s["clutter_or_decoy_detail"][0]  # which version it was, to read it back
    assert (first["version"], first["stage"], first["sent_s"], first["tracks"]) == (
        1,
        "alert",
        100.0,
        ["T1"],
    )


def test_first_warning_latency_from_the_confirming_report(
    agreement: Agreement, entry_s: float
) -> None:
    reports = [
        ReportSeen(key="QAT/1", at_s=50.0, observed_s=49.0, sensor="s1", truth="X001"),
        ReportSeen(key="QAT/2", at_s=51.0, observed_s=50.0, sensor="s1", truth="X001"),
        ReportSeen(key="QAT/c", at_s=51.5, observed_s=51.0, sensor="s2", truth=None),
        ReportSeen(key="QAT/3", at_s=52.0, observed_s=51.5, sensor="s2", truth="X001"),
    ]
    s = _score(agreement, [_alert("A1", 1, 53.5, "early_warning")], reports=reports)
    assert s["first_warning_latency_s"]["p50"] == pytest.approx(1.5)
    two = [r for r in reports if r.sensor == "s1"]  # 2 reports: not yet confirmable
    s2 = _score(agreement, [_alert("A1", 1, 53.5, "early_warning")], reports=two)
    assert s2["first_warning_latency_s"]["n"] == 0


def test_latency_counts_from_when_a_warning_can_first_be_true(
    agreement: Agreement, entry_s: float
) -> None:
    """Confirmed 1,000 s before its entry, an object cannot be warned of truthfully
    before entry - 900 s (the false window): latency counts from there."""
    t0 = entry_s - 1000.0
    reports = [
        ReportSeen(key=f"QAT/{i}", at_s=t0 + i, observed_s=t0 + i, sensor=f"s{i % 2}", truth="X001")
        for i in range(3)
    ]
    s = _score(agreement, [_alert("A1", 1, entry_s - 850.0, "early_warning")], reports=reports)
    assert s["first_warning_latency_s"]["p50"] == pytest.approx(50.0)
    [slowest] = s["first_warning_latency_s"]["slowest"]  # the entry behind the figure
    assert (slowest["object"], slowest["partner"], slowest["latency_s"]) == ("X001", "QAT", 50.0)
    assert slowest["from_s"] == pytest.approx(entry_s - 900.0, abs=0.1)
    at_once = [_alert("A1", 1, entry_s - 900.0, "early_warning")]
    on_time = _score(agreement, at_once, reports=reports)
    assert on_time["first_warning_latency_s"]["slowest"] == []  # only late entries are listed


def test_own_latency_counts_warnings_naming_the_object_and_those_before_evidence(
    agreement: Agreement, entry_s: float
) -> None:
    sc = _scenario()
    reports = [
        ReportSeen(key="QAT/1", at_s=50.0, observed_s=49.0, sensor="s1", truth="X001"),
        ReportSeen(key="QAT/2", at_s=51.0, observed_s=50.5, sensor="s1", truth="X001"),
        ReportSeen(key="QAT/3", at_s=52.0, observed_s=51.5, sensor="s2", truth="X001"),
    ]

    def snap(t: float) -> tuple[float, list[Any]]:
        lat, lon, _ = sc.truth(t)["X001"]
        return (t, [make_track("T9", t=T0 + timedelta(seconds=t), lat=lat, lon=lon)])

    other = _alert("A0", 1, 30.0, "early_warning")  # stands already, names nothing of X001
    mine = _alert("A1", 1, 54.0, "alert", tracks=("T9",))
    s = _score(agreement, [other, mine], reports=reports, snapshots=[snap(54.0)])
    lat = s["first_warning_latency_s"]
    assert lat["p50"] == 0.0 and lat["own_p50"] == pytest.approx(2.0)
    assert lat["own_before_evidence"] == 0
    early = _alert("A2", 1, 40.0, "alert", tracks=("T9",))  # on one report: before evidence
    s2 = _score(agreement, [early], reports=reports, snapshots=[snap(40.0)])
    assert s2["first_warning_latency_s"]["own_before_evidence"] == 1


def test_a_warning_is_judged_on_truth_past_the_raid_end(
    agreement: Agreement, entry_s: float
) -> None:
    # The feed stops 50 s before the missile enters; the warning issued before that is
    # true (the missile flies on), and the entry after the end is nobody's miss.
    alerts = [_alert("A1", 1, entry_s - 100, "alert", tta=100.0)]
    s = score_warnings(
        scenario=_scenario(),
        agreement=agreement,
        alerts=alerts,
        reports=[],
        snapshots=[],
        until_s=entry_s - 50,
    )
    assert s["entries"] == 0 and s["missed_warnings"] == 0
    assert s["false_warning_rate"] == 0.0


def test_a_partner_with_only_bases_counts_them_as_its_territory(agreement: Agreement) -> None:
    base = agreement.area("USA-al-udeid-air-base").geometry.centroid
    missile = _cruise_missile("X002", (25.3, 52.4), (base.y, base.x))
    scenario = Scenario(start=T0, duration_s=600.0, threats=(missile,), sensors=())
    assert agreement.partners["USA"].territory.geometry.area == 0.0
    entries = territory_entries(TruthIndex(scenario, until_s=600.0), agreement)
    assert {e.partner for e in entries} == {"QAT", "USA"}
