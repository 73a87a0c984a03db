"""Archive segments: a run of journal entries moved out of SQLite into one sealed file.

A segment is gzip-compressed JSON lines, readable with `zcat` and nothing of ours:

    line 1     the manifest (canonical JSON): format, first_seq, last_seq, prev_hash (the
               hash of entry first_seq - 1), last_hash, head (the hub's signed tree head
               over entries 1..last_seq) and peaks (that tree's perfect subtrees, so the
               next segment's head, and a sealer resuming, need not fold every hash again)
    lines 2..  the entries exactly as stored, one per line, in the form of an exported
               record's entries.jsonl (docs/audit-format.md): canonical JSON with seq,
               event_id, kind, at, payload, prev_hash and hash

The head is what makes a segment more than a copy: with it a verifier (holding the
hub's public key) checks the segment's chain continuity and that its entries are the
ones the hub signed, and a partner's kept head stays checkable after the entries it
covers left the database. Files are written atomically (temporary file, fsync, rename,
fsync of the directory) before a row is deleted, so a crash leaves either the rows or a
complete segment (decision 65).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from warnline.errors import JournalCorruptError
from warnline.journal.base import canonical_json

__all__ = [
    "FORMAT",
    "MANIFEST_FIELDS",
    "Manifest",
    "SegmentLine",
    "entry_line",
    "fsync_dir",
    "read_segment",
    "remove_unfinished",
    "segment_name",
    "write_segment",
]

FORMAT = "warnline-segment:v1"
MANIFEST_FIELDS = frozenset(
    {"format", "first_seq", "last_seq", "prev_hash", "last_hash", "head", "peaks"}
)
NAME = re.compile(r"segment-(\d{12})-(\d{12})\.jsonl\.gz")
_string = json.encoder.JSONEncoder(ensure_ascii=False).encode


class SegmentLine(msgspec.Struct, frozen=True):
    """One entry line as read back; `payload` keeps its exact bytes, which are hashed."""

    seq: int
    event_id: str
    kind: str
    at: str
    payload: msgspec.Raw
    prev_hash: str
    hash: str


_DECODE_LINE = msgspec.json.Decoder(SegmentLine).decode


@dataclass(frozen=True, kw_only=True, slots=True)
class Manifest:
    first_seq: int
    last_seq: int
    prev_hash: str
    last_hash: str
    head: dict[str, Any]
    peaks: list[list[Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "prev_hash": self.prev_hash,
            "last_hash": self.last_hash,
            "head": self.head,
            "peaks": self.peaks,
        }


def segment_name(first_seq: int, last_seq: int) -> str:
    return f"segment-{first_seq:012d}-{last_seq:012d}.jsonl.gz"


def entry_line(
    seq: int, event_id: str, kind: str, at: str, payload: str, prev_hash: str, hash_: str
) -> bytes:
    """An entry's line, put together around its stored (canonical) payload text: the
    same bytes `canonical_json` gives for the entry, without decoding the payload."""
    return (
        f'{{"at":{_string(at)},"event_id":{_string(event_id)},"hash":{_string(hash_)},'
        f'"kind":{_string(kind)},"payload":{payload},"prev_hash":{_string(prev_hash)},'
        f'"seq":{seq}}}\n'
    ).encode()


def write_segment(directory: Path, manifest: Manifest, lines: Iterable[bytes]) -> Path:
    """Write the segment durably and return its path; an earlier, unfinished file of the
    same name is replaced. Returns only once the file and its directory entry are on
    stable storage."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / segment_name(manifest.first_seq, manifest.last_seq)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as raw:
            # mtime=0: the same entries always give the same bytes.
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
                gz.write(canonical_json(manifest.to_json()) + b"\n")
                chunk: list[bytes] = []
                for line in lines:
                    chunk.append(line)
                    if len(chunk) == 1000:  # one call per 1,000 lines: gzip's own cost
                        gz.write(b"".join(chunk))
                        chunk.clear()
                gz.write(b"".join(chunk))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(directory)
    return path


def read_segment(path: Path) -> tuple[Manifest, list[tuple[SegmentLine, bytes]]]:
    """The manifest and every entry line (parsed, and its raw bytes) of a segment;
    JournalCorruptError naming the file when it is missing, unreadable or malformed.
    The chain and the signature are checked by the reader that needs them."""
    manifest, lines = None, []
    for n, raw in enumerate(_lines(path), start=1):
        if n == 1:
            manifest = _manifest(raw, path)
            continue
        try:
            lines.append((_DECODE_LINE(raw), raw))
        except msgspec.DecodeError as exc:
            raise JournalCorruptError(
                0, f"segment {path.name} line {n} is not an entry line: {exc}"
            ) from None
    if manifest is None:
        raise JournalCorruptError(0, f"segment {path.name} is empty")
    return manifest, lines


def _lines(path: Path) -> Iterator[bytes]:
    try:
        with gzip.open(path, "rb") as f:
            yield from f
    except FileNotFoundError:
        raise JournalCorruptError(0, f"segment {path.name} is missing from {path.parent}") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise JournalCorruptError(0, f"segment {path.name} cannot be read: {exc}") from None


def _manifest(raw: bytes, path: Path) -> Manifest:
    try:
        obj = json.loads(raw)
    except ValueError:
        obj = None
    if not isinstance(obj, dict) or set(obj) != MANIFEST_FIELDS or obj["format"] != FORMAT:
        raise JournalCorruptError(0, f"segment {path.name} does not start with its manifest")
    ints = all(isinstance(obj[k], int) for k in ("first_seq", "last_seq"))
    if not (ints and isinstance(obj["head"], dict) and isinstance(obj["peaks"], list)):
        raise JournalCorruptError(0, f"segment {path.name}: its manifest is malformed")
    return Manifest(**{k: obj[k] for k in MANIFEST_FIELDS if k != "format"})


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_unfinished(directory: Path, committed: set[str]) -> list[str]:
    """Delete segment files (and temporary files) that no committed step refers to: what
    a crash between writing a segment and deleting its rows left behind (the rows are
    still in SQLite, so the step is simply done again). Returns the names removed."""
    removed: list[str] = []
    if not directory.is_dir():
        return removed
    for p in sorted(directory.iterdir()):
        stem = p.name.removesuffix(".tmp")
        if NAME.fullmatch(stem) and (p.name.endswith(".tmp") or stem not in committed):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
            removed.append(p.name)
    if removed:
        fsync_dir(directory)
    return removed
