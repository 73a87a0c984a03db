"""`warnline serve` reads connection limits from a `[limits]` section (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from warnline.errors import ConfigError
from warnline.serve.config import load_config


def _config(tmp_path: Path, limits: str) -> Path:
    path = tmp_path / "node.toml"
    path.write_text(f'[node]\nhost = "127.0.0.1"\nport = 8800\n\n[limits]\n{limits}\n')
    return path


def test_limits_are_read_and_the_rest_keep_their_defaults(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, "max_connections = 200\nheader_timeout_s = 2.5"))
    assert cfg.limits.max_connections == 200 and cfg.limits.header_timeout_s == 2.5
    assert cfg.limits.max_per_source == 64 and cfg.limits.body_timeout_s == 30.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("max_conections = 5", "unknown key(s) in [limits]: max_conections"),
        ('max_per_source = "many"', "limits.max_per_source: must be a whole number"),
        ("max_connections = 2.5", "limits.max_connections: must be a whole number"),
        ("body_timeout_s = 0", "limits.body_timeout_s must be positive"),
    ],
)
def test_a_bad_limit_names_the_field(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(_config(tmp_path, line))
    assert message in str(refused.value)
