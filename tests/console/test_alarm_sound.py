"""The shipped alarm sound is exactly what its generator makes (rebuild it with
`python -m warnline.console.alarm`), and is a sound worth hearing."""

from __future__ import annotations

import io
import wave

from warnline.console.alarm import LENGTH_S, RATE, shipped, wav_bytes


def test_shipped_alarm_is_reproducible() -> None:
    assert shipped().read_bytes() == wav_bytes()


def test_alarm_is_short_loud_mono_pcm() -> None:
    with wave.open(io.BytesIO(shipped().read_bytes())) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        assert w.getnframes() == int(RATE * LENGTH_S)
        frames = w.readframes(w.getnframes())
    samples = [
        int.from_bytes(frames[i : i + 2], "little", signed=True) for i in range(0, len(frames), 2)
    ]
    assert max(abs(s) for s in samples) > 12_000  # loud
    assert samples[0] == 0 and abs(samples[-1]) < 500  # ramps in and out: no click
