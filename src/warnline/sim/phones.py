"""Duty officers' SIP phones for tests and the exercise: Debian's sipp as the answering
user agent, one process per behaviour ("press": answers and presses 1, RFC 4733, after
listening a moment; "decline": the same with 2, a commander turning a lead offer down;
"listen": answers, hears the warning, never presses).

Real SIP and RTP on 127.0.0.1; started and stopped by their own process ids. Each sipp
runs in a process group of its own: a Ctrl-C typed at the terminal reaches only the
exercise, which stops its phones in order, and `kill_all` can end every one at once
(a second Ctrl-C) without touching the terminal's own process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

DTMF_1 = Path("/usr/share/sip-tester/dtmf_2833_1.pcap")
DTMF_2 = Path("/usr/share/sip-tester/dtmf_2833_2.pcap")
KEY_OF = {"press": DTMF_1, "decline": DTMF_2}  # behaviour -> the keypad capture it plays
_LIVE: set[int] = set()  # process groups of running sipp processes (their leaders' pids)


def track(pgid: int) -> None:
    """Another exercise process group for `kill_all` (the partners' systems)."""
    _LIVE.add(pgid)


def untrack(pgid: int) -> None:
    _LIVE.discard(pgid)


def kill_all() -> None:
    """SIGKILL every sipp process group still running (synchronous: safe from a signal
    handler just before the process exits at once; the kernel reaps them after)."""
    for pgid in list(_LIVE):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        _LIVE.discard(pgid)


def sipp_missing() -> str | None:
    """Why phones cannot run here (None when they can)."""
    if shutil.which("sipp") is None:
        return "sipp is not installed (Debian package sip-tester)"
    for capture in KEY_OF.values():
        if not capture.exists():
            return f"{capture} is missing (Debian package sip-tester)"
    return None


def scenario(capture: Path | None, press_after_ms: int) -> str:
    """The phone's sipp scenario; `capture` is the keypad press it plays, if any."""
    text = resources.files("warnline.sim").joinpath("data/duty_phone.xml").read_text()
    action = f'<nop><action><exec play_pcap_audio="{capture}"/></action></nop>' if capture else ""
    return text.replace("PRESS_AFTER_MS", str(press_after_ms)).replace("  PRESS\n", f"  {action}\n")


@dataclass
class SipPhones:
    """One sipp process for `behaviour` listening on 127.0.0.1:`port`."""

    behaviour: str  # "press", "decline" or "listen"
    port: int
    media_port: int
    press_after_ms: int = 800
    lifetime_s: int = 3600  # sipp ends by itself after this, should stop() never run
    _proc: asyncio.subprocess.Process | None = None
    _dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="warnline-sipp-")))

    async def start(self) -> None:
        path = self._dir / f"{self.behaviour}.xml"
        path.write_text(scenario(KEY_OF.get(self.behaviour), self.press_after_ms))
        self._proc = await asyncio.create_subprocess_exec(
            "sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(self.port),
            "-mi", "127.0.0.1", "-mp", str(self.media_port), "-nostdin",
            "-timeout", f"{self.lifetime_s}s",
            cwd=self._dir,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            process_group=0,
        )  # fmt: skip
        _LIVE.add(self._proc.pid)
        await asyncio.sleep(0.3)  # sipp binds before it reads the network
        if self._proc.returncode is not None:
            raise RuntimeError(f"sipp exited with {self._proc.returncode}")

    async def stop(self) -> None:
        """End the process group (sipp and anything it started) and reap sipp."""
        if self._proc is not None:
            pgid = self._proc.pid
            if self._proc.returncode is None:
                self._signal(signal.SIGTERM)  # the group: sipp and anything it started
                try:
                    await asyncio.wait_for(self._proc.wait(), 3)
                except TimeoutError:
                    self._signal(signal.SIGKILL)
                    await self._proc.wait()
            _LIVE.discard(pgid)
        with contextlib.suppress(OSError):
            shutil.rmtree(self._dir)

    def _signal(self, sig: signal.Signals) -> None:
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, sig)
