"""The picture folding in a process of its own, beside the node's event loop.

Correlation is about 40 % of what a decided report costs the served node's main
thread, and that thread shares one interpreter lock with the HTTP handling and the
journal writer (decision 81: one process tops out near 14,000 reports/s). Here the
same `Picture` runs in a child process; the node keeps a mirror of what the stage
interface reads (the current tracks, the last `faded`, the sensor-track links), updated
from every answer, and awaits `ingest` and `expire` (`Pipeline.process_async`) so the
event loop serves requests while the child correlates. An answer carries each changed
track whole but for the contributors the mirror already holds (see `_TrackWire`).

The child runs exactly the code the node would (the same object, pickled across), and
the calls arrive in the order the fold makes them, so the decisions are the same as
in-process (tested). A snapshot holds the child's picture as pickled bytes, asked for
between two turns (`prepare_capture`). If the child dies, every later call raises
`PictureProcessError`: its state is gone, and only a restart (snapshot, then journal)
rebuilds it; nothing is silently restarted from an older state.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import signal
import struct
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle, send_handle
from typing import Any

import msgspec

from warnline.domain import Identity, Position, Report, ThreatKind, Track, TrackState, Velocity
from warnline.domain.track import Contributor
from warnline.errors import SnapshotError, WarnlineError
from warnline.picture.picture import Picture
from warnline.picture.store import SensorTrackKey

__all__ = ["PictureProcess", "PictureProcessError"]

STOP_WAIT_S = 5.0
_HANDED = "handed"  # a capture's answer: its state follows through a pipe of its own
_LENGTH = struct.Struct(">Q")

# What crosses the pipe on every call, as msgpack of the domain types themselves: pickle
# costs 13 us a report and 21 us a track each way, more than correlating them (msgspec:
# about 2 and 4.5 us).
_ENCODE = msgspec.msgpack.Encoder()
Links = list[tuple[tuple[str, str, str], str | None]]
_REPORTS = msgspec.msgpack.Decoder(list[Report])
_EXPIRE = msgspec.msgpack.Decoder(tuple[datetime, dict[str, datetime], list[str]])
CONTRIBUTOR_CACHE = 50_000  # decoded contributors kept; emptied when full
Sent = dict[str, tuple[Contributor, ...]]  # per track, the contributors last sent


class _TrackWire(msgspec.Struct, frozen=True, array_like=True):
    """A track as it crosses (a msgpack array, in field order), its contributors left
    encoded, and each one the node's mirror already holds at that place sent as nil
    (`_SAME`): most of a changed track's contributors did not change, and an answer
    of every contributor in full was most of its size and of its encoding (at 16
    sensors a track, 1,000 tracks cost the child 16 ms to encode and came to 1 MB)."""

    track_id: str
    state: TrackState
    updated_at: datetime
    first_seen: datetime
    position: Position
    velocity: Velocity
    sigma_m: float
    kind: ThreatKind
    identity: Identity
    confidence: float
    contributors: list[msgspec.Raw]
    report_count: int
    velocity_sigma_ms: float = 0.0
    turn_rate_dps: float = 0.0


_ANSWER = msgspec.msgpack.Decoder(tuple[list[_TrackWire], list[str], Links])
_SAME = b"\xc0"  # msgpack nil: the contributor the mirror holds at this place
_CONTRIBUTOR = msgspec.msgpack.Decoder(Contributor)


class PictureProcessError(WarnlineError):
    """The picture's process failed or ended: its state is lost until a restart."""


