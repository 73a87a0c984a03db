"""A snapshot captured in a forked child: the bytes, the failures, nothing left behind."""

from __future__ import annotations

import os
import pickle
import socket

import pytest

from warnline.errors import SnapshotError
from warnline.node.aside import CaptureAside


def test_the_child_returns_the_state_as_it_was_at_the_fork() -> None:
    state = {"tracks": list(range(100_000))}
    pending = CaptureAside(lambda: pickle.dumps(state))
    state["tracks"].clear()  # the parent goes on changing its state
    assert pickle.loads(pending.result()) == {"tracks": list(range(100_000))}


def test_a_capture_error_comes_back_with_its_reason() -> None:
    def refuse() -> bytes:
        raise SnapshotError("follower state holds a Journal of its own")

    with pytest.raises(SnapshotError, match="holds a Journal of its own"):
        CaptureAside(refuse).result()


def test_an_unexpected_failure_is_a_snapshot_error() -> None:
    def broken() -> bytes:
        raise RuntimeError("boom")

    with pytest.raises(SnapshotError, match="status 4"):
        CaptureAside(broken).result()


def test_the_child_holds_none_of_the_parents_descriptors() -> None:
    """A listening socket held by a child would keep the port bound after a killed
    parent: the child has closed it before its capture runs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def which_are_open() -> bytes:
        fds = (listener.fileno(), 0, 1, 2)
        return pickle.dumps([_is_open(fd) for fd in fds])

    try:
        assert pickle.loads(CaptureAside(which_are_open).result()) == [False, True, True, True]
        assert _is_open(listener.fileno())  # the parent's own is untouched
    finally:
        listener.close()


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
