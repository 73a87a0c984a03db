"""Key and certificate files a node is given, checked before it uses them.

A key that is not the certificate's, a certificate past its end, one another CA signed:
each would otherwise surface mid-handshake or in a partner's failed XML check, long after
the operator changed the file. Here each becomes one `KeyMaterialError` naming the file
and the reason, at start or when a certificate is installed.

Also the two ways a node gets a certificate without a CA of its own: a signing request
for the coalition's CA, and a self-signed certificate for a key that needs one at once.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from warnline.errors import KeyMaterialError

__all__ = [
    "SIGNING_USAGE",
    "cert_pem",
    "check_current",
    "check_issued_by",
    "check_pair",
    "key_pem",
    "new_key",
    "read_certificate",
    "read_private_key",
    "read_request",
    "same_key",
    "self_signed_signing",
    "signing_request",
    "subject_of",
]

_HASH = hashes.SHA256()
_HasPublicKey = x509.Certificate | x509.CertificateSigningRequest | PrivateKeyTypes

SIGNING_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)
"""Key usage of a document-signing certificate (CAP's XML signature): sign, nothing else."""


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def read_private_key(path: Path) -> PrivateKeyTypes:
    data = _read(path)
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyMaterialError(
            str(path), "is encrypted; the node reads an unencrypted key (keep it mode 0600)"
        ) from None
    except ValueError:
        raise KeyMaterialError(str(path), "is not a PEM private key") from None


def read_certificate(path: Path) -> x509.Certificate:
    data = _read(path)
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise KeyMaterialError(str(path), "is not a PEM X.509 certificate") from None


def read_request(path: Path) -> x509.CertificateSigningRequest:
    data = _read(path)
    try:
        csr = x509.load_pem_x509_csr(data)
    except ValueError:
        raise KeyMaterialError(str(path), "is not a PEM certificate signing request") from None
    if not csr.is_signature_valid:
        raise KeyMaterialError(str(path), "its signature does not verify (changed on the way?)")
    return csr


def same_key(a: _HasPublicKey, b: _HasPublicKey) -> bool:
    """True when `a` and `b` (certificates, signing requests or private keys) hold the
    same public key."""
    raw = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return bool(a.public_key().public_bytes(*raw) == b.public_key().public_bytes(*raw))


def check_pair(key: PrivateKeyTypes, cert: x509.Certificate, cert_path: Path) -> None:
    if not same_key(cert, key):
        raise KeyMaterialError(
            str(cert_path), "certifies another public key than the configured private key's"
        )


def check_current(cert: x509.Certificate, path: Path, now: dt.datetime) -> None:
    """Refuse a certificate outside its validity: partners' checks would refuse it."""
    if now >= cert.not_valid_after_utc:
        raise KeyMaterialError(
            str(path), f"expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC; renew it"
        )
    if now < cert.not_valid_before_utc:
        raise KeyMaterialError(
            str(path), f"is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        )


def check_issued_by(cert: x509.Certificate, ca: x509.Certificate, path: Path) -> None:
    """Refuse a certificate the given CA did not sign (a partner's TLS check would)."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise KeyMaterialError(
            str(path), f"was not issued by the CA {subject_of(ca)!r} (issuer {_issuer(cert)!r})"
        ) from None


def subject_of(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def signing_request(
    key: ec.EllipticCurvePrivateKey, *, name: str, partner: str, hosts: tuple[str, ...] | None
) -> x509.CertificateSigningRequest:
    """A request for a server certificate (`hosts` given: the names it answers to) or a
    document-signing one (`hosts` None). The CA decides what it grants; the request says
    what the node will use it for."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(_subject(name, partner))
    if hosts is None:
        builder = builder.add_extension(SIGNING_USAGE, critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([san(h) for h in hosts]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(key, _HASH)


def self_signed_signing(
    key: ec.EllipticCurvePrivateKey, *, name: str, partner: str, days: int = 365
) -> x509.Certificate:
    """A document-signing certificate signed by its own key: partners pin it (they fetch
    it from the node, `GET /api/v1/cap/certificate`, and compare its fingerprint out of
    band) until the coalition's CA issues one."""
    subject = _subject(name, partner)
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(SIGNING_USAGE, critical=True)
        .sign(key, _HASH)
    )


def san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _subject(name: str, partner: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, partner),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )


def _issuer(cert: x509.Certificate) -> str:
    names = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.issuer.rfc4514_string()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeyMaterialError(str(path), exc.strerror or str(exc)) from None
