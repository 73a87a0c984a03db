"""What each partner's sensors report about the scenario, with their own noise,
scan period, delay and missed detections."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from warnline.domain import Identity, Position, Report, ThreatKind, Velocity
from warnline.sim.scenario import Scenario, SensorModel, Threat

M_PER_DEG = 111_320.0


@dataclass(frozen=True, kw_only=True)
class Observation:
    deliver_s: float  # scenario second the partner's system has it ready to send
    report: Report


class SensorFeed:
    """Incremental: `until(t)` returns observations made up to scenario second t."""

    def __init__(self, scenario: Scenario, *, seed: int = 7) -> None:
        self.scenario = scenario
        self.rng = np.random.default_rng(seed + 1)
        self._next = {s.sensor_id: float(self.rng.uniform(0, s.period_s)) for s in scenario.sensors}
        self._seen: dict[tuple[str, str], int] = {}
        self._serial = 0
        self._local: dict[tuple[str, str], int] = {}  # the sensor's own track numbers

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
        for threat in self.scenario.threats:
            st = threat.state(t)
            if (
                st is None
                or not sensor.sees(st[0], st[1], st[2])
                or self.rng.random() > sensor.p_detect
            ):
                continue
            obs.append(self._report(sensor, threat, t, st))
        return obs

    def _report(
        self, sensor: SensorModel, threat: Threat, t: float, st: tuple[float, ...]
    ) -> Observation:
        lat, lon, alt, ve, vn, vu = st
        key = (sensor.sensor_id, threat.threat_id)
        n = self._seen[key] = self._seen.get(key, 0) + 1
        local = self._local.setdefault(key, len(self._local) + 1)
        noise = self.rng.normal(0.0, sensor.noise_m, 3)
        vnoise = self.rng.normal(0.0, 0.05 * math.hypot(ve, vn) + 2.0, 3)
        classified = n >= 3 or threat.kind is ThreatKind.BALLISTIC_MISSILE
        if threat.identity is Identity.FRIEND:
            identity, conf = Identity.FRIEND, 0.9
        else:
            identity, conf = (Identity.HOSTILE, 0.75) if n >= 2 else (Identity.SUSPECT, 0.5)
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
                alt_m=max(0.0, alt + noise[2] * 0.5),
            ),
            velocity=Velocity(east=ve + vnoise[0], north=vn + vnoise[1], up=vu + vnoise[2] * 0.2),
            accuracy_m=sensor.noise_m,
            kind=threat.kind if classified else ThreatKind.UNKNOWN,
            identity=identity,
            confidence=conf,
        )
        return Observation(deliver_s=t + sensor.delay_s, report=report)
