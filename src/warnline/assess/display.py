"""A track's predicted path and corridor outline, made when someone looks at them.

Neither decides anything (the areas at risk do): the console draws the corridor, the
path explains it. Most tracks of a large picture endanger nothing, and nobody may be
watching, yet building both on every reassessment was half the assessor's time (on
a 1,000-drone picture over the sea, about 130 of 270 µs a track). A `Sketch` keeps
the dozen numbers a track's outline and path are made from; the assessment carries
them as lazy sequences (`Outline`, `PathSamples`) that read like the tuples they
replace. `prepare` makes every missing outline of a picture in one vectorised call,
as the assessor did, so a view of 1,000 tracks pays what one assessment used to.

The corridor itself is built here too (`corridors`): the assessor needs the polygons
of the tracks that come near an area, and a sketch the same polygon for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np
import shapely
from numpy.typing import NDArray

from warnline.assess.arcs import MIN_OMEGA, arc_corridor, positions
from warnline.assess.kinematics import STATIONARY_SPEED
from warnline.domain.geo import Position
from warnline.domain.plane import RegionalPlane

Floats = NDArray[np.float64]
Coords = tuple[tuple[float, float], ...]

CIRCLE_SEGMENTS = 8  # segments per quarter circle at the corridor's start
REACH_SEGMENTS = 32  # finer for the far arc, which spans only a few degrees of its circle
PATH_POINTS = 16  # positions per predicted path: it is straight, for display


def corridors(
    *,
    x: Floats,
    y: Floats,
    vx: Floats,
    vy: Floats,
    omega: Floats,
    t: Floats,
    widths: Floats,
    start_m: Floats,
) -> NDArray[np.object_]:
    """Each corridor as one polygon in the plane; `t` and `widths` are (n, 3): the
    corridor's start, where its width reaches the cap, and its end.

    Along a straight path, a disc whose radius grows linearly (then stays at the cap)
    sweeps exactly the convex hull of the discs at the start, where the cap is
    reached, and at the end: three buffers and a hull per track, not one per sample.
    The hull is then cut to what the threat can reach at its speed (a disc around
    its position), so the far end is the arc of the fan, not a bulge beyond it. A
    track that turns steadily gets the band around its arc.
    """
    speed = np.hypot(vx, vy)
    end = t[:, 2]
    discs = shapely.buffer(
        shapely.points(
            (x[:, None] + vx[:, None] * t).ravel(), (y[:, None] + vy[:, None] * t).ravel()
        ),
        widths.ravel(),
        quad_segs=CIRCLE_SEGMENTS,
    )
    owner = np.repeat(np.arange(len(x)), 3)
    collections = shapely.geometrycollections(discs, indices=owner)
    hulls = np.asarray(shapely.convex_hull(collections), dtype=object)
    moving = speed >= STATIONARY_SPEED
    reach = shapely.buffer(
        shapely.points(x[moving], y[moving]),
        speed[moving] * end[moving] + start_m[moving],
        quad_segs=REACH_SEGMENTS,
    )
    hulls[moving] = shapely.intersection(hulls[moving], reach)
    for i in np.flatnonzero(moving & (np.abs(omega) >= MIN_OMEGA)).tolist():
        hulls[i] = arc_corridor(
            float(x[i]),
            float(y[i]),
            float(vx[i]),
            float(vy[i]),
            float(omega[i]),
            float(end[i]),
            float(widths[i, -1]),
        )
    return hulls


def rings(plane: RegionalPlane, polygons: NDArray[np.object_]) -> list[Coords]:
    """Each polygon's outline as a lon/lat ring (rounded to about 0.1 m)."""
    exteriors = shapely.get_exterior_ring(polygons)
    xy, owner = shapely.get_coordinates(exteriors, return_index=True)
    lon, lat = plane.to_lonlat(xy[:, 0], xy[:, 1])
    coords = list(zip(np.round(lon, 6).tolist(), np.round(lat, 6).tolist(), strict=True))
    bounds = np.searchsorted(owner, np.arange(len(polygons) + 1))
    return [tuple(coords[bounds[i] : bounds[i + 1]]) for i in range(len(polygons))]


