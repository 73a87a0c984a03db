"""The config of `warnline serve --config FILE`: one node from a small TOML file.

`warnline init DIR --partner CODE` writes one with its certificates and an admin;
`warnline user add|remove|passwd` keep its [[users]] (warnline.provision).

[node]
host = "127.0.0.1"                # any address; one that is not loopback needs [tls]
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

[hub]                              # the hub's keys (warnline.serve.keys); `init` writes them
key = "hub.key"                    # Ed25519, base64 of the 32-byte seed: signs every JSON
                                   # answer, webhook and tree head; must match the agreement's
                                   # hub_public_key. Optional only in an exercise (then the
                                   # public exercise key).
key_id = "HUB"                     # the signer its tree heads name; a rotated key gets a new
previous_keys = {}                 # one, and the retired key's public half goes here, by
                                   # its id: { HUB = "<base64>" } (docs/operations.md)
cap_key = "pki/jor-cap.key"        # ECDSA P-256 key and its certificate (PEM): CAP's XML
cap_cert = "pki/jor-cap.crt"       # signature, certificate at GET /api/v1/cap/certificate;
                                   # optional only in an exercise (the exercise CAP key)

[limits]                           # optional; defaults shown (see api/limits.py)
max_connections = 500              # cut to half the open-file limit if that is lower
max_per_source = 64
header_timeout_s = 10
body_timeout_s = 30
idle_timeout_s = 5

[metrics]                          # optional: the Prometheus scrape credential
token_sha256 = "<64 hex>"          # SHA-256 of the token a scraper sends as a bearer token;
                                   # without it only admin and cell sessions read /metrics

[channels.email]                   # optional: person channels (warnline.serve.channels);
host = "smtp.example.org"          # without them escalation reaches consoles only
port = 587
starttls = true
username = "warnline"
password_file = "secrets/smtp"     # or password_env = "NAME"; never `password` inline
from = "warnline@example.org"

[channels.sms]                     # SMPP 3.4 transceiver bind
host = "smsc.example.org"
port = 2775
system_id = "warnline"
password_env = "WARNLINE_SMPP_PASSWORD"
source = "WARNLINE"

[channels.voice]                   # SIP trunk; the username is the caller id shown
host = "sip.example.org"
port = 5060
username = "warnline"
password_file = "secrets/sip"      # optional: a trunk may trust this host's address
sip_port = 5062                    # local SIP and RTP ports
rtp_low = 10000
rtp_high = 10100
trunks = { pbx = { host = "pbx.example.org", sip_port = 5064, rtp_low = 10200, rtp_high = 10300 } }
routes = { "+962790000001" = "pbx" }   # numbers called through another trunk

[channels.webhook]                 # signed with the hub key; addresses from the agreement,
urls = { ISR = "https://aoc.example.org/warnline" }   # or a partner's system moved here

[channels.apprise]                 # Apprise URLs from the agreement (or `urls` as above)

[[cot]]                            # optional: Cursor-on-Target listeners (serve/cot_config.py)
host = "127.0.0.1"                 # off loopback: tls = true (mutual TLS, the node's [tls])
port = 8087
partner = "JOR"                    # whose released picture; with tls the certificate says
picture = true                     # stream the released picture to TAK clients
reports = false                    # take CoT events (XML, TAK protocol v1) as its reports

[retention]                        # optional: archive the oldest entries (serve/retention.py)
enabled = true
segment_entries = 10000
keep_entries = 100000

[[asterix]]                        # optional: a partner's ASTERIX (serve/asterix.py); UDP
partner = "JOR"                    # has no authentication: off loopback only on the
protocol = "udp"                   # partner's own link; "tcp" off loopback takes [tls]
host = "127.0.0.1"                 # and the client certificate must name the partner
port = 8600

[[asterix_out]]                    # optional: CAT062 of a partner's released picture over
partner = "ISR"                    # UDP to its centre (serve/asterix_out.py); host, port,
host = "127.0.0.1"                 # the node's sac and sic, edition (CAT062, default
port = 8601                        # 1.20), period_s (default 4)
sac = 250
sic = 1

[[users]]
username = "jor-watch"
partner = "JOR"
role = "watch"
password_hash = "$argon2id$..."

People's addresses (e-mail, phone numbers) are the agreement's contacts; secrets are read
once at start and never printed or journaled. The start-up lines name each channel and
where it goes; `GET /api/v1/channels` shows each configured channel's health.

Before the node decides, what it folds at start is checked (its snapshot's MAC and
position, the journal's tail after it, the followers' positions); the whole journal is
verified read-only beside the running node (chain, payloads, the signed seal), and a
journal that fails stops it: a node never goes on deciding on a record someone has
rewritten (decisions 37, 57). Snapshots of the followers' state live in
<data>/snapshots, taken periodically and at a clean stop.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from warnline.accounts import Role, User
from warnline.api.limits import ServerLimits
from warnline.errors import ConfigError
from warnline.pki.tls import TlsSettings
from warnline.serve.asterix import AsterixListenerConfig, parse_asterix
from warnline.serve.asterix_out import AsterixOutConfig, parse_asterix_out
from warnline.serve.channels import (
    ChannelConfig,
    parse_channels,
)
from warnline.serve.cot_config import CotConfig, parse_cot
from warnline.serve.keys import HubConfig, parse_hub
from warnline.serve.retention import RetentionConfig, parse_retention
from warnline.serve.text import did_you_mean


@dataclass(frozen=True, kw_only=True)
class NodeConfig:
    host: str
    port: int
    data: Path
    agreement: Path | None
    tick_s: float
    users: list[User]
    picture_process: bool = False
    tls: TlsSettings | None = None
    hub: HubConfig = field(default_factory=HubConfig)
    limits: ServerLimits = field(default_factory=ServerLimits)
    metrics_token_sha256: str | None = None
    channels: dict[str, ChannelConfig] = field(default_factory=dict)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    asterix: tuple[AsterixListenerConfig, ...] = ()
    asterix_out: tuple[AsterixOutConfig, ...] = ()
    cot: list[CotConfig] = field(default_factory=list)

    @property
    def archive(self) -> Path:
        """Where the journal's archived segments are."""
        return self.retention.archive(self.data)


