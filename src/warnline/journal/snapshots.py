"""Snapshot files beside the journal: the followers' state at one journal position.

A restart that loads one replays only the journal's tail after it, so the time to
healthy no longer grows with the journal (decision 57). The store knows nothing of what
the bytes hold (that is `warnline.snapshot`); it only makes sure that what it hands back
was written by this node's key, for this journal, by this code:

    WLSNAP1\\n | header length (8 bytes, big-endian) | header (canonical JSON) | MAC (32) | body

The MAC is HMAC-SHA256 over everything before it and the body, keyed by a key derived
from the hub's signing key, and it is checked before a byte of the body is decoded: the
body is a pickle, and a pickle from anyone else would run their code. The header names
the position (`seq`) and the journal's chain hash there, the code fingerprint and the
context (agreement, accounts, settings) it was made under; a snapshot for another
journal (or a journal rewritten since), other code or another context is passed over
with the reason, and the caller replays further back. Writes are atomic (temporary
file, fsync, rename, fsync of the directory), so a crash mid-write leaves the previous
snapshot as the newest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warnline.errors import SnapshotError
from warnline.journal.base import Journal, canonical_json

__all__ = ["MAGIC", "Snapshot", "SnapshotStore", "snapshot_key"]

MAGIC = b"WLSNAP1\n"
FORMAT = 1
KEEP = 2  # snapshots kept: the newest, and the one before in case the newest is bad
_NAME = re.compile(r"snapshot-(\d{12})\.bin")
_HEADER_FIELDS = frozenset({"format", "seq", "entry_hash", "code", "context", "size"})
MAX_HEADER = 4096


def snapshot_key(seed: bytes) -> bytes:
    """The MAC key for snapshots, derived from the hub's signing seed: only the holder of
    the hub's key can write a snapshot this node will load."""
    return hmac.new(seed, b"warnline-snapshot-mac:v1", hashlib.sha256).digest()


@dataclass(frozen=True, kw_only=True, slots=True)
class Snapshot:
    """A verified snapshot: the followers' state (`body`) after entry `seq`."""

    seq: int
    entry_hash: str
    body: bytes
    path: Path


@dataclass(frozen=True, kw_only=True, slots=True)
class Rejected:
    path: Path
    reason: str


class SnapshotStore:
    """Snapshots in `directory` (created on first write), MAC'd with `key`."""

    def __init__(self, directory: Path, *, key: bytes, keep: int = KEEP) -> None:
        if len(key) < 16:
            raise SnapshotError("the snapshot key must be at least 16 bytes")
        self.directory = directory
        self._key = key
        self._keep = max(1, keep)
        self.rejected: list[Rejected] = []  # why snapshots were passed over at the last load

    def paths(self) -> list[Path]:
        """Snapshot files, newest (highest seq) first."""
        if not self.directory.is_dir():
            return []
        found = [p for p in self.directory.iterdir() if _NAME.fullmatch(p.name)]
        return sorted(found, key=lambda p: p.name, reverse=True)

    def seqs(self) -> list[int]:
        """The positions of the snapshot files kept, newest first (by their names)."""
        return [int(m.group(1)) for p in self.paths() if (m := _NAME.fullmatch(p.name))]

    def write(self, *, seq: int, entry_hash: str, code: str, context: str, body: bytes) -> Path:
        """Store `body` as the state after entry `seq` atomically; prune old ones."""
        header = canonical_json(
            {
                "format": FORMAT,
                "seq": seq,
                "entry_hash": entry_hash,
                "code": code,
                "context": context,
                "size": len(body),
            }
        )
        lead = MAGIC + len(header).to_bytes(8, "big") + header
        mac = hmac.new(self._key, lead, hashlib.sha256)
        mac.update(body)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"snapshot-{seq:012d}.bin"
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            f.write(lead)
            f.write(mac.digest())
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(self.directory)
        for old in self.paths()[self._keep :]:
            old.unlink(missing_ok=True)
        return path

    def load(self, journal: Journal, *, code: str, context: str, upto: int) -> Snapshot | None:
        """The newest snapshot that verifies and belongs to `journal` at a position no
        later than `upto` (the followers' stored position); None if there is none.
        Every snapshot passed over is listed in `rejected` with its reason."""
        self.rejected = []
        for path in self.paths():
            try:
                snap, header = self._read(path)
                _check(header, journal, code=code, context=context, upto=upto)
            except SnapshotError as exc:
                self.rejected.append(Rejected(path=path, reason=str(exc)))
                continue
            return snap
        return None

    def _read(self, path: Path) -> tuple[Snapshot, dict[str, Any]]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SnapshotError(f"cannot be read: {exc.strerror}") from None
        if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 8:
            raise SnapshotError("not a snapshot file")
        n = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "big")
        if n > MAX_HEADER or len(data) < len(MAGIC) + 8 + n + 32:
            raise SnapshotError("truncated or malformed header")
        end = len(MAGIC) + 8 + n
        lead, mac, body = data[:end], data[end : end + 32], data[end + 32 :]
        expect = hmac.new(self._key, lead, hashlib.sha256)
        expect.update(body)
        if not hmac.compare_digest(expect.digest(), mac):
            raise SnapshotError("its MAC does not verify: changed, truncated or not ours")
        header = json.loads(lead[len(MAGIC) + 8 :])  # authenticated: our own writing
        if not isinstance(header, dict) or set(header) != _HEADER_FIELDS:
            raise SnapshotError("its header does not have the expected fields")
        if header["format"] != FORMAT or header["size"] != len(body):
            raise SnapshotError(f"format {header['format']} or size does not match")
        snap = Snapshot(seq=header["seq"], entry_hash=header["entry_hash"], body=body, path=path)
        return snap, header


def _check(header: dict[str, Any], journal: Journal, *, code: str, context: str, upto: int) -> None:
    seq = header["seq"]
    if header["code"] != code:
        raise SnapshotError("made by another version of the code")
    if header["context"] != context:
        raise SnapshotError("made under another agreement, accounts or settings")
    if seq > upto:
        raise SnapshotError(f"at entry {seq}, beyond the followers' stored position {upto}")
    entry = journal.entry(seq) if seq > 0 else None
    if seq > 0 and (entry is None or entry.hash != header["entry_hash"]):
        raise SnapshotError(f"entry {seq} of this journal is not the one it was made at")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
