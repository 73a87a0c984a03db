"""ingest stage: turn partners' submissions into journaled `Report` inputs."""

from warnline.ingest.intake import Intake, report_event

__all__ = ["Intake", "report_event"]
