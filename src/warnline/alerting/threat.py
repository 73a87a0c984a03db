"""Whether a track is a threat, and why: its label, or the agreement's kinematic rule.

A track labelled suspect or hostile is a threat. One whose identity is unknown or pending
(a partner's radar often reports a ballistic object with no identity at all) is treated as
suspect when the agreement's `[threat_rule]` says its motion is threatening: an inbound
ballistic trajectory, or a fast object from outside every partner territory heading into
one. Friend, assumed friend and neutral never are: a label somebody gave outranks a
guess from kinematics. The reason is worded for the alert that rests on the track.
"""

from __future__ import annotations

import math

import shapely

from warnline.agreement.model import Agreement, AreaKind, ThreatRule
from warnline.domain import Assessment, Identity, Track

__all__ = ["ThreatRuleCheck"]

_UNLABELLED = (Identity.UNKNOWN, Identity.PENDING)


class ThreatRuleCheck:
    """The agreement's threat rule, with the partner territories it refers to prepared."""

    def __init__(self, agreement: Agreement) -> None:
        self.rule: ThreatRule = agreement.threat_rule
        territories = [
            a.geometry
            for a in agreement.areas
            if a.kind is AreaKind.TERRITORY and not a.geometry.is_empty
        ]
        self._territories = shapely.union_all(territories) if territories else None
        if self._territories is not None:
            shapely.prepare(self._territories)

    def why(self, track: Track, assessment: Assessment | None) -> str | None:
        """Why `track` is a threat, or None when it is not (by label or by the rule)."""
        if track.identity.threatening:
            return f"identified {track.identity.value}"
        if not self.rule.enabled or track.identity not in _UNLABELLED or assessment is None:
            return None
        heading = next((r for r in assessment.areas if r.area_kind == "territory"), None)
        if heading is None:
            return None  # not heading into any partner territory: nothing to warn of
        v = track.velocity
        speed = math.sqrt(v.east**2 + v.north**2 + v.up**2)
        alt = track.position.alt_m
        rule = self.rule
        prefix = "treated as suspect under the agreement's threat rule"
        if speed >= rule.ballistic_min_speed_m_s:
            return f"{prefix}: inbound ballistic trajectory, {speed / 1000:.1f} km/s"
        if alt >= rule.ballistic_min_altitude_m:
            return f"{prefix}: inbound ballistic trajectory, {alt / 1000:.0f} km high"
        if speed >= rule.fast_min_speed_m_s and not self._inside_territory(track):
            return (
                f"{prefix}: fast object ({speed:.0f} m/s) from outside every partner "
                f"territory heading into {heading.name}"
            )
        return None

    def _inside_territory(self, track: Track) -> bool:
        if self._territories is None:
            return False
        return bool(shapely.contains_xy(self._territories, track.position.lon, track.position.lat))
