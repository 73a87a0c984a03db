"""The exercise's node as a partner would configure it: a `node.toml` for `warnline serve`.

The exercise does not assemble a node of its own: it writes this config, with the
loopback peers as its person channels (`sim/reachable.py`) and its accounts as
[[users]], and builds the node through the same builder as `warnline serve`
(`warnline.serve.builder`). Secrets go in files beside it, as an operator keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from warnline.accounts import User
from warnline.provision.files import write_private
from warnline.provision.users_toml import render_users, toml_string

Table = Mapping[str, Any]


def write_node_config(
    directory: Path,
    *,
    host: str,
    port: int,
    agreement: Path | None,
    tick_s: float,
    users: list[User],
    channels: Mapping[str, Table],
    secrets: Mapping[str, str],
    retention: Table | None = None,
    asterix: Sequence[Table] = (),
    asterix_out: Sequence[Table] = (),
    cot: Sequence[Table] = (),
) -> Path:
    """Write `directory/node.toml` (and each of `secrets` as a private file beside it,
    by its relative path) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    for rel, value in secrets.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        write_private(directory / rel, value + "\n")
    parts = [
        "# The exercise's node, written by `warnline demo`; served as `warnline serve` would.\n\n"
        "[node]\n"
        f"host = {toml_string(host)}\n"
        f"port = {port}\n"
        'data = "journal"\n'
        f"agreement = {toml_string('default' if agreement is None else str(agreement))}\n"
        f"tick_s = {tick_s!r}\n"
    ]
    for name, table in channels.items():
        parts.append(f"[channels.{name}]\n" + "".join(_line(k, v) for k, v in table.items()))
    if retention is not None:
        parts.append("[retention]\n" + "".join(_line(k, v) for k, v in retention.items()))
    for table in asterix:  # the partners' ASTERIX listeners (serve/asterix.py)
        parts.append("[[asterix]]\n" + "".join(_line(k, v) for k, v in table.items()))
    for table in asterix_out:  # CAT062 of a partner's released picture (serve/asterix_out.py)
        parts.append("[[asterix_out]]\n" + "".join(_line(k, v) for k, v in table.items()))
    for table in cot:
        parts.append("[[cot]]\n" + "".join(_line(k, v) for k, v in table.items()))
    parts.append(render_users(users))
    path = directory / "node.toml"
    path.write_text("\n".join(parts))
    return path


def _line(key: str, value: Any) -> str:
    return f"{_key(key)} = {_value(value)}\n"


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else toml_string(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {type(value).__name__}")
