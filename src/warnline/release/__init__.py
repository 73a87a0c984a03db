"""release stage: the one place that shapes every outbound byte per recipient."""

from warnline.release.policy import COALITION_PARTNER, COALITION_SOURCE, Release
from warnline.release.steps import StepRelease

__all__ = ["COALITION_PARTNER", "COALITION_SOURCE", "Release", "StepRelease"]
