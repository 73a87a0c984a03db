"""Inclusion proofs: one entry shown to be in the record a signed head names.

A signed tree head commits to the RFC 6962 Merkle root over every entry's hash
(`merkle.py`). An inclusion proof (RFC 9162 section 2.1.3) is the handful of subtree
roots that, hashed together with one entry's leaf in the right order, give that root:
about 2·log2(size) hashes, so a partner checks one step of an incident against the head
it holds without receiving the rest of the record (or anything not released to it).

`SubtreeRoots` computes the roots a proof needs from the journal's hashes; roots of
whole aligned blocks of `BLOCK` leaves are kept, so a proof reads at most two partial
blocks of hashes once the blocks are known (`observe` folds them as entries pass).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from warnline.audit.merkle import (
    BLOCK,
    EMPTY_ROOT,
    leaf_hash,
    merkle_root,
    node_hash,
    perfect_root,
)

__all__ = ["SubtreeRoots", "inclusion_path", "root_from_path", "verify_inclusion"]

ReadHashes = Callable[[int, int], Sequence[bytes]]  # (after, count) -> leaf data, in order


def _split(n: int) -> int:
    """The largest power of two smaller than `n` (n > 1): where RFC 6962 splits."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_path(index: int, size: int, root_of: Callable[[int, int], bytes]) -> list[bytes]:
    """RFC 9162 PATH(index, D[0:size]): the sibling roots from the leaf up.

    `root_of(start, end)` is the Merkle tree hash of leaves start..end-1."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    siblings: list[tuple[int, int]] = []
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            siblings.append((lo + k, hi))
            hi = lo + k
        else:
            siblings.append((lo, lo + k))
            lo = lo + k
    for start, end in reversed(siblings):
        path.append(root_of(start, end))
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root that `path` proves for leaf hash `leaf` at `index` of `size` (the
    verification algorithm of RFC 9162 section 2.1.3.2); None if the path cannot be
    one for that position (too long or too short)."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(entry_hash: str, seq: int, size: int, path: Sequence[str], root: str) -> bool:
    """Is the entry whose chain hash is `entry_hash` (hex) entry `seq` (from 1) of the
    record of `size` entries whose Merkle root is `root` (hex), by `path` (hex)?"""
    try:
        leaf = leaf_hash(bytes.fromhex(entry_hash))
        proof = [bytes.fromhex(p) for p in path]
    except ValueError:
        return False
    got = root_from_path(leaf, seq - 1, size, proof)
    return got is not None and got.hex() == root


class SubtreeRoots:
    """Merkle tree hashes of ranges of the record's leaves, for proofs.

    `read(after, count)` returns the leaf data (the raw entry hashes) of leaves
    after..after+count-1. Roots of whole aligned blocks are kept: a block's hashes are
    fixed once written, so its root never changes."""

    def __init__(self, read: ReadHashes) -> None:
        self._read = read
        self._blocks: dict[int, bytes] = {}  # block number -> root of its BLOCK leaves
        self._pending: list[bytes] = []  # leaves of the block being folded, if aligned
        self._next = 0  # the leaf `observe` expects next (-1: not aligned yet)

    def observe(self, first: int, hashes: Sequence[bytes]) -> None:
        """Fold leaves `first`.. as the journal's readers pass them: whole blocks are
        kept without a second read. Leaves that do not follow on are skipped until the
        next block starts (a restart from a snapshot begins mid-block)."""
        for i, leaf in enumerate(hashes, start=first):
            if i != self._next:
                self._pending = []
                if i % BLOCK:
                    self._next = -1
                    continue
            self._next = i + 1
            self._pending.append(leaf)
            if len(self._pending) == BLOCK:
                self._blocks[i // BLOCK] = perfect_root(self._pending)
                self._pending = []

    def root(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for the ranges a proof asks for (aligned: a power-of-two
        range starts at a multiple of its size, and the last range ends anywhere)."""
        n = end - start
        if n <= 0:
            return EMPTY_ROOT
        if n >= BLOCK and start % BLOCK == 0 and n & (n - 1) == 0:
            return self._aligned(start // BLOCK, n // BLOCK)
        if n <= BLOCK and start // BLOCK == (end - 1) // BLOCK:
            return merkle_root(list(self._read(start, n)))
        k = _split(n)
        return node_hash(self.root(start, start + k), self.root(start + k, end))

    def _aligned(self, block: int, count: int) -> bytes:
        if count == 1:
            got = self._blocks.get(block)
            if got is None:
                leaves = list(self._read(block * BLOCK, BLOCK))
                if len(leaves) != BLOCK:
                    raise ValueError(f"the record has no whole block {block}")
                got = self._blocks[block] = perfect_root(leaves)
            return got
        half = count // 2
        return node_hash(self._aligned(block, half), self._aligned(block + half, half))
