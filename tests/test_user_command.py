"""`warnline user add|remove|passwd`: accounts change in node.toml and nothing else does;
the file stays private, a password never lands in it, and a refusal changes nothing."""

from __future__ import annotations

import stat
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import warnline.provision
from warnline.accounts import Accounts, Role, User
from warnline.cli import main
from warnline.errors import AuthError, ConfigError
from warnline.provision.users_toml import replace_users, toml_string
from warnline.serve.config import load_config

NOW = datetime(2026, 12, 1, tzinfo=UTC)
OLD = "the-old-watch-password"
HEAD = """# a node kept by hand
[node]
port = 8811   # not the default
data = "data"

# the watch floor
[[users]]
username = "jor-watch"
partner = "JOR"
role = "watch"
password_hash = "{hash}"

# scrape credential below
[metrics]
token_sha256 = "{digest}"

[limits]
max_per_source = 32
"""


@pytest.fixture(scope="module")
def old_hash() -> str:
    return Accounts.hash_password(OLD)


@pytest.fixture
def cfg(tmp_path: Path, old_hash: str) -> Path:
    path = tmp_path / "node.toml"
    path.write_text(HEAD.format(hash=old_hash, digest="ab" * 32))
    path.chmod(0o644)  # as an operator may have left it: the rewrite makes it private
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def signs_in(cfg: Path, username: str, password: str) -> bool:
    try:
        Accounts(load_config(cfg).users).login(username, password, NOW)
    except AuthError:
        return False
    return True


def others(cfg: Path) -> dict[str, object]:
    raw = tomllib.loads(cfg.read_text())
    raw.pop("users", None)
    return raw


def test_add_with_a_password_file_keeps_every_other_section(
    cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = others(cfg)
    secret = tmp_path / "pw"
    secret.write_text("a new commander's password\n")
    c = str(cfg)
    rc, out, _ = run(capsys, "user", "add", "jor-cmd", "--partner", "JOR", "--role", "commander",
                     "--config", c, "--password-file", str(secret))  # fmt: skip
    assert rc == 0 and "restart the node" in out
    assert len(out.strip().splitlines()) == 1  # nothing generated, nothing shown
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert others(cfg) == before
    text = cfg.read_text()
    assert "a new commander's password" not in text
    for kept in ("# a node kept by hand", "port = 8811   # not the default", "# scrape credential"):
        assert kept in text
    users = load_config(cfg).users
    assert [(u.username, u.role) for u in users] == [
        ("jor-watch", Role.WATCH),
        ("jor-cmd", Role.COMMANDER),
    ]
    assert signs_in(cfg, "jor-cmd", "a new commander's password")
    assert signs_in(cfg, "jor-watch", OLD)


def test_passwd_replaces_the_password_and_remove_drops_only_that_user(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = others(cfg)
    rc, out, _ = run(capsys, "user", "passwd", "jor-watch", "--config", str(cfg))
    assert rc == 0 and "restart the node" in out
    new = out.strip().splitlines()[-1].rsplit(": ", 1)[1]
    assert new not in cfg.read_text()
    assert signs_in(cfg, "jor-watch", new) and not signs_in(cfg, "jor-watch", OLD)

    rc, out, _ = run(capsys, "user", "add", "isr-obs", "--partner", "ISR", "--role", "observer",
                     "--config", str(cfg))  # fmt: skip
    assert rc == 0
    generated = out.strip().splitlines()[-1].rsplit(": ", 1)[1]
    assert signs_in(cfg, "isr-obs", generated)

    rc, out, _ = run(capsys, "user", "remove", "jor-watch", "--config", str(cfg))
    assert rc == 0 and "restart the node" in out
    assert [u.username for u in load_config(cfg).users] == ["isr-obs"]
    assert others(cfg) == before
    rc, _, _ = run(capsys, "user", "remove", "isr-obs", "--config", str(cfg))
    assert rc == 0 and load_config(cfg).users == [] and others(cfg) == before


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["add", "jor-watch", "--partner", "JOR", "--role", "watch"], "'jor-watch' already exists"),
        (["add", "x", "--partner", "JOR", "--role", "boss"], "--role 'boss': must be one of"),
        (["add", "x", "--partner", "XXX", "--role", "watch"], "--partner 'XXX': not a partner"),
        (["add", "x", "--partner", "JOR", "--role", "cell"], "role 'cell' is for the coordination"),
        (["add", " x", "--partner", "JOR", "--role", "watch"], "username ' x'"),
        (["remove", "nobody"], "users: no user 'nobody'"),
        (["passwd", "nobody"], "users: no user 'nobody'"),
    ],
)
def test_a_refused_change_names_the_field_and_leaves_the_file(
    cfg: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    before = cfg.read_bytes()
    rc, out, err = run(capsys, "user", *args, "--config", str(cfg))
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and named in lines[0], err
    assert cfg.read_bytes() == before and out == ""


def test_an_empty_password_file_is_refused(
    cfg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    rc, _, err = run(capsys, "user", "passwd", "jor-watch", "--config", str(cfg),
                     "--password-file", str(empty))  # fmt: skip
    assert rc == 2 and "--password-file" in err and signs_in(cfg, "jor-watch", OLD)


def test_names_that_need_escaping_round_trip(old_hash: str) -> None:
    odd = User(username='o"dd\\name\u00e9', partner="JOR", role=Role.WATCH, password_hash=old_hash)
    text = replace_users("[node]\nport = 8800\n", [odd], where="node.toml")
    assert tomllib.loads(text)["users"][0]["username"] == odd.username


def test_a_config_it_cannot_rewrite_safely_is_refused(old_hash: str) -> None:
    row = f'username = "a", partner = "JOR", role = "watch", password_hash = "{old_hash}"'
    inline = f"users = [{{{row}}}]\n[node]\n"
    user = User(username="b", partner="JOR", role=Role.WATCH, password_hash=old_hash)
    with pytest.raises(ConfigError, match="cannot be rewritten safely"):
        replace_users(inline, [user], where="node.toml")


@given(st.text())
def test_toml_string_round_trips_any_text(value: str) -> None:
    assert tomllib.loads(f"x = {toml_string(value)}")["x"] == value


def test_provision_exports_exactly_its_commands() -> None:
    assert set(warnline.provision.__all__) == {
        "InitResult",
        "add_user",
        "init_node",
        "remove_user",
        "set_password",
    }
