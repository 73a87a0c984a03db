"""Fusion of what partners say about an object besides where it is.

Kind and identity are evidence, weighed over reports, never a partition of the picture.
Each (partner, sensor) keeps a tally of the kinds and identities it has reported (weighted
by its confidence); its vote is the share of each, worth its mean confidence and more the
more reports stand behind it (up to `FULL_VOTE_REPORTS`), so one wrong guess in seven does
not flip a track, a stray report that joined a track cannot relabel it, and a chatty sensor
outvotes nobody. Identity errs toward the threat among the votes that carry weight.

Kinematics has the last word on kinds that cannot be: a slow object near the ground is not
a ballistic missile, and an object faster than any aircraft is not a drone
(`plausible_kind`).

(Confirmation is kinematic evidence, scored in `hypothesiser` and decided in `picture`.)
"""

from __future__ import annotations

from datetime import datetime

from warnline.domain import (
    Contributor,
    Identity,
    Position,
    Releasability,
    Report,
    ThreatKind,
)

HOSTILE_MIN_CONFIDENCE = 0.6
MAX_CONFIDENCE = 0.99
FULL_VOTE_REPORTS = 3
BALLISTIC_MIN_SPEED_MS = 250.0  # below this, and low, it is not on a ballistic path
BALLISTIC_LOW_ALT_M = 15_000.0
AIR_BREATHING_MAX_SPEED_MS = 700.0  # drones, cruise missiles and aircraft fly slower

# From least to most threatening; a warning system errs toward the threat.
_THREAT_ORDER: tuple[Identity, ...] = (
    Identity.FRIEND,
    Identity.ASSUMED_FRIEND,
    Identity.NEUTRAL,
    Identity.PENDING,
    Identity.UNKNOWN,
    Identity.SUSPECT,
    Identity.HOSTILE,
)
_THREAT_RANK = {identity: rank for rank, identity in enumerate(_THREAT_ORDER)}
_NO_WORD = frozenset({Identity.UNKNOWN, Identity.PENDING})

# On equal weight the more dangerous reading wins.
_KIND_PREFERENCE: dict[ThreatKind, int] = {
    ThreatKind.BALLISTIC_MISSILE: 5,
    ThreatKind.CRUISE_MISSILE: 4,
    ThreatKind.ROCKET: 3,
    ThreatKind.DRONE: 2,
    ThreatKind.AIRCRAFT: 1,
    ThreatKind.UNKNOWN: 0,
}

_DEFAULT_RELEASABILITY = Releasability()


def effective_identity(report: Report) -> Identity:
    """HOSTILE said with little confidence counts as SUSPECT."""
    if report.identity is Identity.HOSTILE and report.confidence < HOSTILE_MIN_CONFIDENCE:
        return Identity.SUSPECT
    return report.identity


def plausible_kind(kind: ThreatKind, speed: float, alt_m: float) -> bool:
    """Can an object of this kind move like this? Ballistic objects near the ground are
    fast; drones, cruise missiles and aircraft are never as fast as a missile."""
    if kind in (ThreatKind.BALLISTIC_MISSILE, ThreatKind.ROCKET):
        return speed >= BALLISTIC_MIN_SPEED_MS or alt_m >= BALLISTIC_LOW_ALT_M
    if kind in (ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE, ThreatKind.AIRCRAFT):
        return speed <= AIR_BREATHING_MAX_SPEED_MS
    return True


class ContributorState:
    """One (partner, sensor)'s running share in a track."""

    __slots__ = (
        "_frozen",
        "_identity",
        "_vote",
        "batch",
        "confidence",
        "count",
        "first_t",
        "identities",
        "kinds",
        "last_position",
        "last_report_at",
        "last_t",
        "partner",
        "releasability",
        "sensor",
    )

    def __init__(self, report: Report, t: float) -> None:
        self.partner = report.partner
        self.sensor = report.sensor
        self.count = 0
        self.batch = -1
        self.first_t = float("inf")
        self.kinds: dict[ThreatKind, float] = {}
        self.identities: dict[Identity, int] = {}
        self.last_t = -float("inf")
        self.confidence = 0.0
        self.releasability = _DEFAULT_RELEASABILITY
        self.last_report_at: datetime = report.observed_at
        self.last_position: Position = report.position
        self._frozen: Contributor | None = None
        self._vote: dict[ThreatKind, float] | None = None
        self._identity: Identity | None = None

    def add(self, report: Report, t: float, batch: int) -> None:
        self._frozen = self._vote = self._identity = None
        self.count += 1
        self.batch = max(self.batch, batch)
        self.first_t = min(self.first_t, t)
        identity = effective_identity(report)
        self.identities[identity] = self.identities.get(identity, 0) + 1
        if report.kind is not ThreatKind.UNKNOWN:
            weight = max(min(report.confidence, 1.0), 0.05)
            self.kinds[report.kind] = self.kinds.get(report.kind, 0.0) + weight
        if t >= self.last_t:  # a delayed report is counted but does not overwrite
            self.last_t = t
            self.last_report_at = report.observed_at
            self.last_position = report.position
            self.releasability = report.releasability or _DEFAULT_RELEASABILITY
            self.confidence = min(max(report.confidence, 0.0), 1.0)

    def vote(self) -> dict[ThreatKind, float]:
        """The sensor's kind shares, times its mean confidence, times how many reports
        stand behind them (full weight from `FULL_VOTE_REPORTS` on)."""
        if self._vote is None:
            total = sum(self.kinds.values())
            weight = min(self.count, FULL_VOTE_REPORTS) / (FULL_VOTE_REPORTS * self.count)
            self._vote = {k: weight * w for k, w in self.kinds.items()} if total > 0 else {}
        return self._vote

    def identity(self) -> Identity:
        """The identity this sensor has said most often (a definite word over "unknown" as
        soon as it has said one); on a tie the more threatening."""
        if self._identity is None:
            counts = {i: n for i, n in self.identities.items() if i not in _NO_WORD}
            counts = counts or self.identities
            self._identity = max(counts, key=lambda i: (counts[i], _THREAT_RANK[i]))
        return self._identity

    def absorb(self, other: ContributorState) -> None:
        self.count += other.count
        self.batch = max(self.batch, other.batch)
        self.first_t = min(self.first_t, other.first_t)
        for kind, w in other.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0.0) + w
        for identity, n in other.identities.items():
            self.identities[identity] = self.identities.get(identity, 0) + n
        if other.last_t > self.last_t:
            self.last_t = other.last_t
            self.last_report_at = other.last_report_at
            self.last_position = other.last_position
            self.releasability = other.releasability
            self.confidence = other.confidence
        self._frozen = self._vote = self._identity = None

    def frozen(self) -> Contributor:
        if self._frozen is None:
            self._frozen = Contributor(
                partner=self.partner,
                sensor=self.sensor,
                releasability=self.releasability,
                last_report_at=self.last_report_at,
                last_position=self.last_position,
                report_count=self.count,
            )
        return self._frozen


