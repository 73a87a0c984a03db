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

[metrics]                          # optional: the Prometheus scrape credential
token_sha256 = "<64 hex>"          # SHA-256 of the token a scraper sends as a bearer token;
                                   # without it only admin and cell sessions read /metrics

[[users]]
username = "jor-watch"
partner = "JOR"
role = "watch"
password_hash = "$argon2id$..."
"""

from __future__ import annotations

import asyncio
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warnline.agreement.load import load_agreement
from warnline.api.accounts import Accounts, Role, User
from warnline.api.server import serve_until_stopped
from warnline.domain import SystemClock
from warnline.errors import ConfigError
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
    return NodeConfig(
        host=host,
        port=int(node.get("port", 8800)),
        data=data_override or (base / str(node.get("data", "var/warnline"))),
        agreement=None if agreement == "default" else base / str(agreement),
        tick_s=float(node.get("tick_s", 0.5)),
        users=users,
        tls=tls,
        metrics_token_sha256=_metrics_token(raw.get("metrics"), path),
    )


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


def serve_node(config_path: Path, data: Path | None) -> int:
    cfg = load_config(config_path, data)
    agreement = load_agreement(cfg.agreement)
    for u in cfg.users:
        if u.partner not in agreement.partners:
            raise ConfigError(f"{config_path}: user {u.username}: unknown partner {u.partner}")
    journal = SQLiteJournal(cfg.data / "journal.db")
    node = Node(
        agreement=agreement,
        journal=journal,
        clock=SystemClock(),
        accounts=Accounts(cfg.users, scrape_token_sha256=cfg.metrics_token_sha256),
        settings=NodeSettings(tick_s=cfg.tick_s),
    )
    try:
        asyncio.run(serve_until_stopped(node, host=cfg.host, port=cfg.port, tls=cfg.tls))
    finally:
        journal.close()
    return 0
