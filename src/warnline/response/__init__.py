"""response stage: lead-responder assignment between partners."""

from warnline.response.assigner import LeadAssigner

__all__ = ["LeadAssigner"]
