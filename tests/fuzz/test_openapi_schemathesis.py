"""Property-based API testing from the OpenAPI document (schemathesis): whatever a
client sends that the schema allows, or nearly allows, the node answers without a
server error, and with a problem document when it refuses."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from warnline.accounts import Accounts, Role, User
from warnline.agreement.load import default_agreement
from warnline.api.app import create_app
from warnline.domain import SystemClock
from warnline.journal import SQLiteJournal
from warnline.node import Node


def _app() -> tuple[object, str]:
    """A node on a throwaway journal (built at import: schemathesis parametrizes at
    collection time)."""
    journal = SQLiteJournal(Path(tempfile.mkdtemp(prefix="warnline-schemathesis-")) / "j.db")
    accounts = Accounts(
        [
            User(
                username="jor-watch",
                partner="JOR",
                role=Role.WATCH,
                password_hash=Accounts.hash_password("pw"),
            )
        ]
    )
    node = Node(
        agreement=default_agreement(), journal=journal, clock=SystemClock(), accounts=accounts
    )
    token = accounts.login("jor-watch", "pw", datetime.now(UTC)).token
    return create_app(node, manage_node=False), token


APP, TOKEN = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call(headers={"authorization": f"Bearer {TOKEN}"})
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code >= 400 and response.status_code != 405:
        content_type = response.headers["content-type"]
        if isinstance(content_type, list):
            content_type = content_type[0]
        assert content_type.startswith("application/problem+json"), response.text
