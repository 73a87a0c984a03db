"""The console's alarm sound, made from numbers so anyone can rebuild the shipped file.

`python -m warnline.console.alarm` writes `static/alarm.wav`: 16-bit mono PCM at
16 kHz, 0.9 s, two rising 960 Hz / 1280 Hz bursts of a square-ish wave (the fundamental
and its third and fifth harmonics: easy to hear over a room's noise, no click at the
edges thanks to a 10 ms ramp). Only integer arithmetic and `math.sin` go into it, so the
bytes are the same on every machine; a test rebuilds them and compares with the file.
"""

from __future__ import annotations

import io
import math
import sys
import wave
from importlib.resources import files
from pathlib import Path

RATE = 16_000
BURSTS = ((0.00, 0.36, 960.0), (0.45, 0.81, 1280.0))  # start s, end s, Hz
LENGTH_S = 0.9
RAMP_S = 0.01
PEAK = 0.6 * 32767


def samples() -> list[int]:
    out = []
    for n in range(int(RATE * LENGTH_S)):
        t = n / RATE
        value = 0.0
        for start, end, hz in BURSTS:
            if start <= t < end:
                ramp = min(1.0, (t - start) / RAMP_S, (end - t) / RAMP_S)
                phase = 2 * math.pi * hz * (t - start)
                wave_ = math.sin(phase) + math.sin(3 * phase) / 3 + math.sin(5 * phase) / 5
                value = ramp * wave_ / 1.2
        out.append(round(PEAK * value))
    return out


def wav_bytes() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples()))
    return buf.getvalue()


def shipped() -> Path:
    return Path(str(files("warnline.console") / "static" / "alarm.wav"))


def main() -> int:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else shipped()
    target.write_bytes(wav_bytes())
    print(f"wrote {target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
