"""A batch the node may accept in part: the reports still standing and those refused.

The signature covers the whole body, so whatever makes the body untrustworthy (the
signature, the digest, the envelope's shape, a duplicate key, its size, the rate) still
refuses every report; a fault in one report's own content refuses only that report, so
a partner does not have to parse a problem, drop the report and resend the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from warnline.domain import Report
from warnline.errors import InputError


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """One report refused by its index in the body; `error` says why (422 or 409)."""

    index: int
    report_id: str | None
    error: InputError

    def view(self) -> dict[str, Any]:
        """The refusal as a partner reads it in a 202 answer."""
        return {
            "index": self.index,
            "report_id": self.report_id,
            "field": self.error.field,
            "reason": self.error.reason,
            "status": self.error.status,
        }


@dataclass(kw_only=True)
class Batch:
    """Reports by their index in the body, and the refusals in the order the checks
    made them (so the first refusal is the one an all-or-nothing node would have raised)."""

    partner: str
    reports: dict[int, Report] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)

    def refuse(self, index: int, error: InputError, *, report_id: str | None = None) -> None:
        """Take report `index` out of the batch for `error`."""
        report = self.reports.pop(index, None)
        rid = report.report_id if report is not None else report_id
        self.refused.append(Refusal(index=index, report_id=rid, error=error))

    def keep_some(self) -> None:
        """Raise the first refusal when no report is left: a batch refused in full is
        answered exactly as before partial acceptance, problem details and all."""
        if not self.reports and self.refused:
            raise self.refused[0].error

    def refusals(self) -> list[Refusal]:
        """The refusals in body order, as the answer lists them."""
        return sorted(self.refused, key=lambda r: r.index)


__all__ = ["Batch", "Refusal"]
