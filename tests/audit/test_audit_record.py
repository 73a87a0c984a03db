"""The audit record: round trip, every kind of tampering caught at the right entry, and
the standalone verifier printed in docs/audit-format.md run against real exports."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nacl.signing
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warnline.audit
from warnline.audit import RecordSummary, export_record, verify_record
from warnline.audit.merkle import MerkleAccumulator, leaf_hash, merkle_root
from warnline.errors import AuditError, JournalCorruptError
from warnline.journal.base import GENESIS_HASH, Entry, Event, canonical_json, chain_hash

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
KEY = nacl.signing.SigningKey(hashlib.sha256(b"warnline test hub key").digest())
OTHER_KEY = nacl.signing.SigningKey(hashlib.sha256(b"someone else").digest())
DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-format.md"


def hub_keys(key: nacl.signing.SigningKey = KEY) -> dict[str, str]:
    return {"HUB": base64.b64encode(bytes(key.verify_key)).decode()}


def make_event(i: int) -> Event:
    """Payloads with the awkward parts of real ones: floats, nesting, Arabic, Hebrew."""
    payload = {
        "i": i,
        "lat": 31.95 + i / 1000,
        "area": ["عمّان", "תל אביב", "Nicosia"][i % 3],
        "kinds": {"drone": i % 4, "cruise_missile": 1},
        "note": None if i % 2 else 'quote " and backslash \\',
    }
    kind = ["report", "alert", "delivery", "ack"][i % 4]
    at = T0 + timedelta(seconds=i, microseconds=250_000 * (i % 2))
    return Event(event_id=f"ev-{i}", kind=kind, at=at, payload=payload)


def make_chain(n: int, *, start: int = 1, prev: str = GENESIS_HASH) -> list[Entry]:
    """A valid hash chain of `n` entries built directly with chain_hash."""
    entries = []
    for seq in range(start, start + n):
        event = make_event(seq)
        digest = chain_hash(prev, seq, event)
        entries.append(Entry(seq=seq, event=event, prev_hash=prev, hash=digest))
        prev = digest
    return entries


def forged_entry(seq: int, prev: str) -> Entry:
    """An entry a forger made up, correctly linked to `prev`."""
    event = Event(event_id=f"forged-{seq}", kind="alert", at=T0, payload={"forged": True})
    return Entry(seq=seq, event=event, prev_hash=prev, hash=chain_hash(prev, seq, event))


def export(out: Path, n: int = 12, every: int = 5) -> RecordSummary:
    return export_record(make_chain(n), out, signing_key=KEY, checkpoint_every=every)


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def write_lines(path: Path, content: list[bytes]) -> None:
    path.write_bytes(b"".join(content))


def entry_line(entry: Entry) -> bytes:
    obj = {
        "seq": entry.seq,
        "event_id": entry.event.event_id,
        "kind": entry.event.kind,
        "at": entry.event.at.isoformat(),
        "payload": entry.event.payload,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
    return canonical_json(obj) + b"\n"


def fails_at(record: Path, entry: int, reason: str) -> AuditError:
    with pytest.raises(AuditError) as caught:
        verify_record(record, public_keys=hub_keys())
    assert caught.value.entry == entry, caught.value
    assert re.search(reason, caught.value.reason), caught.value.reason
    return caught.value


# Round trip ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "every", "seqs"), [(12, 5, [5, 10, 12]), (10, 5, [5, 10]), (0, 5, [0])]
)
def test_round_trip(tmp_path: Path, n: int, every: int, seqs: list[int]) -> None:
    written = export(tmp_path, n, every)
    head = make_chain(n)[-1].hash if n else GENESIS_HASH
    expected = RecordSummary(entries=n, checkpoints=len(seqs), last_seq=n, head_hash=head)
    assert written == expected
    assert verify_record(tmp_path, public_keys=hub_keys()) == expected
    assert verify_record(tmp_path) == expected  # with the keys.json shipped alongside
    checkpoints = [json.loads(line) for line in lines(tmp_path / "checkpoints.jsonl")]
    assert [c["seq"] for c in checkpoints] == seqs
    assert all(c["count"] == c["seq"] and c["every"] == every for c in checkpoints)


def test_files_are_canonical_json_lines(tmp_path: Path) -> None:
    export(tmp_path)
    for name in ("entries.jsonl", "checkpoints.jsonl", "keys.json"):
        for line in lines(tmp_path / name):
            assert line.endswith(b"\n")
            assert canonical_json(json.loads(line)) + b"\n" == line
    entries = [json.loads(line) for line in lines(tmp_path / "entries.jsonl")]
    assert [e["seq"] for e in entries] == list(range(1, 13))
    assert set(entries[0]) == {"seq", "event_id", "kind", "at", "payload", "prev_hash", "hash"}
    assert json.loads((tmp_path / "keys.json").read_bytes()) == hub_keys()
    assert not list(tmp_path.glob(".*.tmp"))


def test_checkpoint_holds_chain_hash_and_rfc6962_root(tmp_path: Path) -> None:
    export(tmp_path)
    chain = make_chain(12)
    first = json.loads(lines(tmp_path / "checkpoints.jsonl")[0])
    assert first["hash"] == chain[4].hash
    assert first["merkle_root"] == merkle_root([bytes.fromhex(e.hash) for e in chain[:5]]).hex()
    body = {k: v for k, v in first.items() if k != "signature"}
    KEY.verify_key.verify(canonical_json(body), base64.b64decode(first["signature"]))


# Tampering, each caught at the right entry -----------------------------------------------


@pytest.fixture
def record(tmp_path: Path) -> Path:
    export(tmp_path)
    return tmp_path


def test_changed_payload(record: Path) -> None:
    content = lines(record / "entries.jsonl")
    obj = json.loads(content[6])
    obj["payload"]["kinds"]["drone"] = 40
    content[6] = canonical_json(obj) + b"\n"
    write_lines(record / "entries.jsonl", content)
    fails_at(record, 7, "hash does not match")


def test_changed_payload_with_the_chain_recomputed_is_caught_at_the_next_checkpoint(
    record: Path,
) -> None:
    chain = make_chain(6)
    forged = forged_entry(7, chain[-1].hash)
    rest = make_chain(5, start=8, prev=forged.hash)
    write_lines(record / "entries.jsonl", [entry_line(e) for e in [*chain, forged, *rest]])
    fails_at(record, 10, "differs from the signed checkpoint")


def test_dropped_entry(record: Path) -> None:
    content = lines(record / "entries.jsonl")
    del content[6]
    write_lines(record / "entries.jsonl", content)
    fails_at(record, 7, "expected seq 7, found 8")


def test_inserted_copy_of_an_entry(record: Path) -> None:
    content = lines(record / "entries.jsonl")
    content.insert(7, content[2])
    write_lines(record / "entries.jsonl", content)
    fails_at(record, 8, "expected seq 8, found 3")


def test_inserted_forged_entry_that_links_to_its_predecessor(record: Path) -> None:
    content = lines(record / "entries.jsonl")
    forged = forged_entry(8, make_chain(7)[-1].hash)
    content.insert(7, entry_line(forged))
    write_lines(record / "entries.jsonl", content)
    fails_at(record, 9, "expected seq 9, found 8")


def test_reordered_entries(record: Path) -> None:
    content = lines(record / "entries.jsonl")
    content[6], content[7] = content[7], content[6]
    write_lines(record / "entries.jsonl", content)
    fails_at(record, 7, "expected seq 7, found 8")


def test_reordered_entries_with_seqs_renumbered(record: Path) -> None:
    objs = [json.loads(line) for line in lines(record / "entries.jsonl")]
    objs[6], objs[7] = objs[7], objs[6]
    objs[6]["seq"], objs[7]["seq"] = 7, 8
    write_lines(record / "entries.jsonl", [canonical_json(o) + b"\n" for o in objs])
    fails_at(record, 7, "prev_hash does not match")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b'"ev-7"', b'"ev-8"', "hash does not match"),  # a value
        (b'"seq":7', b'"seq":9', "expected seq 7, found 9"),
        (b'{"at"', b'{ "at"', "canonical"),  # same JSON value, other bytes
        (b'"payload"', b'"paylaod"', "fields"),
        (b'{"at"', b'{"at\xff', "not a JSON line"),  # not UTF-8
        (b"}\n", b"}", "not a JSON line"),  # the newline: two lines run together
        (b"T12:00:07", b" 12:00:07", "ISO 8601"),  # parses as the same time, hashes differently
    ],
)
def test_changed_bytes_in_an_entry_line(record: Path, old: bytes, new: bytes, reason: str) -> None:
    content = lines(record / "entries.jsonl")
    assert old in content[6]
    content[6] = content[6].replace(old, new, 1)
    write_lines(record / "entries.jsonl", content)
    fails_at(record, 7, reason)


def test_non_json_line(record: Path) -> None:
    content = lines(record / "entries.jsonl")
    content[6] = b"this is not json\n"
    write_lines(record / "entries.jsonl", content)
    fails_at(record, 7, "not a JSON line")


def test_bad_signature(record: Path) -> None:
    content = lines(record / "checkpoints.jsonl")
    cp = json.loads(content[1])
    body = {k: v for k, v in cp.items() if k != "signature"}
    cp["signature"] = base64.b64encode(OTHER_KEY.sign(canonical_json(body)).signature).decode()
    content[1] = canonical_json(cp) + b"\n"
    write_lines(record / "checkpoints.jsonl", content)
    fails_at(record, 10, "signature does not verify")


def test_record_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    export_record(make_chain(12), tmp_path, signing_key=OTHER_KEY, checkpoint_every=5)
    assert verify_record(tmp_path).entries == 12  # consistent with the keys.json it carries
    fails_at(tmp_path, 5, "signature does not verify")  # but not with the trusted key


def test_unknown_signer(record: Path) -> None:
    with pytest.raises(AuditError, match="no known public key") as caught:
        verify_record(record, public_keys={"JOR": hub_keys()["HUB"]})
    assert caught.value.entry == 5


def test_checkpoint_hash_changed_and_resigned_by_someone_else(record: Path) -> None:
    content = lines(record / "checkpoints.jsonl")
    cp = json.loads(content[0])
    cp["hash"] = "ab" * 32
    content[0] = canonical_json(cp) + b"\n"
    write_lines(record / "checkpoints.jsonl", content)
    fails_at(record, 5, "signature does not verify")


@pytest.mark.parametrize(("drop", "entry"), [(0, 5), (1, 10)])
def test_missing_checkpoint(record: Path, drop: int, entry: int) -> None:
    content = lines(record / "checkpoints.jsonl")
    del content[drop]
    write_lines(record / "checkpoints.jsonl", content)
    fails_at(record, entry, f"no checkpoint at seq {entry}")


def test_missing_final_checkpoint(record: Path) -> None:
    content = lines(record / "checkpoints.jsonl")
    write_lines(record / "checkpoints.jsonl", content[:-1])
    fails_at(record, 11, "not covered by any signed checkpoint")


def test_repeated_checkpoint(record: Path) -> None:
    content = lines(record / "checkpoints.jsonl")
    content.insert(1, content[0])
    write_lines(record / "checkpoints.jsonl", content)
    fails_at(record, 5, "repeated, out of order")


def test_no_checkpoint_at_all(record: Path) -> None:
    (record / "checkpoints.jsonl").write_bytes(b"")
    fails_at(record, 1, "nothing is signed")


def test_entry_appended_after_the_last_checkpoint(record: Path) -> None:
    (extra,) = make_chain(1, start=13, prev=make_chain(12)[-1].hash)
    with (record / "entries.jsonl").open("ab") as f:
        f.write(entry_line(extra))
    fails_at(record, 13, "not covered")


def test_truncated_tail(record: Path) -> None:
    write_lines(record / "entries.jsonl", lines(record / "entries.jsonl")[:10])
    fails_at(record, 11, "ends at seq 10 but the final checkpoint covers seq 12")


def test_last_line_cut_short(record: Path) -> None:
    data = (record / "entries.jsonl").read_bytes()
    (record / "entries.jsonl").write_bytes(data[:-20])
    fails_at(record, 12, "not terminated")


def test_missing_files(record: Path) -> None:
    (record / "entries.jsonl").unlink()
    fails_at(record, 0, "entries.jsonl cannot be read")
    (record / "keys.json").unlink()
    with pytest.raises(AuditError, match=r"keys\.json cannot be read"):
        verify_record(record)


def test_trusted_keys_win_over_keys_json(record: Path) -> None:
    (record / "keys.json").write_text(json.dumps(hub_keys(OTHER_KEY)))
    assert verify_record(record, public_keys=hub_keys()).last_seq == 12
    with pytest.raises(AuditError, match="signature does not verify"):
        verify_record(record)


# Every single changed byte is caught -----------------------------------------------------


@functools.cache
def pristine_record() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        export(Path(tmp), n=12, every=5)
        return {p.name: p.read_bytes() for p in Path(tmp).iterdir()}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(["entries.jsonl", "checkpoints.jsonl"]))
def test_any_single_changed_byte_is_detected(data: st.DataObject, name: str) -> None:
    """(keys.json is left out: it is no trust anchor, and a changed key shows up as a bad
    signature, which other tests cover; trailing whitespace there changes nothing.)"""
    files = dict(pristine_record())
    blob = files[name]
    pos = data.draw(st.integers(0, len(blob) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != blob[pos]), label="byte")
    files[name] = blob[:pos] + bytes([new]) + blob[pos + 1 :]
    with tempfile.TemporaryDirectory() as tmp:
        for file_name, content in files.items():
            (Path(tmp) / file_name).write_bytes(content)
        with pytest.raises(AuditError):
            verify_record(Path(tmp))


# Export refuses what it cannot vouch for -------------------------------------------------


def test_export_refuses_a_broken_chain(tmp_path: Path) -> None:
    chain = make_chain(6)
    chain[3] = Entry(seq=4, event=make_event(40), prev_hash=chain[3].prev_hash, hash=chain[3].hash)
    with pytest.raises(JournalCorruptError) as caught:
        export_record(chain, tmp_path, signing_key=KEY)
    assert caught.value.seq == 4
    assert not (tmp_path / "entries.jsonl").exists()


def test_export_refuses_a_gap(tmp_path: Path) -> None:
    chain = make_chain(6)
    with pytest.raises(JournalCorruptError):
        export_record(chain[1:], tmp_path, signing_key=KEY)


@pytest.mark.parametrize("payload", [{2: "a", 10: "b"}, {"x": float("nan")}])
def test_export_refuses_payload_that_does_not_read_back(
    tmp_path: Path, payload: dict[Any, Any]
) -> None:
    event = Event(event_id="e1", kind="report", at=T0, payload=payload)
    entry = Entry(
        seq=1, event=event, prev_hash=GENESIS_HASH, hash=chain_hash(GENESIS_HASH, 1, event)
    )
    with pytest.raises(AuditError, match="round trip"):
        export_record([entry], tmp_path, signing_key=KEY)


# RFC 6962 Merkle tree --------------------------------------------------------------------

CT_LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243",
             "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]  # fmt: skip
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_merkle_matches_the_certificate_transparency_reference_roots() -> None:
    tree = MerkleAccumulator()
    assert tree.root().hex() == CT_ROOTS[0] == merkle_root([]).hex()
    for n, leaf in enumerate(CT_LEAVES, start=1):
        tree.append(leaf)
        assert tree.root().hex() == CT_ROOTS[n] == merkle_root(CT_LEAVES[:n]).hex()
    assert leaf_hash(b"").hex() == CT_ROOTS[1]


def test_merkle_accumulator_agrees_with_the_recursive_definition() -> None:
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(70)]
    tree = MerkleAccumulator()
    for n, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        assert tree.root() == merkle_root(leaves[:n]), n


# The verifier printed in the documentation -----------------------------------------------


def doc_verifier() -> str:
    blocks: list[str] = re.findall(r"```python\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)
    (script,) = [b for b in blocks if b.startswith("# verify_warnline_record.py")]
    return script


def test_doc_verifier_is_short_and_standalone() -> None:
    script = doc_verifier()
    code = [ln for ln in script.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert len(code) <= 55  # the doc promises "about 50 lines"
    imported = set(re.findall(r"^(?:from|import) (\w+)", script, re.MULTILINE))
    assert imported <= {"base64", "hashlib", "json", "sys", "pathlib", "nacl"}


def run_doc_verifier(tmp_path: Path, record: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "verify_warnline_record.py"
    script.write_text(doc_verifier(), encoding="utf-8")
    trusted = tmp_path / "trusted-keys.json"
    trusted.write_text(json.dumps(hub_keys()))
    return subprocess.run(
        [sys.executable, str(script), str(record), str(trusted)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(("n", "every"), [(0, 5), (1, 5), (12, 5), (40, 8), (131, 16)])
def test_doc_verifier_accepts_exported_records(tmp_path: Path, n: int, every: int) -> None:
    record = tmp_path / "record"
    summary = export(record, n, every)
    result = run_doc_verifier(tmp_path, record)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"OK: {n} entries, head {summary.head_hash}"


Tamper = Callable[[Path], None]


def _edit_entry(record: Path) -> None:
    content = lines(record / "entries.jsonl")
    content[6] = content[6].replace(b'"ev-7"', b'"ev-9"')
    write_lines(record / "entries.jsonl", content)


def _drop_entry(record: Path) -> None:
    content = lines(record / "entries.jsonl")
    del content[6]
    write_lines(record / "entries.jsonl", content)


def _drop_checkpoint(record: Path) -> None:
    content = lines(record / "checkpoints.jsonl")
    del content[1]
    write_lines(record / "checkpoints.jsonl", content)


def _resign_with_other_key(record: Path) -> None:
    export_record(make_chain(12), record, signing_key=OTHER_KEY, checkpoint_every=5)


def _extra_field(record: Path) -> None:
    content = lines(record / "entries.jsonl")
    obj = json.loads(content[3])
    obj["zz"] = "not covered by the hash"
    content[3] = canonical_json(obj) + b"\n"
    write_lines(record / "entries.jsonl", content)


@pytest.mark.parametrize(
    "tamper", [_edit_entry, _drop_entry, _drop_checkpoint, _resign_with_other_key, _extra_field]
)
def test_doc_verifier_rejects_tampered_records(tmp_path: Path, tamper: Tamper) -> None:
    record = tmp_path / "record"
    export(record)
    tamper(record)
    with pytest.raises(AuditError):
        verify_record(record, public_keys=hub_keys())
    assert run_doc_verifier(tmp_path, record).returncode != 0


def test_public_names() -> None:
    public = sorted(n for n in vars(warnline.audit) if not n.startswith("_"))
    modules = {"heads", "journal_check", "merkle", "proofs", "record", "rows", "segment_check"}
    assert warnline.audit.__all__ == sorted(set(public) - modules)
    assert set(warnline.audit.__all__) >= {"HeadSigner", "verify_journal", "verify_record"}
