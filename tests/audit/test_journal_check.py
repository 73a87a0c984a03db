"""`warnline audit verify journal.db [--head FILE]`: every rewrite of a node's journal is
named (entry or head) in one line with a non-zero exit, and the file is only read."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key, exercise_verify_key_b64
from warnline.audit import HeadSigner, parse_head, verify_journal
from warnline.audit.merkle import merkle_root
from warnline.cli import main
from warnline.domain import ManualClock
from warnline.errors import AuditError
from warnline.journal import GENESIS_HASH, Event, SQLiteJournal, canonical_json, chain_hash

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KEYS = {HUB_CODE: exercise_verify_key_b64(HUB_CODE)}


def event(i: int, kind: str = "report.received") -> Event:
    payload = {"i": i, "area": ["عمّان", "תל אביב"][i % 2], "lat": 31.95 + i / 1000}
    return Event(event_id=f"e{i}", kind=kind, at=T0 + timedelta(seconds=i), payload=payload)


def write(db: Path, first: int, last: int, *, position: int | None = None) -> dict[str, object]:
    """Append events first..last to a sealed journal (the pipeline's position after);
    return the signed head a partner would have fetched then."""
    j = SQLiteJournal(
        db, sealer=HeadSigner(key=exercise_signing_key(HUB_CODE), clock=ManualClock(T0))
    )
    try:
        j.append([event(i) for i in range(first, last + 1)])
        if position is not None:
            j.append_from("pipeline", position, [])
        head = j.tree_head()
    finally:
        j.close()
    assert head is not None
    return head


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A 30-entry sealed journal, and the head a partner kept at entry 20."""
    db = tmp_path / "journal.db"
    kept = tmp_path / "head-20.json"
    kept.write_text(json.dumps(write(db, 1, 20, position=20)))
    write(db, 21, 30, position=30)
    yield db, kept


def tamper(db: Path, *sql: str) -> None:
    with sqlite3.connect(db) as conn:
        for statement in sql:
            conn.execute(statement)
    conn.close()


def rechain(db: Path, start: int = 1) -> None:
    """What an attacker without the key can do: recompute every hash from `start`."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT seq, event_id, kind, at, payload, hash FROM entries ORDER BY seq"
        )
        prev = GENESIS_HASH
        for seq, event_id, kind, at, payload, digest in rows.fetchall():
            if seq >= start:
                ev = Event(
                    event_id=event_id,
                    kind=kind,
                    at=datetime.fromisoformat(at),
                    payload=json.loads(payload),
                )
                digest = chain_hash(prev, seq, ev)
                conn.execute(
                    "UPDATE entries SET prev_hash=?, hash=? WHERE seq=?", (prev, digest, seq)
                )
            prev = digest
    conn.close()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["audit", "verify", *args])
    out = capsys.readouterr()
    text = (out.out + out.err).strip()
    assert "\n" not in text and "Traceback" not in text, text  # one line, always
    return code, text


def refused(db: Path, **kw: object) -> AuditError:
    with pytest.raises(AuditError) as err:
        verify_journal(db, public_keys=KEYS, **kw)  # type: ignore[arg-type]
    return err.value


def test_intact_journal_verifies_and_is_not_written(
    journal: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, kept = journal
    before = (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns)
    summary = verify_journal(db, public_keys=KEYS, head=parse_head(kept.read_bytes()))
    assert summary.entries == 30 and summary.positions == {"pipeline": 30}
    assert summary.sealed is not None and summary.sealed.size == 30
    hashes = [r[0] for r in sqlite3.connect(db).execute("SELECT hash FROM entries ORDER BY seq")]
    assert summary.root == merkle_root([bytes.fromhex(h) for h in hashes]).hex()
    assert cli(capsys, str(db), "--head", str(kept)) == (
        0,
        f"audit record intact: 30 entries, signed head at {T0.isoformat()}, "
        f"extends the saved head of 20 entries, head {summary.head_hash}",
    )
    assert (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns) == before


def test_tail_truncation_is_caught_by_the_seal(journal: tuple[Path, Path]) -> None:
    db, _ = journal
    tamper(db, "DELETE FROM entries WHERE seq > 25", "UPDATE positions SET position=25")
    assert "does not match its entries" in refused(db).reason


def test_truncation_back_to_an_older_seal_is_caught_by_a_kept_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of the file taken at entry 20 verifies on its own (its seal is genuine);
    only a head kept after entry 20 shows the entries that were cut off."""
    db = tmp_path / "journal.db"
    write(db, 1, 20, position=20)
    shutil.copy(db, tmp_path / "at-20.db")
    kept = tmp_path / "head-30.json"
    kept.write_text(json.dumps(write(db, 21, 30, position=30)))
    shutil.copy(tmp_path / "at-20.db", db)
    assert verify_journal(db, public_keys=KEYS).entries == 20
    err = refused(db, head=parse_head(kept.read_bytes()))
    assert err.entry == 21 and "entries 21..30 were cut off" in err.reason
    code, line = cli(capsys, str(db), "--head", str(kept))
    assert code == 1 and "audit entry 21" in line and "cut off" in line


def test_recomputed_chain_is_caught_by_the_seal_and_by_a_kept_head(
    journal: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, kept = journal
    tamper(db, """UPDATE entries SET payload='{"area":"x","i":5,"lat":0.0}' WHERE seq=5""")
    assert refused(db).entry == 5  # the chain alone catches the edit...
    rechain(db, start=5)  # ...until the hashes are recomputed
    assert "does not match its entries" in refused(db).reason
    err = refused(db, head=parse_head(kept.read_bytes()))
    assert err.entry == 20 and "rewritten" in err.reason
    code, line = cli(capsys, str(db), "--head", str(kept))
    assert code == 1 and "entries 1..20 differ from the head of 20 entries" in line


def test_rewrite_with_the_hub_key_is_caught_only_by_a_kept_head(journal: tuple[Path, Path]) -> None:
    """Whoever holds the node's key can re-seal a rewritten journal; a head a partner
    kept before the rewrite still refuses it (one kept after it could not)."""
    db, kept = journal
    tamper(db, """UPDATE entries SET payload='{"area":"x","i":5,"lat":0.0}' WHERE seq=5""")
    rechain(db, start=5)
    tamper(db, "DELETE FROM seal")
    write(db, 31, 31, position=31)  # the node's own key seals the rewritten file
    assert verify_journal(db, public_keys=KEYS).entries == 31
    assert refused(db, head=parse_head(kept.read_bytes())).entry == 20


def test_forged_appended_ack_is_caught(
    journal: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = journal
    with sqlite3.connect(db) as conn:
        prev = conn.execute("SELECT hash FROM entries WHERE seq=30").fetchone()[0]
    forged = Event(
        event_id="ack:A-JOR-1:v1:jor-watch",
        kind="ack.received",
        at=T0 + timedelta(seconds=31),
        payload={"alert_id": "A-JOR-1", "version": 1, "user": "jor-watch", "partner": "JOR"},
    )
    payload = canonical_json(forged.payload).decode()
    row = (31, forged.event_id, forged.kind, forged.at.isoformat(), payload, prev,
           chain_hash(prev, 31, forged))  # fmt: skip
    tamper(db, f"INSERT INTO entries VALUES {row!r}")
    err = refused(db)
    assert err.entry == 31 and "not covered by the journal's signed head" in err.reason
    code, line = cli(capsys, str(db))
    assert code == 1 and line.startswith("audit record NOT intact: audit entry 31:")


@pytest.mark.parametrize("table", ["entries", "positions", "seal"])
def test_dropped_table_is_named_and_not_recreated(journal: tuple[Path, Path], table: str) -> None:
    db, _ = journal
    tamper(db, f"DROP TABLE {table}")
    assert refused(db).reason.startswith(f"table {table!r} is missing")
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert table not in tables  # the verifier only reads


def test_follower_position_beyond_the_end_is_an_error(
    journal: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = journal
    tamper(db, "UPDATE positions SET position=1000000 WHERE follower='pipeline'")
    err = refused(db)
    assert err.entry == 31 and "'pipeline' is at entry 1000000, beyond the end" in err.reason
    code, line = cli(capsys, str(db))
    assert code == 1 and "beyond the end" in line


@pytest.mark.parametrize("value", ["-1", "'twelve'", "12.5"])
def test_follower_position_not_on_an_entry_is_an_error(
    journal: tuple[Path, Path], value: str
) -> None:
    db, _ = journal
    tamper(db, f"UPDATE positions SET position={value} WHERE follower='pipeline'")
    assert "follower 'pipeline'" in refused(db).reason


def test_follower_position_moved_within_the_journal_is_caught_by_the_seal(
    journal: tuple[Path, Path],
) -> None:
    """Moved forward it would skip the decisions on entries 21..30 without a word."""
    db, _ = journal
    tamper(db, "UPDATE positions SET position=20 WHERE follower='pipeline'")
    assert "follower position of pipeline differs from the signed seal" in refused(db).reason


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE entries SET payload='{\"i\": ' WHERE seq=7", "payload is not JSON"),
        ("UPDATE entries SET payload='[1,2]' WHERE seq=7", "payload is not a JSON object"),
        ("UPDATE entries SET payload=x'00ff' WHERE seq=7", "stored as text"),
        ("UPDATE entries SET at='yesterday' WHERE seq=7", "at is not an ISO 8601 time"),
        ("UPDATE entries SET kind=x'41' WHERE seq=7", "stored as text"),
        ("DELETE FROM entries WHERE seq=7", "expected seq 7, found 8"),
        ("UPDATE entries SET prev_hash='00' WHERE seq=7", "prev_hash does not match"),
    ],
)
def test_corrupt_entry_is_named_without_a_traceback(
    journal: tuple[Path, Path], capsys: pytest.CaptureFixture[str], sql: str, reason: str
) -> None:
    db, _ = journal
    tamper(db, sql)
    err = refused(db)
    assert err.entry == 7 and reason in err.reason
    code, line = cli(capsys, str(db))
    assert code == 1 and "audit entry 7" in line


def test_seal_signed_with_another_key_is_refused(journal: tuple[Path, Path]) -> None:
    db, _ = journal
    other = {HUB_CODE: exercise_verify_key_b64("JOR")}
    with pytest.raises(AuditError) as err:
        verify_journal(db, public_keys=other)
    assert "signature does not verify with the key of 'HUB'" in err.value.reason


def test_unsealed_journal_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    j = SQLiteJournal(db)
    j.append([event(1), event(2)])
    j.close()
    assert refused(db).reason == "entries 1..2 are covered by no signed head (no seal)"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x00garbage that is no database" * 100, "not a readable SQLite journal"),
        (b"", "table 'entries' is missing"),
    ],
)
def test_a_file_that_is_no_journal_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str
) -> None:
    db = tmp_path / "journal.db"
    db.write_bytes(content)
    assert reason in refused(db).reason
    assert cli(capsys, str(db))[0] == 1


def test_bad_head_files_are_named(
    journal: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db, kept = journal
    head = json.loads(kept.read_text())
    forged = tmp = kept.with_name("forged.json")
    tmp.write_text(json.dumps(head | {"size": 19}))
    code, line = cli(capsys, str(db), "--head", str(forged))
    assert code == 1 and "signature does not verify" in line
    tmp.write_text("{not json")
    assert cli(capsys, str(db), "--head", str(tmp)) == (
        1,
        "audit record NOT intact: audit entry 0: the tree head is not JSON",
    )
    code, line = cli(capsys, str(db), "--head", str(kept.with_name("missing.json")))
    assert code == 1 and "cannot be read" in line
    keys = kept.with_name("keys.json")
    keys.write_text("[]")
    assert cli(capsys, str(db), "--keys", str(keys))[0] == 2
