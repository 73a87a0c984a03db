"""The assess stage: where each track may go, which areas that endangers, and when.

For every track: extrapolate it to the assessment time, predict its path at constant
ground velocity (see `warnline.assess.kinematics` for how far ahead and how wide), and
test the path against every partner's territory and defended areas. An area is at risk
when the corridor reaches it: some path sample lies within the corridor's half-width of
the area, and the area is within the distance the threat can fly in the lookahead.
Every track is assessed, whatever its identity: alerting decides what matters.

Time to arrival is the earliest time the threat could be in the area, taken as the later
of two lower bounds: when the corridor first reaches the area (between two samples, by
interpolation), and how long the threat needs to fly to the area's nearest point at its
speed. The second matters head-on: the corridor widens sideways with the distance flown,
but the threat itself comes no faster than its speed.

The geometry is done once per batch and vectorised: areas were projected into the
regional plane and indexed when the assessor was built; per batch, a bounding-box test
sets aside the tracks that cannot come near any area in their lookahead (they endanger
nothing, and need no corridor: most of a large picture), one STRtree query finds which
of the others' corridors meet which areas, and one call tests all their samples. The
path and the corridor's outline are for display, made when first read
(`warnline.assess.display`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from warnline.agreement.model import Agreement, Area, AreaKind
from warnline.assess.arcs import MIN_OMEGA, full_turn_s, positions
from warnline.assess.display import PATH_POINTS, Outline, PathSamples, Sketch, corridors
from warnline.assess.kinematics import (
    ENDANGERS_BELOW_M,
    MAX_HALF_WIDTH_M,
    STATIONARY_SPEED,
    half_widths,
    limits_for,
    lookahead_s,
    sample_times,
    start_half_width,
    time_to_descend_to,
)
from warnline.domain import ThreatKind
from warnline.domain.plane import RegionalPlane, regional_plane
from warnline.domain.track import AreaAtRisk, Assessment, Track

Floats = NDArray[np.float64]

STRIKES = frozenset({ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE})
TARGET_OVERRUN_S = 60.0  # past its likeliest target, a strike weapon's path endangers nothing
MAX_HEADING_SIGMA = 0.3  # velocity sigma / speed (about 17 degrees): a heading known enough
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True, kw_only=True, slots=True)
class _Motion:
    """Tracks as arrays, in the plane, at the assessment time."""

    x: Floats
    y: Floats
    vx: Floats  # plane metres per second
    vy: Floats
    alt: Floats
    climb: Floats
    omega: Floats  # proven steady turn rate, rad/s clockwise (0: straight)
    speed: Floats  # plane metres per second

    def at(self, owner: NDArray[np.int64], t: Floats) -> tuple[Floats, Floats]:
        """Where track `owner[k]` is `t[k]` seconds ahead (on its circle, if it turns)."""
        x, y, vx, vy = self.x[owner], self.y[owner], self.vx[owner], self.vy[owner]
        return positions(x, y, vx, vy, self.omega[owner], t)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Plan:
    """One track's prediction: how far ahead, how wide, which sample times."""

    lookahead: float
    start_m: float
    spread: float
    times: Floats
    strike: bool = False  # a strike weapon flying straight with a known heading
    aim_spread: float = 0.0  # widening per metre of the tube its likeliest target lies in


@dataclass(frozen=True, kw_only=True, slots=True)
class _Samples:
    """Every path sample of every track in a batch, flattened."""

    times: Floats
    x: Floats
    y: Floats
    widths: Floats  # corridor half-width at the sample
    counts: NDArray[np.int64]  # samples per track
    first: NDArray[np.int64]  # index of each track's first sample

    @classmethod
    def of(cls, motion: _Motion, plans: list[_Plan]) -> _Samples:
        counts = np.array([len(p.times) for p in plans])
        times = np.concatenate([p.times for p in plans])
        owner = np.repeat(np.arange(len(plans)), counts)
        start_m = np.array([p.start_m for p in plans])[owner]
        spread = np.array([p.spread for p in plans])[owner]
        px, py = motion.at(owner, times)
        return cls(
            times=times,
            x=px,
            y=py,
            widths=half_widths(motion.speed[owner] * times, start_m, spread),
            counts=counts,
            first=np.cumsum(counts) - counts,
        )


