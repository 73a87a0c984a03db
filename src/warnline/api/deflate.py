"""permessage-deflate with each large message compressed once for all sockets.

A partner's picture (hundreds of kilobytes for a raid of 300 tracks) goes to each of
its consoles every second; uvicorn's deflate compresses it again for every socket, on
the event loop the decisions share (`warnline bench console`: about a fifth of the
node's time). With `server_no_context_takeover` (which a server may always ask for,
RFC 7692 section 7.1.1.1) each message is compressed on its own, so the same bytes
compress to the same frame on every socket and one compression can serve them all.
websockets has no such cache (its extension compresses per connection), hence this
subclass: the frames it sends are the library's own, only computed once.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import CONT, CTRL_OPCODES, Frame
from websockets.typing import ExtensionParameter

SHARE_FROM_BYTES = 8192  # smaller messages (alerts, acks) are cheap to compress per socket
SHARED_ENTRIES = 32  # a push round: one picture per partner, and greetings
_TAIL = b"\x00\x00\xff\xff"  # what a sync flush ends with, not sent (RFC 7692 7.2.1)


class DeflateCache:
    """The compressed form of the latest large messages, by window size and bytes."""

    def __init__(self, entries: int = SHARED_ENTRIES, settings: dict[str, Any] | None = None):
        self.entries = entries
        self.settings = settings or {}
        self._done: OrderedDict[tuple[int, bytes], bytes] = OrderedDict()
        self.compressed = 0  # messages compressed here
        self.shared = 0  # messages answered from the cache

    def compress(self, window_bits: int, data: bytes) -> bytes:
        key = (window_bits, data)
        done = self._done.get(key)
        if done is not None:
            self._done.move_to_end(key)
            self.shared += 1
            return done
        enc = zlib.compressobj(wbits=-window_bits, **self.settings)
        out = enc.compress(data) + enc.flush(zlib.Z_SYNC_FLUSH)
        out = out[: -len(_TAIL)] if out.endswith(_TAIL) else out
        self.compressed += 1
        self._done[key] = out
        if len(self._done) > self.entries:
            self._done.popitem(last=False)
        return out


class SharedDeflate(PerMessageDeflate):
    """The library's extension, a whole large message taken from the cache."""

    def __init__(self, negotiated: PerMessageDeflate, cache: DeflateCache) -> None:
        super().__init__(
            negotiated.remote_no_context_takeover,
            negotiated.local_no_context_takeover,
            negotiated.remote_max_window_bits,
            negotiated.local_max_window_bits,
            negotiated.compress_settings,
        )
        self.cache = cache

    def encode(self, frame: Frame) -> Frame:
        whole = frame.fin and frame.opcode not in CTRL_OPCODES and frame.opcode is not CONT
        if not (whole and self.local_no_context_takeover and len(frame.data) >= SHARE_FROM_BYTES):
            return super().encode(frame)
        data = self.cache.compress(self.local_max_window_bits, bytes(frame.data))
        return Frame(frame.opcode, data, frame.fin, True, frame.rsv2, frame.rsv3)


class SharedDeflateFactory(ServerPerMessageDeflateFactory):
    """Negotiates as uvicorn's own does, plus no context takeover on the server side."""

    def __init__(self, cache: DeflateCache, **kwargs: Any) -> None:
        super().__init__(
            server_no_context_takeover=True, compress_settings=cache.settings, **kwargs
        )
        self.cache = cache

    def process_request_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[ExtensionParameter], PerMessageDeflate]:
        answer, negotiated = super().process_request_params(params, accepted_extensions)
        return answer, SharedDeflate(negotiated, self.cache)
