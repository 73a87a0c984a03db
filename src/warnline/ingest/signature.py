"""Partners' signatures over whole requests: RFC 9421 HTTP Message Signatures, Ed25519.

A signature covers the request's method, path and query, the partner header, the body
(through its RFC 9530 `Content-Digest`), the key id, a creation time and a nonce, so a
signature over one request cannot be moved to another: not to another alert, another
endpoint, another partner or another body. The node accepts a signature only within a
window around its own clock, and only once (`ReplayGuard`). The profile, with a worked
example a partner can implement from, is in docs/partner-api.md.

One verification per submission (one report or a batch): Ed25519 through PyNaCl costs
~74 µs, so per-report signatures would cap a core at ~13k reports/s while
per-submission ones cost nothing noticeable. The library's parsing costs ten times
that, so requests in the canonical form `sign_request` writes are checked by
`signature_fast` first; anything else goes through the library (decision 61). The
key is chosen by partner and key id from the agreement, so rotating a key is adding
one and retiring the other.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureAlgorithm,
    HTTPSignatureKeyResolver,
    InvalidSignature,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from warnline.agreement.model import Agreement
from warnline.domain import Clock
from warnline.errors import SignatureError
from warnline.ingest.replay import ReplayGuard
from warnline.ingest.signature_fast import verify_canonical

PARTNER_HEADER = "x-warnline-partner"
SIGNATURE_HEADER = "signature"
SIGNATURE_INPUT_HEADER = "signature-input"
DIGEST_HEADER = "content-digest"
TAG = "warnline"  # the signed application tag: a signature made for another protocol is refused
LABEL = "warnline"
COVERED = ("@method", "@path", "@query", PARTNER_HEADER, DIGEST_HEADER)
# The node cannot know the scheme and host a client saw through a proxy: not signable.
UNSIGNABLE = ("@authority", "@target-uri", "@scheme", "@request-target")
WINDOW_S = 300.0  # a signature older than this (on the node's clock) is refused
SKEW_S = 30.0  # ... and one created further ahead of it than this
NONCE_CHARS = (16, 128)
_AUTHORITY = "warnline.invalid"  # stands in for the host: @authority is not signable


@dataclass(frozen=True, kw_only=True)
class SignedRequest:
    """What a signature is checked against: the request as the node received it."""

    method: str
    target: str  # path and query exactly as sent, e.g. "/api/v1/alerts/A1/signed-ack"
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, kw_only=True)
class Signer:
    """Who signed a request: the partner and the agreement's key id."""

    partner: str
    key_id: str


@dataclass
class _Message:
    """The request view the signature library reads (and, when signing, writes)."""

    method: str
    url: str
    headers: Any = field(default_factory=dict)


class _Ed25519(HTTPSignatureAlgorithm):
    """RFC 9421 `ed25519` through PyNaCl (half the cost of the library's own)."""

    algorithm_id = "ed25519"

    def __init__(self, public_key: Any = None, private_key: Any = None) -> None:
        self.public_key = VerifyKey(public_key) if public_key is not None else None
        self.private_key = SigningKey(private_key) if private_key is not None else None

    def sign(self, message: bytes) -> bytes:
        assert self.private_key is not None
        return bytes(self.private_key.sign(message).signature)

    def verify(self, signature: bytes, message: bytes) -> None:
        assert self.public_key is not None
        try:
            self.public_key.verify(message, signature)
        except (BadSignatureError, ValueError):
            raise InvalidSignature("signature does not match the request") from None


class _Keys(HTTPSignatureKeyResolver):
    def __init__(
        self, public: Mapping[str, bytes] | None = None, private: bytes | None = None
    ) -> None:
        self.public = public or {}
        self.private = private

    def resolve_public_key(self, key_id: str) -> bytes | None:
        return self.public.get(key_id)

    def resolve_private_key(self, key_id: str) -> bytes:
        assert self.private is not None
        return self.private


class _Verifier(HTTPMessageVerifier):
    """The library's verifier with time judged on the node's clock (a scenario runs on
    its own), not on the host's wall clock."""

    def __init__(self, keys: _Keys, now: datetime) -> None:
        super().__init__(signature_algorithm=_Ed25519, key_resolver=keys)
        self.now = now

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        created = sig_input.params.get("created")
        if type(created) is not int:
            raise SignatureError("created (an integer time) is required", field="created")
        age = self.now.timestamp() - created
        if age > WINDOW_S:
            raise SignatureError(
                f"signature created {age:.0f} s ago; the window is {WINDOW_S:.0f} s",
                field="created",
            )
        if age < -SKEW_S:
            raise SignatureError(f"signature created {-age:.0f} s in the future", field="created")
        expires = sig_input.params.get("expires")
        if expires is not None and (type(expires) is not int or expires < self.now.timestamp()):
            raise SignatureError("signature has expired", field="expires")


