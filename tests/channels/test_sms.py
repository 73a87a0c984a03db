"""SMS over SMPP 3.4 against the loopback message centre: UCS-2 text, receipts, replies."""

from __future__ import annotations

import asyncio

from tests.channels.conftest import outbound
from tests.factories import free_port
from warnline.channels.sms import SmsChannel
from warnline.sim.smsc import Smsc


async def test_arabic_sms_delivered_with_receipt_and_ack_reply() -> None:
    smsc = Smsc(phones={"000962000001": "ack"})
    port = await smsc.start()
    replies: list[tuple[str, str]] = []
    ch = SmsChannel(host="127.0.0.1", port=port, on_reply=lambda n, t: replies.append((n, t)))
    try:
        h = await ch.send(outbound("+000962000001", language="ar", code="424242"))
        for _ in range(100):  # bounded wait for the reply
            if replies:
                break
            await asyncio.sleep(0.02)
    finally:
        await ch.close()
        await smsc.stop()
    assert h.outcome == "delivered" and "DELIVRD" in h.detail
    (sm,) = smsc.submitted
    assert "تهديد جوي" in sm.text and "ACK 424242" in sm.text  # UCS-2 survived the trip
    assert replies == [("000962000001", "ACK 424242")]


async def test_unreachable_phone_and_unknown_number_fail() -> None:
    smsc = Smsc(phones={"1": "off"})
    port = await smsc.start()
    ch = SmsChannel(host="127.0.0.1", port=port)
    try:
        off = await ch.send(outbound("+1", language="en"))
        unknown = await ch.send(outbound("+2", language="en"))
    finally:
        await ch.close()
        await smsc.stop()
    assert off.outcome == "failed" and "UNDELIV" in off.detail
    assert unknown.outcome == "failed" and "0x0b" in unknown.detail
    assert smsc.binds == 1  # one bind served every message


async def test_dead_message_centre_fails_fast() -> None:
    ch = SmsChannel(host="127.0.0.1", port=free_port())
    try:
        h = await ch.send(outbound("+1"))
    finally:
        await ch.close()
    assert h.outcome == "failed"
