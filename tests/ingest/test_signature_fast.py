"""The parse-free check says yes only to what the library says yes to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.load import default_agreement
from warnline.domain import ManualClock
from warnline.errors import SignatureError
from warnline.ingest.signature import (
    SKEW_S,
    WINDOW_S,
    SignatureVerifier,
    SignedRequest,
    _Keys,
    _Message,
    _Verifier,
    sign_request,
)
from warnline.ingest.signature_fast import verify_canonical

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
TARGET = "/api/v1/reports"
BODY = b'[{"report_id": "r1"}]'


def signed(body: bytes = BODY, partner: str = "JOR", **over: str) -> dict[str, str]:
    h = sign_request(
        "POST", TARGET, body, partner=partner, key=exercise_signing_key(partner), created=NOW
    )
    return {k.lower(): v for k, v in h.items()} | over


def fast(headers: dict[str, str], body: bytes = BODY, target: str = TARGET) -> object:
    keys = SignatureVerifier(default_agreement(), ManualClock(NOW))._keys
    return verify_canonical("POST", target, headers, body, keys, NOW, WINDOW_S, SKEW_S)


def library_accepts(headers: dict[str, str], body: bytes = BODY, target: str = TARGET) -> bool:
    keys = SignatureVerifier(default_agreement(), ManualClock(NOW))._keys[
        headers.get("x-warnline-partner", "")
    ]
    message = _Message(method="POST", url=f"https://warnline.invalid{target}", headers=headers)
    try:
        _Verifier(_Keys(keys), NOW).verify(message, expect_tag="warnline", body=body)
    except Exception:
        return False
    return True


def test_a_canonical_request_is_checked_without_the_library() -> None:
    h = signed()
    checked = fast(h)
    assert checked is not None and library_accepts(h)
    assert (checked.partner, checked.key_id) == ("JOR", "k1")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "change",
    [
        {"body": b"[]"},
        {"target": "/api/v1/reports?x=1"},
        {"x-warnline-partner": "ISR"},
        {"signature": "warnline=:" + "A" * 86 + "==:"},
        {"content-digest": "sha-256=:" + "A" * 43 + "=:"},
        {"signature-input-created": str(int((NOW - timedelta(seconds=WINDOW_S + 5)).timestamp()))},
        {"signature-input-keyid": "k9"},
    ],
)
def test_whatever_is_off_goes_to_the_library(change: dict[str, object]) -> None:
    h = signed()
    body, target = BODY, TARGET
    for k, v in change.items():
        if k == "body":
            body = v  # type: ignore[assignment]
        elif k == "target":
            target = str(v)
        elif k.startswith("signature-input-"):
            param = k.removeprefix("signature-input-")
            old = h["signature-input"].split(f"{param}=")[1].split(";")[0]
            new = f'"{v}"' if old.startswith('"') else str(v)
            h["signature-input"] = h["signature-input"].replace(f"{param}={old}", f"{param}={new}")
        else:
            h[k] = str(v)
    assert fast(h, body, target) is None


def test_other_serialisations_are_left_to_the_library() -> None:
    h = signed()
    h["signature-input"] = h["signature-input"].replace(';tag="warnline"', "") + ';tag="warnline"'
    h["signature-input"] = h["signature-input"].replace("warnline=(", "warnline=( ", 1)
    assert fast(h) is None


def test_a_replayed_canonical_request_is_refused() -> None:
    verifier = SignatureVerifier(default_agreement(), ManualClock(NOW))
    request = SignedRequest(method="POST", target=TARGET, headers=signed(), body=BODY)
    assert verifier.verify(request).partner == "JOR"
    with pytest.raises(SignatureError):
        verifier.verify(request)
