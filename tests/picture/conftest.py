"""Fixtures for the picture tests: reports placed in the regional plane, in metres."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from warnline.domain import Identity, Position, Report, ThreatKind, Velocity
from warnline.domain.plane import regional_plane


class Scene:
    """Makes reports at plane (x, y) metres, `t` seconds after `t0`, with fresh ids."""

    t0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def __init__(self) -> None:
        self.plane = regional_plane()
        self._ids = itertools.count(1)

    def at(self, t: float) -> datetime:
        return self.t0 + timedelta(seconds=t)

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return self.plane.point_xy(lon, lat)

    def report(
        self,
        partner: str,
        x: float,
        y: float,
        t: float,
        *,
        sensor: str = "radar",
        accuracy: float = 100.0,
        kind: ThreatKind = ThreatKind.UNKNOWN,
        identity: Identity = Identity.UNKNOWN,
        confidence: float = 0.5,
        sensor_track: str | None = None,
        velocity: tuple[float, float] | None = None,
        alt: float = 1000.0,
    ) -> Report:
        lon, lat = self.plane.point_lonlat(x, y)
        return Report(
            report_id=f"r{next(self._ids)}",
            partner=partner,
            sensor=sensor,
            observed_at=self.at(t),
            position=Position(lat=lat, lon=lon, alt_m=alt),
            accuracy_m=accuracy,
            kind=kind,
            identity=identity,
            confidence=confidence,
            sensor_track=sensor_track,
            velocity=None if velocity is None else Velocity(east=velocity[0], north=velocity[1]),
        )

    def by_second(self, reports: list[Report]) -> list[list[Report]]:
        """One batch per whole second of observation time, in time order."""
        batches: dict[int, list[Report]] = {}
        for report in reports:
            second = int((report.observed_at - self.t0).total_seconds() // 1)
            batches.setdefault(second, []).append(report)
        return [batches[s] for s in sorted(batches)]


@pytest.fixture
def scene() -> Scene:
    return Scene()


@pytest.fixture(scope="session")
def new_scene() -> type[Scene]:
    """For property tests: a fresh scene per generated example."""
    return Scene
