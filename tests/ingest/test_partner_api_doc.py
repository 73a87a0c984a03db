"""docs/partner-api.md is enough to implement a client: its by-hand signer (PyNaCl only)
makes signatures the node accepts, and its worked example's digest is right."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any
from unittest import mock

from tests.factories import T0
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.model import Agreement
from warnline.domain import ManualClock
from warnline.ingest.signature import SignatureVerifier, SignedRequest

DOC = Path(__file__).parents[2] / "docs" / "partner-api.md"


def _doc_signer() -> Any:
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    scope: dict[str, Any] = {}
    exec(code, scope)  # the page's own example, as a partner would copy it
    return scope["sign"]


def test_the_documented_signer_is_accepted(agreement: Agreement) -> None:
    sign = _doc_signer()
    path, body = "/api/v1/alerts/A-JOR/signed-ack", b'{"version": 1}'
    with mock.patch("time.time", return_value=T0.timestamp()):
        headers = sign("POST", path, body, "JOR", exercise_signing_key("JOR"))
    verifier = SignatureVerifier(agreement, ManualClock(T0))
    request = SignedRequest(method="POST", target=path, headers=headers, body=body)
    assert verifier.verify(request).partner == "JOR"


def test_the_worked_example_digest() -> None:
    digest = base64.b64encode(hashlib.sha256(b'{"version": 1}').digest()).decode()
    assert f"sha-256=:{digest}:" in DOC.read_text()


def test_the_worked_example_verifies(agreement: Agreement) -> None:
    text = DOC.read_text()
    headers = dict(
        re.findall(r"^(X-Warnline-Partner|Content-Digest|Signature-Input|Signature): (.+)$",
                   text, re.M)
    )  # fmt: skip
    verifier = SignatureVerifier(agreement, ManualClock(T0))
    request = SignedRequest(
        method="POST", target="/api/v1/alerts/A-JOR/signed-ack", headers=headers,
        body=b'{"version": 1}',
    )  # fmt: skip
    assert verifier.verify(request).key_id == "k1"
