"""Voice over SIP/RTP against sipp phones: speech in the recipient's language, keypad 1."""

from __future__ import annotations

from dataclasses import replace

from tests.channels.conftest import outbound
from tests.factories import free_port
from warnline.channels.voice import Trunk, VoiceChannel, missing_tools, speech
from warnline.sim.phones import SipPhones, sipp_missing


def test_system_programs_are_installed() -> None:
    """`make test` installs them (Debian sip-tester, espeak-ng, sox)."""
    assert sipp_missing() is None and missing_tools() == []


def trunk(port: int) -> Trunk:
    low = free_port()
    return Trunk(host="127.0.0.1", port=port, sip_port=free_port(), rtp_low=low, rtp_high=low + 50)


def test_speech_is_8khz_audio_in_the_language() -> None:
    ar = speech("تهديد جوي نحو عمان", "ar")
    en = speech("Aerial threat to Amman", "en")
    assert 4000 < len(ar) < 80000 and 4000 < len(en) < 80000  # 0.5 to 10 s at 8000 bytes/s
    assert ar != en and max(ar) - min(ar) > 50  # not silence


async def test_call_answered_and_acknowledged_with_keypad_1() -> None:
    phones = SipPhones(behaviour="press", port=free_port(), media_port=free_port())
    await phones.start()
    ch = VoiceChannel(trunk=trunk(phones.port), listen_s=6)
    try:
        h = await ch.send(outbound("+000962000001", language="ar"))
    finally:
        await ch.close()
        await phones.stop()
    assert h.outcome == "delivered" and h.acknowledged, h.detail


async def test_call_answered_without_keypress_is_delivered_not_acknowledged() -> None:
    phones = SipPhones(behaviour="listen", port=free_port(), media_port=free_port())
    await phones.start()
    ch = VoiceChannel(trunk=trunk(phones.port), listen_s=2)
    try:
        h = await ch.send(outbound("+000962000001", language="en"))
    finally:
        await ch.close()
        await phones.stop()
    assert h.outcome == "delivered" and not h.acknowledged


async def test_no_phone_system_fails() -> None:
    ch = VoiceChannel(trunk=trunk(free_port()), ring_s=1.5)
    try:
        h = await ch.send(outbound("+1", language="en"))
    finally:
        await ch.close()
    assert h.outcome == "failed"


async def test_offer_call_takes_keypad_2_as_its_answer() -> None:
    """A lead offer's call ends on "1" or "2"; a "2" is a decline, not an acknowledgement."""
    phones = SipPhones(behaviour="decline", port=free_port(), media_port=free_port())
    await phones.start()
    ch = VoiceChannel(trunk=trunk(phones.port), listen_s=6)
    try:
        h = await ch.send(replace(outbound("+000962000002", language="en"), keys=("1", "2")))
        alert_call = await ch.send(outbound("+000962000002", language="en"))
    finally:
        await ch.close()
        await phones.stop()
    assert h.outcome == "delivered" and h.key == "2" and not h.acknowledged, h.detail
    # On an alert's call a "2" means nothing: heard, not acknowledged.
    assert (
        alert_call.outcome == "delivered" and alert_call.key == "" and not alert_call.acknowledged
    )


async def test_calls_are_placed_by_a_worker_process_that_ends_with_the_channel() -> None:
    """pyVoIP's polling threads run in the worker, never in the node's process."""
    import os
    import subprocess
    import sys

    phones = SipPhones(behaviour="press", port=free_port(), media_port=free_port())
    await phones.start()
    ch = VoiceChannel(trunk=trunk(phones.port), listen_s=6)
    try:
        first = await ch.send(outbound("+000962000001", language="en"))
        worker = ch._proc
        assert worker is not None and worker.returncode is None and worker.pid != os.getpid()
        second = await ch.send(outbound("+000962000001", language="en"))
        assert ch._proc is worker  # one worker for the channel's calls
    finally:
        await ch.close()
        await phones.stop()
    assert first.acknowledged and second.acknowledged
    assert worker.returncode == 0  # closing the channel ends it
    code = "import sys, warnline.channels.voice; print('pyVoIP' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


async def test_a_worker_gone_mid_call_fails_that_call_and_the_next_starts_another() -> None:
    phones = SipPhones(behaviour="listen", port=free_port(), media_port=free_port())
    await phones.start()
    ch = VoiceChannel(trunk=trunk(phones.port), listen_s=20)
    try:
        import asyncio

        call = asyncio.create_task(ch.send(outbound("+000962000001", language="en")))
        for _ in range(500):  # bounded: until the worker holds the call
            if ch._pending:
                break
            await asyncio.sleep(0.01)
        first = ch._proc
        assert first is not None
        first.kill()
        h = await asyncio.wait_for(call, 30)
        assert h.outcome == "failed" and "voice worker" in h.detail
        again = await ch.send(outbound("+000962000001", language="en"))
        assert ch._proc is not None and ch._proc is not first
    finally:
        await ch.close()
        await phones.stop()
    assert again.outcome == "delivered"
