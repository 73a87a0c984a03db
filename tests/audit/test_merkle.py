"""MerkleAccumulator.extend gives the RFC 6962 tree head whatever the leaves' split."""

from __future__ import annotations

import hashlib

import pytest

from warnline.audit.merkle import BLOCK, MerkleAccumulator, merkle_root


@pytest.mark.parametrize("n", [0, 1, 5, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 3, 4 * BLOCK])
@pytest.mark.parametrize("split", [0, 1, 7, BLOCK])
def test_extend_matches_the_reference(n: int, split: int) -> None:
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(n)]
    tree = MerkleAccumulator()
    tree.extend(leaves[:split])
    tree.extend(leaves[split:])
    assert (tree.size, tree.root()) == (n, merkle_root(leaves))
