"""A small SMPP 3.4 message centre (SMSC) for tests and the exercise, with simulated phones.

No maintained SMSC simulator installs here (Kannel is itself a client of an SMSC), so this
peer implements the part of SMPP 3.4 a sender uses: bind_transceiver, submit_sm (text in
`short_message` or the `message_payload` TLV, GSM default / Latin-1 / UCS-2), delivery
receipts as deliver_sm with esm_class 0x04 and the receipted_message_id / message_state
TLVs (SMPP 3.4 §5.2.12, Appendix B), mobile-originated messages as deliver_sm, enquire_link,
unbind and generic_nack. It is written from the specification, independently of the
client library the channel uses, so each checks the other.

A phone answers the way the exercise tells it to: `ack` replies "ACK <code>" (read from
the text it received), `read` only takes the message, `off` is unreachable (receipt
stat:UNDELIV); a commander's `accept` or `decline` phone answers a lead offer with
"ACCEPT <code>" or "DECLINE <code>" and acknowledges alerts like `ack`.
`mobile_originated` sends any text from any number (a test's stray or forged reply).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

BIND_TRANSCEIVER, SUBMIT_SM, DELIVER_SM, UNBIND, ENQUIRE_LINK = 0x09, 0x04, 0x05, 0x06, 0x15
RESP, GENERIC_NACK = 0x80000000, 0x80000000
ESME_RINVCMDID, ESME_RINVBNDSTS, ESME_RINVDSTADR = 0x03, 0x04, 0x0B
TLV_MESSAGE_PAYLOAD, TLV_RECEIPTED_ID, TLV_MESSAGE_STATE = 0x0424, 0x001E, 0x0427
_ACK = re.compile(r"ACK (\d{6})")
_OFFER = re.compile(r"ACCEPT ([A-Z0-9]{4,12})")
_ANSWERS = {"accept": "ACCEPT", "decline": "DECLINE"}


def c_string(data: bytes, pos: int) -> tuple[bytes, int]:
    end = data.index(b"\0", pos)
    return data[pos:end], end + 1


def tlv(tag: int, value: bytes) -> bytes:
    return struct.pack(">HH", tag, len(value)) + value


@dataclass(frozen=True, kw_only=True)
class ShortMessage:
    source: str
    destination: str
    text: str
    esm_class: int = 0
    registered_delivery: int = 0


def parse_sm(body: bytes) -> ShortMessage:
    """submit_sm / deliver_sm body (SMPP 3.4 §4.4.1)."""
    _service, pos = c_string(body, 0)
    pos += 2
    source, pos = c_string(body, pos)
    pos += 2
    dest, pos = c_string(body, pos)
    esm_class, _pid, _prio = body[pos], body[pos + 1], body[pos + 2]
    pos += 3
    _sched, pos = c_string(body, pos)
    _valid, pos = c_string(body, pos)
    registered, _replace, coding, _default, length = body[pos : pos + 5]
    pos += 5
    raw = body[pos : pos + length]
    pos += length
    while pos + 4 <= len(body):
        tag, size = struct.unpack(">HH", body[pos : pos + 4])
        if tag == TLV_MESSAGE_PAYLOAD:
            raw = body[pos + 4 : pos + 4 + size]
        pos += 4 + size
    text = raw.decode("utf-16-be") if coding == 0x08 else raw.decode("latin-1")
    return ShortMessage(
        source=source.decode(),
        destination=dest.decode(),
        text=text,
        esm_class=esm_class,
        registered_delivery=registered,
    )


def encode_sm(sm: ShortMessage, extra_tlvs: bytes = b"") -> bytes:
    try:
        raw, coding = sm.text.encode("ascii"), 0x00
    except UnicodeEncodeError:
        raw, coding = sm.text.encode("utf-16-be"), 0x08
    head = (
        b"\0"
        + bytes([1, 1])
        + sm.source.encode()
        + b"\0"
        + bytes([1, 1])
        + sm.destination.encode()
        + b"\0"
        + bytes([sm.esm_class, 0, 0])
        + b"\0\0"
        + bytes([0, 0, coding, 0])
    )
    if len(raw) <= 254:
        return head + bytes([len(raw)]) + raw + extra_tlvs
    return head + b"\0" + tlv(TLV_MESSAGE_PAYLOAD, raw) + extra_tlvs


_Send = Callable[[int, int, int, bytes], None]  # command, status, sequence, body
_Push = Callable[[ShortMessage, bytes], None]  # a deliver_sm and its TLVs


@dataclass
class Smsc:
    """The message centre; `phones` maps a number to `ack`, `read` or `off`."""

    phones: dict[str, str] = field(default_factory=dict)
    short_code: str = "7700"
    reply_delay_s: float = 0.05
    submitted: list[ShortMessage] = field(default_factory=list)
    receipts: int = 0
    replies: int = 0  # "ACK <code>" replies
    offer_replies: int = 0  # "ACCEPT <code>" / "DECLINE <code>" replies
    binds: int = 0
    _server: asyncio.Server | None = None
    _next_id: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _sessions: list[_Push] = field(default_factory=list)
    port: int = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._session, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        bound = False
        seq = [0x10000]

        def send(command: int, status: int, sequence: int, body: bytes = b"") -> None:
            writer.write(struct.pack(">IIII", 16 + len(body), command, status, sequence) + body)

        def push(sm: ShortMessage, tlvs: bytes = b"") -> None:
            seq[0] += 1
            send(DELIVER_SM, 0, seq[0], encode_sm(sm, tlvs))

        self._sessions.append(push)
        try:
            while True:
                head = await reader.readexactly(16)
                length, command, _status, sequence = struct.unpack(">IIII", head)
                body = await reader.readexactly(length - 16)
                if command & RESP:
                    continue  # deliver_sm_resp, enquire_link_resp
                if command == BIND_TRANSCEIVER:
                    bound = True
                    self.binds += 1
                    send(command | RESP, 0, sequence, b"warnline-smsc\0")
                elif command == ENQUIRE_LINK:
                    send(command | RESP, 0, sequence)
                elif command == UNBIND:
                    send(command | RESP, 0, sequence)
                    await writer.drain()
                    break
                elif command == SUBMIT_SM:
                    if not bound:
                        send(command | RESP, ESME_RINVBNDSTS, sequence, b"\0")
                        continue
                    self._submit(parse_sm(body), sequence, send, push)
                else:
                    send(GENERIC_NACK, ESME_RINVCMDID, sequence)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._sessions.remove(push)
            writer.close()

    def mobile_originated(self, source: str, text: str) -> int:
        """Send `text` from `source` to the short code on every bound session; returns how
        many sessions it went to."""
        for push in self._sessions:
            push(ShortMessage(source=source, destination=self.short_code, text=text), b"")
        return len(self._sessions)

    def _submit(self, sm: ShortMessage, sequence: int, send: _Send, push: _Push) -> None:
        behaviour = self.phones.get(sm.destination)
        if behaviour is None:
            send(SUBMIT_SM | RESP, ESME_RINVDSTADR, sequence, b"\0")
            return
        self._next_id += 1
        msg_id = f"{self._next_id:08x}"
        self.submitted.append(sm)
        send(SUBMIT_SM | RESP, 0, sequence, msg_id.encode() + b"\0")
        task = asyncio.create_task(self._later(sm, msg_id, behaviour, push))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _later(self, sm: ShortMessage, msg_id: str, behaviour: str, push: _Push) -> None:
        await asyncio.sleep(self.reply_delay_s)
        stat, state = ("UNDELIV", 5) if behaviour == "off" else ("DELIVRD", 2)
        if sm.registered_delivery & 0x01:
            now = datetime.now(UTC).strftime("%y%m%d%H%M")
            text = (
                f"id:{msg_id} sub:001 dlvrd:{'001' if state == 2 else '000'} submit date:{now} "
                f"done date:{now} stat:{stat} err:000 text:"
            )
            receipt = ShortMessage(
                source=sm.destination, destination=sm.source, text=text, esm_class=0x04
            )
            push(
                receipt,
                tlv(TLV_RECEIPTED_ID, msg_id.encode() + b"\0")
                + tlv(TLV_MESSAGE_STATE, bytes([state])),
            )
            self.receipts += 1
        offer = _OFFER.search(sm.text)
        match = _ACK.search(sm.text)
        reply = None
        if behaviour in _ANSWERS and offer:
            reply = f"{_ANSWERS[behaviour]} {offer[1]}"
        elif behaviour in ("ack", *_ANSWERS) and match:
            reply = f"ACK {match[1]}"
        if reply is not None:
            await asyncio.sleep(self.reply_delay_s)
            push(ShortMessage(source=sm.destination, destination=self.short_code, text=reply), b"")
            if reply.startswith("ACK "):
                self.replies += 1
            else:
                self.offer_replies += 1
