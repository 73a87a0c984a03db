"""Exercise scenarios: a synthetic mixed raid and the partners' sensors that see it.

Everything is drawn from one seeded generator, so a seed names a scenario. Threats
fly straight (great circle) from a launch area towards an exercise aim point in a
partner's defended area, timed so that arrivals fall inside the exercise; some are
already in flight when it starts. Ballistic missiles fly a minimum-energy trajectory
under gravity (a parabola in time, descending into the aim); cruise missiles and
drones fly low, so radars see them only within their radar horizon. Decoys are
reported as threats but loiter outside every partner territory and never enter one.

The scenario is the ground truth: the score reads it, the node never does (it only
receives what `sim.feed` makes of it). Nothing here models anything but what sensors
would report and where the objects really were.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from warnline.agreement.model import Agreement, Area, AreaKind
from warnline.domain import Identity, ThreatKind
from warnline.sim.sensors import SensorModel, build_sensors, outside_territories

GEOD = Geod(ellps="WGS84")
G = 9.81  # m/s²: the ballistic profile's gravity
FLY_ON_S = 900.0  # friendly traffic flies on this long past the raid (the score follows it)

# Launch areas of the fictional adversary, outside every partner's territory.
LAUNCH_AREAS: dict[str, tuple[float, float]] = {
    "east": (29.0, 51.6),
    "northeast": (33.2, 46.5),
    "south": (15.4, 44.2),
    "southwest": (17.8, 40.6),
    "north": (33.6, 36.0),
}

_SPEED = {  # ground speed m/s (ballistic: from the range, see `_flight_s`)
    ThreatKind.DRONE: 50.0,
    ThreatKind.CRUISE_MISSILE: 240.0,
    ThreatKind.AIRCRAFT: 220.0,
}
_ALT = {ThreatKind.DRONE: 150.0, ThreatKind.CRUISE_MISSILE: 60.0, ThreatKind.AIRCRAFT: 9000.0}
DEFAULT_MIX = {
    ThreatKind.BALLISTIC_MISSILE: 6,
    ThreatKind.CRUISE_MISSILE: 10,
    ThreatKind.DRONE: 24,
}

State = tuple[float, float, float, float, float, float]


@dataclass(frozen=True, kw_only=True)
class Threat:
    """One real object. A decoy (`decoy=True`) circles `origin` at `loiter_radius_m`
    for its whole life, reported as a threat of `kind`; it never enters a territory."""

    threat_id: str
    kind: ThreatKind
    identity: Identity
    origin: tuple[float, float]  # lat, lon
    aim: tuple[float, float]
    launch_s: float  # scenario seconds from start (negative: already in flight)
    arrival_s: float
    distance_m: float
    azimuth_deg: float
    decoy: bool = False
    loiter_radius_m: float = 0.0
    altitude_m: float | None = None

    @property
    def threat(self) -> bool:
        """A real threat to a partner (not a decoy, not friendly traffic)."""
        return not self.decoy and self.identity.threatening

    def state(self, t: float) -> State | None:
        """lat, lon, alt, v_east, v_north, v_up at scenario second t, or None."""
        if t < self.launch_s or t > self.arrival_s:
            return None
        if self.decoy:
            return self._loiter(t)
        flight = self.arrival_s - self.launch_s
        f = (t - self.launch_s) / flight
        speed = self.distance_m / flight
        lon, lat, back = GEOD.fwd(
            self.origin[1], self.origin[0], self.azimuth_deg, f * self.distance_m
        )
        course = (back + 180.0) % 360.0
        ve, vn = speed * math.sin(math.radians(course)), speed * math.cos(math.radians(course))
        if self.kind is ThreatKind.BALLISTIC_MISSILE:
            tau = t - self.launch_s
            vu0 = G * flight / 2.0  # lands at the aim after `flight` seconds
            alt, vu = vu0 * tau - G * tau * tau / 2.0, vu0 - G * tau
        else:
            alt = self.altitude_m if self.altitude_m is not None else _ALT.get(self.kind, 1000.0)
            vu = 0.0
        return lat, lon, max(0.0, alt), ve, vn, vu

    def positions(self, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """lat, lon, alt at scenario seconds `ts`, all within the flight: `state` for
        many instants at once (the generator asks for whole flights, often)."""
        if self.decoy:
            rows = np.array([self._loiter(float(t))[:3] for t in ts]).reshape(-1, 3)
            return rows[:, 0], rows[:, 1], rows[:, 2]
        n = len(ts)
        flight = self.arrival_s - self.launch_s
        tau = np.asarray(ts, dtype=float) - self.launch_s
        lon, lat, _ = GEOD.fwd(
            np.full(n, self.origin[1]),
            np.full(n, self.origin[0]),
            np.full(n, self.azimuth_deg),
            tau / flight * self.distance_m,
        )
        if self.kind is ThreatKind.BALLISTIC_MISSILE:
            alt = G * flight / 2.0 * tau - G * tau * tau / 2.0
        else:
            level = self.altitude_m if self.altitude_m is not None else _ALT.get(self.kind, 1000.0)
            alt = np.full(n, level)
        return np.asarray(lat), np.asarray(lon), np.maximum(alt, 0.0)

    def _loiter(self, t: float) -> State:
        speed = _SPEED.get(self.kind, 50.0) * 0.6
        omega = speed / max(self.loiter_radius_m, 1.0)
        phase = self.azimuth_deg + math.degrees(omega * (t - self.launch_s))
        lon, lat, _ = GEOD.fwd(self.origin[1], self.origin[0], phase, self.loiter_radius_m)
        course = math.radians(phase + 90.0)
        alt = self.altitude_m or 1000.0
        return lat, lon, alt, speed * math.sin(course), speed * math.cos(course), 0.0


@dataclass(frozen=True, kw_only=True)
class Scenario:
    start: datetime
    duration_s: float
    threats: tuple[Threat, ...]
    sensors: tuple[SensorModel, ...]
    clutter: float = 0.01  # share of all reports that are false plots
    wrong_kind: float = 0.15  # share of classified reports whose kind is wrong
    no_velocity: float = 0.05  # share of other sensors' reports without velocity

    def at(self, t: float) -> datetime:
        return self.start + timedelta(seconds=t)

    def seconds(self, when: datetime) -> float:
        return (when - self.start).total_seconds()

    def truth(self, t: float) -> dict[str, tuple[float, float, float]]:
        """Every real object airborne at scenario second t: id -> (lat, lon, alt_m).
        Threats, decoys and friendly traffic; clutter is never an object."""
        out = {}
        for th in self.threats:
            st = th.state(t)
            if st is not None:
                out[th.threat_id] = (st[0], st[1], st[2])
        return out


def build_scenario(
    agreement: Agreement,
    *,
    start: datetime,
    duration_s: float = 600.0,
    seed: int = 7,
    scale: float = 1.0,
    mix: Mapping[ThreatKind, int] | None = None,
    decoys: int = 4,
    clutter: float = 0.01,
    wrong_kind: float = 0.15,
    sensor_partners: int | None = None,
    early_warning: int = 2,
    revisit_scale: float = 1.0,
) -> Scenario:
    """A mixed raid of drones, cruise and ballistic missiles, decoys and friendly
    traffic. `mix` fixes the count per kind (otherwise the default mix times `scale`);
    `sensor_partners` limits sensors to that many partners (sorted by code);
    `revisit_scale` multiplies every sensor's revisit period (0.25: four times the
    reports of the same raid, everything else drawn the same)."""
    if not 0.0 < revisit_scale <= 10.0:
        raise ValueError(f"revisit_scale {revisit_scale}: must be in (0, 10]")
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
    counts = dict(mix) if mix is not None else {k: int(n * scale) for k, n in DEFAULT_MIX.items()}
    threats: list[Threat] = []
    n = 0
    land = shapely.union_all([p.territory.geometry for p in agreement.partners.values()])
    shapely.prepare(land)
    # Drones and cruise missiles fly low: a partner's radars (at its defended areas) see
    # them only some 60-75 km out, so their targets lie within that of a radar and of the
    # coalition's outer border - one that crossed the border unseen would be a warning
    # nobody could give.
    # Where the partners' radars stand (see `sensors.build_sensors`: at the first two
    # defended areas of each partner), known before any random draw.
    radar_xy = np.array(
        [
            (a.geometry.centroid.x, a.geometry.centroid.y)
            for p in agreement.partners.values()
            for a in p.defended_areas[:2]
        ]
    )
    radars = shapely.points(radar_xy)
    border = land.boundary
    near_border = [
        a
        for a in defended
        if shapely.distance(a.geometry.centroid, border) <= DRONE_REACH_DEG
        and float(shapely.distance(a.geometry.centroid, radars).min()) <= DRONE_REACH_DEG
    ] or defended
    for kind in DEFAULT_MIX:
        low = kind in (ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE)
        targets = near_border if low else defended
        for _ in range(counts.get(kind, 0)):
            n += 1
            for _attempt in range(ENTRY_DRAWS):
                threat = _draw_threat(f"X{n:03d}", kind, targets, land, duration_s, rng)
                entry = first_entry(threat, land)
                need = _time_to_shelter(threat, entry, agreement) + ENTRY_SEEN_S
                for _ in range(3 if kind is ThreatKind.DRONE else 0):  # new start, new entry
                    longer = _seen_for(threat, entry, land, need)
                    if longer is threat:
                        break
                    threat, entry = longer, first_entry(longer, land)
                    need = _time_to_shelter(threat, entry, agreement) + ENTRY_SEEN_S
                if not low or _entry_seen(threat, entry, radar_xy):
                    break
            late = float(rng.uniform(0.0, 0.15 * duration_s))
            earliest = max(0.1 * duration_s, 120.0, min(need, 0.4 * duration_s))
            threats.append(_enter_during(threat, entry, earliest, late))
    for _ in range(max(1, int(3 * scale))):  # friendly airliners: tracked, never alerted
        n += 1
        threats.append(_airliner(f"F{n:03d}", defended, duration_s, rng))
    sensors = build_sensors(
        agreement, rng, partners=sensor_partners, early_warning=early_warning, span_s=duration_s
    )
    if revisit_scale != 1.0:
        sensors = tuple(replace(s, period_s=s.period_s * revisit_scale) for s in sensors)
    for i in range(decoys):
        threats.append(_decoy(f"D{i + 1:03d}", agreement, sensors, duration_s, rng))
    return Scenario(
        start=start,
        duration_s=duration_s,
        threats=tuple(threats),
        sensors=sensors,
        clutter=clutter,
        wrong_kind=wrong_kind,
    )


def _draw_threat(
    threat_id: str,
    kind: ThreatKind,
    targets: list[Area],
    land: BaseGeometry,
    duration_s: float,
    rng: np.random.Generator,
) -> Threat:
    """One hostile object of `kind` aimed at one of `targets`, arriving in the exercise."""
    target = targets[int(rng.integers(len(targets)))]
    c = target.geometry.centroid
    aim = (c.y + rng.normal(0, 0.03), c.x + rng.normal(0, 0.03))
    if not land.contains(shapely.Point(aim[1], aim[0])):  # a coastal area: aim ashore
        p = target.geometry.representative_point()
        aim = (p.y, p.x)
    origin = _nearest_launch(aim, kind, rng, land)
    az, _, dist = GEOD.inv(origin[1], origin[0], aim[1], aim[0])
    arrival = float(rng.uniform(0.35, 0.95) * duration_s)
    return Threat(
        threat_id=threat_id,
        kind=kind,
        identity=Identity.HOSTILE,
        origin=origin,
        aim=aim,
        launch_s=arrival - _flight_s(kind, dist),
        arrival_s=arrival,
        distance_m=dist,
        azimuth_deg=az,
    )


def _entry_seen(threat: Threat, entry: float | None, radars: np.ndarray) -> bool:
    """Whether some partner radar sees a low flyer ENTRY_SEEN_S before its first
    territory entry (by the horizon of the lowest radar mast). A cruise missile from a
    far launch area can cross a long border where no radar looks (Jordan's north, 75 km
    from the nearest): a warning nobody could give, which would score the scenario
    rather than the node's decisions. Blind sectors and outages stay: other partners'
    sensors are meant to fill those. `entry`: its `first_entry`."""
    if entry is None:
        return True
    state = threat.state(max(threat.launch_s, entry - ENTRY_SEEN_S))
    if state is None:  # pragma: no cover - first_entry samples the flight itself
        return True
    lat, lon, alt = state[:3]
    n = len(radars)
    _, _, dist = GEOD.inv(np.full(n, lon), np.full(n, lat), radars[:, 0], radars[:, 1])
    horizon_m = 4120.0 * (math.sqrt(LOWEST_MAST_M) + math.sqrt(max(alt, 0.0)))
    return bool(np.min(dist) <= horizon_m)


def _time_to_shelter(threat: Threat, entry: float | None, agreement: Agreement) -> float:
    """The time to shelter of the territory `threat` enters first, at `entry` (0 if none)."""
    state = threat.state(entry) if entry is not None else None
    if state is None:
        return 0.0
    point = shapely.Point(state[1], state[0])
    for partner in agreement.partners.values():
        if partner.territory.geometry.contains(point):
            return partner.territory.time_to_shelter_s
    return 0.0


def _seen_for(threat: Threat, entry: float | None, land: BaseGeometry, need_s: float) -> Threat:
    """A drone that starts closer than `need_s` of flight to its first entry starts
    farther back on the same line (same arrival): one born at the border gives the node
    no time to warn at the territory's time to shelter, so the score's lead would
    measure the scenario, not the alerting policy. Returns `threat` itself if it does not."""
    if entry is None or entry - threat.launch_s >= need_s:
        return threat
    speed = threat.distance_m / (threat.arrival_s - threat.launch_s)
    extra = (need_s - (entry - threat.launch_s)) * speed
    back = threat.azimuth_deg + 180.0
    lon, lat, _ = GEOD.fwd(threat.origin[1], threat.origin[0], back, extra)
    for _ in range(100):  # and never born inside a territory
        if not land.contains(shapely.Point(lon, lat)):
            break
        lon, lat, _ = GEOD.fwd(lon, lat, back, 10_000.0)
    az, _, dist = GEOD.inv(lon, lat, threat.aim[1], threat.aim[0])
    return replace(
        threat,
        origin=(lat, lon),
        azimuth_deg=az,
        distance_m=dist,
        launch_s=threat.arrival_s - dist / speed,
    )


def first_entry(threat: Threat, land: BaseGeometry, step_s: float = 5.0) -> float | None:
    """The first scenario second (on a `step_s` grid) `threat` is over `land`; a
    ballistic object counts only below 100 km, as in the score."""
    ts = np.arange(threat.launch_s, threat.arrival_s + 1e-9, step_s)
    lat, lon, alt = threat.positions(ts)
    inside = shapely.contains_xy(land, lon, lat)
    if threat.kind is ThreatKind.BALLISTIC_MISSILE:
        inside &= alt < 100_000.0
    idx = np.flatnonzero(inside)
    return float(ts[idx[0]]) if len(idx) else None


def _enter_during(threat: Threat, entry: float | None, earliest_s: float, late_s: float) -> Threat:
    """Shift a threat later if it would enter a territory before `earliest_s` (an entry
    before the exercise starts, or in its first minutes, is one no one could warn of in
    time: the node has not been watching the threat for its time to shelter); `entry`
    is its `first_entry`."""
    if entry is None or entry >= earliest_s:
        return threat
    shift = earliest_s - entry + late_s
    return replace(threat, launch_s=threat.launch_s + shift, arrival_s=threat.arrival_s + shift)


def _flight_s(kind: ThreatKind, dist: float) -> float:
    """Ballistic: the minimum-energy (45°) flight time over a flat earth, sqrt(2d/g);
    its horizontal speed sqrt(g·d/2) is ~2.2 km/s at 1,000 km, its apogee d/4."""
    if kind is ThreatKind.BALLISTIC_MISSILE:
        return math.sqrt(2.0 * dist / G)
    return dist / _SPEED[kind]


def _airliner(
    tid: str, defended: list[Area], duration_s: float, rng: np.random.Generator
) -> Threat:
    a = defended[int(rng.integers(len(defended)))]
    b = defended[int(rng.integers(len(defended)))]
    ca, cb = a.geometry.centroid, b.geometry.centroid
    o, d = (ca.y, ca.x), (cb.y + 1.5, cb.x + 1.5)
    az, _, dist = GEOD.inv(o[1], o[0], d[1], d[0])
    # Airliners fly on after the raid, as every object does: one that vanished in mid-air
    # at the end would leave its track scored as false while it coasts.
    dist = min(dist, _SPEED[ThreatKind.AIRCRAFT] * (duration_s + FLY_ON_S))
    end_lon, end_lat, _ = GEOD.fwd(o[1], o[0], az, dist)
    return Threat(
        threat_id=tid,
        kind=ThreatKind.AIRCRAFT,
        identity=Identity.FRIEND,
        origin=o,
        aim=(end_lat, end_lon),
        launch_s=0.0,
        arrival_s=dist / _SPEED[ThreatKind.AIRCRAFT],
        distance_m=dist,
        azimuth_deg=az,
    )


def _decoy(
    tid: str,
    agreement: Agreement,
    sensors: tuple[SensorModel, ...],
    duration_s: float,
    rng: np.random.Generator,
) -> Threat:
    """A loitering decoy seen by some partner's radar: 45-110 km from it, its whole
    circle at least 15 km outside every territory (redrawn until it is)."""
    radars = [s for s in sensors if not s.early_warning]
    kind = [ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE][int(rng.integers(2))]
    for _ in range(500):
        radar = radars[int(rng.integers(len(radars)))]
        lon, lat, _ = GEOD.fwd(
            radar.lon, radar.lat, float(rng.uniform(0, 360)), float(rng.uniform(45e3, 110e3))
        )
        radius = float(rng.uniform(3_000, 12_000))
        if outside_territories(agreement, lat, lon, radius + 15_000):
            break
    else:  # pragma: no cover - the region has sea and desert enough
        raise RuntimeError("no place for a decoy outside every territory")
    launch = float(rng.uniform(-120.0, 0.2 * duration_s))
    return Threat(
        threat_id=tid,
        kind=kind,
        identity=Identity.HOSTILE,
        origin=(lat, lon),
        aim=(lat, lon),
        launch_s=launch,
        arrival_s=float(rng.uniform(0.7, 1.0) * duration_s),
        distance_m=0.0,
        azimuth_deg=float(rng.uniform(0, 360)),
        decoy=True,
        loiter_radius_m=radius,
        altitude_m=float(rng.uniform(800, 2000)),
    )


DRONE_REACH_DEG = 0.55  # about 60 km: within a radar's horizon for a drone at 150 m
ENTRY_SEEN_S = 60.0  # a low flyer is in some radar's view this long before it enters
LOWEST_MAST_M = 20.0  # the lowest radar mast `sensors.build_sensors` draws
ENTRY_DRAWS = 20  # redraws of a low flyer whose entry no radar would see before it


def _nearest_launch(
    aim: tuple[float, float], kind: ThreatKind, rng: np.random.Generator, land: BaseGeometry
) -> tuple[float, float]:
    dists = {
        name: GEOD.inv(lon, lat, aim[1], aim[0])[2] for name, (lat, lon) in LAUNCH_AREAS.items()
    }
    ranked = sorted(dists, key=lambda k: dists[k])
    if kind is ThreatKind.DRONE:  # drones close in from the nearest launch area, far out
        lat, lon = LAUNCH_AREAS[ranked[0]]
        back, _, d = GEOD.inv(aim[1], aim[0], lon, lat)
        # Seen coming: it starts within the horizon of a radar at its aim (a drone at 150 m
        # is visible some 75 km out), and outside every territory, not born at the border.
        start = float(rng.uniform(55_000, 75_000))
        while start < d and land.contains(
            shapely.Point(*GEOD.fwd(aim[1], aim[0], back, start)[:2])
        ):
            start += 10_000.0
        start = min(d, start)
        start_lon, start_lat, _ = GEOD.fwd(aim[1], aim[0], back, start)
        return (start_lat, start_lon)
    lat, lon = LAUNCH_AREAS[ranked[int(rng.integers(min(2, len(ranked))))]]
    return (lat + float(rng.normal(0, 0.2)), lon + float(rng.normal(0, 0.2)))
