"""How close a set of tracks is to the truth: GOSPA, duplicate and false track rates.

All distances are 3-D, in metres, in one local metric frame: the coalition's regional
plane (x, y) with altitude as z. The plane is conformal with a scale within about 1 %
across the region, far below the cut-off, so one frame serves the whole raid.

GOSPA (generalised optimal sub-pattern assignment, Rahmathullah, García-Fernández and
Svensson 2017) with alpha = 2, cut-off c = 2 km and p = 2: at one time,

    GOSPA = ( sum over assigned pairs d^p  +  c^p / 2 * (missed + false) ) ^ (1/p)

minimised over assignments of tracks to objects with d < c. Its square splits into
localisation, missed objects and false tracks, so a number can be read back as "this
many objects missed". c = 2 km: well above the error of a track that follows its
object (a few hundred metres, less for fused tracks), well below the spacing of objects
(tens of kilometres), so a pair nearer than c is the same object and one farther is not.

Per evaluation time, every track is exactly one of: *assigned* (in the GOSPA assignment),
a *duplicate* (not assigned, but within c of some object - which therefore already has
a nearer track) or *false* (farther than c from every object). The rates sum those over
all evaluation times and divide by the tracks counted over the same times.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from warnline.bench.assignment import FloatArray, assign
from warnline.bench.measured import unix_seconds
from warnline.domain import Track, TrackState
from warnline.domain.plane import RegionalPlane

CUTOFF_M = 2_000.0
ORDER_P = 2.0
SCORED_STATES = (TrackState.CONFIRMED, TrackState.COASTING)
"""Only tracks that a stage downstream would act on are scored; tentative ones are not."""

Truth = Callable[[float], Mapping[str, tuple[float, float, float]]]

_WGS84_A = 6378137.0
_WGS84_E2 = 6.69437999014e-3


@dataclass(frozen=True, kw_only=True, slots=True)
class Gospa:
    """GOSPA at one time, and how each track was counted."""

    distance: float
    localisation: float  # sum of d^p over assigned pairs
    assigned: int
    missed: int
    false: int  # tracks not assigned (duplicates + far)
    duplicates: int
    far: int
    tracks: int
    objects: int


def gospa(
    tracks: FloatArray, objects: FloatArray, *, c: float = CUTOFF_M, p: float = ORDER_P
) -> Gospa:
    """GOSPA (alpha = 2) between track positions (n, 3) and object positions (m, 3)."""
    n, m = len(tracks), len(objects)
    rows = cols = np.empty(0, np.intp)
    d = np.empty(0)
    if n and m:
        pairs = cKDTree(tracks).sparse_distance_matrix(cKDTree(objects), c, output_type="ndarray")
        inside = pairs["v"] < c
        rows = pairs["i"][inside].astype(np.intp)
        cols = pairs["j"][inside].astype(np.intp)
        d = pairs["v"][inside]
    gain = c**p - d**p
    keep = gain > 0.0
    rows, cols, d, gain = rows[keep], cols[keep], d[keep], gain[keep]
    chosen_r, chosen_c = assign(rows, cols, gain, n_rows=n, n_cols=m)
    lookup = dict(zip(zip(rows.tolist(), cols.tolist(), strict=True), d.tolist(), strict=True))
    localisation = float(
        sum(lookup[(r, k)] ** p for r, k in zip(chosen_r.tolist(), chosen_c.tolist(), strict=True))
    )
    assigned = len(chosen_r)
    near = np.zeros(n, dtype=bool)
    near[rows] = True
    unassigned = np.ones(n, dtype=bool)
    unassigned[chosen_r] = False
    missed, false = m - assigned, n - assigned
    return Gospa(
        distance=(localisation + c**p / 2.0 * (missed + false)) ** (1.0 / p),
        localisation=localisation,
        assigned=assigned,
        missed=missed,
        false=false,
        duplicates=int(np.count_nonzero(unassigned & near)),
        far=int(np.count_nonzero(~near)),
        tracks=n,
        objects=m,
    )


class Scorer:
    """Accumulates GOSPA over evaluation times and summarises it as the bench reports it."""

    def __init__(self, *, c: float = CUTOFF_M, p: float = ORDER_P) -> None:
        self._c, self._p = c, p
        self.samples: list[Gospa] = []

    def add(self, tracks: FloatArray, objects: FloatArray) -> Gospa:
        sample = gospa(tracks, objects, c=self._c, p=self._p)
        self.samples.append(sample)
        return sample

    def summary(self) -> dict[str, float]:
        s = self.samples
        tracks = sum(x.tracks for x in s)
        objects = sum(x.objects for x in s)
        assigned = sum(x.assigned for x in s)
        localisation = sum(x.localisation for x in s)
        return {
            "gospa": float(np.mean([x.distance for x in s])) if s else 0.0,
            "duplicate_track_rate": sum(x.duplicates for x in s) / tracks if tracks else 0.0,
            "false_track_rate": sum(x.far for x in s) / tracks if tracks else 0.0,
            "missed_object_rate": sum(x.missed for x in s) / objects if objects else 0.0,
            "localisation_rms_m": math.sqrt(localisation / assigned) if assigned else 0.0,
            "mean_tracks": tracks / len(s) if s else 0.0,
            "mean_objects": objects / len(s) if s else 0.0,
            "evaluations": float(len(s)),
        }


# -- positions in the metric frame --------------------------------------------------------


def extrapolate_geodetic(
    plane: RegionalPlane,
    lat: FloatArray,
    lon: FloatArray,
    alt: FloatArray,
    velocity_enu: FloatArray,
    dt: FloatArray,
) -> FloatArray:
    """(n, 3) plane x, y and altitude of points moved by a local east/north/up velocity
    for dt seconds. Moved on the ellipsoid (meridian and prime-vertical radii), so the
    result does not depend on any tracker's own frame."""
    phi = np.radians(lat)
    w = 1.0 - _WGS84_E2 * np.sin(phi) ** 2
    meridian = _WGS84_A * (1.0 - _WGS84_E2) / w**1.5
    normal = _WGS84_A / np.sqrt(w)
    lat2 = lat + np.degrees(velocity_enu[:, 1] * dt / meridian)
    lon2 = lon + np.degrees(velocity_enu[:, 0] * dt / (normal * np.cos(phi)))
    x, y = plane.to_xy(lon2, lat2)
    return np.column_stack([x, y, alt + velocity_enu[:, 2] * dt])


