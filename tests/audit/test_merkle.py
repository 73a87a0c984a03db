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


def test_an_accumulator_taken_up_from_its_peaks_goes_on_as_the_original() -> None:
    leaves = [bytes([i % 256, i // 256]) for i in range(3000)]
    whole = MerkleAccumulator()
    whole.extend(leaves[:1337])
    again = MerkleAccumulator.from_peaks(whole.peaks())
    assert (again.size, again.root()) == (1337, whole.root())
    again.extend(leaves[1337:])
    assert again.root() == merkle_root(leaves)
    for bad in ([(3, "00" * 32)], [(1, "00" * 32), (2, "00" * 32)], [(4, "00" * 31)]):
        with pytest.raises(ValueError):
            MerkleAccumulator.from_peaks(bad)