class PictureProcess:
    """The picture stage's interface, answered by a `Picture` in a child process."""

    def __init__(self, picture: Picture) -> None:
        self.coast_after_s = picture.coast_after_s
        self.drop_after_s = picture.drop_after_s
        self._links: dict[SensorTrackKey, str | None] = dict(picture.link_changes())
        self._tracks: dict[str, Track] = {t.track_id: t for t in picture.tracks()}
        self._faded = picture.faded()
        self._state = pickle.dumps(picture, protocol=pickle.HIGHEST_PROTOCOL)
        self._calls = 0  # calls answered: a capture is only good at the count it was made
        self._captured: tuple[int, bytes | int] | None = None  # bytes, or a pipe to read
        self._runtime()

    def _runtime(self) -> None:
        self._conn: Connection | None = None
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._loaded = False
        self._dead: str | None = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._contributors: dict[bytes, Contributor] = {}

    # -- what a snapshot holds -----------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        if self._loaded and (self._captured is None or self._captured[0] != self._calls):
            raise SnapshotError("the picture's state was not prepared for this capture")
        if self._loaded and self._captured is not None and isinstance(self._captured[1], int):
            self._captured = (self._captured[0], _read_handed(self._captured[1]))
        state = self._captured[1] if self._loaded and self._captured else self._state
        return {
            "coast_after_s": self.coast_after_s,
            "drop_after_s": self.drop_after_s,
            "links": self._links,
            "tracks": self._tracks,
            "faded": self._faded,
            "state": state,
        }

    def __setstate__(self, st: dict[str, Any]) -> None:
        self.coast_after_s = st["coast_after_s"]
        self.drop_after_s = st["drop_after_s"]
        self._links, self._tracks, self._faded = st["links"], st["tracks"], st["faded"]
        self._state, self._calls, self._captured = st["state"], 0, None
        self._runtime()

    def prepare_capture(self) -> None:
        """Have the child hand over its state as it is now, for the next pickling of
        this object (a snapshot, taken between two turns). The child forks and its
        copy writes the pickle to a pipe whose reading end comes back here, so neither
        the child nor the fold waits for the pickling (300-400 ms for 1,000 tracks of
        16 contributors); the pickling of this object reads it (`capture_fds`)."""
        if not self._loaded:
            return
        self.release_capture()
        reply = self._request(("capture",))
        if reply[1] == _HANDED:
            self._captured = (self._calls, reply[2])
        else:  # it could not fork: the state came with the answer
            self._captured = (self._calls, reply[1])

    def capture_fds(self) -> tuple[int, ...]:
        """The descriptor the prepared capture will be read from, if it is on its way:
        a forked capture of the node must keep it open."""
        if self._captured is not None and isinstance(self._captured[1], int):
            return (self._captured[1],)
        return ()

    def release_capture(self) -> None:
        """Close this process's end of a prepared capture still on its way (a forked
        capture of the node holds its own copy; the child's writer ends when it has
        written, or when every reader has gone)."""
        if self._captured is not None and isinstance(self._captured[1], int):
            with contextlib.suppress(OSError):
                os.close(self._captured[1])
            self._captured = None

    async def prepare_capture_async(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor(), self.prepare_capture)

    # -- the stage interface -------------------------------------------------------------

    def ingest(self, reports: Sequence[Report]) -> list[Track]:
        return self._fold(("ingest", _ENCODE.encode(list(reports))))

    def expire(
        self,
        at: datetime,
        partner_marks: Mapping[str, datetime] | None = None,
        ending: frozenset[str] = frozenset(),
    ) -> list[Track]:
        return self._fold(("expire", _expire(at, partner_marks or {}, ending)))

    async def ingest_async(self, reports: Sequence[Report]) -> list[Track]:
        return await self._fold_async(("ingest", _ENCODE.encode(list(reports))))

    async def expire_async(
        self, at: datetime, partner_marks: Mapping[str, datetime], ending: frozenset[str]
    ) -> list[Track]:
        return await self._fold_async(("expire", _expire(at, partner_marks, ending)))

    async def _fold_async(self, msg: tuple[Any, ...]) -> list[Track]:
        """The round trip in a worker thread (it waits on the pipe without the
        interpreter lock), the mirror updated back here: readers on the event loop
        never see it change under them."""
        loop = asyncio.get_running_loop()
        return self._apply(await loop.run_in_executor(self._executor(), self._request, msg))

    def faded(self) -> frozenset[str]:
        return self._faded

    def tracks(self) -> list[Track]:
        return list(self._tracks.values())  # by serial: new tracks have the highest

    def get(self, track_id: str) -> Track | None:
        return self._tracks.get(track_id)

    def linked_track(self, key: SensorTrackKey) -> str | None:
        return self._links.get(key)

    # -- the child -----------------------------------------------------------------------

    def start(self) -> None:
        """Start the child now (it takes a moment to import), not at the first call."""
        with self._lock:
            self._started()

    def adopt(self, other: PictureProcess) -> None:
        """Take over `other`'s child (started, perhaps with another state) for this
        state: a node restored from a snapshot keeps the process it started early."""
        if other is self:
            return
        with other._lock:
            conn, proc, other._conn, other._proc = other._conn, other._proc, None, None
            other._loaded = False
        with self._lock:
            if self._conn is None and conn is not None:
                self._conn, self._proc, self._loaded = conn, proc, False
                return
        if conn is not None:  # this one has a child already: the other's is not needed
            conn.close()

    def close(self) -> None:
        """Stop the child (the node's last snapshot has been taken)."""
        self.release_capture()
        with self._lock:
            conn, proc = self._conn, self._proc
            self._conn = self._proc = None
            self._loaded = False
        if conn is not None:
            with contextlib.suppress(OSError, EOFError, ValueError):
                conn.send(("stop",))
            conn.close()
        if proc is not None:
            proc.join(STOP_WAIT_S)
            if proc.is_alive():
                proc.kill()
                proc.join(STOP_WAIT_S)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:  # one thread: the calls stay in the fold's order
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="picture-calls")
        return self._pool

    def _started(self) -> Connection:
        if self._dead is not None:
            raise PictureProcessError(self._dead)
        if self._conn is None:
            ctx = multiprocessing.get_context("spawn")  # never fork a process with threads
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(theirs,), name="warnline-picture", daemon=True)
            proc.start()
            theirs.close()
            self._conn, self._proc = ours, proc
        return self._conn

    def _request(self, msg: tuple[Any, ...]) -> tuple[Any, ...]:
        with self._lock:
            conn = self._started()
            try:
                if not self._loaded:
                    conn.send(("load", self._state))
                    self._check(conn.recv())
                    self._loaded = True
                conn.send(msg)
                reply = self._check(conn.recv())
                if reply[1:] == (_HANDED,):  # the capture's pipe follows the answer
                    return (*reply, recv_handle(conn))
                return reply
            except (EOFError, OSError) as exc:
                code = None if self._proc is None else self._proc.exitcode
                self._dead = f"the picture's process ended (exit code {code}): {exc or 'EOF'}"
                raise PictureProcessError(self._dead) from exc

    def _check(self, reply: tuple[Any, ...]) -> tuple[Any, ...]:
        if reply[0] != "ok":
            self._dead = f"the picture's process failed: {reply[1]}"
            raise PictureProcessError(self._dead)
        return reply

    def _fold(self, msg: tuple[Any, ...]) -> list[Track]:
        return self._apply(self._request(msg))

    def _track(self, w: _TrackWire) -> Track:
        known = self._contributors
        if len(known) > CONTRIBUTOR_CACHE:
            known.clear()
        held = self._tracks.get(w.track_id)
        before = held.contributors if held is not None else ()
        contributors = []
        for i, raw in enumerate(w.contributors):
            key = bytes(raw)
            if key == _SAME:
                if i >= len(before):
                    self._dead = f"the picture's answer for {w.track_id} does not match its mirror"
                    raise PictureProcessError(self._dead)
                contributors.append(before[i])
                continue
            c = known.get(key)
            if c is None:
                c = known[key] = _CONTRIBUTOR.decode(key)
            contributors.append(c)
        return Track(
            track_id=w.track_id, state=w.state, updated_at=w.updated_at,
            first_seen=w.first_seen, position=w.position, velocity=w.velocity,
            sigma_m=w.sigma_m, kind=w.kind, identity=w.identity, confidence=w.confidence,
            contributors=tuple(contributors), report_count=w.report_count,
            velocity_sigma_ms=w.velocity_sigma_ms, turn_rate_dps=w.turn_rate_dps,
        )  # fmt: skip

    def _apply(self, reply: tuple[Any, ...]) -> list[Track]:
        wires, faded_ids, changes = _ANSWER.decode(reply[1])
        tracks = []
        for w in wires:  # in order: each is read against the mirror as the child left it
            track = self._track(w)
            tracks.append(track)
            if track.state is TrackState.LOST:
                self._tracks.pop(track.track_id, None)
            else:
                self._tracks[track.track_id] = track
        self._calls += 1
        self._faded = frozenset(faded_ids)
        for key, linked in changes:
            if linked is None:
                self._links.pop(key, None)
            else:
                self._links[key] = linked
        return tracks