class SignatureVerifier:
    """Checks a partner's signed request: the profile, the signature, the window, once."""

    def __init__(self, agreement: Agreement, clock: Clock) -> None:
        self.clock = clock
        self._keys: dict[str, dict[str, bytes]] = {
            code: {kid: base64.b64decode(key) for kid, key in p.public_keys.items()}
            for code, p in agreement.partners.items()
        }
        self.replays = ReplayGuard(window_s=WINDOW_S + SKEW_S)

    def verify(self, request: SignedRequest) -> Signer:
        """Return who signed `request`, or raise SignatureError naming the field."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        partner = headers.get(PARTNER_HEADER)
        for name in (PARTNER_HEADER, SIGNATURE_INPUT_HEADER, SIGNATURE_HEADER, DIGEST_HEADER):
            if not headers.get(name):
                raise SignatureError("header missing", field=name)
        assert partner is not None
        keys = self._keys.get(partner)
        if keys is None:
            raise SignatureError(f"unknown partner {partner!r}", field=PARTNER_HEADER)
        now = self.clock.now()
        fast = verify_canonical(
            request.method, request.target, headers, request.body, self._keys, now,
            WINDOW_S, SKEW_S,
        )  # fmt: skip
        if fast is not None:  # the library would say the same; replays are checked alike
            _check_profile([f'"{c}"' for c in COVERED], {"nonce": fast.nonce})
            created = datetime.fromtimestamp(fast.created, tz=now.tzinfo)
            self.replays.remember(partner, fast.nonce, created, now)
            return Signer(partner=partner, key_id=fast.key_id)
        message = _Message(
            method=request.method, url=f"https://{_AUTHORITY}{request.target}", headers=headers
        )
        try:
            (result,) = _Verifier(_Keys(keys), now).verify(
                message, expect_tag=TAG, body=request.body
            )
        except SignatureError:
            raise
        except ValueError:  # several signatures tagged "warnline"
            raise SignatureError(
                "exactly one signature tagged 'warnline'", field=SIGNATURE_HEADER
            ) from None
        except HTTPMessageSignaturesException as exc:
            raise SignatureError(_reason(exc, keys), field=_field_of(exc)) from None
        params: Mapping[str, Any] = result.parameters
        _check_profile(result.covered_components, params)
        created = datetime.fromtimestamp(params["created"], tz=now.tzinfo)
        self.replays.remember(partner, str(params["nonce"]), created, now)
        return Signer(partner=partner, key_id=str(params["keyid"]))


def _check_profile(covered: Iterable[str], params: Mapping[str, Any]) -> None:
    covered = list(covered)  # serialised component ids, e.g. '"@method"'
    missing = [c for c in COVERED if f'"{c}"' not in covered]
    if missing:
        raise SignatureError(
            f"the signature must cover {' '.join(COVERED)}; missing {' '.join(missing)}",
            field=SIGNATURE_INPUT_HEADER,
        )
    for component in covered:
        if component.strip('"').split('"')[0] in UNSIGNABLE:
            raise SignatureError(
                f"{component} cannot be checked behind a proxy; cover " + " ".join(COVERED),
                field=SIGNATURE_INPUT_HEADER,
            )
    nonce = params.get("nonce")
    if not isinstance(nonce, str) or not NONCE_CHARS[0] <= len(nonce) <= NONCE_CHARS[1]:
        raise SignatureError(
            f"nonce of {NONCE_CHARS[0]} to {NONCE_CHARS[1]} characters required", field="nonce"
        )


def _reason(exc: Exception, keys: Mapping[str, bytes]) -> str:
    text = str(exc)
    if "resolve verification key" in text:
        return f"no such key id; this partner has {', '.join(sorted(keys))}"
    if "Content-Digest" in text or "digest" in text.lower():
        return f"content-digest does not match the body or is not signed ({text})"
    return text


def _field_of(exc: Exception) -> str:
    text = str(exc).lower()
    if "key" in text and "resolve" in text:
        return "keyid"
    if "digest" in text:
        return DIGEST_HEADER
    if "signature-input" in text or "component" in text or "parameter" in text:
        return SIGNATURE_INPUT_HEADER
    return SIGNATURE_HEADER


def sign_request(
    method: str,
    target: str,
    body: bytes,
    *,
    partner: str,
    key: SigningKey,
    created: datetime,
    key_id: str = "k1",
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers a partner's client sends with `body` to `method target` (the
    exercise, the benchmarks and the tests sign with this; docs/partner-api.md shows
    the same by hand). `created` is the signer's clock; a fresh nonce each call, so a
    retried request is a new request (its content stays idempotent by report id)."""
    message = _Message(
        method=method, url=f"https://{_AUTHORITY}{target}", headers={"X-Warnline-Partner": partner}
    )
    HTTPMessageSigner(signature_algorithm=_Ed25519, key_resolver=_Keys(private=bytes(key))).sign(
        message,
        key_id=key_id,
        created=created,
        nonce=nonce or secrets.token_urlsafe(18),
        label=LABEL,
        tag=TAG,
        covered_component_ids=COVERED[:-1],
        body=body,
    )
    return dict(message.headers)


__all__ = [
    "COVERED",
    "PARTNER_HEADER",
    "SIGNATURE_HEADER",
    "SIGNATURE_INPUT_HEADER",
    "SignatureVerifier",
    "SignedRequest",
    "Signer",
    "sign_request",
]
