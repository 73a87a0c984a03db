"""A small coalition CA: issue and revoke the X.509 certificates used for mTLS and CAP.

Certificates carry the partner code as the subject's organisation, so a node can
tell which partner a client certificate belongs to. Keys are ECDSA P-256, which
every TLS stack accepts; revocation is a signed CRL that nodes load at start.
The CA directory holds `ca.key` (keep it offline in a real deployment), `ca.crt`,
`index.json` (what was issued and revoked) and `crl.pem`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from warnline.errors import ConfigError
from warnline.pki.certs import SIGNING_USAGE, new_key, san

_HASH = hashes.SHA256()


@dataclass(frozen=True, kw_only=True)
class IssuedCert:
    name: str
    partner: str
    serial: int
    server: bool
    not_after: str
    revoked_at: str | None = None
    signing: bool = False  # a document-signing certificate (the hub's CAP key)

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
        key = new_key()
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
        signing: bool = False,
        hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        days: int = 365,
    ) -> IssuedCert:
        """A key and certificate for a node (server), a partner's client, or a document
        signer (signing: the hub's CAP key)."""
        self._check_name(name)
        key = new_key()
        cert = self._certify(
            key.public_key(),
            name=name,
            partner=partner,
            kind=_kind(server, signing),
            hosts=hosts,
            days=days,
        )
        _write_key(self.dir / f"{name}.key", key)
        return self._record(cert, name=name, partner=partner, server=server, signing=signing)

    def sign_request(
        self, csr: x509.CertificateSigningRequest, *, server: bool, signing: bool, days: int = 365
    ) -> IssuedCert:
        """A certificate for a key this CA never sees (a node's signing request): the name
        and partner from the request's subject, a server's names from its request. What
        the certificate allows is the CA's choice (`server`, `signing`), not the request's."""
        name = _attribute(csr.subject, NameOID.COMMON_NAME)
        partner = _attribute(csr.subject, NameOID.ORGANIZATION_NAME)
        if not name or not partner:
            raise ConfigError("the request's subject needs a common name and an organisation")
        self._check_name(name)
        hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
        if server:
            try:
                alt = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            except x509.ExtensionNotFound:
                raise ConfigError("a server certificate's request must name its hosts") from None
            hosts = tuple(str(n.value) for n in alt)
        cert = self._certify(
            csr.public_key(),
            name=name,
            partner=partner,
            kind=_kind(server, signing),
            hosts=hosts,
            days=days,
        )
        return self._record(cert, name=name, partner=partner, server=server, signing=signing)

    def _check_name(self, name: str) -> None:
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"certificate name {name!r}: letters, digits, - and _ only")
        if any(c.name == name and c.revoked_at is None for c in self.issued()):
            raise ConfigError(f"certificate {name!r} is already issued; revoke it first to rotate")

    def _certify(
        self,
        public_key: CertificatePublicKeyTypes,
        *,
        name: str,
        partner: str,
        kind: str,
        hosts: tuple[str, ...],
        days: int,
    ) -> x509.Certificate:
        now = dt.datetime.now(dt.UTC)
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
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        )
        if kind == "signing":
            builder = builder.add_extension(SIGNING_USAGE, critical=True)
        else:
            usage = ExtendedKeyUsageOID.CLIENT_AUTH
            if kind == "server":
                usage = ExtendedKeyUsageOID.SERVER_AUTH
            builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if kind == "server":
            builder = builder.add_extension(
                x509.SubjectAlternativeName([san(h) for h in hosts]), critical=False
            )
        return builder.sign(self._key, _HASH)  # type: ignore[arg-type]

    def _record(
        self, cert: x509.Certificate, *, name: str, partner: str, server: bool, signing: bool
    ) -> IssuedCert:
        (self.dir / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        record = IssuedCert(
            name=name,
            partner=partner,
            serial=cert.serial_number,
            server=server,
            signing=signing,
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


def _kind(server: bool, signing: bool) -> str:
    if server and signing:
        raise ConfigError("a certificate is for a server or for signing, not both")
    return "server" if server else "signing" if signing else "client"


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else ""


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
