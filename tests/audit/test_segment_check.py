"""`warnline audit verify journal.db` on a journal that starts at archived segments: the
whole record from entry 1 verifies, and a changed, missing or unindexed segment is named
in one line."""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warnline.agreement.exercise_keys import HUB_CODE, exercise_signing_key, exercise_verify_key_b64
from warnline.audit import HeadSigner, parse_head, verify_journal
from warnline.audit.journal_check import check_journal_shape
from warnline.cli import main
from warnline.domain import ManualClock
from warnline.errors import AuditError
from warnline.journal import Event, SQLiteJournal
from warnline.journal.retention import Retention, RetentionPolicy
from warnline.journal.segments import segment_name

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KEYS = {HUB_CODE: exercise_verify_key_b64(HUB_CODE)}


def ev(i: int) -> Event:
    return Event(
        event_id=f"e{i}", kind="report", at=T0 + timedelta(seconds=i), payload={"i": i, "z": "é"}
    )


@pytest.fixture
def archived(tmp_path: Path) -> Iterator[tuple[Path, dict[str, object]]]:
    """A journal of 45 entries, 1..30 archived in three segments; the head a partner
    fetched at 15 entries."""
    db = tmp_path / "journal.db"
    j = SQLiteJournal(
        db, sealer=HeadSigner(key=exercise_signing_key(HUB_CODE), clock=ManualClock(T0))
    )
    j.append([ev(i) for i in range(1, 16)])
    kept = j.tree_head() or {}
    j.append([ev(i) for i in range(16, 46)])
    j.append_from("pipeline", 45, [])
    policy = RetentionPolicy(segment_entries=10, keep_entries=10)
    assert Retention(j, policy=policy, replay_floor=lambda: 40).step().archived_upto == 30
    j.close()
    yield db, kept


def rewrite(path: Path, change: object) -> None:
    with gzip.open(path, "rb") as f:
        lines = f.read().split(b"\n")
    assert callable(change)
    lines = change(lines)
    with gzip.open(path, "wb") as f:
        f.write(b"\n".join(lines))


def test_the_whole_record_verifies_from_entry_1(archived: tuple[Path, dict[str, object]]) -> None:
    db, kept = archived
    summary = verify_journal(db, public_keys=KEYS, head=parse_head(kept))
    assert summary.entries == 45
    assert check_journal_shape(db, public_keys=KEYS) == 45
    assert main(["audit", "verify", str(db)]) == 0


def test_a_changed_archived_entry_is_named(
    archived: tuple[Path, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = archived
    seg = db.parent / "archive" / segment_name(11, 20)

    def change(lines: list[bytes]) -> list[bytes]:
        lines[3] = lines[3].replace(b'"i":13', b'"i":99')  # entry 13 (line 1: manifest)
        return lines

    rewrite(seg, change)
    with pytest.raises(AuditError) as err:
        verify_journal(db, public_keys=KEYS)
    assert err.value.entry == 13 and segment_name(11, 20) in err.value.reason
    assert main(["audit", "verify", str(db)]) == 1
    out = capsys.readouterr().err.strip()
    assert len(out.splitlines()) == 1 and "entry 13" in out and "changed" in out


def test_a_rechained_segment_fails_its_signed_head(
    archived: tuple[Path, dict[str, object]],
) -> None:
    db, _ = archived
    seg = db.parent / "archive" / segment_name(21, 30)

    def drop_last(lines: list[bytes]) -> list[bytes]:
        return [*lines[:-2], b""]  # the last entry line gone

    rewrite(seg, drop_last)
    with pytest.raises(AuditError, match="ends at entry 29, not at 30"):
        verify_journal(db, public_keys=KEYS)


def test_a_missing_segment_is_named_before_the_node_opens_it(
    archived: tuple[Path, dict[str, object]],
) -> None:
    db, _ = archived
    (db.parent / "archive" / segment_name(1, 10)).unlink()
    with pytest.raises(AuditError, match=r"segment-000000000001-000000000010.* is missing"):
        check_journal_shape(db, public_keys=KEYS)
    with pytest.raises(AuditError, match="is missing") as err:
        verify_journal(db, public_keys=KEYS)
    assert err.value.entry == 1


def test_a_forged_head_in_a_manifest_is_refused(archived: tuple[Path, dict[str, object]]) -> None:
    db, _ = archived
    seg = db.parent / "archive" / segment_name(1, 10)

    def forge(lines: list[bytes]) -> list[bytes]:
        manifest = json.loads(lines[0])
        manifest["head"]["timestamp"] = "2030-01-01T00:00:00+00:00"
        lines[0] = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        return lines

    rewrite(seg, forge)
    with pytest.raises(AuditError, match=r"its head: .*signature does not verify") as err:
        verify_journal(db, public_keys=KEYS)
    assert err.value.entry == 10


def test_an_unindexed_archived_id_is_named(archived: tuple[Path, dict[str, object]]) -> None:
    db, _ = archived
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM archived WHERE seq = 17")
    conn.commit()
    conn.close()
    with pytest.raises(AuditError, match="stored again") as err:
        verify_journal(db, public_keys=KEYS)
    assert err.value.entry == 17


def test_a_cut_between_archive_and_database_is_named(
    archived: tuple[Path, dict[str, object]],
) -> None:
    db, _ = archived
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM entries WHERE seq = 31")
    conn.commit()
    conn.close()
    with pytest.raises(AuditError, match="does not follow entry 30, the last archived"):
        check_journal_shape(db, public_keys=KEYS)
