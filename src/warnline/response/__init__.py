"""response stage: the lead-partner procedure (responsibility between partners, never fire)."""

from warnline.response.procedure import LeadProcedure
from warnline.response.ranking import Candidate, Situation, rank, situation

__all__ = ["Candidate", "LeadProcedure", "Situation", "rank", "situation"]
