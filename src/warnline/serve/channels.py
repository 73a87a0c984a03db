"""`[channels.<name>]` of `warnline serve`: the person channels of a served node.

Without them a served node escalates to nobody: the agreement's policies name e-mail, SMS,
voice, webhook and Apprise steps, and a step whose channel the node lacks is skipped. Each
table builds the channel class the exercise builds (`sim/reachable.py`), from the config
instead of loopback peers. People's addresses (e-mail, phone numbers, partner systems)
come from the agreement's contacts, as in the exercise; `urls` may point a partner's
webhook or Apprise contacts at another endpoint than the agreement names.

Secrets are never written in the config: `password_file` (a file holding it; relative to
the config) or `password_env` (an environment variable). Both are read once, at start; the
value lives only in the channel object (not in any repr, line printed, or journal entry).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nacl.signing import SigningKey

from warnline.agreement.model import Agreement, Partner
from warnline.channels.base import PersonChannel
from warnline.channels.email import EmailChannel
from warnline.channels.sms import SmsChannel
from warnline.channels.voice import Trunk, VoiceChannel, missing_tools
from warnline.errors import ConfigError
from warnline.serve.text import did_you_mean, netloc

SECRET = ("password_file", "password_env")
KEYS: dict[str, tuple[str, ...]] = {
    "email": ("host", "port", "starttls", "username", *SECRET, "from", "timeout_s"),
    "sms": ("host", "port", "system_id", *SECRET, "source", "receipt_wait_s"),
    "voice": (
        *("host", "port", "username", *SECRET),
        *("local_ip", "sip_port", "rtp_low", "rtp_high", "ring_s", "listen_s"),
        *("trunks", "routes"),
    ),
    "webhook": ("urls", "retries", "backoff_s", "timeout_s"),
    "apprise": ("urls",),
}
NAMES = tuple(KEYS)


@dataclass(frozen=True, kw_only=True)
class EmailConfig:
    host: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "warnline@hub.invalid"
    timeout_s: float = 5.0


@dataclass(frozen=True, kw_only=True)
class SmsConfig:
    host: str
    port: int = 2775
    system_id: str = "warnline"
    password: str = field(repr=False)
    source: str = "7700"
    receipt_wait_s: float = 3.0


TRUNK_KEYS = ("host", "port", "sip_port", "rtp_low", "rtp_high")


@dataclass(frozen=True, kw_only=True)
class TrunkConfig:
    """Another SIP server some numbers are called through, and this node's local ports
    for it (a partner's phones often sit behind their own exchange)."""

    host: str
    port: int
    sip_port: int
    rtp_low: int
    rtp_high: int


@dataclass(frozen=True, kw_only=True)
class VoiceConfig:
    host: str
    port: int = 5060
    username: str = "warnline"  # also the caller the called phone sees
    password: str | None = field(default=None, repr=False)  # None: the trunk trusts our address
    local_ip: str = "127.0.0.1"
    sip_port: int = 5062
    rtp_low: int = 10000
    rtp_high: int = 10100
    ring_s: float = 15.0
    listen_s: float = 10.0
    trunks: dict[str, TrunkConfig] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)  # number (digits) -> trunk name


@dataclass(frozen=True, kw_only=True)
class WebhookConfig:
    # partner -> its system's URL (not in the repr: a URL may carry a token)
    urls: dict[str, str] = field(default_factory=dict, repr=False)
    retries: int = 3
    backoff_s: float = 0.2
    timeout_s: float = 3.0


@dataclass(frozen=True, kw_only=True)
class AppriseConfig:
    urls: dict[str, str] = field(default_factory=dict, repr=False)  # URLs carry tokens


ChannelConfig = EmailConfig | SmsConfig | VoiceConfig | WebhookConfig | AppriseConfig


