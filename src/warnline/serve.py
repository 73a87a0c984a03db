"""`warnline serve --config FILE`: one node from a small TOML config.

[node]
host = "127.0.0.1"
port = 8800
data = "var/warnline"          # journal lives in <data>/journal.db
agreement = "default"          # or a path to an agreement TOML
tick_s = 0.5

[tls]                              # optional: mutual TLS with the coalition CA
cert = "pki/hub.crt"               # `warnline pki issue pki hub --partner USA --server`
key = "pki/hub.key"
ca = "pki/ca.crt"
crl = "pki/crl.pem"                # optional: revoked client certificates are refused
crl_check_s = 5                    # a changed CRL restarts the listener within this time

[hub]                              # the hub's Ed25519 key: signs every JSON answer and
key = "hub.key"                    # the journal's tree heads; base64 of the 32-byte seed.
                                   # Optional only for an exercise agreement (then the
                                   # public exercise key); must match hub_public_key.

[limits]                           # optional; defaults shown (see api/limits.py)
max_connections = 500              # cut to half the open-file limit if that is lower
max_per_source = 64
header_timeout_s = 10
body_timeout_s = 30
idle_timeout_s = 5

[metrics]                          # optional: the Prometheus scrape credential
token_sha256 = "<64 hex>"          # SHA-256 of the token a scraper sends as a bearer token;
                                   # without it only admin and cell sessions read /metrics

[[users]]
username = "jor-watch"
partner = "JOR"
role = "watch"
password_hash = "$argon2id$..."

Before the node starts, its journal is verified read-only (chain, payloads, follower
positions, the signed seal): a node never decides on a record someone has rewritten.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key
from warnline.agreement.load import load_agreement
from warnline.agreement.model import Agreement
from warnline.api.accounts import Accounts, Role, User, check_cell_accounts
from warnline.api.limits import ServerLimits
from warnline.api.server import serve_until_stopped
from warnline.audit import HeadSigner, verify_journal
from warnline.domain import SystemClock
from warnline.errors import AuditError, ConfigError, JournalCorruptError
from warnline.journal import SQLiteJournal
from warnline.node import Node, NodeSettings
from warnline.pki.tls import TlsSettings


@dataclass(frozen=True, kw_only=True)
class NodeConfig:
    host: str
    port: int
    data: Path
    agreement: Path | None
    tick_s: float
    users: list[User]
    tls: TlsSettings | None = None
    hub_key: Path | None = None
    limits: ServerLimits = field(default_factory=ServerLimits)
    metrics_token_sha256: str | None = None


def load_config(path: Path, data_override: Path | None = None) -> NodeConfig:
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    node: dict[str, Any] = raw.get("node", {})
    unknown = set(node) - {"host", "port", "data", "agreement", "tick_s"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in [node]: {', '.join(sorted(unknown))}")
    host = str(node.get("host", "127.0.0.1"))
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(f"{path}: node.host {host!r}: this build listens on loopback only")
    users = []
    for i, u in enumerate(raw.get("users", [])):
        try:
            users.append(
                User(
                    username=u["username"],
                    partner=u["partner"],
                    role=Role(u["role"]),
                    password_hash=u["password_hash"],
                )
            )
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"{path}: users[{i}]: missing or invalid {exc}") from None
    agreement = node.get("agreement", "default")
    base = path.parent
    tls = _tls(raw.get("tls"), base, path)
    hub: dict[str, Any] = raw.get("hub", {})
    if set(hub) - {"key"}:
        raise ConfigError(
            f"{path}: unknown key(s) in [hub]: {', '.join(sorted(set(hub) - {'key'}))}"
        )
    return NodeConfig(
        host=host,
        port=int(node.get("port", 8800)),
        data=data_override or (base / str(node.get("data", "var/warnline"))),
        agreement=None if agreement == "default" else base / str(agreement),
        tick_s=float(node.get("tick_s", 0.5)),
        users=users,
        tls=tls,
        hub_key=base / str(hub["key"]) if "key" in hub else None,
        limits=_limits(raw.get("limits", {}), path),
        metrics_token_sha256=_metrics_token(raw.get("metrics"), path),
    )


def _limits(raw: dict[str, Any], path: Path) -> ServerLimits:
    known = {f.name: f.type for f in fields(ServerLimits)}
    unknown = set(raw) - set(known)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in [limits]: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        whole = known[key] == "int"
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            kind = "a whole number" if whole else "a number"
            raise ConfigError(f"{path}: limits.{key}: must be {kind}")
        values[key] = value
    try:
        return ServerLimits(**values)
    except ValueError as exc:
        raise ConfigError(f"{path}: limits.{exc}") from None


def _metrics_token(raw: dict[str, Any] | None, path: Path) -> str | None:
    if raw is None:
        return None
    unknown = set(raw) - {"token_sha256"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in [metrics]: {', '.join(sorted(unknown))}")
    digest = str(raw.get("token_sha256", ""))
    if len(digest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in digest):
        raise ConfigError(f"{path}: metrics.token_sha256: must be 64 hex digits (a SHA-256)")
    return digest.lower()


def _tls(raw: dict[str, Any] | None, base: Path, path: Path) -> TlsSettings | None:
    if raw is None:
        return None
    unknown = set(raw) - {"cert", "key", "ca", "crl", "crl_check_s"}
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in [tls]: {', '.join(sorted(unknown))}")
    missing = [k for k in ("cert", "key", "ca") if k not in raw]
    if missing:
        raise ConfigError(f"{path}: [tls] needs {', '.join(missing)}")
    return TlsSettings(
        cert=base / raw["cert"],
        key=base / raw["key"],
        ca=base / raw["ca"],
        crl=base / raw["crl"] if "crl" in raw else None,
        crl_check_s=float(raw.get("crl_check_s", 5.0)),
    )


def hub_signing_key(cfg: NodeConfig, agreement: Agreement, config_path: Path) -> SigningKey:
    """The key the hub signs with; its public half must be the agreement's hub key, or no
    partner could check what the hub signs."""
    if cfg.hub_key is None:
        if not agreement.exercise:
            raise ConfigError(f"{config_path}: [hub] key: required outside an exercise")
        key = exercise_signing_key(HUB_CODE)
    else:
        try:
            seed = base64.b64decode(cfg.hub_key.read_text().strip(), validate=True)
        except OSError as exc:
            raise ConfigError(f"{config_path}: [hub] key: {cfg.hub_key}: {exc.strerror}") from None
        except (binascii.Error, ValueError):
            seed = b""
        if len(seed) != 32:
            raise ConfigError(
                f"{config_path}: [hub] key: {cfg.hub_key} must hold base64 of a 32-byte seed"
            )
        key = SigningKey(seed)
    public = base64.b64encode(bytes(key.verify_key)).decode()
    if agreement.hub_public_key and public != agreement.hub_public_key:
        raise ConfigError(
            f"{config_path}: [hub] key: its public key is not the agreement's hub_public_key"
        )
    return key


def check_journal(path: Path, key: SigningKey) -> None:
    """Refuse to start on a journal that does not verify (JournalCorruptError naming the
    entry); a journal not yet written is fine."""
    if not path.exists():
        return
    started = time.perf_counter()
    public = base64.b64encode(bytes(key.verify_key)).decode()
    try:
        summary = verify_journal(path, public_keys={HUB_CODE: public})
    except AuditError as exc:
        raise JournalCorruptError(exc.entry, f"{exc.reason}; refusing to start on {path}") from None
    print(
        f"journal verified: {summary.entries} entries in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


def serve_node(config_path: Path, data: Path | None) -> int:
    cfg = load_config(config_path, data)
    agreement = load_agreement(cfg.agreement)
    for u in cfg.users:
        if u.partner not in agreement.partners:
            raise ConfigError(f"{config_path}: user {u.username}: unknown partner {u.partner}")
    try:
        check_cell_accounts(cfg.users, agreement.coordination_cell)
    except ConfigError as exc:
        raise ConfigError(f"{config_path}: {exc}") from None
    key = hub_signing_key(cfg, agreement, config_path)
    clock = SystemClock()
    check_journal(cfg.data / "journal.db", key)
    journal = SQLiteJournal(cfg.data / "journal.db", sealer=HeadSigner(key=key, clock=clock))
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=clock,
        accounts=Accounts(cfg.users, scrape_token_sha256=cfg.metrics_token_sha256),
        settings=NodeSettings(tick_s=cfg.tick_s),
    )
    try:
        asyncio.run(
            serve_until_stopped(
                node, host=cfg.host, port=cfg.port, tls=cfg.tls, hub_key=key, limits=cfg.limits
            )
        )
    finally:
        journal.close()
    return 0
