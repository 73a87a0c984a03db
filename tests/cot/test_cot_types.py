"""The CoT type mapping: every kind and identity out and back, and others' codes in."""

from __future__ import annotations

import pytest

from warnline.cot.types import air_type, kind_and_identity
from warnline.domain import Identity, ThreatKind


@pytest.mark.parametrize("kind", list(ThreatKind))
@pytest.mark.parametrize("identity", list(Identity))
def test_every_kind_and_identity_comes_back_as_it_went(
    kind: ThreatKind, identity: Identity
) -> None:
    assert kind_and_identity(air_type(kind, identity)) == (kind, identity)


def test_standard_codes() -> None:
    assert air_type(ThreatKind.BALLISTIC_MISSILE, Identity.HOSTILE) == "a-h-A-W-M-S-S"
    assert air_type(ThreatKind.DRONE, Identity.SUSPECT) == "a-s-A-M-F-Q"
    assert air_type(ThreatKind.AIRCRAFT, Identity.FRIEND) == "a-f-A-M-F"
    assert air_type(ThreatKind.UNKNOWN, Identity.UNKNOWN) == "a-u-A"


@pytest.mark.parametrize(
    ("cot", "expected"),
    [
        ("a-h-A-W-M-S-A", (ThreatKind.CRUISE_MISSILE, Identity.HOSTILE)),  # SAM: missile
        ("a-k-A-M-F-Q-r", (ThreatKind.DRONE, Identity.HOSTILE)),  # faker: as hostile
        ("a-n-A-C-F", (ThreatKind.AIRCRAFT, Identity.NEUTRAL)),  # civil fixed wing
        ("a-u-A-M-H", (ThreatKind.AIRCRAFT, Identity.UNKNOWN)),  # rotary wing
        ("a-h-A-X", (ThreatKind.UNKNOWN, Identity.HOSTILE)),
        ("a-f-G-U-C", None),  # ground unit: not an air track
        ("a-z-A", None),  # no such affiliation
        ("b-t-f", None),
        ("a-h-A-W-MX", (ThreatKind.ROCKET, Identity.HOSTILE)),  # under A-W, not A-W-M
    ],
)
def test_incoming_types_by_longest_known_branch(
    cot: str, expected: tuple[ThreatKind, Identity] | None
) -> None:
    assert kind_and_identity(cot) == expected
