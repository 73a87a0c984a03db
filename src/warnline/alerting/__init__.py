"""alerting stage: incidents, the alert lifecycle and CAP 1.2 encoding."""

from warnline.alerting.incidents import IncidentBook
from warnline.alerting.lifecycle import Alerting, AlertPolicy

__all__ = ["AlertPolicy", "Alerting", "IncidentBook"]
