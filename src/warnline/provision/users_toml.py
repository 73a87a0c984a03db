"""Rewrite the [[users]] tables of a node config, keeping every other byte of it.

No TOML writer is installed, and a writer would reformat the operator's file (comments,
order, spacing) anyway. So the [[users]] tables are cut out of the text and written
again where the first one stood; the result is parsed back and must equal the old
config in every other section, or nothing is written.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from warnline.accounts import User
from warnline.errors import ConfigError

_USERS_HEADER = re.compile(r"^\s*\[\[\s*users\s*\]\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"


def toml_string(value: str) -> str:
    """`value` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def render_users(users: list[User]) -> str:
    """The [[users]] tables for `users`, in the order given."""
    blocks = [
        "[[users]]\n"
        f"username = {toml_string(u.username)}\n"
        f"partner = {toml_string(u.partner)}\n"
        f"role = {toml_string(u.role.value)}\n"
        f"password_hash = {toml_string(u.password_hash)}\n"
        for u in users
    ]
    return "\n".join(blocks)


def replace_users(text: str, users: list[User], *, where: str) -> str:
    """`text` with its [[users]] tables replaced by `users`; a ConfigError naming `where` if
    the result would differ from `text` anywhere else (an inline `users = [...]`, say)."""
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    at: int | None = None
    i = 0
    while i < len(lines):
        if not _USERS_HEADER.match(lines[i]):
            kept.append(lines[i])
            i += 1
            continue
        at = len(kept) if at is None else at
        last = i  # the table ends at its last key; comments after it belong to what follows
        j = i + 1
        while j < len(lines) and not _ANY_HEADER.match(lines[j]):
            if lines[j].strip() and not lines[j].lstrip().startswith("#"):
                last = j
            j += 1
        i = last + 1
    new = _insert(kept, at, render_users(users))
    _check_same_elsewhere(text, new, users, where)
    return new


def _insert(kept: list[str], at: int | None, block: str) -> str:
    """`block` where the first [[users]] stood (at the end if none did), one blank line
    either side."""
    at = len(kept) if at is None else at
    before = "".join(kept[:at]).rstrip("\n")
    after = "".join(kept[at:]).strip("\n")
    return "\n\n".join(p for p in (before, block.rstrip("\n"), after) if p) + "\n"


def _check_same_elsewhere(old: str, new: str, users: list[User], where: str) -> None:
    refused = ConfigError(f"{where}: [[users]] cannot be rewritten safely here; edit it by hand")
    try:
        before: dict[str, Any] = tomllib.loads(old)
        after: dict[str, Any] = tomllib.loads(new)
    except tomllib.TOMLDecodeError:
        raise refused from None
    wanted = [
        {
            "username": u.username,
            "partner": u.partner,
            "role": u.role.value,
            "password_hash": u.password_hash,
        }
        for u in users
    ]
    before.pop("users", None)
    if after.pop("users", []) != wanted or before != after:
        raise refused