SECTIONS = (
    "node", "tls", "hub", "limits", "metrics", "channels", "retention", "cot", "asterix",
    "asterix_out", "users",
)  # fmt: skip
NODE_KEYS = ("host", "port", "data", "agreement", "tick_s", "picture_process")
USER_KEYS = ("username", "partner", "role", "password_hash")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def load_config(path: Path, data_override: Path | None = None) -> NodeConfig:
    """The config at `path`, checked whole: an unknown section or key, a wrong type or a
    listener off loopback without mutual TLS is a ConfigError naming the field, before
    anything starts (a typo such as `[[user]]` would otherwise leave nobody able to sign
    in)."""
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    for section in sorted(set(raw) - set(SECTIONS)):
        raise ConfigError(f"{path}: unknown section [{section}]{did_you_mean(section, SECTIONS)}")
    node = _table(raw, "node", path)
    for key in sorted(set(node) - set(NODE_KEYS)):
        raise ConfigError(f"{path}: unknown key node.{key}{did_you_mean(key, NODE_KEYS)}")
    host = _text(node, "host", "127.0.0.1", path)
    port = node.get("port", 8800)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{path}: node.port {port!r}: must be a whole number from 1 to 65535")
    tick_s = node.get("tick_s", 0.5)
    if isinstance(tick_s, bool) or not isinstance(tick_s, int | float) or tick_s <= 0:
        raise ConfigError(f"{path}: node.tick_s {tick_s!r}: must be a positive number of seconds")
    picture_process = node.get("picture_process", False)
    if not isinstance(picture_process, bool):
        raise ConfigError(
            f"{path}: node.picture_process {picture_process!r}: must be true or false"
        )
    users = [_user(u, i, path) for i, u in enumerate(_tables(raw, "users", path))]
    agreement = _text(node, "agreement", "default", path)
    base = path.parent
    tls = _tls(raw.get("tls"), base, path)
    if host not in LOOPBACK and tls is None:
        raise ConfigError(
            f"{path}: node.host {host!r} is not loopback: it needs [tls] with the coalition CA "
            "(mutual TLS: every client shows a certificate)"
        )
    return NodeConfig(
        host=host,
        port=port,
        data=data_override or (base / _text(node, "data", "var/warnline", path)),
        agreement=None if agreement == "default" else base / agreement,
        tick_s=float(tick_s),
        picture_process=picture_process,
        users=users,
        tls=tls,
        hub=parse_hub(raw.get("hub"), base, path),
        limits=_limits(_table(raw, "limits", path), path),
        metrics_token_sha256=_metrics_token(raw.get("metrics"), path),
        channels=parse_channels(raw.get("channels"), base, path),
        retention=parse_retention(raw.get("retention"), base, path),
        asterix=parse_asterix(raw.get("asterix"), path, tls=tls),
        asterix_out=parse_asterix_out(raw.get("asterix_out"), path),
        cot=parse_cot(raw.get("cot"), path, tls, (host, port)),
    )


def _table(raw: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return value


def _tables(raw: dict[str, Any], name: str, path: Path) -> list[dict[str, Any]]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{path}: {name}: must be an array of tables ([[{name}]])")
    return value


def _text(table: dict[str, Any], key: str, default: str, path: Path) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: {key} {value!r}: must be a non-empty string")
    return value


def _user(u: dict[str, Any], i: int, path: Path) -> User:
    where = f"{path}: users[{i}]"
    for key in sorted(set(u) - set(USER_KEYS)):
        raise ConfigError(f"{where}: unknown key {key}{did_you_mean(key, USER_KEYS)}")
    for key in USER_KEYS:
        if not isinstance(u.get(key), str) or not u[key]:
            raise ConfigError(f"{where}.{key}: missing or not a non-empty string")
    try:
        role = Role(u["role"])
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ConfigError(f"{where}.role {u['role']!r}: must be one of {roles}") from None
    return User(
        username=u["username"], partner=u["partner"], role=role, password_hash=u["password_hash"]
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
