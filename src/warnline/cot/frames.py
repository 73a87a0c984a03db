"""One partner's CoT stream: what changed in its released picture since the last push.

`PictureFrames.frame` turns one released picture (tracks, live alerts) into the bytes
to send: every event whose content changed, every unchanged one whose last copy is
older than `refresh_s` (so it never goes stale while it lasts), and a deletion for each
event that left the picture (an ended track, a cancelled alert). `snapshot` is every
current event, for a client that connects between pushes. Pure: the caller passes the
time and the released views; nothing here reads the node.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from warnline.cot.encode import DELETE_TYPE, Cot, alert_events, deletion, track_events

__all__ = ["Frame", "PictureFrames"]


@dataclass(frozen=True, slots=True)
class Frame:
    data: bytes  # the events, one after another (TAK's XML stream framing)
    events: int
    counts: Counter[str] = field(default_factory=Counter)  # by what: track, shape, ...


class PictureFrames:
    def __init__(
        self,
        *,
        coast_after_s: float = 15.0,
        drop_after_s: float = 60.0,
        alert_stale_s: float = 30.0,
        refresh_s: float = 5.0,
    ) -> None:
        self.coast_after_s = coast_after_s
        self.drop_after_s = drop_after_s
        self.alert_stale_s = alert_stale_s
        self.refresh_s = refresh_s
        self._current: dict[str, tuple[Cot, datetime, bytes]] = {}  # uid -> event, sent, bytes

    def frame(self, picture: dict[str, Any], alerts: list[dict[str, Any]], now: datetime) -> Frame:
        events: list[Cot] = []
        for track in picture["tracks"]:
            events += track_events(
                track, coast_after_s=self.coast_after_s, drop_after_s=self.drop_after_s
            )
        for alert in alerts:
            events += alert_events(alert, now=now, stale_s=self.alert_stale_s)
        out: list[bytes] = []
        counts: Counter[str] = Counter()
        seen: dict[str, tuple[Cot, datetime, bytes]] = {}
        due = now - timedelta(seconds=self.refresh_s)
        for ev in events:
            old = self._current.get(ev.uid)
            if old is not None and old[0].key == ev.key and old[1] > due:
                seen[ev.uid] = old
                continue
            data = ev.render(now)
            seen[ev.uid] = (ev, now, data)
            out.append(data)
            counts[_what(ev)] += 1
        for uid, (ev, _, _) in self._current.items():
            if uid not in seen:
                out.append(deletion(uid, ev.type, now=now).render(now))
                counts["deletion"] += 1
        self._current = seen
        return Frame(data=b"".join(out), events=len(out), counts=counts)

    def snapshot(self) -> bytes:
        """Every event now current, as last sent."""
        return b"".join(data for _, _, data in self._current.values())

    def uids(self) -> set[str]:
        return set(self._current)


def _what(ev: Cot) -> str:
    if ev.type.startswith("a-"):
        return "track"
    if ev.type == DELETE_TYPE:
        return "deletion"
    return "alert" if ev.type.startswith("b-a") else "shape"
