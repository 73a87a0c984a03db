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

import threading
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
    after..after+count-1. Roots of whole aligned blocks are kept (a block's hashes are
    fixed once written, so its root never changes), and the leaves of the newest
    `recent` blocks and of the block being filled, so a proof of a recent entry reads
    nothing. `observe` runs on the node's loop and `proof` in worker threads: the caches
    change under a lock."""

    def __init__(self, read: ReadHashes, *, recent: int = 32) -> None:
        self._read = read
        self._recent_max = recent
        self._lock = threading.Lock()
        self._blocks: dict[int, bytes] = {}  # block number -> root of its BLOCK leaves
        self._recent: dict[int, list[bytes]] = {}  # block number -> its leaves
        self._open: tuple[int, list[bytes]] = (0, [])  # the block being folded, its leaves
        self._next = 0  # the leaf `observe` expects next (-1: not aligned yet)

    def observe(self, first: int, hashes: Sequence[bytes]) -> None:
        """Fold leaves `first`.. as the journal's readers pass them: whole blocks are
        kept without a second read. Leaves that do not follow on are skipped until the
        next block starts (a restart from a snapshot begins mid-block)."""
        for i, leaf in enumerate(hashes, start=first):
            if i != self._next:
                if i % BLOCK:
                    self._next = -1
                    continue
                self._open = (i // BLOCK, [])
            self._next = i + 1
            block, leaves = self._open
            leaves.append(leaf)
            if len(leaves) == BLOCK:
                root = perfect_root(leaves)
                with self._lock:
                    self._blocks[block] = root
                    self._keep(block, leaves)
                self._open = (block + 1, [])

    def _keep(self, block: int, leaves: list[bytes]) -> None:
        self._recent.pop(block, None)  # the newest kept last: dicts keep insertion order
        self._recent[block] = leaves
        while len(self._recent) > self._recent_max:
            del self._recent[next(iter(self._recent))]

    def proof(self, index: int, size: int) -> list[bytes]:
        """The inclusion path of leaf `index` in the tree of the first `size` leaves."""
        return inclusion_path(index, size, lambda start, end: self._root(start, end, size))

    def root(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) (reads exactly those leaves where none are kept)."""
        return self._root(start, end, end)

    def _root(self, start: int, end: int, size: int) -> bytes:
        n = end - start
        if n <= 0:
            return EMPTY_ROOT
        if n >= BLOCK and start % BLOCK == 0 and n & (n - 1) == 0:
            return self._aligned(start // BLOCK, n // BLOCK)
        if n <= BLOCK and start // BLOCK == (end - 1) // BLOCK:
            return merkle_root(self._leaves(start, n, size))
        k = _split(n)
        return node_hash(self._root(start, start + k, size), self._root(start + k, end, size))

    def _leaves(self, start: int, n: int, size: int) -> list[bytes]:
        """Leaves start..start+n-1 (inside one block): from the kept leaves, or the
        block read once as far as the tree goes (a proof asks for several of its ranges)."""
        block, offset = divmod(start, BLOCK)
        with self._lock:
            kept = self._recent.get(block)
        if kept is None:
            open_block, leaves = self._open
            if open_block == block and len(leaves) >= offset + n:
                kept = leaves
        if kept is None:
            first = block * BLOCK
            kept = list(self._read(first, min(BLOCK, max(size, start + n) - first)))
            if len(kept) == BLOCK:
                with self._lock:
                    self._keep(block, kept)
        return list(kept[offset : offset + n])

    def _aligned(self, block: int, count: int) -> bytes:
        if count == 1:
            with self._lock:
                got = self._blocks.get(block)
            if got is None:
                leaves = list(self._read(block * BLOCK, BLOCK))
                if len(leaves) != BLOCK:
                    raise ValueError(f"the record has no whole block {block}")
                got = perfect_root(leaves)
                with self._lock:
                    self._blocks[block] = got
                    self._keep(block, leaves)
            return got
        half = count // 2
        return node_hash(self._aligned(block, half), self._aligned(block + half, half))