class Assessor:
    """Turns coalition tracks into assessments against one agreement's areas.

    Build one per agreement (building projects and indexes every area); `assess` is
    then pure: the same tracks and time give the same assessments.
    """

    def __init__(
        self,
        *,
        agreement: Agreement,
        plane: RegionalPlane | None = None,
        horizon_s: float = 1800.0,
        step_s: float = 20.0,
    ) -> None:
        if horizon_s <= 0 or step_s <= 0:
            raise ValueError("horizon_s and step_s must be positive")
        self._plane = plane or regional_plane()
        self._horizon_s = horizon_s
        self._step_s = step_s
        self._areas: tuple[Area, ...] = tuple(a for a in agreement.areas if not a.geometry.is_empty)
        lonlat = np.array([a.geometry for a in self._areas], dtype=object)
        self._geoms = shapely.transform(lonlat, self._to_plane)
        shapely.prepare(self._geoms)
        self._bounds = shapely.bounds(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        defended = [i for i, a in enumerate(self._areas) if a.kind is AreaKind.DEFENDED]
        self._defended = np.array(defended, dtype=np.int64)
        self._defended_tree = shapely.STRtree(self._geoms[self._defended])

    def _to_plane(self, lonlat: Floats) -> Floats:
        x, y = self._plane.to_xy(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([x, y])

    def assess(self, tracks: Sequence[Track], at: datetime) -> list[Assessment]:
        """One assessment per track, in the order given."""
        if not tracks:
            return []
        motion = self._motion(tracks, at)
        plans = [self._plan(track, motion, i) for i, track in enumerate(tracks)]
        t, widths = self._spans(motion, plans)
        start_m = np.array([p.start_m for p in plans])
        near = np.flatnonzero(self._near_an_area(motion, t, widths, start_m))
        polygons = np.full(len(tracks), None, dtype=object)
        arrivals: dict[int, dict[int, float]] = {}
        if len(near):
            polygons[near] = corridors(
                x=motion.x[near],
                y=motion.y[near],
                vx=motion.vx[near],
                vy=motion.vy[near],
                omega=motion.omega[near],
                t=t[near],
                widths=widths[near],
                start_m=start_m[near],
            )
            arrivals = self._arrivals(motion, plans, polygons[near], near)
        m = np.column_stack(
            [motion.x, motion.y, motion.vx, motion.vy, motion.omega, motion.alt, motion.climb]
        ).tolist()
        t_rows, w_rows = t.tolist(), widths.tolist()
        out = []
        for i, track in enumerate(tracks):
            plan = plans[i]
            sketch = Sketch(
                plane=self._plane,
                motion=tuple(m[i]),
                t=tuple(t_rows[i]),
                widths=tuple(w_rows[i]),
                start_m=plan.start_m,
                lookahead=plan.lookahead,
                path_points=min(PATH_POINTS, len(plan.times)),
                polygon=polygons[i],
            )
            out.append(
                Assessment(
                    track_id=track.track_id,
                    assessed_at=at,
                    path=PathSamples(sketch),
                    corridor=Outline(sketch),
                    areas=self._areas_at_risk(arrivals.get(i, {}), at),
                    horizon_s=plan.lookahead,
                )
            )
        return out

    def overrun_s(self, tracks: Sequence[Track], at: datetime) -> list[float]:
        """Per track, seconds from `at` until a strike weapon flying straight at a known
        heading is past its likeliest target (inf when there is none): how long its
        course alone can still endanger anything once nobody sees it."""
        if not tracks:
            return []
        motion = self._motion(tracks, at)
        plans = [self._plan(track, motion, i) for i, track in enumerate(tracks)]
        return [float(v) for v in self._past_target(motion, plans)]

    # ------------------------------------------------------------------ prediction

    def _motion(self, tracks: Sequence[Track], at: datetime) -> _Motion:
        """Positions and velocities in the plane, extrapolated to `at`.

        Velocities are east/north on the ground; the plane's grid north turns away from
        true north by several degrees at the edges of the region, so each velocity is
        mapped through the plane's local Jacobian (from points 1 km north and east).
        """
        lon = np.array([t.position.lon for t in tracks])
        lat = np.array([t.position.lat for t in tracks])
        east = np.array([t.velocity.east for t in tracks])
        north = np.array([t.velocity.north for t in tracks])
        up = np.array([t.velocity.up for t in tracks])
        dt = np.array([(at - t.updated_at).total_seconds() for t in tracks])
        n = len(tracks)
        lon_n, lat_n, _ = _GEOD.fwd(lon, lat, np.zeros(n), np.full(n, 1000.0))
        lon_e, lat_e, _ = _GEOD.fwd(lon, lat, np.full(n, 90.0), np.full(n, 1000.0))
        x, y = self._plane.to_xy(
            np.concatenate([lon, lon_n, lon_e]), np.concatenate([lat, lat_n, lat_e])
        )
        x0, xn, xe = np.split(x, 3)
        y0, yn, ye = np.split(y, 3)
        vx = (east * (xe - x0) + north * (xn - x0)) / 1000.0
        vy = (east * (ye - y0) + north * (yn - y0)) / 1000.0
        alt = np.array([t.position.alt_m for t in tracks]) + up * dt
        omega = np.radians([t.turn_rate_dps for t in tracks])
        return _Motion(
            x=x0 + vx * dt,
            y=y0 + vy * dt,
            vx=vx,
            vy=vy,
            alt=alt,
            climb=up,
            omega=omega,
            speed=np.hypot(vx, vy),
        )

    def _plan(self, track: Track, motion: _Motion, i: int) -> _Plan:
        speed = float(motion.speed[i])
        limits = limits_for(track.kind, speed=speed, alt_m=float(motion.alt[i]))
        lookahead = lookahead_s(
            limits,
            horizon_s=self._horizon_s,
            speed=speed,
            alt_m=float(motion.alt[i]),
            climb=float(motion.climb[i]),
        )
        lookahead = min(lookahead, full_turn_s(float(motion.omega[i])))
        start_m = start_half_width(track.sigma_m)
        spread = limits.spread_for(speed=speed, velocity_sigma=track.velocity_sigma_ms)
        times = sample_times(
            lookahead, step_s=self._step_s, speed=speed, start_m=start_m, spread=spread
        )
        if limits.falls:  # what it passes over high up is not at risk
            below = time_to_descend_to(
                float(motion.alt[i]), float(motion.climb[i]), ENDANGERS_BELOW_M
            )
            times = np.unique(np.append(times[times >= below], min(below, lookahead)))
        heading_known = speed >= STATIONARY_SPEED and (
            track.velocity_sigma_ms <= MAX_HEADING_SIGMA * speed
        )
        # An object nobody has named that flies like a drone or cruise missile (not like a
        # ballistic object) is, in a raid, one: its kind comes within seconds, and until
        # then its line ran on to Saudi Arabia behind every Gulf target (seed 23).
        strike_like = track.kind in STRIKES or (
            track.kind is ThreatKind.UNKNOWN and not limits.falls
        )
        strike = strike_like and heading_known and abs(float(motion.omega[i])) < MIN_OMEGA
        aim = 0.0
        if strike:  # one sigma of its heading, at most the course change it may still make
            sigma_deg = math.degrees(math.atan2(track.velocity_sigma_ms, speed))
            aim = math.tan(math.radians(min(sigma_deg, limits.manoeuvre_deg)))
        return _Plan(
            lookahead=lookahead,
            start_m=start_m,
            spread=spread,
            times=times,
            strike=strike,
            aim_spread=aim,
        )

    def _spans(self, motion: _Motion, plans: list[_Plan]) -> tuple[Floats, Floats]:
        """Per track (n, 3): the times at which its corridor starts (later than now for
        a falling object), reaches its widest, and ends; and its half-widths then."""
        speed = motion.speed
        end = np.array([p.times[-1] for p in plans])
        begin = np.array([p.times[0] for p in plans])
        start_m = np.array([p.start_m for p in plans])
        spread = np.array([p.spread for p in plans])
        capped_at = (MAX_HALF_WIDTH_M - start_m) / np.maximum(spread * speed, 1e-9)
        t = np.column_stack([begin, np.clip(capped_at, begin, end), end])
        return t, half_widths(speed[:, None] * t, start_m[:, None], spread[:, None])

    def _near_an_area(
        self, motion: _Motion, t: Floats, widths: Floats, start_m: Floats
    ) -> NDArray[np.bool_]:
        """Per track, whether the box around everything its corridor may cover meets
        some area's box. The corridor's discs are centred on points it reaches within
        its lookahead (at most speed x end from where it is, along a line or an arc)
        and are never wider than at the end; a straight mover's corridor is also cut
        to the disc of speed x end + start half-width. A track whose box meets none
        endangers nothing, whatever the corridor's exact shape."""
        speed, end = motion.speed, t[:, 2]
        cut = (speed >= STATIONARY_SPEED) & (np.abs(motion.omega) < MIN_OMEGA)
        reach = speed * end + np.where(cut, start_m, widths[:, 2]) + 1.0
        box = self._bounds
        x, y, r = motion.x[:, None], motion.y[:, None], reach[:, None]
        meets = (x + r >= box[None, :, 0]) & (x - r <= box[None, :, 2])
        meets &= (y + r >= box[None, :, 1]) & (y - r <= box[None, :, 3])
        return np.asarray(meets.any(axis=1), dtype=np.bool_)

    # ------------------------------------------------------------------ areas at risk

    def _arrivals(
        self,
        motion: _Motion,
        plans: list[_Plan],
        polygons: NDArray[np.object_],
        owners: NDArray[np.int64],
    ) -> dict[int, dict[int, float]]:
        """Time to arrival by track index, then by area index, for every area at risk;
        `polygons[k]` is the corridor of track `owners[k]`."""
        pair_poly, pair_area = self._tree.query(polygons, predicate="intersects")
        if len(pair_poly) == 0:
            return {}
        pair_track = owners[pair_poly]
        first_hit = self._first_hits(_Samples.of(motion, plans), pair_track, pair_area)
        # The range bound (see the module docstring). It also times the rare area that
        # the corridor only grazes between two samples.
        start = shapely.points(motion.x[pair_track], motion.y[pair_track])
        start_m = np.array([p.start_m for p in plans])[pair_track]
        gap = np.maximum(shapely.distance(self._geoms[pair_area], start) - start_m, 0.0)
        speed = motion.speed[pair_track]
        reach = np.where(speed >= STATIONARY_SPEED, gap / np.maximum(speed, 1e-9), 0.0)
        lookahead = np.array([p.lookahead for p in plans])[pair_track]
        begin = np.array([p.times[0] for p in plans])[pair_track]
        arrival = np.maximum(np.maximum(first_hit, reach), begin)
        within = arrival <= lookahead + 1e-6  # reachable within the lookahead
        within &= arrival <= self._past_target(motion, plans)[pair_track]
        arrivals: dict[int, dict[int, float]] = {}
        for t, a, tta in zip(
            pair_track[within].tolist(),
            pair_area[within].tolist(),
            np.minimum(arrival, lookahead)[within].tolist(),
            strict=True,
        ):
            arrivals.setdefault(t, {})[a] = tta
        return arrivals

    def _past_target(self, motion: _Motion, plans: list[_Plan]) -> Floats:
        """Per track, when a strike weapon's path is past its likeliest target (inf if it
        has none): the first defended area its course runs into, left behind by
        TARGET_OVERRUN_S. A drone or cruise missile flies to a target; the line extended
        beyond the first one it runs straight at "reaches" the country behind (a missile
        at Barakah reaching Saudi Arabia, one at Tel Aviv reaching Sinai) and would keep
        that country sheltering for nothing. Only for a known heading: with an unsure
        one, the centre line says little about what it is aimed at.

        Its course is the centre line widened by one sigma of its heading (at most the
        course change the kind may still make) and by its position's uncertainty: a bare
        line missed Al Udeid by 300 m at 125 km in one assessment out of many, and for
        those two seconds the whole of Saudi Arabia behind the base was at risk."""
        cut = np.full(len(plans), np.inf)
        strikes = np.array([i for i, p in enumerate(plans) if p.strike], dtype=np.int64)
        if len(strikes) == 0 or len(self._defended) == 0:
            return cut
        end = np.array([plans[i].times[-1] for i in strikes.tolist()])
        x, y = motion.x[strikes], motion.y[strikes]
        speed = np.maximum(motion.speed[strikes], 1e-9)
        ux, uy = motion.vx[strikes] / speed, motion.vy[strikes] / speed
        reach = speed * end
        near = np.array([plans[i].start_m for i in strikes.tolist()])
        far = near + reach * np.array([plans[i].aim_spread for i in strikes.tolist()])
        ex, ey = x + ux * reach, y + uy * reach
        # The tube as a quadrilateral: each end widened across the course (-uy, ux).
        ring = np.stack(
            [
                np.column_stack([x - uy * near, y + ux * near]),
                np.column_stack([ex - uy * far, ey + ux * far]),
                np.column_stack([ex + uy * far, ey - ux * far]),
                np.column_stack([x + uy * near, y - ux * near]),
            ],
            1,
        )
        tubes: NDArray[np.object_] = np.asarray(shapely.polygons(ring), dtype=np.object_)
        pair_line, pair_area = self._defended_tree.query(tubes, predicate="intersects")
        if len(pair_line) == 0:
            return cut
        areas = self._geoms[self._defended[pair_area]]
        pieces = np.asarray(shapely.intersection(tubes[pair_line], areas), dtype=np.object_)
        for k, piece in zip(pair_line.tolist(), pieces.tolist(), strict=True):
            # Along-course distances of each part's outline: the first part the tube
            # enters is the one it leaves first.
            spans = []
            for part in shapely.get_parts(piece).tolist():
                c = shapely.get_coordinates(part)
                along = (c[:, 0] - x[k]) * ux[k] + (c[:, 1] - y[k]) * uy[k]
                if len(along):
                    spans.append((float(along.min()), float(along.max())))
            if spans:
                leave_m = min(spans)[1]
                i = int(strikes[k])
                cut[i] = min(cut[i], leave_m / float(speed[k]) + TARGET_OVERRUN_S)
        return cut

    def _first_hits(
        self, samples: _Samples, pair_track: NDArray[np.int64], pair_area: NDArray[np.int64]
    ) -> Floats:
        """For each (track, area) pair, the first sample time whose disc reaches the area
        (0 where none does)."""
        # Every pair times every sample of its track, in time order within a pair.
        per_pair = samples.counts[pair_track]
        pair = np.repeat(np.arange(len(pair_track)), per_pair)
        rank = np.arange(len(pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
        sample = samples.first[pair_track][pair] + rank
        area = pair_area[pair]
        # A cheap bounding-box test first, then the exact one on what is left.
        box, w = self._bounds[area], samples.widths[sample]
        px, py = samples.x[sample], samples.y[sample]
        near = (px >= box[:, 0] - w) & (px <= box[:, 2] + w)
        near &= (py >= box[:, 1] - w) & (py <= box[:, 3] + w)
        pair, sample, area = pair[near], sample[near], area[near]
        used, slot = np.unique(sample, return_inverse=True)  # one point per sample
        points = shapely.points(samples.x[used], samples.y[used])[slot]
        hit = shapely.dwithin(self._geoms[area], points, samples.widths[sample])
        hit_pairs, first = np.unique(pair[hit], return_index=True)
        first_hit = np.zeros(len(pair_track))
        first_hit[hit_pairs] = self._crossing(
            samples, sample[hit][first], pair_area[hit_pairs], pair_track[hit_pairs]
        )
        return first_hit

    def _crossing(
        self,
        samples: _Samples,
        sample: NDArray[np.int64],
        area: NDArray[np.int64],
        track: NDArray[np.int64],
    ) -> Floats:
        """When the corridor reaches the area between the first sample that hits it and
        the one before, by linear interpolation of (distance - half-width); otherwise a
        time to arrival could be up to one step late."""
        times = samples.times[sample].copy()
        later = sample > samples.first[track]  # the first sample of a track has no "before"
        cur, prev = sample[later], sample[later] - 1
        both = np.concatenate([prev, cur])
        geoms = self._geoms[np.concatenate([area[later], area[later]])]
        margin = shapely.distance(geoms, shapely.points(samples.x[both], samples.y[both]))
        before, after = np.split(margin - samples.widths[both], 2)
        share = before / np.maximum(before - after, 1e-9)  # before > 0 >= after
        t_prev, t_cur = samples.times[prev], samples.times[cur]
        times[later] = t_prev + np.clip(share, 0.0, 1.0) * (t_cur - t_prev)
        return times

    def _areas_at_risk(self, arrivals: dict[int, float], at: datetime) -> tuple[AreaAtRisk, ...]:
        found = [
            AreaAtRisk(
                area_id=self._areas[a].area_id,
                partner=self._areas[a].partner,
                name=self._areas[a].name,
                area_kind=self._areas[a].kind.value,
                time_to_arrival_s=tta,
                expected_at=at + timedelta(seconds=tta),
            )
            for a, tta in arrivals.items()
        ]
        return tuple(sorted(found, key=lambda r: (r.time_to_arrival_s, r.area_id)))
