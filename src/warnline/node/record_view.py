"""An incident's timeline and any entry of the record, as a viewer may have them.

Both read only the journal (and the folds' plain data handed over beforehand), so the
API runs them in a worker thread: a timeline reads a few hundred entries, a proof a
partial block of hashes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from warnline.audit.proofs import SubtreeRoots
from warnline.errors import NotFoundError
from warnline.journal import Entry, Journal
from warnline.journal.payloads import PAYLOADS, Received, payload
from warnline.node.timeline import IncidentIndex, TimelinePlan, build_timeline
from warnline.release import StepRelease

READ_AHEAD = 16  # entries read at once from a step's seq: steps come in runs


class RecordView:
    def __init__(
        self,
        *,
        journal: Journal | None,
        steps: StepRelease,
        index: IncidentIndex,
        roots: SubtreeRoots,
    ) -> None:
        self.journal = journal
        self.steps = steps
        self.index = index
        self.roots = roots

    def head(self) -> dict[str, Any] | None:
        return None if self.journal is None else self.journal.tree_head()

    def timeline(self, viewer: str, incident: dict[str, Any], plan: TimelinePlan) -> dict[str, Any]:
        """The incident's steps released to `viewer`, oldest first, each with its record
        entry (`seq`, `hash`, whether its body is disclosed to the viewer, and where its
        inclusion proof is), and the signed head those proofs lead to (read after the
        steps, so it covers every one)."""
        steps = build_timeline(viewer, plan, self._entries, self.steps, incident_visible=True)
        return {"incident": incident, "steps": steps, "head": self.head()}

    def _entries(self, seqs: Iterable[int]) -> dict[int, Entry]:
        out: dict[int, Entry] = {}
        if self.journal is None:
            return out
        for seq in sorted(seqs):
            if seq not in out:
                for e in self.journal.read(seq - 1, READ_AHEAD):
                    out[e.seq] = e
        return out

    def entry(self, viewer: str, seq: int, seen: set[str]) -> dict[str, Any]:
        """Entry `seq` with its RFC 9162 inclusion proof to the newest signed head:
        `hash` (the entry's chain hash: the Merkle leaf's data), `leaf_index`,
        `tree_size`, `audit_path` (hex, from the leaf up) and `head`. The entry itself
        (`entry`, as a line of an exported record's entries.jsonl) only if release
        discloses it to `viewer` (`seen`: the incidents the viewer sees); else null."""
        head = self.head()
        entry = self.journal.entry(seq) if self.journal is not None and seq >= 1 else None
        if head is None or entry is None or seq > int(head["size"]):
            raise NotFoundError(f"the signed record holds no entry {seq}")
        size = int(head["size"])
        path = self.roots.proof(seq - 1, size)
        disclosed = self._discloses(viewer, entry, seen)
        body = None
        if disclosed:
            ev = entry.event
            body = {"seq": entry.seq, "event_id": ev.event_id, "kind": str(ev.kind),
                    "at": ev.at.isoformat(), "payload": ev.payload,
                    "prev_hash": entry.prev_hash, "hash": entry.hash}  # fmt: skip
        return {
            "seq": seq,
            "hash": entry.hash,
            "leaf_index": seq - 1,
            "tree_size": size,
            "audit_path": [p.hex() for p in path],
            "head": head,
            "disclosed": disclosed,
            "entry": body,
        }

    def _discloses(self, viewer: str, entry: Entry, seen: set[str]) -> bool:
        tp = PAYLOADS.get(entry.event.kind)
        if tp is None:
            return self.steps.release.is_cell(viewer)
        obj: object = payload(entry.event, tp)
        if isinstance(obj, Received):
            obj = obj.report
        alert_id = getattr(obj, "alert_id", None)
        known = self.index.alerts.get(alert_id) if isinstance(alert_id, str) else None
        return self.steps.discloses(
            viewer,
            obj,
            alert_partner=known[0] if known else None,
            incident_visible=getattr(obj, "incident_id", None) in seen,
        )