def track_xyz(plane: RegionalPlane, tracks: Sequence[Track], at_s: float) -> FloatArray:
    """Scored tracks' positions extrapolated along their velocity to `at_s` (Unix s)."""
    scored = [t for t in tracks if t.state in SCORED_STATES]
    if not scored:
        return np.empty((0, 3))
    lat = np.array([t.position.lat for t in scored])
    lon = np.array([t.position.lon for t in scored])
    alt = np.array([t.position.alt_m for t in scored])
    v = np.array([(t.velocity.east, t.velocity.north, t.velocity.up) for t in scored])
    dt = at_s - np.array([unix_seconds(t.updated_at) for t in scored])
    return extrapolate_geodetic(plane, lat, lon, alt, v, dt)


def truth_xyz(plane: RegionalPlane, truth: Truth, at_s: float) -> FloatArray:
    """(m, 3) positions of every real object airborne at `at_s`."""
    where = truth(at_s)
    if not where:
        return np.empty((0, 3))
    lat, lon, alt = (np.array(v, float) for v in zip(*where.values(), strict=True))
    x, y = plane.to_xy(lon, lat)
    return np.column_stack([x, y, alt])


def score_snapshots(
    plane: RegionalPlane,
    truth: Truth,
    snapshots: Sequence[tuple[float, Sequence[Track]]],
) -> dict[str, float]:
    scorer = Scorer()
    for at_s, tracks in snapshots:
        scorer.add(track_xyz(plane, tracks, at_s), truth_xyz(plane, truth, at_s))
    return scorer.summary()
