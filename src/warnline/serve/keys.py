"""The hub's keys from `[hub]` of a node config: what signs answers, heads and CAP, and
which retired keys the journal's older heads were signed with.

    [hub]
    key = "hub.key"                   # Ed25519 seed (base64): answers, webhooks, tree heads
    key_id = "HUB-2"                  # the signer its tree heads name (default "HUB")
    previous_keys = { HUB = "<base64 Ed25519 public key>" }   # retired, by the id they signed as
    cap_key = "pki/jor-cap.key"       # ECDSA P-256 (PEM): CAP's XML signature
    cap_cert = "pki/jor-cap.crt"      # its certificate, GET /api/v1/cap/certificate

A tree head names its signer, and verifiers map signer to key (`warnline audit verify
--keys`), so a rotated key gets a new id: a partner then checks a head kept from before
the rotation and the journal's new seal in one run, each with its own key, and no format
changes. Only public halves of retired keys are kept: the node never signs with them again.
Every file is read and checked once at start; a fault is one ConfigError naming the field.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from nacl.signing import SigningKey

from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key
from warnline.agreement.model import Agreement
from warnline.alerting.cap_sign import CapSigner, exercise_cap_signer
from warnline.errors import ConfigError, KeyMaterialError
from warnline.pki.certs import check_current, check_pair, read_certificate, read_private_key
from warnline.serve.text import did_you_mean

__all__ = [
    "HubConfig",
    "cap_signer",
    "describe_keys",
    "hub_signing_key",
    "parse_hub",
    "public_b64",
    "trusted_keys",
]

HUB_KEYS = ("key", "key_id", "previous_keys", "cap_key", "cap_cert")
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


@dataclass(frozen=True, kw_only=True)
class HubConfig:
    key: Path | None = None
    key_id: str = HUB_CODE
    previous_keys: dict[str, str] = field(default_factory=dict)  # key id -> base64 public key
    cap_key: Path | None = None
    cap_cert: Path | None = None


def parse_hub(raw: Any, base: Path, path: Path) -> HubConfig:
    """`[hub]` checked for shape (files are read later, by the functions below)."""
    if raw is None:
        return HubConfig()
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [hub] must be a table")
    for key in sorted(set(raw) - set(HUB_KEYS)):
        raise ConfigError(f"{path}: unknown key hub.{key}{did_you_mean(key, HUB_KEYS)}")
    files: dict[str, Path] = {}
    for name in ("key", "cap_key", "cap_cert"):
        if name in raw:
            if not isinstance(raw[name], str) or not raw[name]:
                raise ConfigError(f"{path}: [hub] {name} {raw[name]!r}: must be a file name")
            files[name] = base / raw[name]
    if ("cap_key" in files) != ("cap_cert" in files):
        given, missing = ("cap_key", "cap_cert") if "cap_key" in files else ("cap_cert", "cap_key")
        raise ConfigError(f"{path}: [hub] {missing}: needed with {given}")
    key_id = raw.get("key_id", HUB_CODE)
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise ConfigError(f"{path}: [hub] key_id {key_id!r}: 1-32 letters, digits, '.', '-' or '_'")
    previous = _previous_keys(raw.get("previous_keys", {}), path)
    if key_id in previous:
        raise ConfigError(
            f"{path}: [hub] key_id {key_id!r} is also in previous_keys: a new key needs an id "
            f"of its own (e.g. {key_id}-2), or its heads could not be told from the old key's"
        )
    return HubConfig(
        key=files.get("key"),
        key_id=key_id,
        previous_keys=previous,
        cap_key=files.get("cap_key"),
        cap_cert=files.get("cap_cert"),
    )


def _previous_keys(raw: Any, path: Path) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError(f'{path}: [hub] previous_keys: must be a table {{ KEY_ID = "<base64>" }}')
    for key_id, public in raw.items():
        if not _KEY_ID.fullmatch(key_id):
            raise ConfigError(
                f"{path}: [hub] previous_keys.{key_id}: an id is 1-32 letters, digits, . - _"
            )
        try:
            ok = isinstance(public, str) and len(base64.b64decode(public, validate=True)) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise ConfigError(
                f"{path}: [hub] previous_keys.{key_id}: must be a base64 Ed25519 public key "
                "(the retired key's public half, 44 characters)"
            )
    return dict(raw)


def public_b64(key: SigningKey) -> str:
    return base64.b64encode(bytes(key.verify_key)).decode()


def hub_signing_key(hub: HubConfig, agreement: Agreement, config_path: Path) -> SigningKey:
    """The key the hub signs with; its public half must be the agreement's hub key, or no
    partner could check what the hub signs."""
    if hub.key is None:
        if not agreement.exercise:
            raise ConfigError(f"{config_path}: [hub] key: required outside an exercise")
        key = exercise_signing_key(HUB_CODE)
    else:
        try:
            seed = base64.b64decode(hub.key.read_text().strip(), validate=True)
        except OSError as exc:
            raise ConfigError(f"{config_path}: [hub] key: {hub.key}: {exc.strerror}") from None
        except (binascii.Error, ValueError):
            seed = b""
        if len(seed) != 32:
            raise ConfigError(
                f"{config_path}: [hub] key: {hub.key} must hold base64 of a 32-byte seed"
            )
        key = SigningKey(seed)
    public = public_b64(key)
    if agreement.hub_public_key and public != agreement.hub_public_key:
        raise ConfigError(
            f"{config_path}: [hub] key: its public key is not the agreement's hub_public_key"
        )
    for key_id, old in hub.previous_keys.items():
        if old == public:
            raise ConfigError(
                f"{config_path}: [hub] previous_keys.{key_id}: is the current [hub] key; "
                "list only keys the node no longer signs with"
            )
    return key


def trusted_keys(hub: HubConfig, key: SigningKey) -> dict[str, str]:
    """Signer -> base64 public key: the current key under its id and every retired one,
    what the journal's heads are checked against (and what a partner's --keys file holds)."""
    return {**hub.previous_keys, hub.key_id: public_b64(key)}


def cap_signer(
    hub: HubConfig, agreement: Agreement, config_path: Path, now: dt.datetime
) -> CapSigner:
    """The key and certificate CAP is signed with. An exercise without `cap_key` uses the
    public exercise key, like every exercise key; any other hub must have its own."""
    if hub.cap_key is None or hub.cap_cert is None:
        if not agreement.exercise:
            raise ConfigError(
                f"{config_path}: [hub] cap_key: required outside an exercise (the hub signs "
                "every CAP message; `warnline init` writes cap_key and cap_cert)"
            )
        return exercise_cap_signer()
    try:
        key = read_private_key(hub.cap_key)
    except KeyMaterialError as exc:
        raise ConfigError(f"{config_path}: [hub] cap_key: {exc}") from None
    if not (isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)):
        raise ConfigError(
            f"{config_path}: [hub] cap_key: {hub.cap_key} is {_describe(key)}; CAP's XML "
            "signature needs an ECDSA P-256 key"
        )
    try:
        cert = read_certificate(hub.cap_cert)
        check_pair(key, cert, hub.cap_cert)
        check_current(cert, hub.cap_cert, now)
    except KeyMaterialError as exc:
        raise ConfigError(f"{config_path}: [hub] cap_cert: {exc}") from None
    return CapSigner(key=key, certificate=cert)


def describe_keys(hub: HubConfig, cap: CapSigner) -> str:
    """The start-up line on keys: which id signs heads, which retired ids still verify,
    which certificate signs CAP and until when."""
    retired = ", ".join(sorted(hub.previous_keys))
    return (
        f"hub key {hub.key_id} signs answers and heads"
        + (f" (retired: {retired})" if retired else "")
        + f"; CAP signed with {hub.cap_cert or 'the exercise CAP key'}"
        + f" (valid to {cap.certificate.not_valid_after_utc:%Y-%m-%d})"
    )


def _describe(key: object) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"an EC key on {key.curve.name}"
    if isinstance(key, rsa.RSAPrivateKey):
        return "an RSA key"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "an Ed25519 key"
    return "another kind of key"
