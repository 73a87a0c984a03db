"""`warnline pki install DIR CERT [--ca CA_CERT]`: a certificate the coalition CA issued
for one of the node's signing requests (`warnline init --csr`), put where serve reads it.

The certificate is matched to its key by public key, not by file name, so what the CA
named it does not matter and a certificate for some other key is refused before it
replaces anything; so is one that has expired, one not issued by the given CA, and a
server certificate without the server use. The CA certificate, given once, becomes
pki/ca.crt: the anchor for every client certificate the node's mutual TLS accepts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from warnline.errors import ConfigError, KeyMaterialError
from warnline.pki.certs import (
    cert_pem,
    check_current,
    check_issued_by,
    read_certificate,
    read_request,
    same_key,
    subject_of,
)
from warnline.provision.files import write_private
from warnline.provision.node_dir import CONFIG, PKI
from warnline.serve.config import load_config

__all__ = ["Installed", "install_certificate"]


@dataclass(frozen=True, kw_only=True)
class Installed:
    cert: Path
    ca: Path | None  # written when --ca was given
    issuer: str
    not_after: dt.datetime


def install_certificate(directory: Path, cert_path: Path, ca_path: Path | None) -> Installed:
    config = directory / CONFIG
    load_config(config)  # a node directory, and one serve can read
    pki = directory / PKI
    try:
        cert = read_certificate(cert_path)
        now = dt.datetime.now(dt.UTC)
        check_current(cert, cert_path, now)
        request = _request_for(cert, pki, cert_path)
        ca_file = ca_path or pki / "ca.crt"
        if not ca_file.exists():
            raise ConfigError(
                f"--ca: needed: {pki / 'ca.crt'} does not exist yet (the coalition CA's "
                "certificate: every client certificate is checked against it)"
            )
        ca = read_certificate(ca_file)
        _check_ca(ca, ca_file, now)
        check_issued_by(cert, ca, cert_path)
        if _asks_server(request) and not _allows_server(cert):
            raise KeyMaterialError(
                str(cert_path),
                f"is not a server certificate (no serverAuth use), but {request.name} asked "
                "for one: ask the CA to issue it as a server certificate",
            )
    except KeyMaterialError as exc:
        raise ConfigError(str(exc)) from None
    target = request.with_suffix(".crt")
    if ca_path is not None:
        write_private(pki / "ca.crt", cert_pem(ca))
    write_private(target, cert_pem(cert))
    return Installed(
        cert=target,
        ca=pki / "ca.crt" if ca_path is not None else None,
        issuer=subject_of(ca),
        not_after=cert.not_valid_after_utc,
    )


def _request_for(cert: x509.Certificate, pki: Path, cert_path: Path) -> Path:
    """The signing request (pki/*.csr) for the key `cert` certifies."""
    requests = sorted(pki.glob("*.csr"))
    for path in requests:
        if same_key(cert, read_request(path)):
            return path
    names = ", ".join(p.name for p in requests) or "none"
    raise KeyMaterialError(
        str(cert_path),
        f"certifies a key this node did not ask a certificate for (its requests in {pki}: "
        f"{names}); it was issued for another request or another node",
    )


def _check_ca(ca: x509.Certificate, path: Path, now: dt.datetime) -> None:
    try:
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise KeyMaterialError(str(path), "is not a CA certificate (basic constraints: no CA)")
    check_current(ca, path, now)


def _asks_server(request: Path) -> bool:
    csr = read_request(request)
    try:
        usage = csr.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.SERVER_AUTH in usage


def _allows_server(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True  # no restriction: any use
    return ExtendedKeyUsageOID.SERVER_AUTH in usage
