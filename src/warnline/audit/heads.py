"""Signed tree heads: the hub's commitment to the whole record at one moment.

A head names the number of entries and the RFC 6962 Merkle root over their hashes, and
is signed with the hub's key. Partners' systems fetch one now and then
(`GET /api/v1/audit/head`) and keep it: a later record that does not contain that tree
as its prefix was cut back or rewritten, whatever its own chain says. The node also
seals its journal with the latest head and the followers' positions after every commit,
so an entry appended, or a position moved, by someone without the key shows at once.

Signatures carry a context prefix, so no other message signed with the hub's key (an
answer body, a checkpoint) can ever be taken for a head, or the other way round.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nacl.exceptions
import nacl.signing

from warnline.audit.merkle import MerkleAccumulator
from warnline.domain.clock import Clock
from warnline.errors import AuditError
from warnline.journal.base import canonical_json

__all__ = [
    "HEAD_CONTEXT",
    "POSITIONS_CONTEXT",
    "HeadSigner",
    "TreeHead",
    "check_positions_seal",
    "parse_head",
    "verify_head",
]

HEAD_CONTEXT = b"warnline-tree-head:v1\n"
POSITIONS_CONTEXT = b"warnline-positions:v1\n"
HEAD_FIELDS = frozenset({"version", "size", "root", "timestamp", "signer", "signature"})
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, kw_only=True, slots=True)
class TreeHead:
    """`size` entries whose Merkle root is `root` (hex), signed by `signer` at `timestamp`."""

    size: int
    root: str
    timestamp: str
    signer: str
    signature: str
    version: int = 1

    def body(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "size": self.size,
            "root": self.root,
            "timestamp": self.timestamp,
            "signer": self.signer,
        }

    def to_json(self) -> dict[str, Any]:
        return self.body() | {"signature": self.signature}

    def describe(self) -> str:
        return f"the head of {self.size} entries signed at {self.timestamp}"


def sign_head(
    size: int, root: bytes, at: datetime, key: nacl.signing.SigningKey, signer: str
) -> TreeHead:
    unsigned = TreeHead(
        size=size, root=root.hex(), timestamp=at.isoformat(), signer=signer, signature=""
    )
    signature = key.sign(HEAD_CONTEXT + canonical_json(unsigned.body())).signature
    return TreeHead(**(unsigned.body() | {"signature": base64.b64encode(signature).decode()}))


def parse_head(data: bytes | str | Mapping[str, Any]) -> TreeHead:
    """A head from its JSON (as the API answers it); AuditError(0, ...) names what is wrong."""
    obj: Any = data
    if not isinstance(data, Mapping):
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise AuditError(0, "the tree head is not JSON") from None
    if not isinstance(obj, Mapping) or set(obj) != HEAD_FIELDS:
        raise AuditError(0, f"the tree head must have exactly the fields {sorted(HEAD_FIELDS)}")
    size, version = obj["size"], obj["version"]
    if not (_is_int(size) and size >= 0 and version == 1 and _is_int(version)):
        raise AuditError(0, "the tree head's size must be a non-negative integer, version 1")
    if not (isinstance(obj["root"], str) and _HEX64.fullmatch(obj["root"])):
        raise AuditError(0, "the tree head's root must be 64 lowercase hex digits")
    if not all(isinstance(obj[k], str) for k in ("timestamp", "signer", "signature")):
        raise AuditError(0, "the tree head's timestamp, signer and signature must be strings")
    return TreeHead(**{k: obj[k] for k in HEAD_FIELDS})


def verify_head(head: TreeHead, keys: Mapping[str, nacl.signing.VerifyKey]) -> None:
    """AuditError(0, ...) unless `head` is signed by the trusted key of its signer."""
    key = keys.get(head.signer)
    if key is None:
        raise AuditError(0, f"{head.describe()}: signer {head.signer!r} has no known public key")
    if not _verifies(key, HEAD_CONTEXT + canonical_json(head.body()), head.signature):
        raise AuditError(
            0, f"{head.describe()}: signature does not verify with the key of {head.signer!r}"
        )


def check_positions_seal(
    text: str, head: TreeHead, positions: Mapping[str, int], key: nacl.signing.VerifyKey
) -> None:
    """AuditError unless the sealed positions are signed, belong to `head` and equal the
    stored `positions` (a moved position silently skips or repeats decisions)."""
    try:
        obj = json.loads(text)
    except ValueError:
        obj = None
    if not isinstance(obj, dict) or set(obj) != {"size", "root", "positions", "signature"}:
        raise AuditError(0, "the sealed follower positions are malformed")
    body = {k: obj[k] for k in ("size", "root", "positions")}
    if not _verifies(key, POSITIONS_CONTEXT + canonical_json(body), obj["signature"]):
        raise AuditError(0, "the sealed follower positions' signature does not verify")
    if (obj["size"], obj["root"]) != (head.size, head.root):
        raise AuditError(0, "the sealed follower positions belong to another head")
    if obj["positions"] != dict(positions):
        moved = sorted(set(obj["positions"]) ^ set(positions)) or sorted(
            f for f in positions if obj["positions"].get(f) != positions[f]
        )
        raise AuditError(
            0,
            f"follower position of {', '.join(moved)} differs from the signed seal "
            f"({obj['positions']} signed, {dict(positions)} stored): moved without the key",
        )


class HeadSigner:
    """The journal's `Sealer`: a Merkle accumulator over entry hashes and the hub's key."""

    def __init__(self, *, key: nacl.signing.SigningKey, clock: Clock, signer: str = "HUB") -> None:
        self._key = key
        self._clock = clock
        self._signer = signer
        self._tree = MerkleAccumulator()

    @property
    def size(self) -> int:
        return self._tree.size

    def public_key(self) -> dict[str, str]:
        """Who signs the heads and with what: the signer its heads name and the base64
        Ed25519 public key they verify with (a console checks a head with it)."""
        raw = bytes(self._key.verify_key)
        return {"signer": self._signer, "public_key": base64.b64encode(raw).decode()}

    def resume(self, hashes: Iterable[str]) -> None:
        self._tree = MerkleAccumulator()
        self._tree.extend([bytes.fromhex(h) for h in hashes])

    def state(self) -> str:
        return canonical_json({"peaks": self._tree.peaks()}).decode()

    def restore(self, state: str, head: str) -> bool:
        try:
            peaks = json.loads(state)["peaks"]
            tree = MerkleAccumulator.from_peaks([(int(n), str(d)) for n, d in peaks])
            sealed = parse_head(head)
        except (ValueError, KeyError, TypeError, AuditError):
            return False
        if (tree.size, tree.root().hex()) != (sealed.size, sealed.root):
            return False
        self._tree = tree
        return True

    def head_over(self, state: str, head: str, hashes: Sequence[str]) -> tuple[str, str]:
        """A head at an archived segment's end: the same signed tree head a seal at that
        size carried, so a head a partner kept stays checkable against segments. `state`
        and `head` are the previous segment's: the peaks must be the tree that head
        names, and a head under this signer's id must verify with its key (one under a
        retired id is checked by `warnline audit verify`); AuditError otherwise."""
        tree = MerkleAccumulator()
        if state:
            try:
                peaks = json.loads(state)["peaks"]
                tree = MerkleAccumulator.from_peaks([(int(n), str(d)) for n, d in peaks])
                sealed = parse_head(head)
            except (ValueError, KeyError, TypeError, AuditError):
                raise AuditError(0, "the archive's last segment state is malformed") from None
            if (tree.size, tree.root().hex()) != (sealed.size, sealed.root):
                raise AuditError(sealed.size, "the last segment's peaks are not its head's tree")
            if sealed.signer == self._signer:
                verify_head(sealed, {self._signer: self._key.verify_key})
        tree.extend([bytes.fromhex(h) for h in hashes])
        signed = sign_head(tree.size, tree.root(), self._clock.now(), self._key, self._signer)
        peaks_text = canonical_json({"peaks": tree.peaks()}).decode()
        return canonical_json(signed.to_json()).decode(), peaks_text

    def seal(self, hashes: Sequence[str], positions: Mapping[str, int]) -> tuple[str, str]:
        self._tree.extend([bytes.fromhex(h) for h in hashes])
        root = self._tree.root()
        head = sign_head(self._tree.size, root, self._clock.now(), self._key, self._signer)
        body = {"size": head.size, "root": head.root, "positions": dict(positions)}
        signature = self._key.sign(POSITIONS_CONTEXT + canonical_json(body)).signature
        signed = body | {"signature": base64.b64encode(signature).decode()}
        return canonical_json(head.to_json()).decode(), canonical_json(signed).decode()


def _verifies(key: nacl.signing.VerifyKey, message: bytes, signature: Any) -> bool:
    if not isinstance(signature, str):
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(message, raw)
    except (binascii.Error, ValueError, nacl.exceptions.CryptoError):
        return False
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
