"""What each partner's sensors report about the scenario: their own noise, scan
period, delay and missed detections, and what real partners also send — clutter
(false plots), wrong kind guesses, reports without identity, velocity or altitude —
arriving 0.5-4 s late and out of order.

Each observation keeps its ground truth (`truth`: the object id, None for clutter)
beside the report; only the report ever goes to the node.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from warnline.domain import Identity, Position, Report, ThreatKind, Velocity
from warnline.sim.scenario import Scenario, State, Threat
from warnline.sim.sensors import EW_MIN_ALT_M, SensorModel

M_PER_DEG = 111_320.0
GUESSABLE = (
    ThreatKind.DRONE,
    ThreatKind.CRUISE_MISSILE,
    ThreatKind.BALLISTIC_MISSILE,
    ThreatKind.ROCKET,
    ThreatKind.AIRCRAFT,
)
CLUTTER_IDENTITIES = (Identity.UNKNOWN, Identity.PENDING, Identity.SUSPECT, Identity.HOSTILE)
DELAYED_SCAN_P = 0.05  # a scan whose reports all leave late (a partner's batch held back)
DELAYED_SCAN_S = 0.7
JITTER_S = 0.8  # per report, on top of the sensor's delay: a batch mixes ages


@dataclass(frozen=True, kw_only=True)
class Observation:
    deliver_s: float  # scenario second the partner's system has it ready to send
    report: Report
    truth: str | None = None  # the object reported; None for clutter (never sent)
    altitude_measured: bool = True  # False: the wire report omits alt_m


class SensorFeed:
    """Incremental: `until(t)` returns observations made up to scenario second t."""

    def __init__(self, scenario: Scenario, *, seed: int = 7) -> None:
        self.scenario = scenario
        self.rng = np.random.default_rng(seed + 1)
        self._next = {s.sensor_id: float(self.rng.uniform(0, s.period_s)) for s in scenario.sensors}
        self._seen: dict[tuple[str, str], int] = {}
        self._serial = 0
        self._local: dict[tuple[str, str], int] = {}  # the sensor's own track numbers
        self.truth_of: dict[str, str | None] = {}  # report key -> object id (None: clutter)
        share = scenario.clutter
        self._p_clutter = share / (1.0 - share) if 0.0 < share < 1.0 else 0.0

    def until(self, t: float) -> list[Observation]:
        out: list[Observation] = []
        for sensor in self.scenario.sensors:
            while self._next[sensor.sensor_id] <= t:
                scan = self._next[sensor.sensor_id]
                self._next[sensor.sensor_id] = scan + sensor.period_s
                out.extend(self._scan(sensor, scan))
        out.sort(key=lambda o: (o.deliver_s, o.report.partner, o.report.report_id))
        return out

    def _scan(self, sensor: SensorModel, t: float) -> list[Observation]:
        obs = []
        late = DELAYED_SCAN_S if self.rng.random() < DELAYED_SCAN_P else 0.0
        for threat in self.scenario.threats:
            st = threat.state(t)
            if (
                st is None
                or not sensor.sees(st[0], st[1], st[2], t)
                or self.rng.random() > sensor.p_detect
            ):
                continue
            obs.append(self._report(sensor, threat, t, st, late))
            if self.rng.random() < self._p_clutter:
                obs.append(self._clutter(sensor, t, late))
        return obs

    def _delay(self, sensor: SensorModel, t: float, late: float) -> float:
        return t + sensor.delay_s + float(self.rng.uniform(0.0, JITTER_S)) + late

    def _report(
        self, sensor: SensorModel, threat: Threat, t: float, st: State, late: float
    ) -> Observation:
        lat, lon, alt, ve, vn, vu = st
        key = (sensor.sensor_id, threat.threat_id)
        n = self._seen[key] = self._seen.get(key, 0) + 1
        local = self._local.setdefault(key, len(self._local) + 1)
        noise = self.rng.normal(0.0, sensor.noise_m, 3)
        vnoise = self.rng.normal(0.0, 0.05 * math.hypot(ve, vn) + 2.0, 3)
        classified = n >= 3 or threat.kind is ThreatKind.BALLISTIC_MISSILE
        kind = threat.kind if classified else ThreatKind.UNKNOWN
        if classified and self.rng.random() < self.scenario.wrong_kind:
            others = [k for k in GUESSABLE if k is not threat.kind]
            kind = others[int(self.rng.integers(len(others)))]
        if not sensor.reports_identity:
            identity, conf = Identity.UNKNOWN, 0.3
        elif threat.identity is Identity.FRIEND:
            identity, conf = Identity.FRIEND, 0.9
        else:
            identity, conf = (Identity.HOSTILE, 0.75) if n >= 2 else (Identity.SUSPECT, 0.5)
        no_velocity = not sensor.reports_identity or self.rng.random() < self.scenario.no_velocity
        measured = not (sensor.p_no_altitude and self.rng.random() < sensor.p_no_altitude)
        self._serial += 1
        report = Report(
            report_id=f"{sensor.sensor_id}-{self._serial:07d}",
            partner=sensor.partner,
            sensor=sensor.sensor_id,
            sensor_track=f"{sensor.sensor_id}:{local:05d}",
            observed_at=self.scenario.at(t),
            position=Position(
                lat=max(-90.0, min(90.0, lat + noise[0] / M_PER_DEG)),
                lon=lon + noise[1] / (M_PER_DEG * math.cos(math.radians(lat))),
                alt_m=max(0.0, alt + noise[2] * 0.5) if measured else 0.0,
            ),
            velocity=None
            if no_velocity
            else Velocity(east=ve + vnoise[0], north=vn + vnoise[1], up=vu + vnoise[2] * 0.2),
            accuracy_m=sensor.noise_m,
            kind=kind,
            identity=identity,
            confidence=conf,
        )
        return self._observation(sensor, t, late, report, threat.threat_id, measured)

    def _clutter(self, sensor: SensorModel, t: float, late: float) -> Observation:
        """A false plot somewhere in the sensor's coverage, with a random guess of kind
        and identity (hostile too), and no sensor track: nothing real behind it."""
        rng = self.rng
        if sensor.early_warning:
            alt = float(rng.uniform(EW_MIN_ALT_M, 150_000.0))
        else:
            alt = float(rng.uniform(0.0, 3000.0))
        reach_km = min(sensor.range_km, 4.12 * (math.sqrt(sensor.height_m) + math.sqrt(alt)))
        dist = reach_km * 1000.0 * math.sqrt(float(rng.random()))
        bearing = float(rng.uniform(0.0, 2 * math.pi))
        lat = sensor.lat + dist * math.cos(bearing) / M_PER_DEG
        lon = sensor.lon + dist * math.sin(bearing) / (M_PER_DEG * math.cos(math.radians(lat)))
        speed, course = float(rng.uniform(0.0, 300.0)), float(rng.uniform(0.0, 2 * math.pi))
        kinds = (*GUESSABLE, ThreatKind.UNKNOWN)
        self._serial += 1
        report = Report(
            report_id=f"{sensor.sensor_id}-{self._serial:07d}",
            partner=sensor.partner,
            sensor=sensor.sensor_id,
            sensor_track=None,
            observed_at=self.scenario.at(t),
            position=Position(lat=max(-90.0, min(90.0, lat)), lon=lon, alt_m=alt),
            velocity=None
            if rng.random() < 0.5
            else Velocity(east=speed * math.sin(course), north=speed * math.cos(course)),
            accuracy_m=sensor.noise_m,
            kind=kinds[int(rng.integers(len(kinds)))],
            identity=CLUTTER_IDENTITIES[int(rng.integers(len(CLUTTER_IDENTITIES)))],
            confidence=float(rng.uniform(0.2, 0.8)),
        )
        return self._observation(sensor, t, late, report, None, True)

    def _observation(
        self,
        sensor: SensorModel,
        t: float,
        late: float,
        report: Report,
        truth: str | None,
        measured: bool,
    ) -> Observation:
        if not measured:
            report = dataclasses.replace(report, altitude_measured=False)
        self.truth_of[report.key] = truth
        return Observation(
            deliver_s=self._delay(sensor, t, late),
            report=report,
            truth=truth,
            altitude_measured=measured,
        )
