"""Inclusion proofs lead from each leaf to the RFC 6962 root, and from nothing else."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from warnline.audit.merkle import BLOCK, leaf_hash, merkle_root
from warnline.audit.proofs import SubtreeRoots, inclusion_path, root_from_path, verify_inclusion


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(n)]


def _reference(leaves: Sequence[bytes]) -> SubtreeRoots:
    return SubtreeRoots(lambda after, count: leaves[after : after + count])


@pytest.mark.parametrize("size", range(1, 34))
def test_every_leaf_of_small_trees_proves_the_root(size: int) -> None:
    leaves = _leaves(size)
    root = merkle_root(leaves)
    roots = _reference(leaves)
    for index in range(size):
        path = inclusion_path(index, size, roots.root)
        assert len(path) <= 2 * size.bit_length()
        assert root_from_path(leaf_hash(leaves[index]), index, size, path) == root
        # The same path proves nothing for another leaf or another place.
        other = leaves[(index + 1) % size] if size > 1 else b"x" * 32
        assert root_from_path(leaf_hash(other), index, size, path) != root
        if size > 1:
            assert root_from_path(leaf_hash(leaves[index]), (index + 1) % size, size, path) != root


@pytest.mark.parametrize("size", [BLOCK, BLOCK + 1, 3 * BLOCK - 5, 4 * BLOCK, 5 * BLOCK + 17])
def test_blocks_folded_as_entries_pass_give_the_same_proofs(size: int) -> None:
    leaves = _leaves(size)
    root = merkle_root(leaves)
    reads: list[int] = []

    def read(after: int, count: int) -> Sequence[bytes]:
        reads.append(count)
        return leaves[after : after + count]

    folded = SubtreeRoots(read)
    folded.observe(0, leaves[:700])  # passed on in chunks of any size
    folded.observe(700, leaves[700:])
    for index in (0, 1, BLOCK - 1, size // 2, size - 1):
        path = inclusion_path(index, size, folded.root)
        assert path == inclusion_path(index, size, _reference(leaves).root)
        assert verify_inclusion(leaves[index].hex(), index + 1, size, [p.hex() for p in path],
                                root.hex())  # fmt: skip
    assert all(count < BLOCK or size % BLOCK == 0 for count in reads)  # whole blocks: kept


def test_a_fold_that_starts_mid_block_reads_only_what_it_skipped() -> None:
    leaves = _leaves(3 * BLOCK)
    roots = SubtreeRoots(lambda after, count: leaves[after : after + count])
    roots.observe(10, leaves[10:])  # a restart from a snapshot at entry 10
    path = inclusion_path(5, len(leaves), roots.root)
    assert root_from_path(leaf_hash(leaves[5]), 5, len(leaves), path) == merkle_root(leaves)


def test_a_changed_hash_or_a_bad_path_does_not_verify() -> None:
    leaves = _leaves(100)
    root = merkle_root(leaves).hex()
    path = [p.hex() for p in inclusion_path(41, 100, _reference(leaves).root)]
    assert verify_inclusion(leaves[41].hex(), 42, 100, path, root)
    tampered = bytearray(leaves[41])
    tampered[0] ^= 1
    assert not verify_inclusion(bytes(tampered).hex(), 42, 100, path, root)
    assert not verify_inclusion(leaves[41].hex(), 42, 100, path[:-1], root)
    assert not verify_inclusion(leaves[41].hex(), 42, 100, [*path, path[0]], root)
    assert not verify_inclusion("not hex", 42, 100, path, root)
    assert not verify_inclusion(leaves[41].hex(), 101, 100, path, root)
    with pytest.raises(ValueError):
        inclusion_path(100, 100, _reference(leaves).root)


def test_proofs_of_recent_entries_read_nothing_and_old_ones_a_block_once() -> None:
    size = 40 * BLOCK + 300
    leaves = _leaves(size)
    root = merkle_root(leaves)
    reads: list[tuple[int, int]] = []

    def read(after: int, count: int) -> Sequence[bytes]:
        reads.append((after, count))
        return leaves[after : after + count]

    roots = SubtreeRoots(read, recent=4)
    for first in range(0, size, 500):
        roots.observe(first, leaves[first : first + 500])
    for index in (size - 1, size - 300, size - 2 * BLOCK):  # the open block, kept ones
        path = roots.proof(index, size)
        assert root_from_path(leaf_hash(leaves[index]), index, size, path) == root
    assert reads == []
    old = 3 * BLOCK + 17  # a block no longer kept: read whole, once, for all its ranges
    for index in (old, old + 1):
        path = roots.proof(index, size)
        assert root_from_path(leaf_hash(leaves[index]), index, size, path) == root
    assert reads == [(3 * BLOCK, BLOCK)]
