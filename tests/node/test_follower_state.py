"""Follower state to bytes and back: collaborators by name, never by value."""

from __future__ import annotations

import pytest

from warnline.agreement.model import Agreement
from warnline.errors import SnapshotError
from warnline.node.follower_state import capture, code_fingerprint, context_fingerprint, restore


class Fold:
    def __init__(self, agreement: Agreement) -> None:
        self.agreement = agreement
        self.seen: dict[str, int] = {"a": 1}

    def partner_count(self) -> int:
        return len(self.agreement.partners)


def test_collaborators_are_written_by_name_and_bound_to_the_new_node(
    agreement: Agreement,
) -> None:
    fold = Fold(agreement)
    body = capture(
        {"fold": {"f": fold, "count": fold.partner_count}},
        {"agreement": agreement},
        forbidden=(Agreement,),
    )
    assert len(body) < 1000  # the agreement's areas are not in it
    again = restore(body, {"agreement": agreement})["fold"]
    assert again["f"].agreement is agreement and again["f"].seen == {"a": 1}
    assert again["count"]() == len(agreement.partners)
    with pytest.raises(SnapshotError, match="which this node does not have"):
        restore(body, {})


def test_an_unregistered_collaborator_is_an_error_not_a_copy(agreement: Agreement) -> None:
    with pytest.raises(SnapshotError, match="holds a Agreement of its own"):
        capture({"fold": vars(Fold(agreement))}, {}, forbidden=(Agreement,))
    with pytest.raises(SnapshotError, match="cannot be captured"):
        capture({"fold": {"f": lambda: 1}}, {})


def test_fingerprints_are_stable_and_tell_contexts_apart(agreement: Agreement) -> None:
    assert code_fingerprint() == code_fingerprint() and len(code_fingerprint()) == 64
    a = context_fingerprint(agreement, {"x", "y", "z"})
    assert a == context_fingerprint(agreement, {"z", "y", "x"})
    assert a != context_fingerprint(agreement, {"x", "y"})