def _serve(conn: Connection) -> None:
    """The child: answer the node's calls in order until told to stop or the node's end
    of the pipe closes. Signals are the node's to handle: a Ctrl-C or a SIGTERM to the
    whole process group must not end the picture before the node's last snapshot."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # its capturing copies reap themselves
    picture: Picture | None = None
    sent: Sent = {}
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        op = msg[0]
        reply: tuple[Any, ...]
        handed: int | None = None
        try:
            if op == "stop":
                return
            if op == "load":
                picture = pickle.loads(msg[1])
                picture.link_changes()
                sent = {}  # the node's mirror holds none of them as this child sent them
                reply = ("ok",)
            elif picture is None:
                reply = ("error", "no picture loaded")
            elif op == "ingest":
                tracks = picture.ingest(_REPORTS.decode(msg[1]))
                reply = ("ok", _answer(picture, tracks, sent))
            elif op == "expire":
                at, marks, ending = _EXPIRE.decode(msg[1])
                tracks = picture.expire(at, marks, frozenset(ending))
                reply = ("ok", _answer(picture, tracks, sent))
            elif op == "capture":
                handed = _capture_aside(picture, conn)
                if handed is None:
                    reply = ("ok", pickle.dumps(picture, protocol=pickle.HIGHEST_PROTOCOL))
                else:
                    reply = ("ok", _HANDED)
            else:
                reply = ("error", f"unknown call {op!r}")
        except Exception as exc:  # the node hears of it; this process's state is suspect
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
            if handed is not None:
                send_handle(conn, handed, 0)
        except (OSError, ValueError):
            return
        finally:
            if handed is not None:
                os.close(handed)


def _capture_aside(picture: Picture, conn: Connection) -> int | None:
    """Fork a copy of this process that writes the picture's pickle, its length first,
    to a new pipe and exits; return the pipe's reading end (None: no fork here). The
    copy has the picture exactly as it is between these two calls."""
    if not hasattr(os, "fork"):
        return None
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the copy: never returns
        code = 0
        try:
            os.close(read_fd)
            conn.close()
            data = pickle.dumps(picture, protocol=pickle.HIGHEST_PROTOCOL)
            for part in (_LENGTH.pack(len(data)), data):
                view = memoryview(part)
                while view:
                    view = view[os.write(write_fd, view) :]
        except BaseException:  # the reader sees a short state and refuses it
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return read_fd


def _read_handed(fd: int) -> bytes:
    """The state a capturing copy wrote to `fd`, whole, or SnapshotError."""
    chunks: list[bytes] = []
    try:
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    size = _LENGTH.size
    if len(data) < size or _LENGTH.unpack(data[:size])[0] != len(data) - size:
        raise SnapshotError("the picture's process did not finish handing over its state")
    return data[size:]


def _expire(at: datetime, marks: Mapping[str, datetime], ending: frozenset[str]) -> bytes:
    return _ENCODE.encode((at, dict(marks), sorted(ending)))


def _answer(picture: Picture, tracks: list[Track], sent: Sent) -> bytes:
    """The call's tracks as the node's mirror will hold them, each contributor it
    holds already at the same place (the very object the picture froze last time: a
    contributor is frozen anew only when it changed) sent as nil; `sent` follows the
    mirror (an ended track leaves both)."""
    wires = []
    for t in tracks:
        before = sent.get(t.track_id, ())
        contributors = [
            None if i < len(before) and c is before[i] else c for i, c in enumerate(t.contributors)
        ]
        if t.state is TrackState.LOST:
            sent.pop(t.track_id, None)
        else:
            sent[t.track_id] = t.contributors
        wire = _TrackWire(
            track_id=t.track_id, state=t.state, updated_at=t.updated_at,
            first_seen=t.first_seen, position=t.position, velocity=t.velocity,
            sigma_m=t.sigma_m, kind=t.kind, identity=t.identity, confidence=t.confidence,
            contributors=contributors,  # type: ignore[arg-type]  # encoded, not decoded
            report_count=t.report_count, velocity_sigma_ms=t.velocity_sigma_ms,
            turn_rate_dps=t.turn_rate_dps,
        )  # fmt: skip
        wires.append(wire)
    links = list(picture.link_changes().items())
    return _ENCODE.encode((wires, sorted(picture.faded()), links))