def parse_channels(raw: Any, base: Path, path: Path) -> dict[str, ChannelConfig]:
    """`[channels.*]` checked whole, secrets read: a ConfigError naming the field."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ConfigError(f"{path}: [channels] must hold tables [channels.<name>]")
    out: dict[str, ChannelConfig] = {}
    for name, table in raw.items():
        if name not in KEYS:
            raise ConfigError(
                f"{path}: unknown channel [channels.{name}]{did_you_mean(name, NAMES)}"
            )
        where = f"{path}: channels.{name}"
        if "password" in table:
            raise ConfigError(
                f"{where}.password: no secret inline in the config; "
                'use password_file = "<file>" or password_env = "<VARIABLE>"'
            )
        if name == "webhook" and "secret" in table:
            raise ConfigError(
                f"{where}.secret: webhooks are signed with the hub key (no shared secret)"
            )
        for key in sorted(set(table) - set(KEYS[name])):
            raise ConfigError(f"{where}: unknown key {key}{did_you_mean(key, KEYS[name])}")
        out[name] = _PARSERS[name](_Table(table, where, base))
    return out


class _Table:
    """One channel table with typed reads that name the field in their error."""

    def __init__(self, table: dict[str, Any], where: str, base: Path) -> None:
        self.t, self.where, self.base = table, where, base

    def text(self, key: str, default: str | None = None) -> str:
        value = self.t.get(key, default)
        if not isinstance(value, str) or not value:
            what = "missing" if key not in self.t else f"{value!r}"
            raise ConfigError(f"{self.where}.{key}: {what}: must be a non-empty string")
        return value

    def port(self, key: str, default: int) -> int:
        value = self.t.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            raise ConfigError(f"{self.where}.{key} {value!r}: must be a port from 1 to 65535")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.t.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{self.where}.{key} {value!r}: must be a positive number")
        return float(value)

    def count(self, key: str, default: int) -> int:
        value = self.t.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{self.where}.{key} {value!r}: must be a whole number >= 0")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.t.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.where}.{key} {value!r}: must be true or false")
        return value

    def tables(self, key: str) -> dict[str, dict[str, Any]]:
        value = self.t.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise ConfigError(f"{self.where}.{key}: must hold tables {{ <name> = {{ ... }} }}")
        return value

    def urls(self) -> dict[str, str]:
        value = self.t.get("urls", {})
        if not isinstance(value, dict) or not all(
            isinstance(v, str) and "://" in v for v in value.values()
        ):
            raise ConfigError(f'{self.where}.urls: must be {{ PARTNER = "<scheme>://..." }}')
        return dict(value)

    def secret(self, *, required: bool) -> str | None:
        """The password from `password_file` or `password_env`, read now."""
        given = [k for k in SECRET if k in self.t]
        if len(given) > 1:
            raise ConfigError(f"{self.where}: password_file and password_env: give one")
        if not given:
            if required:
                raise ConfigError(f"{self.where}: needs password_file or password_env")
            return None
        if given[0] == "password_env":
            name = self.text("password_env")
            value = os.environ.get(name, "")
            if not value:
                raise ConfigError(f"{self.where}.password_env: ${name} is not set or empty")
            return value
        file = self.base / self.text("password_file")
        try:
            value = file.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{self.where}.password_file: {file}: {exc.strerror}") from None
        if not value:
            raise ConfigError(f"{self.where}.password_file: {file} is empty")
        return value


def _email(t: _Table) -> EmailConfig:
    username = t.text("username") if "username" in t.t else None
    password = t.secret(required=False)
    if (username is None) != (password is None):
        raise ConfigError(f"{t.where}: username and a password go together (SMTP login)")
    return EmailConfig(
        host=t.text("host"),
        port=t.port("port", 25),
        starttls=t.flag("starttls", False),
        username=username,
        password=password,
        sender=t.text("from", "warnline@hub.invalid"),
        timeout_s=t.number("timeout_s", 5.0),
    )


def _sms(t: _Table) -> SmsConfig:
    password = t.secret(required=True)
    assert password is not None
    return SmsConfig(
        host=t.text("host"),
        port=t.port("port", 2775),
        system_id=t.text("system_id", "warnline"),
        password=password,
        source=t.text("source", "7700"),
        receipt_wait_s=t.number("receipt_wait_s", 3.0),
    )


def _voice(t: _Table) -> VoiceConfig:
    trunks = {name: _trunk(t, name, raw) for name, raw in t.tables("trunks").items()}
    routes = t.t.get("routes", {})
    if not isinstance(routes, dict) or not all(isinstance(v, str) for v in routes.values()):
        raise ConfigError(f'{t.where}.routes: must be {{ "<number>" = "<trunk name>" }}')
    for number, name in routes.items():
        if name not in trunks:
            raise ConfigError(
                f"{t.where}.routes.{number}: no trunk {name!r} in channels.voice.trunks"
                + (did_you_mean(name, tuple(trunks)) if trunks else "")
            )
    cfg = VoiceConfig(
        host=t.text("host"),
        port=t.port("port", 5060),
        username=t.text("username", "warnline"),
        password=t.secret(required=False),
        local_ip=t.text("local_ip", "127.0.0.1"),
        sip_port=t.port("sip_port", 5062),
        rtp_low=t.port("rtp_low", 10000),
        rtp_high=t.port("rtp_high", 10100),
        ring_s=t.number("ring_s", 15.0),
        listen_s=t.number("listen_s", 10.0),
        trunks=trunks,
        routes={number.lstrip("+"): name for number, name in routes.items()},
    )
    if cfg.rtp_high <= cfg.rtp_low:
        raise ConfigError(f"{t.where}: rtp_high must be above rtp_low")
    return cfg


def _trunk(t: _Table, name: str, raw: dict[str, Any]) -> TrunkConfig:
    where = f"{t.where}.trunks.{name}"
    for key in sorted(set(raw) - set(TRUNK_KEYS)):
        raise ConfigError(f"{where}: unknown key {key}{did_you_mean(key, TRUNK_KEYS)}")
    for key in ("host", "sip_port", "rtp_low", "rtp_high"):
        if key not in raw:
            raise ConfigError(f"{where}.{key}: missing (each trunk has its own local ports)")
    sub = _Table(raw, where, t.base)
    trunk = TrunkConfig(
        host=sub.text("host"),
        port=sub.port("port", 5060),
        sip_port=sub.port("sip_port", 0),
        rtp_low=sub.port("rtp_low", 0),
        rtp_high=sub.port("rtp_high", 0),
    )
    if trunk.rtp_high <= trunk.rtp_low:
        raise ConfigError(f"{where}: rtp_high must be above rtp_low")
    return trunk


def _webhook(t: _Table) -> WebhookConfig:
    return WebhookConfig(
        urls=t.urls(),
        retries=t.count("retries", 3),
        backoff_s=t.number("backoff_s", 0.2),
        timeout_s=t.number("timeout_s", 3.0),
    )


def _apprise(t: _Table) -> AppriseConfig:
    return AppriseConfig(urls=t.urls())


_PARSERS: dict[str, Any] = {
    "email": _email,
    "sms": _sms,
    "voice": _voice,
    "webhook": _webhook,
    "apprise": _apprise,
}


def route_contacts(
    agreement: Agreement, channels: Mapping[str, ChannelConfig], path: Path
) -> Agreement:
    """The agreement with the partners' webhook and Apprise contacts pointed at the
    config's `urls` (only contacts the agreement gives that channel: it says who is
    reached by it; the config says where that system is now)."""
    partners: dict[str, Partner] = dict(agreement.partners)
    for name in ("webhook", "apprise"):
        cfg = channels.get(name)
        if not isinstance(cfg, WebhookConfig | AppriseConfig):
            continue
        for code, url in cfg.urls.items():
            if code not in partners:
                raise ConfigError(f"{path}: channels.{name}.urls: unknown partner {code}")
            p = partners[code]
            if not any(name in c.addresses for c in p.contacts):
                raise ConfigError(
                    f"{path}: channels.{name}.urls: {code} has no contact with a {name} "
                    "address in the agreement"
                )
            contacts = tuple(
                replace(c, addresses={**c.addresses, name: url}) if name in c.addresses else c
                for c in p.contacts
            )
            partners[code] = replace(p, contacts=contacts)
    return replace(agreement, partners=partners)


def build_channels(
    channels: Mapping[str, ChannelConfig], hub_key: SigningKey, path: Path
) -> dict[str, PersonChannel]:
    """The channel objects, as the exercise builds them; voice refuses to start without
    the speech tools it needs (better at start than at the first alert)."""
    out: dict[str, PersonChannel] = {}
    for name, cfg in channels.items():
        if isinstance(cfg, EmailConfig):
            out[name] = EmailChannel(
                host=cfg.host,
                port=cfg.port,
                sender=cfg.sender,
                timeout_s=cfg.timeout_s,
                starttls=cfg.starttls,
                username=cfg.username,
                password=cfg.password,
            )
        elif isinstance(cfg, SmsConfig):
            out[name] = SmsChannel(
                host=cfg.host,
                port=cfg.port,
                source=cfg.source,
                receipt_wait_s=cfg.receipt_wait_s,
                system_id=cfg.system_id,
                password=cfg.password,
            )
        elif isinstance(cfg, VoiceConfig):
            missing = missing_tools()
            if missing:
                raise ConfigError(f"{path}: channels.voice: needs {', '.join(missing)} installed")
            trunk = _sip_trunk(cfg, cfg)
            others = {n: _sip_trunk(c, cfg) for n, c in cfg.trunks.items()}
            out[name] = VoiceChannel(
                trunk=trunk,
                routes={number: others[n] for number, n in cfg.routes.items()},
                local_ip=cfg.local_ip,
                ring_s=cfg.ring_s,
                listen_s=cfg.listen_s,
            )
        elif isinstance(cfg, WebhookConfig):
            # httpx and Apprise are a tenth of a node's imports: only a node that has the
            # channel imports its library.
            from warnline.channels.webhook import WebhookChannel

            out[name] = WebhookChannel(
                key=hub_key, retries=cfg.retries, backoff_s=cfg.backoff_s, timeout_s=cfg.timeout_s
            )
        else:
            from warnline.channels.apprise_channel import AppriseChannel

            out[name] = AppriseChannel()
    return out


def _sip_trunk(at: VoiceConfig | TrunkConfig, login: VoiceConfig) -> Trunk:
    """A SIP trunk at `at`'s server and local ports, logged in as the voice channel is
    (without a password: the trunk's default, for a trunk that trusts our address)."""
    trunk = Trunk(
        host=at.host, port=at.port, sip_port=at.sip_port, rtp_low=at.rtp_low,
        rtp_high=at.rtp_high, username=login.username,
    )  # fmt: skip
    return trunk if login.password is None else replace(trunk, password=login.password)


def describe(name: str, cfg: ChannelConfig) -> str:
    """One start-up line: the channel and where it goes, never a secret."""
    if isinstance(cfg, EmailConfig):
        login = f", login {cfg.username}" if cfg.username else ""
        tls = ", STARTTLS" if cfg.starttls else ""
        return f"{name}: SMTP relay {netloc(cfg.host, cfg.port)}{tls}{login}, from {cfg.sender}"
    if isinstance(cfg, SmsConfig):
        return f"{name}: SMPP {netloc(cfg.host, cfg.port)} as {cfg.system_id}, source {cfg.source}"
    if isinstance(cfg, VoiceConfig):
        others = "".join(
            f"; {sum(1 for r in cfg.routes.values() if r == n)} numbers through {n} "
            f"{netloc(c.host, c.port)}"
            for n, c in sorted(cfg.trunks.items())
        )
        return (
            f"{name}: SIP trunk {netloc(cfg.host, cfg.port)} as {cfg.username} "
            f"(local {netloc(cfg.local_ip, cfg.sip_port)}, RTP {cfg.rtp_low}-{cfg.rtp_high})"
            f"{others}"
        )
    if isinstance(cfg, WebhookConfig):
        where = ", ".join(f"{p} {_endpoint(u)}" for p, u in sorted(cfg.urls.items()))
        return f"{name}: signed with the hub key, to {where or 'the agreement addresses'}"
    where = ", ".join(f"{p} {urlsplit(u).scheme}://..." for p, u in sorted(cfg.urls.items()))
    return f"{name}: Apprise, to {where or 'the agreement addresses'}"


def _endpoint(url: str) -> str:
    """Scheme, host and path of a URL: no user, password or query (they may hold tokens)."""
    u = urlsplit(url)
    host = u.hostname or ""
    where = netloc(host, u.port) if u.port else host
    return f"{u.scheme}://{where}{u.path}"
