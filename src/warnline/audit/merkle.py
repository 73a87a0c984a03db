"""RFC 6962 Merkle tree heads (the Certificate Transparency construction).

A checkpoint carries the Merkle root over all entry hashes so far, not only the chain
head: with it, a partner holding one signed checkpoint can later be given a short proof
that a given entry is in the record, or that a later record extends an earlier one,
without receiving the whole record. The RFC's exact construction is used (leaf prefix
0x00, node prefix 0x01, split at the largest power of two) so that any CT library can
check those proofs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "MerkleAccumulator",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "perfect_root",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The tree head of `leaves` straight from the RFC's recursive definition.

    Kept as the reference that `MerkleAccumulator` is tested against.
    """
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((n - 1).bit_length() - 1)  # largest power of two below n
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


BLOCK = 1024  # leaves hashed as one perfect subtree by `MerkleAccumulator.extend`


def perfect_root(leaves: Sequence[bytes]) -> bytes:
    """Root of a perfect subtree (a power-of-two number of leaves), level by level."""
    sha = hashlib.sha256
    level = [sha(b"\x00" + d).digest() for d in leaves]
    while len(level) > 1:
        level = [
            sha(b"\x01" + a + b).digest() for a, b in zip(level[::2], level[1::2], strict=True)
        ]
    return level[0]


class MerkleAccumulator:
    """The tree head over a growing list of leaves, in O(log n) memory and time per leaf.

    Keeps the roots of the perfect subtrees that the leaves so far decompose into, largest
    (leftmost) first; the RFC's tree head is those roots folded together from the right.
    """

    def __init__(self) -> None:
        self._peaks: list[tuple[int, bytes]] = []  # (leaf count, subtree root)
        self.size = 0

    def append(self, data: bytes) -> None:
        self._push(1, leaf_hash(data))
        self.size += 1

    def extend(self, data: Sequence[bytes]) -> None:
        """`append` each of `data`, several times faster for long runs: whole aligned
        blocks of `BLOCK` leaves are hashed level by level, then join as one peak."""
        i, n = 0, len(data)
        while i < n:
            if self.size % BLOCK == 0 and n - i >= BLOCK:
                self._push(BLOCK, perfect_root(data[i : i + BLOCK]))
                self.size += BLOCK
                i += BLOCK
            else:
                self.append(data[i])
                i += 1

    def _push(self, size: int, digest: bytes) -> None:
        while self._peaks and self._peaks[-1][0] == size:
            _, left = self._peaks.pop()
            size, digest = 2 * size, node_hash(left, digest)
        self._peaks.append((size, digest))

    def peaks(self) -> list[tuple[int, str]]:
        """(leaf count, hex root) of each perfect subtree, largest first."""
        return [(n, d.hex()) for n, d in self._peaks]

    @classmethod
    def from_peaks(cls, peaks: Sequence[tuple[int, str]]) -> MerkleAccumulator:
        """The accumulator `peaks` describes; ValueError unless they are the
        decomposition of some size into falling powers of two."""
        tree = cls()
        for n, digest in peaks:
            if n <= 0 or n & (n - 1) or (tree._peaks and tree._peaks[-1][0] <= n):
                raise ValueError("peaks must be falling powers of two")
            raw = bytes.fromhex(digest)
            if len(raw) != 32:
                raise ValueError("a peak must be 32 bytes")
            tree._peaks.append((n, raw))
            tree.size += n
        return tree

    def root(self) -> bytes:
        if not self._peaks:
            return EMPTY_ROOT
        digest = self._peaks[-1][1]
        for _, left in reversed(self._peaks[:-1]):
            digest = node_hash(left, digest)
        return digest
