"""`warnline init DIR --partner CODE`: a node directory `warnline serve` starts from as is.

It holds node.toml, a coalition CA with the node's server certificate, the admin's
client certificate and the hub's CAP-signing certificate (pki/), the hub's signing key
outside an exercise (hub.key) and one admin account whose generated password is shown
once and stored only as its argon2 hash.

With `csr=True` the node joins a coalition CA instead of making one: pki/ gets the
private keys and a signing request for the server certificate (install what the CA
returns with `warnline pki install`), and the CAP key a self-signed certificate, so CAP
is signed from the first start (its request lies beside it, should the CA issue one).
Everything is checked before anything is written, and node.toml is written last: a
directory with a node.toml is a finished one, which `init` never overwrites.
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from nacl.signing import SigningKey

from warnline.accounts import Accounts, Role, User
from warnline.agreement.load import load_agreement
from warnline.errors import ConfigError
from warnline.pki import CertificateAuthority
from warnline.pki.certs import cert_pem, key_pem, new_key, self_signed_signing, signing_request
from warnline.provision.files import new_password, write_private
from warnline.provision.users_toml import render_users, toml_string
from warnline.serve.config import LOOPBACK, load_config

_PEM = serialization.Encoding.PEM
CONFIG = "node.toml"
PKI = "pki"
HUB_KEY = "hub.key"


@dataclass(frozen=True, kw_only=True)
class InitResult:
    config: Path
    admin: str
    admin_password: str  # shown once by the command, stored nowhere
    server_cert: Path  # with csr: where `warnline pki install` puts it
    admin_cert: Path | None  # None with csr: the coalition CA issues client certificates
    cap_cert: Path
    requests: tuple[Path, ...]  # signing requests for the coalition CA (csr only)
    hub_public_key: str | None  # None for an exercise agreement (the public exercise key)
    agreement_hub_key: str  # what the agreement says the hub's public key is ("" if unset)
    tls: bool


def init_node(
    directory: Path,
    *,
    partner: str,
    host: str = "127.0.0.1",
    port: int = 8800,
    agreement: Path | None = None,
    csr: bool = False,
) -> InitResult:
    config = directory / CONFIG
    if config.exists():
        raise ConfigError(f"{config}: already exists; refusing to overwrite a node's config")
    if not 0 < port < 65536:
        raise ConfigError(f"--port {port}: must be a whole number from 1 to 65535")
    if not host:
        raise ConfigError("--host: must not be empty")
    coalition = load_agreement(agreement)
    if partner not in coalition.partners:
        codes = ", ".join(sorted(coalition.partners))
        raise ConfigError(f"--partner {partner!r}: not a partner of the agreement ({codes})")
    directory.mkdir(parents=True, exist_ok=True)
    code = partner.lower()
    pki = directory / PKI
    server, client, cap = f"{code}-node", f"{code}-admin", f"{code}-cap"
    if csr:
        requests = _requests(pki, partner=partner, server=server, cap=cap, hosts=_names(host))
    else:
        ca = CertificateAuthority.init(pki)
        ca.issue(server, partner=partner, server=True, hosts=_names(host))
        ca.issue(client, partner=partner)
        ca.issue(cap, partner=partner, signing=True)
        requests = ()
    hub_public: str | None = None
    if not coalition.exercise:
        hub_public = write_hub_key(directory / HUB_KEY)
    password = new_password()
    admin = User(
        username=f"{code}-admin",
        partner=partner,
        role=Role.ADMIN,
        password_hash=Accounts.hash_password(password),
    )
    tls = csr or host not in LOOPBACK
    text = node_toml(
        partner=partner,
        host=host,
        port=port,
        agreement=str(agreement.resolve()) if agreement else "default",
        tls=tls,
        hub_key=hub_public is not None,
        users=[admin],
        names=(server, client, cap),
        own_ca=not csr,
    )
    write_private(config, text)
    try:
        load_config(config)  # what serve will read: a mistake here is init's, caught now
    except ConfigError:
        config.unlink()
        raise
    return InitResult(
        config=config,
        admin=admin.username,
        admin_password=password,
        server_cert=pki / f"{server}.crt",
        admin_cert=None if csr else pki / f"{client}.crt",
        cap_cert=pki / f"{cap}.crt",
        requests=requests,
        hub_public_key=hub_public,
        agreement_hub_key=coalition.hub_public_key,
        tls=tls,
    )


def write_hub_key(path: Path) -> str:
    """A new hub signing key at `path` (base64 of the Ed25519 seed, mode 0600); its public
    half, base64, is returned: what the agreement's hub_public_key must become."""
    if path.exists():
        raise ConfigError(f"{path}: already exists; refusing to overwrite a key")
    key = SigningKey.generate()
    write_private(path, base64.b64encode(bytes(key)).decode() + "\n")
    return base64.b64encode(bytes(key.verify_key)).decode()


