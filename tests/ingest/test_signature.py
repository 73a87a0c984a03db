"""A partner's signature binds the whole request (RFC 9421 profile): moved to another
path, method, query, partner or body it fails; replayed it fails; out of its time
window it fails; and the memory of what was accepted stays bounded."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from http_message_signatures import HTTPMessageSigner

from tests.factories import REPORTS, T0, signed, wire_report
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.model import Agreement
from warnline.domain import ManualClock
from warnline.errors import RateLimitError, SignatureError
from warnline.ingest.replay import ReplayGuard
from warnline.ingest.signature import (
    WINDOW_S,
    SignatureVerifier,
    SignedRequest,
    _Ed25519,
    _Keys,
    _Message,
    sign_request,
)

ACK_A = "/api/v1/alerts/A-JOR-amman/signed-ack"
ACK_B = "/api/v1/alerts/A-JOR/signed-ack"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def verifier(agreement: Agreement, clock: ManualClock) -> SignatureVerifier:
    return SignatureVerifier(agreement, clock)


def request(path: str, body: bytes, headers: dict[str, str], method: str = "POST") -> SignedRequest:
    return SignedRequest(method=method, target=path, headers=headers, body=body)


def test_a_signature_verifies_once_for_the_request_it_was_made_for(
    verifier: SignatureVerifier,
) -> None:
    body, headers = signed({"version": 1}, path=ACK_A)
    signer = verifier.verify(request(ACK_A, body, headers))
    assert (signer.partner, signer.key_id) == ("JOR", "k1")
    with pytest.raises(SignatureError) as again:
        verifier.verify(request(ACK_A, body, headers))
    assert again.value.field == "nonce" and "already accepted" in again.value.reason


@pytest.mark.parametrize(
    ("moved", "why"),
    [
        (request(ACK_B, b'{"version": 1}', {}), "an ack replayed on another alert"),
        (request(REPORTS, b'{"version": 1}', {}), "an ack posted as a report submission"),
        (request(ACK_A, b'{"version": 1}', {}, method="PUT"), "another method"),
        (request(ACK_A + "?version=9", b'{"version": 1}', {}), "a query added"),
        (request(ACK_A, b'{"version": 2}', {}), "another body"),
    ],
)
def test_a_signature_moved_to_another_request_fails(
    verifier: SignatureVerifier, moved: SignedRequest, why: str
) -> None:
    body, headers = signed({"version": 1}, path=ACK_A)
    assert body == b'{"version": 1}'
    with pytest.raises(SignatureError):
        verifier.verify(request(moved.target, moved.body, headers, moved.method))
    assert verifier.replays.held("JOR") == 0, why


def test_a_report_submission_cannot_pass_as_an_acknowledgement(
    verifier: SignatureVerifier,
) -> None:
    body, headers = signed([wire_report()])  # signed for POST /api/v1/reports
    with pytest.raises(SignatureError) as err:
        verifier.verify(request(ACK_A, body, headers))
    assert err.value.field == "signature"


def test_another_partner_header_fails(verifier: SignatureVerifier) -> None:
    body, headers = signed({"version": 1}, path=ACK_A)
    with pytest.raises(SignatureError):
        verifier.verify(request(ACK_A, body, headers | {"X-Warnline-Partner": "ISR"}))


def test_outside_the_time_window_refused(verifier: SignatureVerifier, clock: ManualClock) -> None:
    old = T0 - timedelta(seconds=WINDOW_S + 1)
    body, headers = signed({"version": 1}, path=ACK_A, at=old)
    with pytest.raises(SignatureError) as err:
        verifier.verify(request(ACK_A, body, headers))
    assert err.value.field == "created" and "ago" in err.value.reason
    body, headers = signed({"version": 1}, path=ACK_A, at=T0 + timedelta(minutes=5))
    with pytest.raises(SignatureError) as err:
        verifier.verify(request(ACK_A, body, headers))
    assert err.value.field == "created" and "future" in err.value.reason


def _sign_with(
    covered: tuple[str, ...], *, nonce: str | None, tag: str = "warnline"
) -> dict[str, str]:
    key = exercise_signing_key("JOR")
    msg = _Message(
        method="POST", url=f"https://warnline.invalid{ACK_A}", headers={"X-Warnline-Partner": "JOR"}
    )
    HTTPMessageSigner(signature_algorithm=_Ed25519, key_resolver=_Keys(private=bytes(key))).sign(
        msg, key_id="k1", created=T0, nonce=nonce, tag=tag, label="x",
        covered_component_ids=covered, body=b"{}",
    )  # fmt: skip
    return dict(msg.headers)


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        (_sign_with(("@method", "x-warnline-partner"), nonce="n" * 16), "signature-input"),
        (_sign_with(("@method", "@path", "@query", "x-warnline-partner"), nonce=None), "nonce"),
        (_sign_with(("@method", "@path", "@query", "x-warnline-partner"), nonce="short"), "nonce"),
        (
            _sign_with(("@method", "@path", "@query", "x-warnline-partner", "@authority"),
                       nonce="n" * 16),
            "signature-input",
        ),
        (_sign_with(("@method", "@path", "@query", "x-warnline-partner"), nonce="n" * 16,
                    tag="other-protocol"), "signature"),
    ],
)  # fmt: skip
def test_signatures_outside_the_profile_refused(
    verifier: SignatureVerifier, headers: dict[str, str], field: str
) -> None:
    """Each of these is a valid RFC 9421 signature by JOR's key, but covers too little,
    has no usable nonce, covers what a proxy changes, or was made for another protocol."""
    with pytest.raises(SignatureError) as err:
        verifier.verify(request(ACK_A, b"{}", headers))
    assert err.value.field == field


def test_key_id_of_another_partner_is_not_found(verifier: SignatureVerifier) -> None:
    body = json.dumps({"version": 1}).encode()
    headers = sign_request(
        "POST", ACK_A, body, partner="JOR", key=exercise_signing_key("JOR"), key_id="k9",
        created=T0,
    )  # fmt: skip
    with pytest.raises(SignatureError) as err:
        verifier.verify(request(ACK_A, body, headers))
    assert err.value.field == "keyid" and "k1" in err.value.reason


def test_replay_memory_is_bounded_by_the_window_and_per_partner() -> None:
    guard = ReplayGuard(window_s=60, max_per_partner=3)
    for i in range(3):
        guard.remember("JOR", f"n{i}", T0, T0)
    with pytest.raises(RateLimitError):
        guard.remember("JOR", "n3", T0, T0)
    guard.remember("ISR", "n0", T0, T0)  # another partner has its own room, and nonces
    later = T0 + timedelta(seconds=61)  # every JOR signature is now outside the window
    guard.remember("JOR", "n4", later, later)
    assert guard.held("JOR") == 1
    guard.remember("JOR", "n0", later, later)  # forgotten: only the time check guards it now
