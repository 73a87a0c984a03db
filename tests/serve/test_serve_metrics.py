"""`warnline serve` config: the [metrics] scrape credential."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from warnline.errors import ConfigError
from warnline.serve.config import load_config


def test_metrics_token_is_kept_as_its_digest(tmp_path: Path) -> None:
    digest = hashlib.sha256(b"scrape").hexdigest()
    cfg = tmp_path / "node.toml"
    cfg.write_text(f'[node]\nport = 8800\n\n[metrics]\ntoken_sha256 = "{digest.upper()}"\n')
    assert load_config(cfg).metrics_token_sha256 == digest
    cfg.write_text("[node]\nport = 8800\n")
    assert load_config(cfg).metrics_token_sha256 is None


@pytest.mark.parametrize(
    ("section", "names"),
    [
        ('[metrics]\ntoken_sha256 = "abc"\n', "metrics.token_sha256"),
        ('[metrics]\ntoken = "plain"\n', "[metrics]"),
    ],
)
def test_bad_metrics_section_names_the_field(tmp_path: Path, section: str, names: str) -> None:
    cfg = tmp_path / "node.toml"
    cfg.write_text(section)
    with pytest.raises(ConfigError, match=names.replace("[", r"\[").replace("]", r"\]")):
        load_config(cfg)
