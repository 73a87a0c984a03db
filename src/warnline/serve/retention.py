"""[retention] in node.toml: archive the journal's oldest entries so the disk stays bounded.

[retention]
enabled = true                 # default false: without the section nothing is archived
directory = "data/archive"     # default <data>/archive; relative to the config's directory
segment_entries = 10000        # entries per segment file (moved whole, oldest first)
keep_entries = 100000          # the newest entries always stay in journal.db

The node runs a step after each snapshot it writes; `warnline journal archive --config
FILE` runs one by hand (beside a running node too: steps take a lock). Nothing at or
after the oldest kept snapshot's position is archived (a restart replays from there), so
a node that has never written a snapshot archives nothing (decision 65).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warnline.errors import ConfigError
from warnline.journal.retention import ArchiveStep, Retention, RetentionPolicy
from warnline.journal.snapshots import SnapshotStore
from warnline.journal.sqlite import SQLiteJournal
from warnline.serve.text import did_you_mean

__all__ = [
    "RetentionConfig",
    "archive_now",
    "build_retention",
    "parse_retention",
    "replay_floor",
]

KEYS = ("enabled", "directory", "segment_entries", "keep_entries")


@dataclass(frozen=True, kw_only=True)
class RetentionConfig:
    enabled: bool = False
    directory: Path | None = None  # None: <data>/archive
    segment_entries: int = 10_000
    keep_entries: int = 100_000

    def archive(self, data: Path) -> Path:
        return self.directory or data / "archive"


def parse_retention(raw: Any, base: Path, path: Path) -> RetentionConfig:
    """[retention] checked whole: unknown keys and wrong types name the field."""
    if raw is None:
        return RetentionConfig()
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [retention] must be a table")
    for key in sorted(set(raw) - set(KEYS)):
        raise ConfigError(f"{path}: unknown key retention.{key}{did_you_mean(key, KEYS)}")
    enabled = raw.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{path}: retention.enabled {enabled!r}: must be true or false")
    directory = raw.get("directory")
    if directory is not None and (not isinstance(directory, str) or not directory):
        raise ConfigError(f"{path}: retention.directory {directory!r}: must be a non-empty string")
    sizes = {k: raw.get(k, getattr(RetentionConfig, k)) for k in KEYS[2:]}
    for key, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{path}: retention.{key} {value!r}: must be a whole number >= 1")
    return RetentionConfig(
        enabled=enabled,
        directory=None if directory is None else base / directory,
        segment_entries=sizes["segment_entries"],
        keep_entries=sizes["keep_entries"],
    )


def replay_floor(snapshots: SnapshotStore, journal: SQLiteJournal) -> int:
    """The lowest entry a restart may replay from: the oldest snapshot kept (the newest
    may fail to verify, and then the one before is loaded) and no stored follower
    position below it; 0 without a snapshot."""
    seqs = snapshots.seqs()
    if not seqs:
        return 0
    return min([*seqs, *journal.positions().values()])


def build_retention(
    cfg: RetentionConfig, journal: SQLiteJournal, snapshots: SnapshotStore
) -> Retention | None:
    if not cfg.enabled:
        return None
    policy = RetentionPolicy(segment_entries=cfg.segment_entries, keep_entries=cfg.keep_entries)
    return Retention(journal, policy=policy, replay_floor=lambda: replay_floor(snapshots, journal))


def archive_now(config_path: Path, data: Path | None = None) -> ArchiveStep:
    """`warnline journal archive --config FILE`: one step with the config's sizes, by
    hand (whether or not `enabled` lets the node run them itself), signed with the
    hub's key from the config; safe beside a running node (steps take a lock)."""
    from warnline.agreement.load import load_agreement
    from warnline.audit import HeadSigner
    from warnline.domain import SystemClock
    from warnline.serve.config import load_config
    from warnline.serve.journal import check_shape, snapshot_store
    from warnline.serve.keys import hub_signing_key, trusted_keys

    cfg = load_config(config_path, data)
    key = hub_signing_key(cfg.hub, load_agreement(cfg.agreement), config_path)
    path = cfg.data / "journal.db"
    if not path.is_file():
        raise ConfigError(f"{config_path}: no journal at {path}")
    check_shape(path, trusted_keys(cfg.hub, key), cfg.archive)
    sealer = HeadSigner(key=key, clock=SystemClock(), signer=cfg.hub.key_id)
    journal = SQLiteJournal(path, sealer=sealer, archive=cfg.archive)
    try:
        retention = build_retention(
            RetentionConfig(
                enabled=True,
                segment_entries=cfg.retention.segment_entries,
                keep_entries=cfg.retention.keep_entries,
            ),
            journal,
            snapshot_store(cfg.data, key),
        )
        assert retention is not None
        return retention.step()
    finally:
        journal.close()
