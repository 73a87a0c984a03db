"""The assess stage: predicted path, uncertainty corridor, areas at risk, time to arrival.

It sends nothing: alerting decides what the assessments mean for whom.
"""

from warnline.assess.assessor import Assessor
from warnline.assess.kinematics import KIND_LIMITS, KindLimits

__all__ = ["KIND_LIMITS", "Assessor", "KindLimits"]
