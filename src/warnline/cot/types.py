"""The CoT type tree's air types for Warnline's kinds and identities, both ways.

A CoT atom type is `a-<affiliation>-A-<function...>`: the MIL-STD-2525B function code
of an air track written with dashes (2525B `S*APMFQ--` is `a-*-A-M-F-Q`). 2525B has no
code for a cruise or a ballistic missile as such; we use its missile-in-flight branch:

| kind              | CoT type (h: hostile)  | 2525B                                   |
| ----------------- | ---------------------- | --------------------------------------- |
| ballistic_missile | `a-h-A-W-M-S-S`        | weapon, missile in flight, surface-to-surface (SSM) |
| cruise_missile    | `a-h-A-W-M`            | weapon, missile in flight               |
| rocket            | `a-h-A-W`              | weapon                                  |
| drone             | `a-h-A-M-F-Q`          | military fixed wing, drone (RPV/UAV)    |
| aircraft          | `a-h-A-M-F`            | military fixed wing                     |
| unknown           | `a-h-A`                | air track                               |

Affiliation letters are CoT's: p pending, u unknown, a assumed friend, f friend, n
neutral, s suspect, h hostile (j joker and k faker read as suspect and hostile).
Incoming types are read by the longest known prefix, so a more specific code under a
branch (`a-h-A-W-M-S-A`, `a-h-A-M-F-Q-r`) keeps its branch's kind, and a civil aircraft
(`a-n-A-C-F`) is an aircraft.
"""

from __future__ import annotations

from warnline.domain import Identity, ThreatKind

__all__ = ["AFFILIATION", "FUNCTION", "air_type", "kind_and_identity"]

FUNCTION: dict[ThreatKind, str] = {
    ThreatKind.BALLISTIC_MISSILE: "A-W-M-S-S",
    ThreatKind.CRUISE_MISSILE: "A-W-M",
    ThreatKind.ROCKET: "A-W",
    ThreatKind.DRONE: "A-M-F-Q",
    ThreatKind.AIRCRAFT: "A-M-F",
    ThreatKind.UNKNOWN: "A",
}
AFFILIATION: dict[Identity, str] = {
    Identity.PENDING: "p",
    Identity.UNKNOWN: "u",
    Identity.ASSUMED_FRIEND: "a",
    Identity.FRIEND: "f",
    Identity.NEUTRAL: "n",
    Identity.SUSPECT: "s",
    Identity.HOSTILE: "h",
}
_IDENTITY_OF = {letter: ident for ident, letter in AFFILIATION.items()} | {
    "j": Identity.SUSPECT,  # joker: a friend exercising as a suspect
    "k": Identity.HOSTILE,  # faker: a friend exercising as a hostile
    "o": Identity.UNKNOWN,  # none specified
}
# Incoming function branches, longest first: the first prefix that matches wins.
_KIND_OF: list[tuple[str, ThreatKind]] = sorted(
    [(code, kind) for kind, code in FUNCTION.items()]
    + [("A-C", ThreatKind.AIRCRAFT), ("A-M", ThreatKind.AIRCRAFT)],
    key=lambda pair: -len(pair[0]),
)


def air_type(kind: ThreatKind, identity: Identity) -> str:
    """The CoT type of an air track of this kind and identity."""
    return f"a-{AFFILIATION[identity]}-{FUNCTION[kind]}"


def kind_and_identity(cot_type: str) -> tuple[ThreatKind, Identity] | None:
    """What an incoming CoT type says of an air track; None: not an air atom."""
    parts = cot_type.split("-")
    if len(parts) < 3 or parts[0] != "a" or parts[2] != "A":
        return None
    identity = _IDENTITY_OF.get(parts[1])
    if identity is None:
        return None
    function = "-".join(parts[2:])
    for code, kind in _KIND_OF:
        if function == code or function.startswith(code + "-"):
            return kind, identity
    return ThreatKind.UNKNOWN, identity
