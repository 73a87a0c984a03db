"""What one partner saw: the single input type every ingest adapter produces."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from warnline.domain.geo import Position, Velocity


class ThreatKind(StrEnum):
    DRONE = "drone"
    CRUISE_MISSILE = "cruise_missile"
    BALLISTIC_MISSILE = "ballistic_missile"
    ROCKET = "rocket"
    AIRCRAFT = "aircraft"
    UNKNOWN = "unknown"


class Identity(StrEnum):
    """Standard identity as in APP-6 / MIL-STD-2525."""

    PENDING = "pending"
    UNKNOWN = "unknown"
    ASSUMED_FRIEND = "assumed_friend"
    FRIEND = "friend"
    NEUTRAL = "neutral"
    SUSPECT = "suspect"
    HOSTILE = "hostile"

    @property
    def threatening(self) -> bool:
        return self in (Identity.SUSPECT, Identity.HOSTILE)


WITHHOLDABLE = ("accuracy", "altitude", "velocity")  # what a sensor's data reveals of the sensor


class Attribution(StrEnum):
    NAMED = "named"
    ANONYMOUS = "anonymous"  # shown to others as "coalition source"


def _in_order(values: tuple[str, ...]) -> bool:
    """Strictly increasing: sorted and without repeats."""
    return all(a < b for a, b in itertools.pairwise(values))


@dataclass(frozen=True, kw_only=True, slots=True)
class Releasability:
    """To whom a partner releases a report, how it is attributed, and which of its
    fields others never receive (a radar's accuracy, altitude or velocity measurements
    tell a lot about the radar).

    `release_to` None means every coalition partner; the coordination cell always
    receives everything (it is the hub operator under the agreement).
    """

    release_to: tuple[str, ...] | None = None
    attribution: Attribution = Attribution.NAMED
    withhold: tuple[str, ...] = ()  # fields of WITHHOLDABLE others never receive

    def __post_init__(self) -> None:
        # Sorted and de-duplicated, so equal policies serialise to equal bytes. One is
        # made for every contributor of every track frozen: what is already in order
        # (nearly all of them) is left as it is.
        release_to = self.release_to
        if release_to is not None and not (
            type(release_to) is tuple and (len(release_to) < 2 or _in_order(release_to))
        ):
            object.__setattr__(self, "release_to", tuple(sorted(set(release_to))))
        withhold = self.withhold
        if not withhold:
            if type(withhold) is not tuple:
                object.__setattr__(self, "withhold", ())
            return
        unknown = set(withhold) - set(WITHHOLDABLE)
        if unknown:
            raise ValueError(f"cannot withhold {sorted(unknown)}; only {WITHHOLDABLE}")
        object.__setattr__(self, "withhold", tuple(sorted(set(withhold))))

    def releases_to(self, partner: str) -> bool:
        return self.release_to is None or partner in self.release_to


@dataclass(frozen=True, kw_only=True, slots=True)
class Report:
    """One observation of one object by one partner's sensor or watch officer.

    `report_id` is chosen by the partner and unique among its reports: it is the
    idempotency key, so a resent report is journaled once. A report whose sensor does
    not measure altitude says so with `altitude_measured=False` (its `alt_m` is then 0 and
    means nothing): the picture must neither gate nor update altitude on it.
    """

    report_id: str
    partner: str
    sensor: str
    observed_at: datetime
    position: Position
    accuracy_m: float
    kind: ThreatKind = ThreatKind.UNKNOWN
    identity: Identity = Identity.UNKNOWN
    confidence: float = 0.5
    velocity: Velocity | None = None
    sensor_track: str | None = None
    releasability: Releasability | None = None
    source_format: str = "json"
    altitude_measured: bool = True  # False: a 2-D sensor; `position.alt_m` is a placeholder

    @property
    def key(self) -> str:
        """Coalition-wide unique identity of this report."""
        return f"{self.partner}/{self.report_id}"
