"""Placing one voice call with pyVoIP: the engine behind `VoiceChannel`, run in the voice
worker process (`channels/voice_worker.py`), never in the node's own.

pyVoIP places the call (it REGISTERs with the trunk first, sends PCMU it encodes from 8-bit
unsigned linear audio at 8 kHz, and reports RFC 4733 telephone-events); espeak-ng speaks
the message in the recipient's language (a partner's phoneme prompt `[[...]]` where plain
text reads badly) and sox resamples it to 8 kHz. pyVoIP is thread-based, with threads that
poll their sockets: in the node's process they took about a third of its CPU (and of its
interpreter lock) whenever calls were up, so they live in a process of their own.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from warnline.channels.base import Handover

SOX_TO_8K = (
    "sox", "-t", "wav", "-", "-t", "raw", "-r", "8000", "-e", "unsigned-integer",
    "-b", "8", "-c", "1",
)  # fmt: skip
ESPEAK_VOICES = {"en": "en", "ar": "ar", "he": "he"}


def missing_tools() -> list[str]:
    """System programs voice needs that are not installed (Debian: espeak-ng, sox)."""
    return [t for t in ("espeak-ng", "sox") if shutil.which(t) is None]


@functools.lru_cache(maxsize=256)
def speech(text: str, language: str) -> bytes:
    """`text` spoken by espeak-ng, as 8 kHz 8-bit unsigned mono (what pyVoIP encodes)."""
    voice = ESPEAK_VOICES.get(language, "en")
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "--stdout", text],
        capture_output=True,
        check=True,
        timeout=20,
    ).stdout
    raw = subprocess.run(
        [*SOX_TO_8K, "-"],
        input=wav,
        capture_output=True,
        check=True,
        timeout=20,
    ).stdout
    return raw


@dataclass(frozen=True, kw_only=True)
class Trunk:
    """A SIP server calls go through, and the local ports this node uses for it."""

    host: str
    port: int
    sip_port: int
    rtp_low: int
    rtp_high: int
    username: str = "warnline"
    password: str = "warnline"


@dataclass(frozen=True, kw_only=True)
class Call:
    """One call to place: the number, what to say in which language, the keys that end it."""

    number: str
    spoken: str
    language: str
    keys: tuple[str, ...]


class Calls:
    """The phones (one registration per trunk, kept) and the calls placed through them;
    thread-safe: each call runs in a thread of its own."""

    def __init__(
        self,
        *,
        trunk: Trunk,
        routes: Mapping[str, Trunk] | None = None,
        local_ip: str = "127.0.0.1",
        ring_s: float = 15.0,
        listen_s: float = 10.0,
    ) -> None:
        self.trunk = trunk
        self.routes = dict(routes or {})
        self.local_ip = local_ip
        self.ring_s = ring_s
        self.listen_s = listen_s
        self._phones: dict[Trunk, Any] = {}
        self._lock = threading.Lock()

    def _phone(self, trunk: Trunk) -> Any:
        from pyVoIP.VoIP import PhoneStatus, VoIPPhone  # only ever in the worker process

        with self._lock:
            phone = self._phones.get(trunk)
            if phone is None:
                phone = VoIPPhone(
                    trunk.host,
                    trunk.port,
                    trunk.username,
                    trunk.password,
                    myIP=self.local_ip,
                    sipPort=trunk.sip_port,
                    rtpPortLow=trunk.rtp_low,
                    rtpPortHigh=trunk.rtp_high,
                )
                # pyVoIP waits 30 s per REGISTER try by default: a dead trunk must fail fast.
                phone.sip.register_timeout = max(1, min(int(self.ring_s), 3))
                phone.start()
                if phone.get_status() is not PhoneStatus.REGISTERED:
                    phone.stop()
                    raise RuntimeError(f"SIP trunk {trunk.host}:{trunk.port} did not register us")
                self._phones[trunk] = phone
            return phone

    def place(self, c: Call) -> Handover:
        from pyVoIP.VoIP import CallState

        started = time.monotonic()  # hand-off counts speech, registration and ringing
        number = c.number.lstrip("+")
        trunk = self.routes.get(number, self.trunk)
        try:
            audio = speech(c.spoken, c.language)
            phone = self._phone(trunk)
            call = phone.call(number)
        except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
            return Handover(outcome="failed", detail=f"{type(exc).__name__}: {exc}")
        try:
            deadline = time.monotonic() + self.ring_s
            while call.state not in (CallState.ANSWERED, CallState.ENDED):
                if time.monotonic() > deadline:
                    return Handover(outcome="failed", detail="no answer")
                time.sleep(0.02)
            if call.state is CallState.ENDED:
                return Handover(outcome="failed", detail="call refused or ended")
            answered = time.monotonic() - started
            call.write_audio(audio)
            deadline = time.monotonic() + self.listen_s
            while time.monotonic() < deadline and call.state is CallState.ANSWERED:
                key = call.get_dtmf()
                if key in c.keys:
                    return Handover(
                        outcome="delivered",
                        detail=f"answered, {key} pressed",
                        acknowledged=key == "1",
                        key=key,
                    )
                time.sleep(0.02)
            return Handover(
                outcome="delivered", detail="answered, not acknowledged", handoff_s=answered
            )
        except Exception as exc:  # pyVoIP raises plain exceptions from its threads
            return Handover(outcome="failed", detail=f"{type(exc).__name__}: {exc}")
        finally:
            if call.state is CallState.ANSWERED:
                with contextlib.suppress(Exception):  # already gone: nothing more to do
                    call.hangup()

    def close(self) -> None:
        phones, self._phones = list(self._phones.values()), {}
        for phone in phones:
            with contextlib.suppress(Exception):
                phone.stop()
