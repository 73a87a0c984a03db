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

The tallies live in arrays (`Tallies`, one row per track and sensor), so that a batch adds
its reports to them at once and `fuse` decides every touched track's kind, identity and
confidence in a few array passes: this runs for every track a batch touches and was the
picture's hottest Python. Sums are taken in the order the per-report loop took them
(reports in batch order, sensors in (partner, sensor) order), so the floats - and with
them every tie between kinds - are the same as a loop's.

(Confirmation is kinematic evidence, scored in `hypothesiser` and decided in `picture`.)
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from warnline.domain import (
    Contributor,
    Identity,
    Position,
    Releasability,
    Report,
    ThreatKind,
)
from warnline.picture.models import KIND_CODE, KINDS, FloatArray, IntArray

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
THREAT_RANK = {identity: rank for rank, identity in enumerate(_THREAT_ORDER)}
_NO_WORD = frozenset({Identity.UNKNOWN, Identity.PENDING})
_WORD = np.array([i not in _NO_WORD for i in _THREAT_ORDER])

# On equal weight the more dangerous reading wins.
_KIND_PREFERENCE: dict[ThreatKind, int] = {
    ThreatKind.BALLISTIC_MISSILE: 5,
    ThreatKind.CRUISE_MISSILE: 4,
    ThreatKind.ROCKET: 3,
    ThreatKind.DRONE: 2,
    ThreatKind.AIRCRAFT: 1,
    ThreatKind.UNKNOWN: 0,
}
# Kind codes, most preferred first: argmax over columns in this order breaks ties.
_BY_PREFERENCE = np.array(
    [KIND_CODE[k] for k in sorted(KINDS, key=lambda k: -_KIND_PREFERENCE[k])], np.intp
)
_FALLING = np.array([k in (ThreatKind.BALLISTIC_MISSILE, ThreatKind.ROCKET) for k in KINDS])
_AIR_BREATHING = np.array(
    [k in (ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE, ThreatKind.AIRCRAFT) for k in KINDS]
)
_UNKNOWN_KIND = KIND_CODE[ThreatKind.UNKNOWN]

_DEFAULT_RELEASABILITY = Releasability()

Fused = tuple[ThreatKind, Identity, float, tuple[Contributor, ...]]


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


class Tallies:
    """What `fuse` reads of every (track, sensor), one row each: kind weights, identity
    counts, the number of reports and the confidence of the latest one.

    A removed row is reused, smallest first, like a track's slot in the store.
    """

    def __init__(self, capacity: int = 256) -> None:
        self.kinds = np.zeros((capacity, len(KINDS)))
        self.identities = np.zeros((capacity, len(_THREAT_ORDER)), np.int64)
        self.count = np.zeros(capacity, np.int64)
        self.confidence = np.zeros(capacity)
        self._free: list[int] = []
        self._high = 0

    def allocate(self) -> int:
        if self._free:
            return heapq.heappop(self._free)
        if self._high == len(self.count):
            extra = max(256, len(self.count))
            self.kinds = np.concatenate([self.kinds, np.zeros((extra, self.kinds.shape[1]))])
            self.identities = np.concatenate(
                [self.identities, np.zeros((extra, self.identities.shape[1]), np.int64)]
            )
            self.count = np.concatenate([self.count, np.zeros(extra, np.int64)])
            self.confidence = np.concatenate([self.confidence, np.zeros(extra)])
        self._high += 1
        return self._high - 1

    def release(self, row: int) -> None:
        self.kinds[row] = 0.0
        self.identities[row] = 0
        self.count[row] = 0
        self.confidence[row] = 0.0
        heapq.heappush(self._free, row)

    def add(
        self, rows: IntArray, kind: IntArray, confidence: FloatArray, identity: IntArray
    ) -> None:
        """Count reports (`rows[i]` is report i's row) in the order given.

        `kind` is the report's kind code, `identity` its effective identity's threat rank;
        a kind weighs the report's confidence, at least 0.05.
        """
        told = kind != _UNKNOWN_KIND
        weight = np.maximum(np.minimum(confidence[told], 1.0), 0.05)
        np.add.at(self.kinds, (rows[told], kind[told]), weight)
        np.add.at(self.identities, (rows, identity), 1)
        np.add.at(self.count, rows, 1)

    def absorb(self, row: int, other: int, *, newer: bool) -> None:
        """Add `other`'s tallies to `row`'s (its confidence too if it is `newer`) and
        free `other`."""
        self.kinds[row] += self.kinds[other]
        self.identities[row] += self.identities[other]
        self.count[row] += self.count[other]
        if newer:
            self.confidence[row] = self.confidence[other]
        self.release(other)


