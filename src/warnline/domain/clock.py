"""Explicit clocks: every stage gets one passed in, so tests never sleep and a
scenario can run faster than real time while replays stay deterministic."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of 'now' in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, for a production node."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to: the clock of unit tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when


class ScaledClock:
    """Scenario time running `speed` times faster than the wall clock from `start`.

    The exercise uses it so that minutes of raid fit in a short demonstration; the
    node under test cannot tell it from a real clock.
    """

    def __init__(
        self, start: datetime, speed: float, *, running: bool = True, origin: float | None = None
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start
        self.speed = speed
        # `origin`: the monotonic instant scenario time started (the system-wide clock, so
        # another process on this machine can run the same scenario time).
        self._origin: float | None = (
            origin if origin is not None else (time.monotonic() if running else None)
        )

    @property
    def origin(self) -> float | None:
        """When scenario time started (time.monotonic()), or None while held."""
        return self._origin

    def go(self) -> None:
        """Start scenario time now, if it was created held at `start` (idempotent). The
        exercise holds it while its peers, node and players start: at 20x, five seconds
        of start-up were 100 s of raid no partner had reported yet."""
        if self._origin is None:
            self._origin = time.monotonic()

    def now(self) -> datetime:
        if self._origin is None:
            return self.start
        elapsed = (time.monotonic() - self._origin) * self.speed
        return self.start + timedelta(seconds=elapsed)

    def wall_seconds(self, scenario_seconds: float) -> float:
        """How long `scenario_seconds` of scenario time take on the wall clock."""
        return scenario_seconds / self.speed


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Shorthand for an aware UTC datetime (tests and scenarios)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
