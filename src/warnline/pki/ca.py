"""A small coalition CA: issue and revoke the X.509 certificates used for mTLS.

Certificates carry the partner code as the subject's organisation, so a node can
tell which partner a client certificate belongs to. Keys are ECDSA P-256, which
every TLS stack accepts; revocation is a signed CRL that nodes load at start.
The CA directory holds `ca.key` (keep it offline in a real deployment), `ca.crt`,
`index.json` (what was issued and revoked) and `crl.pem`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from warnline.errors import ConfigError

_HASH = hashes.SHA256()


@dataclass(frozen=True, kw_only=True)
class IssuedCert:
    name: str
    partner: str
    serial: int
    server: bool
    not_after: str
    revoked_at: str | None = None

    def cert_path(self, directory: Path) -> Path:
        return directory / f"{self.name}.crt"

    def key_path(self, directory: Path) -> Path:
        return directory / f"{self.name}.key"


class CertificateAuthority:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        try:
            self._key = serialization.load_pem_private_key(
                (directory / "ca.key").read_bytes(), None
            )
            self.cert = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
        except FileNotFoundError:
            raise ConfigError(f"{directory}: no CA here (run `warnline pki init`)") from None

    @classmethod
    def init(
        cls, directory: Path, *, name: str = "Warnline coalition CA", days: int = 3650
    ) -> CertificateAuthority:
        if (directory / "ca.key").exists():
            raise ConfigError(f"{directory}: a CA already exists; refusing to overwrite it")
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, _HASH)
        )
        _write_key(directory / "ca.key", key)
        (directory / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (directory / "index.json").write_text(json.dumps({"issued": []}, indent=2))
        ca = cls(directory)
        ca.write_crl()
        return ca

    # -- index ---------------------------------------------------------------------

    def issued(self) -> list[IssuedCert]:
        data = json.loads((self.dir / "index.json").read_text())
        return [IssuedCert(**c) for c in data["issued"]]

    def _save(self, certs: list[IssuedCert]) -> None:
        tmp = self.dir / "index.json.tmp"
        tmp.write_text(json.dumps({"issued": [asdict(c) for c in certs]}, indent=2))
        tmp.replace(self.dir / "index.json")

    # -- issuing and revoking --------------------------------------------------------

    def issue(
        self,
        name: str,
        *,
        partner: str,
        server: bool = False,
        hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        days: int = 365,
    ) -> IssuedCert:
        """A key and certificate for a node (server) or a partner's client."""
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"certificate name {name!r}: letters, digits, - and _ only")
        if any(c.name == name and c.revoked_at is None for c in self.issued()):
            raise ConfigError(f"certificate {name!r} is already issued; revoke it first to rotate")
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, partner),
                        x509.NameAttribute(NameOID.COMMON_NAME, name),
                    ]
                )
            )
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False
            )
        cert = builder.sign(self._key, _HASH)  # type: ignore[arg-type]
        _write_key(self.dir / f"{name}.key", key)
        (self.dir / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        record = IssuedCert(
            name=name,
            partner=partner,
            serial=cert.serial_number,
            server=server,
            not_after=cert.not_valid_after_utc.isoformat(),
        )
        self._save([*self.issued(), record])
        return record

    def revoke(self, name: str) -> IssuedCert:
        certs = self.issued()
        live = [c for c in certs if c.name == name and c.revoked_at is None]
        if not live:
            raise ConfigError(f"no live certificate named {name!r}")
        when = dt.datetime.now(dt.UTC).isoformat()
        updated = [
            IssuedCert(**{**asdict(c), "revoked_at": when}) if c in live else c for c in certs
        ]
        self._save(updated)
        self.write_crl()
        return next(c for c in updated if c.serial == live[0].serial)

    def write_crl(self, *, days: int = 30) -> Path:
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + dt.timedelta(days=days))
        )
        for c in self.issued():
            if c.revoked_at is not None:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(c.serial)
                    .revocation_date(dt.datetime.fromisoformat(c.revoked_at))
                    .build()
                )
        crl = builder.sign(self._key, _HASH)  # type: ignore[arg-type]
        path = self.dir / "crl.pem"
        path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        return path


def partner_of(cert_pem: bytes) -> str:
    """The partner code a certificate was issued to (its subject organisation)."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    return str(cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value)


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
