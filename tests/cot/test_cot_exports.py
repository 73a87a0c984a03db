"""The CoT package's public names are exactly the intended ones."""

from __future__ import annotations

import warnline.cot


def test_public_names() -> None:
    assert warnline.cot.__all__ == sorted(warnline.cot.__all__)
    assert set(warnline.cot.__all__) == {
        n for n in vars(warnline.cot) if not n.startswith("_") and n not in
        {"decode", "encode", "frames", "proto", "server", "service", "stream", "types"}
    }  # fmt: skip
