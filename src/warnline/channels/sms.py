"""SMS over SMPP 3.4 (smpplib), with delivery receipts and "ACK <code>" replies.

One transceiver bind, owned by one worker thread that both submits and reads: smpplib is
blocking and not thread-safe, and reading replies in a second thread races the unbind.
The event loop talks to the thread through a queue and futures. A send is `delivered`
when the receipt says DELIVRD, `failed` on a refused submit or a non-delivered receipt,
`sent` when the centre took it but no receipt came within `receipt_wait_s` (the message
may still arrive; it is not sent again). Mobile-originated messages go to `on_reply`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import re
import select
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp

from warnline.channels.base import Handover, Outbound

log = logging.getLogger("warnline.channels.sms")
_STAT = re.compile(r"stat:(\w+)")
_ID = re.compile(r"id:(\S+)")


def _text(pdu: Any) -> str:
    raw = getattr(pdu, "message_payload", None) or pdu.short_message or b""
    if getattr(pdu, "data_coding", 0) == 0x08:
        return str(raw.decode("utf-16-be"))
    return str(raw.decode("latin-1"))


class SmsChannel:
    name = "sms"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        source: str = "7700",
        on_reply: Callable[[str, str], None] | None = None,
        receipt_wait_s: float = 3.0,
        system_id: str = "warnline",
        password: str = "secret",
    ) -> None:
        self.host, self.port, self.source = host, port, source
        self.on_reply = on_reply
        self.receipt_wait_s = receipt_wait_s
        self.system_id, self.password = system_id, password
        self._jobs: queue.Queue[tuple[Outbound, Future[str], Future[str]] | None] = queue.Queue()
        self._by_seq: dict[int, tuple[Future[str], Future[str]]] = {}
        self._by_id: dict[str, Future[str]] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)

    # -- worker thread -------------------------------------------------------------

    def _connect(self) -> Any:
        # A generous timeout to connect, bind and read one PDU (the centre may be busy);
        # between PDUs the worker waits in select() on the link and a wake-up socket.
        client = smpplib.client.Client(
            self.host, self.port, timeout=5, allow_unknown_opt_params=True
        )
        client.set_message_sent_handler(self._on_submit_resp)
        client.set_message_received_handler(self._on_deliver)
        # A refused submit is an outcome of that message, not a broken link.
        client.set_error_pdu_handler(lambda pdu: None)
        client.connect()
        # Small PDUs back to back (a deliver_sm_resp, then a submit_sm): without this, Nagle's
        # algorithm meets the peer's delayed ACK and each submit waits ~40 ms.
        client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.bind_transceiver(system_id=self.system_id, password=self.password)
        return client

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._client = self._connect()
                self._serve(self._client)
            except (
                smpplib.exceptions.ConnectionError,
                smpplib.exceptions.PDUError,
                OSError,
            ) as exc:
                log.warning("SMPP link to %s:%d lost: %r", self.host, self.port, exc, exc_info=True)
                self._fail_all(f"SMPP link: {type(exc).__name__} {exc}".strip())
                if self._client is not None:
                    with contextlib.suppress(Exception):
                        self._client.disconnect()
                    self._client = None
                self._stop.wait(0.5)  # bounded reconnect pace
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.unbind()
            with contextlib.suppress(Exception):
                self._client.disconnect()

    def _serve(self, client: Any) -> None:
        while not self._stop.is_set():
            while True:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    return
                self._submit(client, *job)
            # Sleep until the centre sends something or a submit is queued (no polling).
            readable, _, _ = select.select([client._socket, self._wake_r], [], [], 30.0)
            if self._wake_r in readable:
                with contextlib.suppress(BlockingIOError):
                    self._wake_r.recv(4096)
            if client._socket in readable:
                client.read_once(auto_send_enquire_link=False)
            elif not readable:
                client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))

    def _submit(
        self, client: Any, out: Outbound, accepted: Future[str], receipt: Future[str]
    ) -> None:
        text = out.message.text
        try:
            payload, coding = text.encode("ascii"), smpplib.consts.SMPP_ENCODING_DEFAULT
        except UnicodeEncodeError:
            payload, coding = text.encode("utf-16-be"), smpplib.consts.SMPP_ENCODING_ISO10646
        pdu = client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr=self.source,
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            destination_addr=out.address.lstrip("+"),
            short_message=b"",
            message_payload=payload,
            data_coding=coding,
            registered_delivery=1,
        )
        self._by_seq[pdu.sequence] = (accepted, receipt)

    def _on_submit_resp(self, pdu: Any) -> None:
        futs = self._by_seq.pop(pdu.sequence, None)
        if futs is None:
            return
        accepted, receipt = futs
        if pdu.status != 0:
            accepted.set_exception(RuntimeError(f"submit refused, status 0x{pdu.status:02x}"))
            return
        msg_id = (
            pdu.message_id.decode() if isinstance(pdu.message_id, bytes) else str(pdu.message_id)
        )
        self._by_id[msg_id] = receipt
        accepted.set_result(msg_id)

    def _on_deliver(self, pdu: Any) -> int:
        text = _text(pdu)
        if pdu.esm_class & 0x04:  # a delivery receipt
            rid = getattr(pdu, "receipted_message_id", None)
            msg_id = rid.decode().rstrip("\0") if isinstance(rid, bytes) else None
            if msg_id is None and (m := _ID.search(text)):
                msg_id = m[1]
            stat = m[1] if (m := _STAT.search(text)) else "UNKNOWN"
            fut = self._by_id.pop(msg_id or "", None)
            if fut is not None and not fut.done():
                fut.set_result(stat)
        elif self.on_reply is not None and self._loop is not None:
            source = (
                pdu.source_addr.decode() if isinstance(pdu.source_addr, bytes) else pdu.source_addr
            )
            self._loop.call_soon_threadsafe(self.on_reply, str(source), text)
        return 0

    def _fail_all(self, reason: str) -> None:
        """The link is down: whatever waits for it fails now (the next step takes over)."""
        waiting = list(self._by_seq.values())
        self._by_seq.clear()
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._stop.set()
                break
            waiting.append((job[1], job[2]))
        for accepted, _ in waiting:
            if not accepted.done():
                accepted.set_exception(RuntimeError(reason))

    # -- event loop side -------------------------------------------------------------

    def start(self) -> None:
        """Bind now (from the event loop whose `on_reply` gets the replies)."""
        self._loop = asyncio.get_running_loop()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="smpp", daemon=True)
            self._thread.start()

    async def send(self, out: Outbound) -> Handover:
        self.start()
        accepted: Future[str] = Future()
        receipt: Future[str] = Future()
        started = time.monotonic()
        self._jobs.put((out, accepted, receipt))
        self._wake_w.send(b"\0")
        try:
            msg_id = await asyncio.wait_for(asyncio.wrap_future(accepted), 5.0)
        except (TimeoutError, RuntimeError) as exc:
            return Handover(outcome="failed", detail=str(exc) or "no submit_sm_resp")
        handoff = time.monotonic() - started
        try:
            stat = await asyncio.wait_for(asyncio.wrap_future(receipt), self.receipt_wait_s)
        except TimeoutError:
            return Handover(
                outcome="sent", detail=f"accepted as {msg_id}, no receipt yet", handoff_s=handoff
            )
        if stat == "DELIVRD":
            return Handover(outcome="delivered", detail=f"{msg_id} stat:DELIVRD", handoff_s=handoff)
        return Handover(outcome="failed", detail=f"{msg_id} stat:{stat}", handoff_s=handoff)

    async def close(self) -> None:
        self._stop.set()
        self._jobs.put(None)
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 3.0)
            self._thread = None
            self._wake_r.close()
            self._wake_w.close()