class Sketch:
    """What one track's outline and path are made from, in the plane at the
    assessment time; each is made once, on first use, and kept."""

    __slots__ = (
        "_path",
        "_polygon",
        "_ring",
        "lookahead",
        "motion",
        "path_points",
        "plane",
        "start_m",
        "t",
        "widths",
    )

    def __init__(
        self,
        *,
        plane: RegionalPlane,
        motion: tuple[float, float, float, float, float, float, float],
        t: tuple[float, float, float],
        widths: tuple[float, float, float],
        start_m: float,
        lookahead: float,
        path_points: int,
        polygon: Any = None,
    ) -> None:
        self.plane = plane
        self.motion = motion  # x, y, vx, vy, omega, alt, climb
        self.t = t
        self.widths = widths
        self.start_m = start_m
        self.lookahead = lookahead
        self.path_points = path_points
        self._polygon = polygon
        self._ring: Coords | None = None
        self._path: tuple[Position, ...] | None = None

    def ring(self) -> Coords:
        if self._ring is None:
            prepare_sketches([self])
        assert self._ring is not None
        return self._ring

    def path(self) -> tuple[Position, ...]:
        if self._path is None:
            self._path = self._make_path()
        return self._path

    def _make_path(self) -> tuple[Position, ...]:
        """Up to PATH_POINTS evenly timed positions of the predicted path, in WGS84."""
        x, y, vx, vy, omega, alt, climb = self.motion
        t = np.linspace(0.0, self.lookahead, self.path_points)
        one = np.ones(len(t))
        px, py = positions(x * one, y * one, vx * one, vy * one, omega * one, t)
        lon, lat = self.plane.to_lonlat(px, py)
        lon = (lon + 180.0) % 360.0 - 180.0
        lat = np.clip(lat, -90.0, 90.0)
        height = np.maximum(alt + climb * t, 0.0)
        return tuple(
            Position(lat=la, lon=lo, alt_m=al)
            for lo, la, al in zip(lon.tolist(), lat.tolist(), height.tolist(), strict=True)
        )

    # Pickled (a follower snapshot) without what it has made: the same state gives the
    # same bytes whether or not someone looked at it.
    def __getstate__(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)
        self._polygon = None
        self._ring = None
        self._path = None


def prepare_sketches(sketches: Iterable[Sketch]) -> None:
    """Make every missing outline among `sketches`, polygons in one vectorised call."""
    todo = [s for s in sketches if s._ring is None]
    if not todo:
        return
    bare = [s for s in todo if s._polygon is None]
    if bare:
        m = np.array([s.motion for s in bare])
        polygons = corridors(
            x=m[:, 0],
            y=m[:, 1],
            vx=m[:, 2],
            vy=m[:, 3],
            omega=m[:, 4],
            t=np.array([s.t for s in bare]),
            widths=np.array([s.widths for s in bare]),
            start_m=np.array([s.start_m for s in bare]),
        )
        for s, polygon in zip(bare, polygons.tolist(), strict=True):
            s._polygon = polygon
    by_plane: dict[int, list[Sketch]] = {}
    for s in todo:
        by_plane.setdefault(id(s.plane), []).append(s)
    for group in by_plane.values():
        made = rings(group[0].plane, np.array([s._polygon for s in group], dtype=object))
        for s, ring in zip(group, made, strict=True):
            s._ring = ring
            s._polygon = None  # the ring is what is kept


def prepare(outlines: Iterable[Sequence[tuple[float, float]]]) -> None:
    """Make, in one call, every outline among `outlines` not yet made (others are
    plain tuples and are left alone)."""
    prepare_sketches(o.sketch for o in outlines if isinstance(o, Outline))


class _Lazy:
    __slots__ = ("sketch",)

    def __init__(self, sketch: Sketch) -> None:
        self.sketch = sketch

    def _items(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self._items())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Lazy):
            return self._items() == other._items()
        if isinstance(other, tuple):
            return self._items() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._items())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items()!r})"


class Outline(_Lazy, Sequence[tuple[float, float]]):
    """A corridor's lon/lat ring, made on first use."""

    __slots__ = ()

    def _items(self) -> Coords:
        return self.sketch.ring()

    @overload
    def __getitem__(self, i: int) -> tuple[float, float]: ...
    @overload
    def __getitem__(self, i: slice) -> Coords: ...
    def __getitem__(self, i: int | slice) -> tuple[float, float] | Coords:
        return self._items()[i]


class PathSamples(_Lazy, Sequence[Position]):
    """A predicted path's positions, made on first use."""

    __slots__ = ()

    def _items(self) -> tuple[Position, ...]:
        return self.sketch.path()

    @overload
    def __getitem__(self, i: int) -> Position: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[Position, ...]: ...
    def __getitem__(self, i: int | slice) -> Position | tuple[Position, ...]:
        return self._items()[i]
