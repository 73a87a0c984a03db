"""[[cot]] in node.toml: Cursor-on-Target listeners for partners' TAK clients and servers.

[[cot]]
host = "127.0.0.1"      # loopback: plain TCP allowed; any other address needs tls = true
port = 8087
partner = "JOR"         # whose released picture a plain-TCP client gets, and whose reports
                        # it sends; with tls the client's certificate names the partner
                        # (given as well, only that partner's certificates are let in)
picture = true          # stream the partner's released picture (tracks, shapes, alerts)
reports = false         # accept CoT events (XML, TAK protocol v1) as the partner's reports
tls = false             # mutual TLS with the node's [tls] (the coalition CA)
push_s = 1.0            # wall seconds between picture pushes

Nothing reaches a listener but what release gives that partner (warnline.cot).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warnline.errors import ConfigError
from warnline.pki.tls import TlsSettings
from warnline.serve.text import did_you_mean, netloc

__all__ = ["CotConfig", "parse_cot"]

KEYS = ("host", "port", "partner", "picture", "reports", "tls", "push_s")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, kw_only=True)
class CotConfig:
    host: str = "127.0.0.1"
    port: int = 8087
    partner: str | None = None
    picture: bool = True
    reports: bool = False
    tls: bool = False
    push_s: float = 1.0

    def describe(self) -> str:
        what = " and ".join(
            w for w, on in (("picture out", self.picture), ("reports in", self.reports)) if on
        )
        who = self.partner or "the partner each client certificate names"
        scheme = "mutual TLS" if self.tls else "TCP"
        return f"CoT on {netloc(self.host, self.port)} ({scheme}): {what} for {who}"


def parse_cot(
    raw: Any, path: Path, tls: TlsSettings | None, node: tuple[str, int]
) -> list[CotConfig]:
    """[[cot]] checked whole: unknown keys, wrong types, a listener off loopback
    without mutual TLS, two listeners on one port."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ConfigError(f"{path}: cot: must be an array of tables ([[cot]])")
    out: list[CotConfig] = []
    taken = {node}
    for i, t in enumerate(raw):
        where = f"{path}: cot[{i}]"
        for key in sorted(set(t) - set(KEYS)):
            raise ConfigError(f"{where}: unknown key {key}{did_you_mean(key, KEYS)}")
        host = t.get("host", "127.0.0.1")
        if not isinstance(host, str) or not host:
            raise ConfigError(f"{where}.host {host!r}: must be a non-empty string")
        port = t.get("port")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ConfigError(f"{where}.port {port!r}: must be a whole number from 1 to 65535")
        partner = t.get("partner")
        if partner is not None and (not isinstance(partner, str) or not partner):
            raise ConfigError(f"{where}.partner {partner!r}: must be a partner code")
        flags = {k: t.get(k, getattr(CotConfig, k)) for k in ("picture", "reports", "tls")}
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise ConfigError(f"{where}.{key} {value!r}: must be true or false")
        if not (flags["picture"] or flags["reports"]):
            raise ConfigError(f"{where}: picture and reports both false: nothing to serve")
        push_s = t.get("push_s", 1.0)
        if isinstance(push_s, bool) or not isinstance(push_s, int | float) or push_s <= 0:
            raise ConfigError(f"{where}.push_s {push_s!r}: must be a positive number of seconds")
        if host not in LOOPBACK and not flags["tls"]:
            raise ConfigError(
                f"{where}.host {host!r} is not loopback: it needs tls = true (mutual TLS with "
                "the coalition CA: every TAK client shows a certificate)"
            )
        if flags["tls"] and tls is None:
            raise ConfigError(f"{where}.tls: needs the node's [tls] (certificate, key, CA)")
        if partner is None and not flags["tls"]:
            raise ConfigError(f"{where}.partner: a plain TCP listener must name its partner")
        if (host, port) in taken:
            raise ConfigError(f"{where}.port {port}: already used by another listener")
        taken.add((host, port))
        out.append(
            CotConfig(
                host=host, port=port, partner=partner, picture=flags["picture"],
                reports=flags["reports"], tls=flags["tls"], push_s=float(push_s),
            )
        )  # fmt: skip
    return out
