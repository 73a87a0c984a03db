"""The plain-English headline and reason of each alert version.

Kept apart from the lifecycle so that the rules (when to raise, escalate, update,
clear) read without the sentences around them. Every reason names the stage, the
incident, the tracks, the area and the numbers that triggered it, so a duty officer
or an auditor can tell why the version was issued without opening the picture.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from warnline.domain import AlertStage, AlertStatus, ThreatKind

_MARK = {AlertStatus.EXERCISE: "EXERCISE — ", AlertStatus.TEST: "TEST — ", AlertStatus.ACTUAL: ""}
MAX_TRACKS_NAMED = 8


def mmss(seconds: float) -> str:
    """Whole minutes and seconds, rounded down: more time than there is is the worse error."""
    s = max(0, int(seconds))
    return f"{s // 60}:{s % 60:02d}"


def what(kinds: Mapping[ThreatKind, int]) -> str:
    """Counts by kind, in the enum's fixed order: "3 drone, 1 cruise missile"."""
    return ", ".join(
        f"{kinds[k]} {k.value.replace('_', ' ')}" for k in ThreatKind if kinds.get(k, 0) > 0
    )


def tracks_text(tracks: Sequence[str]) -> str:
    named = ", ".join(tracks[:MAX_TRACKS_NAMED])
    more = len(tracks) - MAX_TRACKS_NAMED
    return f"{named} and {more} more" if more > 0 else named


def headline(
    *,
    stage: AlertStage,
    status: AlertStatus,
    area: str,
    kinds: Mapping[ThreatKind, int],
    tta_s: float | None,
    superseded: bool = False,
) -> str:
    """The one line every channel shows; an exercise or test says so first."""
    mark = _MARK[status]
    if superseded:
        text = f"{status.value} alert for {area} ended: a REAL alert is in force, follow it"
    elif stage is AlertStage.EARLY_WARNING:
        assert tta_s is not None
        text = (
            f"Early warning for {area}: {what(kinds)} may arrive in {mmss(tta_s)}; "
            "be ready to take shelter"
        )
    elif stage.shelter:
        assert tta_s is not None
        text = f"Take shelter now in {area}: {what(kinds)}, arrival in {mmss(tta_s)}"
    elif stage is AlertStage.ALL_CLEAR:
        text = f"All clear for {area}: the event has ended, you may leave the shelter"
    else:
        text = f"Warning cancelled for {area}: the threat is no longer expected"
    return mark + text


def incidents_text(incidents: Sequence[str]) -> str:
    word = "incident" if len(incidents) == 1 else "incidents"
    return f"{word} {tracks_text(incidents)}"


def raise_reason(
    *,
    stage: AlertStage,
    incidents: Sequence[str],
    area: str,
    kinds: Mapping[ThreatKind, int],
    tracks: Sequence[str],
    tta_s: float,
    shelter_s: float,
    margin_s: float,
) -> str:
    count = sum(kinds.values())
    base = (
        f"{count} threat track(s) of {incidents_text(incidents)} ({what(kinds)}: "
        f"{tracks_text(tracks)}) are predicted to enter {area} in {tta_s:.0f} s"
    )
    limit = shelter_s + margin_s
    if stage is AlertStage.EARLY_WARNING:
        return (
            f"Early warning: {base}; a take-shelter alert follows when arrival is within "
            f"{limit:.0f} s (time to shelter {shelter_s:.0f} s + {margin_s:.0f} s margin)."
        )
    return (
        f"Alert: {base}, within the area's time to shelter ({shelter_s:.0f} s) "
        f"+ {margin_s:.0f} s margin."
    )


def step_back_reason(
    *,
    area: str,
    gone: Sequence[str],
    kinds: Mapping[ThreatKind, int],
    tracks: Sequence[str],
    tta_s: float,
    limit_s: float,
    band_s: float,
) -> str:
    """Why a take-shelter order steps back to an early warning: the threats that caused
    it are gone, and what remains is far enough away not to need shelter yet."""
    return (
        f"Early warning (stepped back from take shelter): every track that caused the "
        f"shelter order for {area} ({tracks_text(gone)}) has ended, arrived or turned away; "
        f"the remaining {what(kinds)} ({tracks_text(tracks)}) arrive in {tta_s:.0f} s, "
        f"later than the shelter limit of {limit_s:.0f} s + {band_s:.0f} s; a take-shelter "
        f"alert follows when arrival is within {limit_s:.0f} s."
    )


def with_rule_notes(reason: str, notes: Sequence[str]) -> str:
    """The reason, then which tracks warn only under the agreement's threat rule and why."""
    if not notes:
        return reason
    shown = "; ".join(notes[:MAX_TRACKS_NAMED])
    more = len(notes) - MAX_TRACKS_NAMED
    return f"{reason} {shown}{f'; and {more} more' if more > 0 else ''}."


def escalate_reason(
    *, area: str, tta_s: float, shift_s: float, shelter_s: float, margin_s: float
) -> str:
    return (
        f"Alert: escalated from early warning; arrival at {area} in {tta_s:.0f} s "
        f"(moved by {shift_s:+.0f} s since the last version) is now within the area's "
        f"time to shelter ({shelter_s:.0f} s) + {margin_s:.0f} s margin."
    )


def update_reason(
    *,
    stage: AlertStage,
    shift_s: float,
    old_kinds: Mapping[ThreatKind, int],
    new_kinds: Mapping[ThreatKind, int],
    tracks: Sequence[str],
    tta_s: float,
    threshold_s: float,
) -> str:
    changes = []
    if abs(shift_s) > threshold_s:
        changes.append(
            f"expected arrival moved by {shift_s:+.0f} s (threshold {threshold_s:.0f} s)"
        )
    if dict(old_kinds) != dict(new_kinds):
        changes.append(f"threats changed from {what(old_kinds)} to {what(new_kinds)}")
    label = "Early warning update" if stage is AlertStage.EARLY_WARNING else "Update"
    return (
        f"{label}: {'; '.join(changes) or 'material change'}; now {what(new_kinds)} "
        f"({tracks_text(tracks)}), arrival in {tta_s:.0f} s."
    )
