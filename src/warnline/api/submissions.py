"""The answer to a report submission, typed so the OpenAPI document shows it.

A batch may be accepted in part (decision 52): the answer lists the reports journaled
and, by index, each report refused with the field and the reason, so a partner resends
only what it must fix.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from warnline.ingest.batch import Batch


class RefusalOut(BaseModel):
    """One report of the batch not journaled, and why."""

    index: int = Field(description="position of the report in the submitted list, from 0")
    report_id: str | None = Field(description="its `report_id`, null when unreadable")
    field: str | None = Field(description="the field at fault, e.g. `reports.3.position.lat`")
    reason: str = Field(description="what is wrong with it")
    status: Literal[409, 422] = Field(
        description="422: the report breaks the schema or the checks; 409: its id was "
        "already used for other content"
    )


class SubmissionOut(BaseModel):
    """202: every report in `reports` is in the journal; none in `refused` is."""

    accepted: int = Field(description="how many reports were journaled")
    reports: list[str] = Field(description="the journaled reports, `PARTNER/report_id`")
    refused: list[RefusalOut] = Field(
        default_factory=list, description="the reports refused alone, in body order"
    )


def submission_out(batch: Batch) -> SubmissionOut:
    keys = [r.key for _, r in sorted(batch.reports.items())]
    return SubmissionOut(
        accepted=len(keys),
        reports=keys,
        refused=[RefusalOut.model_validate(r.view()) for r in batch.refusals()],
    )


__all__ = ["RefusalOut", "SubmissionOut", "submission_out"]
