"""Enveloped XML signatures on CAP messages, verifiable with the hub's certificate.

CAP 1.2 (section 3.3.2.1) puts an XML-DSig `Signature` as the last child of `alert`,
so a partner's warning system, which may never speak to our API, can still check
that a message came from the hub and was not changed on the way (by a relay, a
feed cache, a siren controller's gateway).

The algorithm is ECDSA P-256 with SHA-256 and exclusive canonicalisation: the
signxml library implements XML-DSig with RSA, DSA, ECDSA and HMAC but not Ed25519
(the hub's audit and report keys), and ECDSA P-256 is the shortest and fastest of
the standard choices every XML-DSig consumer accepts. The certificate travels in
`KeyInfo`, but a verifier trusts only the certificate it already holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.exceptions import InvalidInput
from signxml.exceptions import InvalidSignature as XMLInvalidSignature
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from warnline.errors import SignatureError
from warnline.pki.certs import SIGNING_USAGE

__all__ = ["CapSigner", "exercise_cap_signer", "verify_cap"]

DSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_EXERCISE_SEED_PREFIX = b"warnline-exercise-cap-key:"
_CONFIG = SignatureConfiguration(
    signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    expect_references=1,
)
# Exercise certificates are valid over a fixed window so they are the same on every run.
_NOT_BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
_NOT_AFTER = datetime(2035, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class CapSigner:
    """The hub's XML-signing key and the certificate partners verify it with."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, cap_xml: bytes) -> bytes:
        """`cap_xml` with an enveloped signature appended as the last child of `alert`."""
        root = etree.fromstring(cap_xml, parser=_parser())
        signer = XMLSigner(
            signature_algorithm=SignatureMethod.ECDSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
        )
        signed = signer.sign(root, key=self.key, cert=[self.certificate])
        return bytes(etree.tostring(signed, xml_declaration=True, encoding="UTF-8"))


def verify_cap(cap_xml: bytes, certificate_pem: bytes) -> etree._Element:
    """The signed `alert` element if `cap_xml` carries a valid signature by the holder
    of `certificate_pem`; SignatureError otherwise (missing, altered, other key)."""
    cert = x509.load_pem_x509_certificate(certificate_pem)
    try:
        result = XMLVerifier().verify(
            cap_xml, x509_cert=cert, parser=_parser(), expect_config=_CONFIG
        )
    except (XMLInvalidSignature, InvalidSignature, InvalidInput) as exc:
        raise SignatureError(f"CAP signature does not verify: {exc}", field="Signature") from None
    except etree.XMLSyntaxError as exc:
        raise SignatureError(f"not well-formed XML: {exc}", field="body") from None
    if isinstance(result, list):  # pragma: no cover - one reference is all we expect
        raise SignatureError("more than one signed reference", field="Signature")
    signed: etree._Element = result.signed_xml
    return signed


def exercise_cap_signer(code: str = "HUB") -> CapSigner:
    """A P-256 key derived from a public string, with a self-signed certificate.

    Exercise only, like every exercise key: anyone can recompute the private key.
    """
    seed = hashlib.sha256(_EXERCISE_SEED_PREFIX + code.encode()).digest()
    key = ec.derive_private_key(int.from_bytes(seed) % (_P256_ORDER - 1) + 1, ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Warnline exercise"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{code} CAP signing (exercise)"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(seed[:8]) or 1)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            SIGNING_USAGE,
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return CapSigner(key=key, certificate=cert)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
