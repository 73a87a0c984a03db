"""Capture the followers' state in a forked child, so the event loop does not wait.

Pickling a raid's state takes seconds (1,000 live drones, their assessments and the
alert history: 1.4 s for one capture, all of it on the event loop, every 20,000
entries). `fork` gives the child the state exactly as it stood between two turns (the
pages are shared copy-on-write), so the snapshot is as consistent as one taken on the
loop while the loop pauses only for the fork itself. The child pickles, writes the
bytes to a pipe and exits at once; the parent reads them in a worker thread and
stores them as before.

The child runs nothing but the pickler: no event loop, no logging, no journal (an
SQLite connection must never be used across a fork), and it leaves with `os._exit`,
so no finaliser or buffered file of the parent runs twice. It first closes every
descriptor but its pipe (a listening socket held by a child outlives a killed parent)
and detaches from the node's signal wake-up pipe, letting a signal kill it (the parent
then reports a capture that did not finish).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Sequence

from warnline.errors import SnapshotError

__all__ = ["CaptureAside", "can_fork"]

_OK, _FAILED = b"\x00", b"\x01"


def can_fork() -> bool:
    return hasattr(os, "fork")


class CaptureAside:
    """One capture running in a child process; `result()` (blocking: call it in a
    worker thread) returns its bytes or raises SnapshotError."""

    def __init__(self, capture: Callable[[], bytes], keep: Sequence[int] = ()) -> None:
        """`keep`: descriptors the capture reads (a picture process's state on its
        way), left open in the child with its pipe."""
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_fd)
            _child(capture, write_fd, keep)
        os.close(write_fd)
        self._pid, self._fd = pid, read_fd

    def result(self) -> bytes:
        chunks: list[bytes] = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self._fd)
            _, status = os.waitpid(self._pid, 0)
        data = b"".join(chunks)
        code = os.waitstatus_to_exitcode(status)
        if data[:1] == _OK and code == 0:
            return data[1:]
        if data[:1] == _FAILED:
            raise SnapshotError(data[1:].decode(errors="replace"))
        raise SnapshotError(f"the capture process ended with status {code} before it finished")


def _child(capture: Callable[[], bytes], fd: int, keep: Sequence[int]) -> None:
    code = 0
    try:
        # The listening sockets, the journal's files, peers' pipes: only the parent's.
        # A child that held them would keep a port bound after a crashed parent.
        low = 3
        for kept in sorted({fd, *keep}):
            os.closerange(low, kept)
            low = kept + 1
        os.closerange(low, os.sysconf("SC_OPEN_MAX"))
        with contextlib.suppress(ValueError):  # not the main thread: none was set
            signal.set_wakeup_fd(-1)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        try:
            out = _OK + capture()
        except SnapshotError as exc:
            out, code = _FAILED + str(exc).encode(), 3
        view = memoryview(out)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:  # nothing may escape into the parent's code
        code = 4
    finally:
        os._exit(code)
