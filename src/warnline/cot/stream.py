"""TAK's stream framing, read incrementally from a TCP connection.

A TAK stream mixes two framings: CoT XML events one after another (an event ends at
`</event>`, as every TAK server and PyTAK split them), and TAK protocol v1 messages
(0xBF, a varint length, the protobuf). `StreamReader.feed` takes whatever bytes arrived
and returns the complete messages; a message larger than `max_bytes` is skipped and
reported as `Oversize` instead, so one hostile sender cannot make the node buffer
without bound, and the stream goes on with the next message.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Message", "Oversize", "StreamReader"]

PROTO_MAGIC = 0xBF
END = b"</event>"
STARTS = (b"<?xml", b"<event")
TAIL = 8  # bytes kept while skipping: a start tag may be split between two reads


@dataclass(frozen=True, slots=True)
class Message:
    data: bytes
    proto: bool  # True: a TAK protocol v1 payload; False: one CoT XML event


@dataclass(frozen=True, slots=True)
class Oversize:
    size: int  # bytes skipped (at least)
    proto: bool


class StreamReader:
    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buf = bytearray()
        self._skip = 0  # bytes of an oversize protobuf still to skip
        self._discarding = False  # inside an oversize XML event: skip to the next start

    def feed(self, data: bytes) -> list[Message | Oversize]:
        out: list[Message | Oversize] = []
        self._buf += data
        while True:
            if self._skip:
                n = min(self._skip, len(self._buf))
                del self._buf[:n]
                self._skip -= n
                if self._skip:
                    return out
            start = _first_byte(self._buf)
            del self._buf[:start]
            if not self._buf:
                return out
            got = self._proto() if self._buf[0] == PROTO_MAGIC else self._xml()
            if got is None:
                return out
            out.append(got)

    def _xml(self) -> Message | Oversize | None:
        if self._discarding:
            cut = _resync(self._buf, 0, after_end=True)
            if cut is None:
                del self._buf[: max(0, len(self._buf) - TAIL)]
                return None
            del self._buf[:cut]
            self._discarding = False
            if not self._buf:
                return None
        end = self._buf.find(END)
        if end < 0:
            if len(self._buf) > self.max_bytes:
                # No end in sight: drop it and resynchronise where the next event starts.
                size = len(self._buf)
                nxt = _resync(self._buf, 1, after_end=False)
                if nxt is None:
                    del self._buf[: len(self._buf) - TAIL]
                    self._discarding = True
                else:
                    del self._buf[:nxt]
                return Oversize(size=size, proto=False)
            return None
        end += len(END)
        msg = bytes(self._buf[:end])
        del self._buf[:end]
        if len(msg) > self.max_bytes:
            return Oversize(size=len(msg), proto=False)
        return Message(data=msg, proto=False)

    def _proto(self) -> Message | Oversize | None:
        length, used = _varint(self._buf, 1)
        if used == 0:
            if len(self._buf) > 11:  # a varint is at most 10 bytes: this is not one
                del self._buf[:1]
                return Oversize(size=1, proto=True)
            return None
        if length > self.max_bytes:
            del self._buf[: 1 + used]
            self._skip = length
            return Oversize(size=length, proto=True)
        end = 1 + used + length
        if len(self._buf) < end:
            return None
        msg = bytes(self._buf[1 + used : end])
        del self._buf[:end]
        return Message(data=msg, proto=True)


def _resync(buf: bytearray, start: int, *, after_end: bool) -> int | None:
    """Where the next event may start (an XML declaration or `<event`), or just after
    the end of the one being skipped; None: not in `buf`."""
    found = [i for m in STARTS if (i := buf.find(m, start)) >= 0]
    if after_end and (i := buf.find(END, start)) >= 0:
        found.append(i + len(END))
    return min(found, default=None)


def _first_byte(buf: bytearray) -> int:
    """Skip whitespace between messages."""
    i = 0
    while i < len(buf) and buf[i] in b" \t\r\n\x00":
        i += 1
    return i


def _varint(buf: bytearray, at: int) -> tuple[int, int]:
    """(value, bytes used); used 0: not complete yet (or not a varint)."""
    value = shift = 0
    for i in range(at, min(len(buf), at + 10)):
        b = buf[i]
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i - at + 1
        shift += 7
    return 0, 0
