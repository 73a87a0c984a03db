"""`warnline user add|remove|passwd`: accounts in a node config, never a password in it.

A running node reads its users at start, so each change is written to the config and
takes effect when the node restarts; the commands say so. The config is checked whole
(`load_config`) before it is changed, and replaced whole (`write_private`) after.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from warnline.accounts import Accounts, Role, User, check_cell_accounts
from warnline.agreement.load import load_agreement
from warnline.errors import ConfigError
from warnline.provision.files import new_password, write_private
from warnline.provision.users_toml import replace_users
from warnline.serve.config import load_config

RESTART = "restart the node to apply it (a running node reads its users at start)"


@dataclass(frozen=True, kw_only=True)
class UserChange:
    summary: str
    generated_password: str | None  # shown once by the command, stored nowhere


def add_user(
    config: Path, username: str, *, partner: str, role: str, password: str | None
) -> UserChange:
    cfg = load_config(config)
    users = cfg.users
    check_username(username)
    if any(u.username == username for u in users):
        raise ConfigError(f"{config}: users: {username!r} already exists")
    try:
        role_ = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ConfigError(f"--role {role!r}: must be one of {roles}") from None
    agreement = load_agreement(cfg.agreement)
    if partner not in agreement.partners:
        codes = ", ".join(sorted(agreement.partners))
        raise ConfigError(f"--partner {partner!r}: not a partner of the agreement ({codes})")
    secret = password if password is not None else new_password()
    user = User(
        username=username,
        partner=partner,
        role=role_,
        password_hash=Accounts.hash_password(secret),
    )
    check_cell_accounts([user], agreement.coordination_cell)
    _write(config, [*users, user])
    return UserChange(
        summary=f"added user {username} ({partner}, {role_.value}) to {config}; {RESTART}",
        generated_password=None if password is not None else secret,
    )


def remove_user(config: Path, username: str) -> UserChange:
    users = load_config(config).users
    kept = [u for u in users if u.username != username]
    if len(kept) == len(users):
        raise ConfigError(f"{config}: users: no user {username!r}")
    _write(config, kept)
    return UserChange(
        summary=f"removed user {username} from {config}; {RESTART}", generated_password=None
    )


def set_password(config: Path, username: str, *, password: str | None) -> UserChange:
    users = load_config(config).users
    if not any(u.username == username for u in users):
        raise ConfigError(f"{config}: users: no user {username!r}")
    secret = password if password is not None else new_password()
    digest = Accounts.hash_password(secret)
    changed = [
        dataclasses.replace(u, password_hash=digest) if u.username == username else u for u in users
    ]
    _write(config, changed)
    return UserChange(
        summary=f"new password for {username} in {config}; {RESTART}",
        generated_password=None if password is not None else secret,
    )


def check_username(username: str) -> None:
    """Names are typed at a sign-in form: printable, no spaces around them."""
    if not username or username != username.strip() or not username.isprintable():
        raise ConfigError(
            f"username {username!r}: must be non-empty printable text without surrounding spaces"
        )


def _write(config: Path, users: list[User]) -> None:
    text = config.read_text(encoding="utf-8")
    write_private(config, replace_users(text, users, where=str(config)))
