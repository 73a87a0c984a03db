"""The agreement's kinematic threat rule (`[threat_rule]`): schema model and the checks
that span its fields. The rule itself is applied in `warnline.alerting.threat`."""

from __future__ import annotations

from warnline.agreement.model import ThreatRule
from warnline.agreement.schema import In, Positive
from warnline.errors import AgreementError

# No aircraft flies this fast: a rule below it would make every unidentified jet "ballistic".
MIN_BALLISTIC_SPEED_M_S = 700.0


class ThreatRuleIn(In):
    enabled: bool = True
    ballistic_min_speed_m_s: Positive = 1000.0
    ballistic_min_altitude_m: Positive = 30_000.0
    fast_min_speed_m_s: Positive = 150.0


def threat_rule(spec: ThreatRuleIn) -> ThreatRule:
    if spec.ballistic_min_speed_m_s < MIN_BALLISTIC_SPEED_M_S:
        reason = (
            f"must be >= {MIN_BALLISTIC_SPEED_M_S:g} (slower objects are aircraft or cruise "
            "missiles; use fast_min_speed_m_s for those)"
        )
        raise AgreementError("threat_rule.ballistic_min_speed_m_s", reason)
    if spec.fast_min_speed_m_s > spec.ballistic_min_speed_m_s:
        reason = "must not exceed ballistic_min_speed_m_s"
        raise AgreementError("threat_rule.fast_min_speed_m_s", reason)
    return ThreatRule(
        enabled=spec.enabled,
        ballistic_min_speed_m_s=spec.ballistic_min_speed_m_s,
        ballistic_min_altitude_m=spec.ballistic_min_altitude_m,
        fast_min_speed_m_s=spec.fast_min_speed_m_s,
    )


__all__ = ["MIN_BALLISTIC_SPEED_M_S", "ThreatRuleIn", "threat_rule"]
