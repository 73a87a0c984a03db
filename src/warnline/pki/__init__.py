"""pki: the coalition's certificate authority for mTLS on every link."""

from warnline.pki.ca import CertificateAuthority, IssuedCert

__all__ = ["CertificateAuthority", "IssuedCert"]
