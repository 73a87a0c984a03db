"""A served node's journal at start: snapshots beside it, the whole record checked aside.

Starting must not cost the whole journal (decision 57), yet a node must not keep deciding
on a record someone rewrote (decision 37). So before the journal is even opened its
shape is checked (schema, positions, a seal signed by the hub over exactly its entries),
and what the start-up folds is checked before the node decides: the snapshot by its MAC
and the chain hash at its position, the tail after it entry by entry
(`recovery.replay_tail`). The whole record (every entry's hash, the Merkle tree, the signed seal) is
verified in a child process while the node runs: the node's event loop and its GIL are
not shared with a minutes-long scan, and a record that fails stops the node with the
same one line a refusal at start prints.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from nacl.signing import SigningKey

from warnline.errors import AuditError, JournalCorruptError
from warnline.journal.snapshots import SnapshotStore, snapshot_key

__all__ = ["check_shape", "snapshot_store", "verify_aside"]


def check_shape(path: Path, trusted: dict[str, str], archive: Path | None = None) -> None:
    """Before the journal is opened: its schema, positions and signed seal, in constant
    time (JournalCorruptError naming what is wrong); a journal not yet written is fine.
    `trusted` holds the hub's current key under its id and the retired ones: the seal
    may still be the last one an older key signed."""
    from warnline.audit.journal_check import check_journal_shape

    if not path.exists():
        return
    try:
        check_journal_shape(path, public_keys=trusted, archive=archive)
    except AuditError as exc:
        hint = ""
        if "has no known public key" in exc.reason:
            hint = (
                " (a rotated hub key? give the new key its own [hub] key_id and list the old "
                "one's public half in [hub] previous_keys)"
            )
        raise JournalCorruptError(
            exc.entry, f"{exc.reason}; refusing to start on {path}{hint}"
        ) from None


def snapshot_store(data: Path, key: SigningKey) -> SnapshotStore:
    """`<data>/snapshots`, MAC'd with a key derived from the hub's signing key."""
    return SnapshotStore(data / "snapshots", key=snapshot_key(bytes(key)))


async def verify_aside(
    path: Path,
    trusted: dict[str, str],
    failed: list[JournalCorruptError],
    archive: Path | None = None,
) -> None:
    """Verify the journal at `path` in a child process; print the outcome, or put the
    error in `failed` and return (the caller stops the node). The child has a session of
    its own, so a signal to the node's process group stops the node, which then kills
    the child (cancelled), rather than killing the check into a false verdict."""
    if not path.exists():
        return
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "warnline.serve.journal", str(path), json.dumps(trusted),
        str(archive or path.parent / "archive"),
        stdout=asyncio.subprocess.PIPE,
        start_new_session=True,  # a Ctrl-C at the terminal is the node's to handle
    )  # fmt: skip
    try:
        out, _ = await proc.communicate()
    except asyncio.CancelledError:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    try:
        entries, entry, reason = json.loads(out)
    except ValueError:
        entries, entry, reason = (
            -1,
            0,
            f"its check ended without a verdict (exit {proc.returncode})",
        )
    if entries < 0:
        failed.append(JournalCorruptError(entry, f"{reason}; refusing to run on {path}"))
        return
    took = time.perf_counter() - started
    print(f"journal verified: {entries} entries in {took:.1f} s (beside the running node)")


def _check(path: Path, trusted: dict[str, str], archive: Path) -> tuple[int, int, str]:
    from warnline.audit import verify_journal

    try:
        summary = verify_journal(path, public_keys=trusted, archive=archive)
    except AuditError as exc:
        return -1, exc.entry, exc.reason
    return summary.entries, 0, ""


if __name__ == "__main__":  # the child of `verify_aside`
    print(json.dumps(_check(Path(sys.argv[1]), json.loads(sys.argv[2]), Path(sys.argv[3]))))
