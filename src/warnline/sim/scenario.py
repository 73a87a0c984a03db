"""Exercise scenarios: a synthetic mixed raid and the partners' sensors that see it.

Everything is drawn from one seeded generator, so a seed names a scenario. Threats
fly straight (great circle) from a launch area towards an exercise aim point in a
partner's defended area, timed so that arrivals fall inside the exercise; some are
already in flight when it starts. Ballistic missiles follow a lofted altitude
profile; cruise missiles and drones fly low, so radars see them only within their
radar horizon. Nothing here models anything but what sensors would report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from pyproj import Geod

from warnline.agreement.model import Agreement, AreaKind
from warnline.domain import Identity, ThreatKind

GEOD = Geod(ellps="WGS84")

# Launch areas of the fictional adversary, outside every partner's territory.
LAUNCH_AREAS: dict[str, tuple[float, float]] = {
    "east": (29.0, 51.6),
    "northeast": (33.2, 46.5),
    "south": (15.4, 44.2),
    "southwest": (17.8, 40.6),
    "north": (33.6, 36.0),
}

_SPEED = {  # ground speed m/s
    ThreatKind.DRONE: 50.0,
    ThreatKind.CRUISE_MISSILE: 240.0,
    ThreatKind.BALLISTIC_MISSILE: 2200.0,
    ThreatKind.AIRCRAFT: 220.0,
}
_ALT = {ThreatKind.DRONE: 150.0, ThreatKind.CRUISE_MISSILE: 60.0, ThreatKind.AIRCRAFT: 9000.0}


@dataclass(frozen=True, kw_only=True)
class Threat:
    threat_id: str
    kind: ThreatKind
    identity: Identity
    origin: tuple[float, float]  # lat, lon
    aim: tuple[float, float]
    launch_s: float  # scenario seconds from start (negative: already in flight)
    arrival_s: float
    distance_m: float
    azimuth_deg: float

    def state(self, t: float) -> tuple[float, float, float, float, float, float] | None:
        """lat, lon, alt, v_east, v_north, v_up at scenario second t, or None."""
        if t < max(self.launch_s, -1e9) or t > self.arrival_s:
            return None
        flight = self.arrival_s - self.launch_s
        f = (t - self.launch_s) / flight
        speed = self.distance_m / flight
        lon, lat, back = GEOD.fwd(
            self.origin[1], self.origin[0], self.azimuth_deg, f * self.distance_m
        )
        course = (back + 180.0) % 360.0
        ve, vn = speed * math.sin(math.radians(course)), speed * math.cos(math.radians(course))
        if self.kind is ThreatKind.BALLISTIC_MISSILE:
            apogee = max(50_000.0, self.distance_m / 4.0)
            alt = 4 * apogee * f * (1 - f)
            vu = 4 * apogee * (1 - 2 * f) / flight
        else:
            alt, vu = _ALT.get(self.kind, 1000.0), 0.0
        return lat, lon, alt, ve, vn, vu


@dataclass(frozen=True, kw_only=True)
class SensorModel:
    partner: str
    sensor_id: str
    lat: float
    lon: float
    height_m: float
    range_km: float
    noise_m: float
    period_s: float
    delay_s: float
    p_detect: float

    def sees(self, lat: float, lon: float, alt: float) -> bool:
        _, _, dist = GEOD.inv(self.lon, self.lat, lon, lat)
        horizon_km = 4.12 * (math.sqrt(self.height_m) + math.sqrt(max(alt, 0.0)))
        return bool(dist / 1000.0 <= min(self.range_km, horizon_km))


@dataclass(frozen=True, kw_only=True)
class Scenario:
    start: datetime
    duration_s: float
    threats: tuple[Threat, ...]
    sensors: tuple[SensorModel, ...]

    def at(self, t: float) -> datetime:
        return self.start + timedelta(seconds=t)


def build_scenario(
    agreement: Agreement,
    *,
    start: datetime,
    duration_s: float = 600.0,
    seed: int = 7,
    scale: float = 1.0,
) -> Scenario:
    """A mixed raid of drones, cruise and ballistic missiles, plus friendly traffic."""
    rng = np.random.default_rng(seed)
    defended = sorted(
        (
            a
            for p in agreement.partners.values()
            for a in p.defended_areas
            if a.kind is AreaKind.DEFENDED
        ),
        key=lambda a: a.area_id,
    )
    mix = [
        (ThreatKind.BALLISTIC_MISSILE, int(6 * scale)),
        (ThreatKind.CRUISE_MISSILE, int(10 * scale)),
        (ThreatKind.DRONE, int(24 * scale)),
    ]
    threats: list[Threat] = []
    n = 0
    for kind, count in mix:
        for _ in range(count):
            n += 1
            target = defended[int(rng.integers(len(defended)))]
            c = target.geometry.centroid
            aim = (c.y + rng.normal(0, 0.03), c.x + rng.normal(0, 0.03))
            origin = _nearest_launch(aim, kind, rng)
            az, _, dist = GEOD.inv(origin[1], origin[0], aim[1], aim[0])
            arrival = float(rng.uniform(0.35, 0.95) * duration_s)
            flight = dist / _SPEED[kind]
            threats.append(
                Threat(
                    threat_id=f"X{n:03d}",
                    kind=kind,
                    identity=Identity.HOSTILE,
                    origin=origin,
                    aim=aim,
                    launch_s=arrival - flight,
                    arrival_s=arrival,
                    distance_m=dist,
                    azimuth_deg=az,
                )
            )
    for _ in range(max(1, int(3 * scale))):  # friendly airliners: tracked, never alerted
        n += 1
        a, b = (
            defended[int(rng.integers(len(defended)))],
            defended[int(rng.integers(len(defended)))],
        )
        o, d = (
            (a.geometry.centroid.y, a.geometry.centroid.x),
            (b.geometry.centroid.y + 1.5, b.geometry.centroid.x + 1.5),
        )
        az, _, dist = GEOD.inv(o[1], o[0], d[1], d[0])
        dist = min(
            dist, _SPEED[ThreatKind.AIRCRAFT] * duration_s
        )  # where it is when the exercise ends
        end_lon, end_lat, _ = GEOD.fwd(o[1], o[0], az, dist)
        threats.append(
            Threat(
                threat_id=f"F{n:03d}",
                kind=ThreatKind.AIRCRAFT,
                identity=Identity.FRIEND,
                origin=o,
                aim=(end_lat, end_lon),
                launch_s=0.0,
                arrival_s=dist / _SPEED[ThreatKind.AIRCRAFT],
                distance_m=dist,
                azimuth_deg=az,
            )
        )
    return Scenario(
        start=start, duration_s=duration_s, threats=tuple(threats), sensors=_sensors(agreement, rng)
    )


def _nearest_launch(
    aim: tuple[float, float], kind: ThreatKind, rng: np.random.Generator
) -> tuple[float, float]:
    dists = {
        name: GEOD.inv(lon, lat, aim[1], aim[0])[2] for name, (lat, lon) in LAUNCH_AREAS.items()
    }
    ranked = sorted(dists, key=lambda k: dists[k])
    if kind is ThreatKind.DRONE:  # drones close in from wherever is nearest, in the last stretch
        lat, lon = LAUNCH_AREAS[ranked[0]]
        az, _, d = GEOD.inv(lon, lat, aim[1], aim[0])
        start_lon, start_lat, _ = GEOD.fwd(
            lon, lat, az, max(0.0, d - float(rng.uniform(40_000, 90_000)))
        )
        return (start_lat, start_lon)
    lat, lon = LAUNCH_AREAS[ranked[int(rng.integers(min(2, len(ranked))))]]
    return (lat + float(rng.normal(0, 0.2)), lon + float(rng.normal(0, 0.2)))


def _sensors(agreement: Agreement, rng: np.random.Generator) -> tuple[SensorModel, ...]:
    out = []
    for code, partner in sorted(agreement.partners.items()):
        for i, area in enumerate(partner.defended_areas[:2]):
            c = area.geometry.centroid
            long_range = i == 0
            out.append(
                SensorModel(
                    partner=code,
                    sensor_id=f"{code.lower()}-radar-{i + 1}",
                    lat=c.y,
                    lon=c.x,
                    height_m=float(rng.uniform(20, 60)),
                    range_km=1200.0 if long_range else 400.0,
                    noise_m=float(rng.uniform(150, 600)),
                    period_s=float(rng.choice([2.0, 3.0, 4.0])),
                    delay_s=float(rng.uniform(0.3, 2.5)),
                    p_detect=float(rng.uniform(0.8, 0.97)),
                )
            )
    return tuple(out)