def node_toml(
    *,
    partner: str,
    host: str,
    port: int,
    agreement: str,
    tls: bool,
    hub_key: bool,
    users: list[User],
    names: tuple[str, str, str],
    own_ca: bool = True,
) -> str:
    """The config text; paths are relative to the config's directory, as serve reads them."""
    server, client, cap = names
    parts = [
        f"# Warnline node of {partner}, written by `warnline init`; see docs/operations.md.\n"
        "# Manage accounts with `warnline user add|remove|passwd --config <this file>`.\n\n"
        "[node]\n"
        f"host = {toml_string(host)}\n"
        f"port = {port}\n"
        'data = "data"\n'
        f"agreement = {toml_string(agreement)}\n"
        "tick_s = 0.5\n"
    ]
    if tls and own_ca:
        parts.append(
            f"# mutual TLS: clients show a certificate of the CA in {PKI}/ (e.g. {client}.crt)\n"
            "[tls]\n"
            f'cert = "{PKI}/{server}.crt"\n'
            f'key = "{PKI}/{server}.key"\n'
            f'ca = "{PKI}/ca.crt"\n'
            f'crl = "{PKI}/crl.pem"\n'
        )
    elif tls:
        parts.append(
            "# mutual TLS with the coalition CA: send pki/" + server + ".csr to it, then\n"
            "# `warnline pki install <this directory> CERT --ca CA_CERT` writes cert and ca;\n"
            '# add crl = "pki/crl.pem" once the CA publishes its revocation list\n'
            "[tls]\n"
            f'cert = "{PKI}/{server}.crt"\n'
            f'key = "{PKI}/{server}.key"\n'
            f'ca = "{PKI}/ca.crt"\n'
        )
    hub = ["[hub]\n"]
    if hub_key:
        hub.append(
            "# the hub's Ed25519 signing key (answers, webhooks, tree heads); its public half\n"
            "# must be the agreement's coalition.hub_public_key. To rotate it: docs/operations.md\n"
            f'key = "{HUB_KEY}"\n'
        )
    hub.append(
        "# CAP's XML signature: ECDSA P-256 key and certificate"
        + (
            f" (issued by the CA in {PKI}/)\n"
            if own_ca
            else " (self-signed until the CA issues one)\n"
        )
        + f'cap_key = "{PKI}/{cap}.key"\n'
        f'cap_cert = "{PKI}/{cap}.crt"\n'
    )
    parts.append("".join(hub))
    parts.append(
        "# the oldest entries move into signed segments in data/archive once a snapshot\n"
        "# covers them, so the disk stays bounded (docs/operations.md, Retention)\n"
        "[retention]\n"
        "enabled = true\n"
        "segment_entries = 10000\n"
        "keep_entries = 100000\n"
    )
    parts.append(render_users(users))
    return "\n".join(parts)


def _requests(
    pki: Path, *, partner: str, server: str, cap: str, hosts: tuple[str, ...]
) -> tuple[Path, ...]:
    """Keys and signing requests for the coalition CA, and a self-signed CAP certificate."""
    if pki.exists() and any(pki.iterdir()):
        raise ConfigError(f"{pki}: not empty; refusing to overwrite keys")
    pki.mkdir(parents=True, exist_ok=True)
    written = []
    for name, names in ((server, hosts), (cap, None)):
        key = new_key()
        write_private(pki / f"{name}.key", key_pem(key))
        request = signing_request(key, name=name, partner=partner, hosts=names)
        (pki / f"{name}.csr").write_bytes(request.public_bytes(_PEM))
        written.append(pki / f"{name}.csr")
        if names is None:
            cert = self_signed_signing(key, name=name, partner=partner)
            (pki / f"{name}.crt").write_text(cert_pem(cert))
    return tuple(written)


def _names(host: str) -> tuple[str, ...]:
    """Names the server certificate answers to: the configured host (unless it is a
    wildcard address, which no client dials) and loopback."""
    names = [] if _is_wildcard(host) else [host]
    names += [n for n in ("127.0.0.1", "localhost") if n not in names]
    return tuple(names)


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False
