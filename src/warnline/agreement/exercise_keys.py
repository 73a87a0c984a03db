"""Deterministic Ed25519 keys for exercises, so that a scenario's partners and hub can
sign and verify without any key material being stored or exchanged.

Every key here is derived from a public string: anyone can recompute the private key.
They must never be used outside an exercise; a real coalition agreement carries the
partners' real public keys, and the private halves never leave the partners.
"""

from __future__ import annotations

import base64
import hashlib

from nacl.signing import SigningKey

_EXERCISE_SEED_PREFIX = b"warnline-exercise-key:"

HUB_CODE = "HUB"
"""Code from which the hub's exercise key is derived."""


def exercise_signing_key(code: str) -> SigningKey:
    """The exercise signing key of `code` (a partner code, or "HUB" for the hub).

    Exercise only: the seed is public, so the key proves nothing outside an exercise.
    """
    seed = hashlib.sha256(_EXERCISE_SEED_PREFIX + code.encode()).digest()
    return SigningKey(seed)


def exercise_verify_key_b64(code: str) -> str:
    """Base64 of the 32-byte verify key matching `exercise_signing_key(code)`."""
    return base64.b64encode(bytes(exercise_signing_key(code).verify_key)).decode("ascii")
