"""`warnline serve` checks its whole config before anything starts: one line naming the
field (or the port), exit 2, no traceback (issue 11)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from warnline.cli import main
from warnline.errors import ConfigError
from warnline.serve.config import load_config

USER = '[[users]]\nusername = "jor-watch"\npartner = "JOR"\nrole = "watch"\npassword_hash = "x"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "node.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[node]\nport = 8800\n[[user]]\nusername = "a"\n',
            "unknown section [user] (did you mean 'users'?)",
        ),
        ('[node]\nport = "abc"\n', "node.port 'abc': must be a whole number from 1 to 65535"),
        ("[node]\nport = 70000\n", "node.port 70000: must be a whole number from 1 to 65535"),
        ("[node]\nport = true\n", "node.port True: must be a whole number"),
        ("[node]\ntick_s = -1\n", "node.tick_s -1: must be a positive number of seconds"),
        ('[node]\npicture_process = "yes"\n', "node.picture_process 'yes': must be true or"),
        ("[node]\nhots = '127.0.0.1'\n", "unknown key node.hots (did you mean 'host'?)"),
        ("[node]\ndata = 5\n", "data 5: must be a non-empty string"),
        ('[node]\nhost = "0.0.0.0"\n', "node.host '0.0.0.0' is not loopback: it needs [tls]"),
        ("node = 5\n", "[node] must be a table"),
        (USER.replace("password_hash", "pasword_hash"), "users[0]: unknown key pasword_hash"),
        (USER.replace('role = "watch"', 'role = "boss"'), "users[0].role 'boss': must be one of"),
        (USER.replace('partner = "JOR"\n', ""), "users[0].partner: missing or not"),
        ("users = 3\n", "users: must be an array of tables ([[users]])"),
        ("[retention]\nenable = true\n", "unknown key retention.enable (did you mean 'enabled'?)"),
        ('[retention]\nenabled = "yes"\n', "retention.enabled 'yes': must be true or false"),
        ("[retention]\nsegment_entries = 0\n", "retention.segment_entries 0: must be a whole"),
        ("[retention]\nkeep_entries = 1.5\n", "retention.keep_entries 1.5: must be a whole"),
        ("[retention]\nkeep_entries = true\n", "retention.keep_entries True: must be a whole"),
        ("[retention]\ndirectory = 3\n", "retention.directory 3: must be a non-empty string"),
        ("retention = 3\n", "[retention] must be a table"),
    ],
)
def test_a_bad_config_names_the_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(write(tmp_path, text))
    assert message in str(refused.value)


def test_an_address_off_loopback_is_configuration_with_mutual_tls(tmp_path: Path) -> None:
    tls = '[tls]\ncert = "pki/hub.crt"\nkey = "pki/hub.key"\nca = "pki/ca.crt"\n'
    cfg = load_config(write(tmp_path, f'[node]\nhost = "0.0.0.0"\nport = 8443\n{tls}{USER}'))
    assert cfg.host == "0.0.0.0" and cfg.tls is not None and cfg.port == 8443
    assert [u.username for u in cfg.users] == ["jor-watch"]


def test_the_cli_says_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[node]\nport = "abc"\n')
    assert main(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "node.port 'abc'" in err and "Traceback" not in err


def test_a_busy_port_is_named_before_the_node_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = write(tmp_path, f'[node]\nport = {port}\ndata = "data"\n{USER}')
        assert main(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith(f"node.port {port} on 127.0.0.1: in use"), err
    assert err.count("\n") == 1
    assert not (tmp_path / "data" / "journal.db").exists()  # nothing was started


def test_retention_is_off_without_its_section_and_archives_beside_the_data(
    tmp_path: Path,
) -> None:
    cfg = load_config(write(tmp_path, f'[node]\ndata = "var"\n{USER}'))
    assert not cfg.retention.enabled and cfg.archive == tmp_path / "var" / "archive"
    text = '[retention]\nenabled = true\ndirectory = "cold"\nsegment_entries = 500\n'
    cfg = load_config(write(tmp_path, f"{text}{USER}"), data_override=tmp_path / "elsewhere")
    assert cfg.retention.enabled and cfg.archive == tmp_path / "cold"
    assert (cfg.retention.segment_entries, cfg.retention.keep_entries) == (500, 100_000)
