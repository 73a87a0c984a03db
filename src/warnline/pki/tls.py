"""mTLS for a node's listener: the coalition CA, a client certificate required,
and the CA's revocation list checked for every client."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from warnline.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class TlsSettings:
    cert: Path
    key: Path
    ca: Path
    crl: Path | None = None
    crl_check_s: float = 5.0  # `warnline serve` picks up a changed CRL this often

    def check(self) -> None:
        """Every file exists; a certificate still being issued (its signing request lies
        beside it, `warnline init --csr`) says how to install it."""
        for name in ("cert", "key", "ca", "crl"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                request = self.cert.with_suffix(".csr")
                hint = (
                    f" (send {request} to the coalition CA, then `warnline pki install "
                    "DIR CERT --ca CA_CERT`)"
                    if name in ("cert", "ca") and request.is_file()
                    else ""
                )
                raise ConfigError(f"tls.{name}: no such file {path}{hint}")


def apply_tls(config: uvicorn.Config, tls: TlsSettings) -> uvicorn.Config:
    """Load `config` with mutual TLS; the CRL, when given, is enforced for clients."""
    tls.check()
    config.ssl_certfile = str(tls.cert)
    config.ssl_keyfile = str(tls.key)
    config.ssl_ca_certs = str(tls.ca)
    config.ssl_cert_reqs = ssl.CERT_REQUIRED
    config.load()
    assert config.ssl is not None
    config.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls.crl is not None:
        config.ssl.load_verify_locations(cafile=str(tls.crl))
        config.ssl.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return config


def server_context(tls: TlsSettings) -> ssl.SSLContext:
    """A server-side mutual TLS context for a listener outside uvicorn (the CoT
    listener): the node's certificate, the coalition CA, a client certificate required,
    the CRL enforced for clients when given."""
    tls.check()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(tls.ca))
    ctx.load_cert_chain(str(tls.cert), str(tls.key))
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls.crl is not None:
        ctx.load_verify_locations(cafile=str(tls.crl))
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return ctx


def peer_partner(peercert: object) -> str | None:
    """The partner a verified client certificate names (its subject organisation), from
    `SSLSocket.getpeercert()`."""
    if not isinstance(peercert, dict):
        return None
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "organizationName":
                return str(value)
    return None