class ContributorState:
    """One (partner, sensor)'s running share in a track; what `fuse` reads of it is row
    `row` of the `Tallies`."""

    __slots__ = (
        "_frozen",
        "_tallies",
        "batch",
        "last_position",
        "last_report_at",
        "last_t",
        "partner",
        "releasability",
        "row",
        "sensor",
    )

    def __init__(self, report: Report, tallies: Tallies) -> None:
        self.partner = report.partner
        self.sensor = report.sensor
        self.row = tallies.allocate()
        self.batch = -1
        self.last_t = -float("inf")
        self.releasability = _DEFAULT_RELEASABILITY
        self.last_report_at: datetime = report.observed_at
        self.last_position: Position = report.position
        self._tallies = tallies
        self._frozen: Contributor | None = None

    @property
    def count(self) -> int:
        return int(self._tallies.count[self.row])

    def add(self, report: Report, t: float, batch: int) -> None:
        """Note one report (its kind, identity and count go to the tallies by batch)."""
        self._frozen = None
        if batch > self.batch:
            self.batch = batch
        if t >= self.last_t:  # a delayed report is counted but does not overwrite
            self.last_t = t
            self.last_report_at = report.observed_at
            self.last_position = report.position
            self.releasability = report.releasability or _DEFAULT_RELEASABILITY
            self._tallies.confidence[self.row] = min(max(report.confidence, 0.0), 1.0)

    def absorb(self, other: ContributorState) -> None:
        """Take over the reports of the same sensor in another track; `other` is spent."""
        self.batch = max(self.batch, other.batch)
        newer = other.last_t > self.last_t
        if newer:
            self.last_t = other.last_t
            self.last_report_at = other.last_report_at
            self.last_position = other.last_position
            self.releasability = other.releasability
        self._tallies.absorb(self.row, other.row, newer=newer)
        self._frozen = None

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

    __slots__ = (
        "_order",
        "_partner_starts",
        "_rows",
        "_sole",
        "_tallies",
        "contributors",
        "report_count",
    )

    def __init__(self, tallies: Tallies) -> None:
        self.contributors: dict[tuple[str, str], ContributorState] = {}
        self.report_count = 0
        self._tallies = tallies
        self._order: list[ContributorState] | None = None
        self._rows = np.zeros(0, np.intp)
        self._partner_starts = np.zeros(0, dtype=bool)
        self._sole: str | None = None

    def ordered(self) -> list[ContributorState]:
        """Contributors in (partner, sensor) order, which every fused value is computed in."""
        if self._order is None:
            self._order = [self.contributors[key] for key in sorted(self.contributors)]
            self._rows = np.array([state.row for state in self._order], np.intp)
            partners = [state.partner for state in self._order]
            self._partner_starts = np.array(
                [i == 0 or p != partners[i - 1] for i, p in enumerate(partners)], dtype=bool
            )
            one = bool(partners) and partners[0] == partners[-1]  # sorted: first = last
            self._sole = partners[0] if one else None
        return self._order

    def sole_partner(self) -> str | None:
        """The one partner whose reports alone the track rests on (None if several)."""
        self.ordered()
        return self._sole

    def rows(self) -> tuple[IntArray, np.ndarray]:
        """The contributors' tallies rows, in `ordered` order, and where each partner's
        first sensor stands among them."""
        self.ordered()
        return self._rows, self._partner_starts

    def add(self, report: Report, t: float, batch: int) -> int:
        """Count one report; `batch` numbers the ingest call it came in. Returns the
        tallies row its kind and identity go to (`Tallies.add`, once per batch)."""
        key = (report.partner, report.sensor)
        state = self.contributors.get(key)
        if state is None:
            state = self.contributors[key] = ContributorState(report, self._tallies)
            self._order = None
        state.add(report, t, batch)
        self.report_count += 1
        return state.row

    def absorb(self, other: TrackAttributes) -> None:
        """Take over another track's contributions (when two tracks prove to be one);
        `other` is left with none."""
        for key in sorted(other.contributors):
            theirs = other.contributors[key]
            mine = self.contributors.get(key)
            if mine is None:
                self.contributors[key] = theirs
            else:
                mine.absorb(theirs)
        self.report_count += other.report_count
        other.contributors = {}
        other._order = None
        self._order = None

    def release(self) -> None:
        """The track is gone: give its tallies rows back."""
        for state in self.contributors.values():
            self._tallies.release(state.row)
        self.contributors = {}
        self._order = None

    def seen_apart(self, other: TrackAttributes) -> bool:
        """Did one sensor, in its latest batch, report both tracks? Then it saw two objects
        (within a batch, a sensor's reports with different sensor-track numbers, or none,
        never go to the same track)."""
        for key in sorted(self.contributors.keys() & other.contributors.keys()):
            if self.contributors[key].batch == other.contributors[key].batch:
                return True
        return False


