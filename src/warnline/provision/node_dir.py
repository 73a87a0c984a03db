"""`warnline init DIR --partner CODE`: a node directory `warnline serve` starts from as is.

It holds node.toml, a coalition CA with the node's server certificate and the admin's
client certificate (pki/), the hub's signing key outside an exercise (hub.key) and one
admin account whose generated password is shown once and stored only as its argon2 hash.
Everything is checked before anything is written, and node.toml is written last: a
directory with a node.toml is a finished one, which `init` never overwrites.
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from nacl.signing import SigningKey

from warnline.agreement.load import load_agreement
from warnline.api.accounts import Accounts, Role, User
from warnline.errors import ConfigError
from warnline.pki import CertificateAuthority
from warnline.provision.files import new_password, write_private
from warnline.provision.users_toml import render_users, toml_string
from warnline.serve import LOOPBACK, load_config

CONFIG = "node.toml"
PKI = "pki"
HUB_KEY = "hub.key"


@dataclass(frozen=True, kw_only=True)
class InitResult:
    config: Path
    admin: str
    admin_password: str  # shown once by the command, stored nowhere
    server_cert: Path
    admin_cert: Path
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
    ca = CertificateAuthority.init(directory / PKI)
    server = ca.issue(f"{code}-node", partner=partner, server=True, hosts=_names(host))
    client = ca.issue(f"{code}-admin", partner=partner)
    hub_public: str | None = None
    if not coalition.exercise:
        key = SigningKey.generate()
        write_private(directory / HUB_KEY, base64.b64encode(bytes(key)).decode() + "\n")
        hub_public = base64.b64encode(bytes(key.verify_key)).decode()
    password = new_password()
    admin = User(
        username=f"{code}-admin",
        partner=partner,
        role=Role.ADMIN,
        password_hash=Accounts.hash_password(password),
    )
    tls = host not in LOOPBACK
    text = node_toml(
        partner=partner,
        host=host,
        port=port,
        agreement=str(agreement.resolve()) if agreement else "default",
        tls=tls,
        hub_key=hub_public is not None,
        users=[admin],
        names=(server.name, client.name),
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
        server_cert=server.cert_path(directory / PKI),
        admin_cert=client.cert_path(directory / PKI),
        hub_public_key=hub_public,
        agreement_hub_key=coalition.hub_public_key,
        tls=tls,
    )


def node_toml(
    *,
    partner: str,
    host: str,
    port: int,
    agreement: str,
    tls: bool,
    hub_key: bool,
    users: list[User],
    names: tuple[str, str],
) -> str:
    """The config text; paths are relative to the config's directory, as serve reads them."""
    server, client = names
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
    if tls:
        parts.append(
            f"# mutual TLS: clients show a certificate of the CA in {PKI}/ (e.g. {client}.crt)\n"
            "[tls]\n"
            f'cert = "{PKI}/{server}.crt"\n'
            f'key = "{PKI}/{server}.key"\n'
            f'ca = "{PKI}/ca.crt"\n'
            f'crl = "{PKI}/crl.pem"\n'
        )
    if hub_key:
        parts.append(
            "# the hub's Ed25519 signing key; its public half must be the agreement's\n"
            "# coalition.hub_public_key\n"
            "[hub]\n"
            f'key = "{HUB_KEY}"\n'
        )
    parts.append(render_users(users))
    return "\n".join(parts)


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
