"""How a node paces itself: the figures its loops, retries and snapshots run by."""

from __future__ import annotations

from dataclasses import dataclass

READ_CHUNK = 2000  # journal entries folded per turn of the decision loop (decision 61)


@dataclass(frozen=True, kw_only=True)
class NodeSettings:
    tick_s: float = 0.5  # scenario seconds between clock ticks
    speed: float = 1.0  # scenario seconds per wall second (the exercise runs faster)
    retry_s: float = 10.0  # wall seconds a console has to send its receipt before a resend
    picture_push_s: float = 1.0  # wall seconds between picture pushes to consoles
    min_tick_gap_s: float = 0.02  # wall seconds: the soonest a submission brings a tick
    idle_tick_s: float = 10.0  # scenario seconds between ticks when nothing is in the air
    max_lag_s: float = 1.0  # wall seconds a loop may fall behind before health degrades
    shed_lag_s: float = 1.0  # decisions this far behind: partners over twice their share wait
    console_send_deadline_s: float = 5.0  # a console that takes no message for this is dropped
    snapshot_entries: int = 20_000  # journal entries folded between two snapshots, at most
    snapshot_s: float = 60.0  # wall seconds between snapshots while entries keep coming
    picture_process: bool = False  # correlate in a child process (`picture.remote`)