def fuse(
    tallies: Tallies,
    tracks: Sequence[TrackAttributes],
    *,
    speed: FloatArray,
    alt_m: FloatArray,
    speed_known: np.ndarray,
) -> list[Fused]:
    """Kind, identity, confidence and contributors of each track.

    Kind: the most evidence behind it that the motion allows (where `speed_known`).
    Identity: the most threatening word among sensors with `FULL_VOTE_REPORTS` reports
    here (failing any, all of them), "unknown" and "pending" being no word. Confidence:
    1 - Π(1 - c_p) over partners, c_p the partner's most confident current word.
    """
    rows: list[IntArray] = []
    starts: list[np.ndarray] = []
    contributors: list[tuple[Contributor, ...]] = []
    for attributes in tracks:
        row, start = attributes.rows()
        rows.append(row)
        starts.append(start)
        contributors.append(tuple(state.frozen() for state in attributes.ordered()))
    n = len(tracks)
    lengths = np.fromiter((len(r) for r in rows), np.intp, n)
    if n == 0 or not lengths.any():
        return [(ThreatKind.UNKNOWN, Identity.UNKNOWN, 0.0, ())] * n
    row = np.concatenate(rows)
    track = np.repeat(np.arange(n), lengths)
    place = np.arange(len(row)) - (np.cumsum(lengths) - lengths)[track]
    reports = tallies.count[row]
    weight = _kinds(tallies.kinds[row], reports, track, place, n)
    kind = _plausible(weight, speed, alt_m, speed_known)
    identity = _identities(tallies.identities[row], reports, track, n)
    trust = _confidence(tallies.confidence[row], np.concatenate(starts), track, n)
    empty = lengths == 0
    trust[empty] = 0.0
    identity[empty] = THREAT_RANK[Identity.UNKNOWN]
    return [
        (KINDS[k], _THREAT_ORDER[i], c, who)
        for k, i, c, who in zip(
            kind.tolist(), identity.tolist(), trust.tolist(), contributors, strict=True
        )
    ]


def _kinds(
    tally: FloatArray, reports: np.ndarray, track: IntArray, place: IntArray, n: int
) -> FloatArray:
    """Each track's summed kind votes, (track, kind): sensors added one at a time, in
    order, as a loop over them would."""
    vote = tally * (np.minimum(reports, FULL_VOTE_REPORTS) / (FULL_VOTE_REPORTS * reports))[:, None]
    weight = np.zeros((n, tally.shape[1]))
    for j in range(int(place.max()) + 1):
        at = place == j
        weight[track[at]] += vote[at]
    return weight


def _plausible(
    weight: FloatArray, speed: FloatArray, alt_m: FloatArray, known: np.ndarray
) -> IntArray:
    """The kind code with the most weight among those the motion allows; on a tie the
    more dangerous; unknown when none has any."""
    fast = (speed >= BALLISTIC_MIN_SPEED_MS) | (alt_m >= BALLISTIC_LOW_ALT_M)
    slow = speed <= AIR_BREATHING_MAX_SPEED_MS
    allowed = (~_FALLING | fast[:, None]) & (~_AIR_BREATHING | slow[:, None])
    allowed |= ~known[:, None]
    ranked = np.where(allowed, weight, 0.0)[:, _BY_PREFERENCE]
    best = _BY_PREFERENCE[np.argmax(ranked, axis=1)]
    return np.where(ranked.max(axis=1) > 0.0, best, _UNKNOWN_KIND)


def _identities(tally: np.ndarray, reports: np.ndarray, track: IntArray, n: int) -> IntArray:
    """Each track's identity (threat rank) from its sensors' words."""
    # A sensor's word: its most frequent definite identity (else its most frequent of
    # all); on a tie the more threatening - argmax over reversed columns.
    words = tally * _WORD
    said = np.where(words.any(axis=1)[:, None], words, tally)
    rank = len(_THREAT_ORDER) - 1 - np.argmax(said[:, ::-1], axis=1)
    weighty = reports >= FULL_VOTE_REPORTS
    voting = weighty | ~_any(track, weighty, n)[track]
    word = _WORD[rank]
    voting &= word | ~_any(track, voting & word, n)[track]
    identity = np.full(n, -1, np.intp)
    np.maximum.at(identity, track[voting], rank[voting])
    return identity


def _confidence(
    confidence: FloatArray, new_partner: np.ndarray, track: IntArray, n: int
) -> FloatArray:
    """1 - Π(1 - c_p), partners in order, c_p the partner's most confident sensor."""
    start = np.flatnonzero(new_partner)
    best = np.maximum.reduceat(confidence, start)
    owner = track[start]
    place = np.arange(len(start)) - np.searchsorted(owner, owner)
    doubt = np.ones(n)
    for j in range(int(place.max()) + 1):
        at = place == j
        doubt[owner[at]] *= 1.0 - best[at]
    return np.minimum(1.0 - doubt, MAX_CONFIDENCE)


def _any(track: IntArray, flag: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[track[flag]] = True
    return out
