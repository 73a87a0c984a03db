"""[[cot]] in a node's config: checked whole, one line naming the field (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import T0, free_port
from warnline.domain import ManualClock
from warnline.errors import ConfigError
from warnline.serve.builder import build
from warnline.serve.config import load_config

NODE = '[node]\nport = 8800\n[[users]]\nusername = "usa-cell"\npartner = "USA"\nrole = "cell"\npassword_hash = "x"\n'  # noqa: E501


def write(tmp_path: Path, cot: str, tls: bool = False) -> Path:
    path = tmp_path / "node.toml"
    extra = '[tls]\ncert = "a.crt"\nkey = "a.key"\nca = "ca.crt"\n' if tls else ""
    path.write_text(cot + NODE + extra)  # top-level keys first: a table would take them
    return path


@pytest.mark.parametrize(
    ("cot", "message"),
    [
        ('[[cot]]\nport = 8087\npartner = "JOR"\nreport = true\n',
         "cot[0]: unknown key report (did you mean 'reports'?)"),
        ('[[cot]]\nport = "x"\npartner = "JOR"\n', "cot[0].port 'x': must be a whole number"),
        ("[[cot]]\nport = 8087\n", "cot[0].partner: a plain TCP listener must name its partner"),
        ('[[cot]]\nhost = "0.0.0.0"\nport = 8087\npartner = "JOR"\n',
         "cot[0].host '0.0.0.0' is not loopback: it needs tls = true"),
        ('[[cot]]\nport = 8087\ntls = true\n', "cot[0].tls: needs the node's [tls]"),
        ('[[cot]]\nport = 8087\npartner = "JOR"\npicture = "yes"\n',
         "cot[0].picture 'yes': must be true or false"),
        ('[[cot]]\nport = 8087\npartner = "JOR"\npicture = false\n',
         "cot[0]: picture and reports both false"),
        ('[[cot]]\nport = 8800\npartner = "JOR"\n', "cot[0].port 8800: already used"),
        ('[[cot]]\nport = 8087\npartner = "JOR"\n[[cot]]\nport = 8087\npartner = "ISR"\n',
         "cot[1].port 8087: already used"),
        ('[[cot]]\nport = 8087\npartner = "JOR"\npush_s = 0\n', "cot[0].push_s 0: must be a"),
        ("cot = 1\n", "cot: must be an array of tables ([[cot]])"),
    ],
)  # fmt: skip
def test_a_bad_cot_listener_is_refused_by_name(tmp_path: Path, cot: str, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as err:
        load_config(write(tmp_path, cot))
    assert message in str(err.value)


def test_listeners_are_read_and_an_unknown_partner_refused_by_the_builder(tmp_path: Path) -> None:
    port = free_port()
    cfg = load_config(write(tmp_path, f'[[cot]]\nport = {port}\npartner = "JOR"\nreports = true\n'))
    (c,) = cfg.cot
    assert (c.host, c.port, c.partner, c.picture, c.reports, c.tls) == (
        "127.0.0.1", port, "JOR", True, True, False)  # fmt: skip
    assert "picture out and reports in for JOR" in c.describe()
    bad = write(tmp_path, f'[[cot]]\nport = {port}\npartner = "XXX"\n')
    with pytest.raises(ConfigError, match=r"cot\[0\].partner: unknown partner XXX"):
        build(load_config(bad), bad, clock=ManualClock(T0))
