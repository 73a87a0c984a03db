"""Incident timelines and record entries with inclusion proofs (tags picture, audit).

Each step of a timeline names its journal entry by `seq` and `hash`; the entry's route
returns an RFC 9162 inclusion proof from that hash to the newest signed tree head, so a
partner checks each step against a head it holds (`GET /api/v1/audit/head`) without
the rest of the record. Both read the journal in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Path
from pydantic import BaseModel, Field

from warnline.api.session import Caller
from warnline.node import Node

MAX_SEQ = 2**53  # larger than any journal; keeps the path parameter a plain integer


class RecordRef(BaseModel):
    """Where a step is in the signed record."""

    seq: int = Field(description="the journal entry's sequence number (Merkle leaf seq-1)")
    hash: str = Field(description="the entry's chain hash (hex): the Merkle leaf's data")
    disclosed: bool = Field(
        description="whether the entry's body is released to the caller with its proof"
    )
    proof: str = Field(description="path of the entry's inclusion proof")


class TimelineStep(BaseModel):
    kind: str = Field(
        description="reports, incident, alert, ack, delivery, lead, answer, override or "
        "offer_delivery"
    )
    at: str = Field(description="when (ISO 8601, UTC): the entry's time")
    text: str = Field(description="one line in English, as the record says it")
    details: dict[str, Any] = Field(description="the step's facts, by kind")
    record: RecordRef = Field(description="the step's (first) record entry")
    last_record: RecordRef | None = Field(
        default=None,
        description="for a summarised step (reports of one source, deliveries to one "
        "recipient on one channel): its last entry",
    )


class IncidentTimeline(BaseModel):
    incident: dict[str, Any] = Field(description="the incident as `GET /incidents` lists it")
    steps: list[TimelineStep] = Field(description="oldest first (journal order)")
    head: dict[str, Any] | None = Field(
        description="the signed tree head the steps' proofs lead to (null: none kept)"
    )


class EntryProof(BaseModel):
    seq: int
    hash: str = Field(description="the entry's chain hash (hex)")
    leaf_index: int = Field(description="seq - 1")
    tree_size: int = Field(description="entries the head covers")
    audit_path: list[str] = Field(
        description="RFC 9162 inclusion proof, hex, from the leaf up: hash SHA-256(0x00 || "
        "bytes(hash)) up this path by the RFC's algorithm to reach `head.root`"
    )
    head: dict[str, Any] = Field(description="the signed tree head (as GET /audit/head)")
    disclosed: bool
    entry: dict[str, Any] | None = Field(
        description="the entry as in an exported record's entries.jsonl, if released to "
        "the caller; null otherwise (the proof still shows the record holds it)"
    )


def add_record_routes(app: FastAPI, node: Node) -> None:
    reads = asyncio.Semaphore(2)  # journal reads for these routes, at most two at once

    @app.get(
        "/api/v1/incidents/{incident_id}/timeline",
        tags=["picture"],
        response_model=IncidentTimeline,
    )
    async def incident_timeline(incident_id: str, caller: Caller) -> dict[str, Any]:
        """The incident's steps as released to the caller, oldest first: reports per
        track and source (per sensor for the source itself and the coordination cell),
        alert versions, the lead procedure (offers, answers, assignments, overrides),
        acknowledgements, and deliveries per recipient and channel (attempts and
        outcomes). Each names its record entry. 404 for an unknown incident and for one
        the caller may not see alike."""
        partner = caller.user.partner
        incident, plan = node.views.timeline_plan(partner, incident_id)
        async with reads:
            return await asyncio.to_thread(node.views.timeline, partner, incident, plan)

    @app.get("/api/v1/audit/entries/{seq}", tags=["audit"], response_model=EntryProof)
    async def audit_entry(caller: Caller, seq: int = Path(ge=1, le=MAX_SEQ)) -> dict[str, Any]:
        """Entry `seq` of the record with its inclusion proof to the newest signed tree
        head. The entry's body comes with it only when release gives it to the caller
        unchanged (the cell: always; a partner: its own reports, answers and offers, its
        alerts' versions, acknowledgements and deliveries, lead steps it takes part
        in); otherwise `entry` is null and the proof shows only that the record holds an
        entry with that hash there. 404 for an entry beyond the head."""
        partner = caller.user.partner
        seen = node.views.incidents_seen(partner)
        async with reads:
            return await asyncio.to_thread(node.views.record_entry, partner, seq, seen)


__all__ = ["EntryProof", "IncidentTimeline", "add_record_routes"]
