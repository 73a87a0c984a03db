"""The plain peer of `warnline bench ingest`: what any ingest service must do, nothing more.

A Starlette app on the served node's server settings (uvicorn through `GuardedConfig`
with the default `ServerLimits`, loopback) that checks the same RFC 9421 signature with
the same verifier, parses the body with the standard JSON parser and journals one event
per report to the same SQLite journal (WAL, `synchronous=FULL`, group commit, the hub's
signed seal), answering 202 once the journal holds them. No schema, no checks, no
picture, no decisions: the node's ratio to it is the price of everything Warnline adds.

Run as `python -m warnline.bench.ingest_peer PORT DATA_DIR`.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key
from warnline.agreement.load import default_agreement
from warnline.api.limits import GuardedConfig, ServerLimits
from warnline.audit import HeadSigner
from warnline.domain import SystemClock
from warnline.errors import SignatureError
from warnline.ingest.signature import SignatureVerifier, SignedRequest
from warnline.journal import Event, SQLiteJournal


def create_peer(journal: SQLiteJournal) -> Starlette:
    clock = SystemClock()
    verifier = SignatureVerifier(default_agreement(), clock)

    async def reports(request: Request) -> JSONResponse:
        body = await request.body()
        signed = SignedRequest(
            method="POST", target=request.url.path, headers=request.headers, body=body
        )
        try:
            partner = verifier.verify(signed).partner
            decoded = json.loads(body)
        except (SignatureError, ValueError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        items = decoded if isinstance(decoded, list) else [decoded]
        at, submission = clock.now(), uuid.uuid4().hex
        events = [
            Event(
                event_id=f"report:{partner}:{r['report_id']}",
                kind="report.received",
                at=at,
                payload={"report": r, "submission": submission},
            )
            for r in items
        ]
        await asyncio.wrap_future(journal.submit(events))
        return JSONResponse({"accepted": len(events)}, status_code=202)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "journal_seq": journal.last_seq()})

    return Starlette(
        routes=[
            Route("/api/v1/reports", reports, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main() -> None:
    port, data = int(sys.argv[1]), Path(sys.argv[2])
    key = exercise_signing_key(HUB_CODE)
    journal = SQLiteJournal(data / "journal.db", sealer=HeadSigner(key=key, clock=SystemClock()))
    config = GuardedConfig(
        create_peer(journal),
        limits=ServerLimits(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        log_config=None,
        lifespan="off",
    )
    try:
        uvicorn.Server(config).run()
    finally:
        journal.close()


if __name__ == "__main__":
    main()