class TrackAttributes:
    """Kind, identity, confidence and contributors of one track."""

    __slots__ = ("_order", "contributors", "report_count")

    def __init__(self) -> None:
        self.contributors: dict[tuple[str, str], ContributorState] = {}
        self.report_count = 0
        self._order: list[ContributorState] | None = None

    def ordered(self) -> list[ContributorState]:
        """Contributors in (partner, sensor) order, which every fused value is computed in."""
        if self._order is None:
            self._order = [self.contributors[key] for key in sorted(self.contributors)]
        return self._order

    def add(self, report: Report, t: float, batch: int) -> None:
        """Count one report; `batch` numbers the ingest call it came in."""
        key = (report.partner, report.sensor)
        state = self.contributors.get(key)
        if state is None:
            state = self.contributors[key] = ContributorState(report, t)
            self._order = None
        state.add(report, t, batch)
        self.report_count += 1

    def absorb(self, other: TrackAttributes) -> None:
        """Take over another track's contributions (when two tracks prove to be one)."""
        for key in sorted(other.contributors):
            theirs = other.contributors[key]
            mine = self.contributors.get(key)
            if mine is None:
                self.contributors[key] = theirs
            else:
                mine.absorb(theirs)
        self.report_count += other.report_count
        self._order = None

    def seen_apart(self, other: TrackAttributes) -> bool:
        """Did one sensor, in its latest batch, report both tracks? Then it saw two objects
        (within a batch, a sensor's reports with different sensor-track numbers, or none,
        never go to the same track)."""
        for key in sorted(self.contributors.keys() & other.contributors.keys()):
            if self.contributors[key].batch == other.contributors[key].batch:
                return True
        return False

    def fused(
        self, *, speed: float | None = None, alt_m: float | None = None
    ) -> tuple[ThreatKind, Identity, float, tuple[Contributor, ...]]:
        """Kind, identity, confidence and contributors, in one pass over the sensors: this
        runs for every track a batch touches, the picture's hottest Python.

        Kind: the most evidence behind it that the motion (if given) allows. Identity: the
        most threatening word among sensors with `FULL_VOTE_REPORTS` reports here (failing
        any, all of them), "unknown" and "pending" being no word. Confidence:
        1 - Π(1 - c_p) over partners, c_p the partner's most confident current word."""
        states = self.ordered()
        if not states:
            return ThreatKind.UNKNOWN, Identity.UNKNOWN, 0.0, ()
        weight: dict[ThreatKind, float] = {}
        per_partner: dict[str, float] = {}
        weighty: list[Identity] = []
        every: list[Identity] = []
        frozen: list[Contributor] = []
        for state in states:
            for kind, w in state.vote().items():
                weight[kind] = weight.get(kind, 0.0) + w
            c = state.confidence
            if c > per_partner.get(state.partner, -1.0):
                per_partner[state.partner] = c
            identity = state.identity()
            every.append(identity)
            if state.count >= FULL_VOTE_REPORTS:
                weighty.append(identity)
            frozen.append(state.frozen())
        if speed is not None and alt_m is not None:
            weight = {k: w for k, w in weight.items() if plausible_kind(k, speed, alt_m)}
        kind = (
            max(weight, key=lambda k: (weight[k], _KIND_PREFERENCE[k]))
            if weight
            else ThreatKind.UNKNOWN
        )
        votes = weighty or every
        said = [i for i in votes if i not in _NO_WORD] or votes
        identity = max(said, key=lambda i: _THREAT_RANK[i])
        doubt = 1.0
        for c in per_partner.values():
            doubt *= 1.0 - max(c, 0.0)
        return kind, identity, min(1.0 - doubt, MAX_CONFIDENCE), tuple(frozen)
