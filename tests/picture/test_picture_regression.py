"""Speed work must not change a decision: a seeded raid gives the tracks it gave before.

The digests below were taken from the picture before its fusion and bookkeeping were
vectorised. The raid is the bench's (clutter, wrong kind guesses, late reports) with
identities, confidences and second sensors mixed in, so that kind, identity and
confidence fusion all have ties and disagreements to settle.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

import numpy as np

from warnline.bench.picture import START, raid_reports
from warnline.domain import Identity, Report, Track
from warnline.picture import Picture

_IDENTITIES = tuple(Identity)


def mixed_raid(seed: int, n_objects: int, partners: int, seconds: int) -> list[list[Report]]:
    """The bench raid, with each report's identity, confidence and sensor redrawn."""
    rng = np.random.default_rng([seed, 77])
    out = []
    for batch in raid_reports(n_objects, partners, seconds, seed, clutter=0.02, wrong_kind=0.2):
        draws = rng.integers(0, 1000, (len(batch), 3))
        out.append(
            [
                replace(
                    report,
                    identity=_IDENTITIES[int(a) % len(_IDENTITIES)] if a < 300 else report.identity,
                    confidence=0.05 * (int(b) % 21),
                    sensor="radar" if c < 800 else "eo",
                )
                for report, (a, b, c) in zip(batch, draws.tolist(), strict=True)
            ]
        )
    return out


def line(track: Track) -> str:
    contributors = ",".join(
        f"{c.partner}/{c.sensor}/{c.report_count}/{c.last_report_at.isoformat()}"
        for c in track.contributors
    )
    return (
        f"{track.track_id} {track.state.value} {track.kind.value} {track.identity.value} "
        f"{track.confidence:.9f} {track.position.lat:.6f} {track.position.lon:.6f} "
        f"{track.position.alt_m:.0f} {track.velocity.east:.1f} {track.velocity.north:.1f} "
        f"{track.sigma_m:.1f} {track.report_count} {track.turn_rate_dps:.4f} "
        f"{track.updated_at.isoformat()} [{contributors}]"
    )


def digest(batches: list[list[Report]]) -> tuple[str, int]:
    """sha256 of everything the picture returned, batch by batch, and how many tracks."""
    picture = Picture()
    h = hashlib.sha256()
    said = 0
    for second, batch in enumerate(batches):
        for tracks in (
            picture.ingest(batch),
            picture.expire(START + timedelta(seconds=second + 1)),
        ):
            said += len(tracks)
            for track in tracks:
                h.update(line(track).encode())
    for track in picture.tracks():
        h.update(line(track).encode())
    return h.hexdigest(), said


def test_mixed_raid_gives_the_tracks_it_gave_before():
    value, said = digest(mixed_raid(seed=5, n_objects=60, partners=5, seconds=40))
    assert said > 2000
    assert value == "5bb6964633ce06f275cd4e3c7ede8d2b1047a44a536d1331a9604d20a998be7a"


def test_clean_bench_raid_gives_the_tracks_it_gave_before():
    value, said = digest(raid_reports(40, 4, 30, 6, clutter=0.01, wrong_kind=0.15))
    assert said > 1000
    assert value == "ae896d9a71335e56d5a194b2a58d816f0f4d1310a03aa7a0d43feb847afaf58e"
