"""ASTERIX out: CAT062 system tracks of a partner's released picture, over UDP, for an
air-defence centre that takes only ASTERIX (`[[asterix_out]]`; decision 76).

    [[asterix_out]]
    partner = "ISR"          # whose released picture: exactly what ISR's console is shown
    host = "127.0.0.1"       # where its centre listens (off loopback: ISR's own link)
    port = 8601
    sac = 250                # the node's own SAC/SIC in the records
    sic = 1
    edition = "1.20"         # CAT062 edition agreed with the receiver (not in the bytes)
    period_s = 4             # one picture per period (wall seconds)

The picture is `ReleasedViews.picture_for(partner)`: the release stage is the only path, so
a track, a field (altitude, velocity, accuracy withheld) or a source the partner may not
see is never encoded. Confirmed tracks only. A track that leaves the released picture is
sent once more with I062/080 TSE (track service end). Identity and kind have no item in
CAT062 beyond a friendly Mode 4 answer: a friend goes out with MD4 friendly; the rest of
what the console shows (kind, identity, sources) stays in Warnline's own formats.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warnline.agreement.asterix import EDITIONS
from warnline.errors import ConfigError
from warnline.ingest.asterix import FT, TICKS_PER_S, extended, pack, spec
from warnline.node import Node
from warnline.serve.text import did_you_mean

KEYS = ("partner", "host", "port", "sac", "sic", "edition", "period_s")
MAX_TRACK_NUMBER = 65_535
ALT_MAX_M = 150_000 * FT  # I062/130's range


@dataclass(frozen=True, kw_only=True)
class AsterixOutConfig:
    partner: str
    host: str
    port: int
    sac: int
    sic: int
    edition: str = "1.20"
    period_s: float = 4.0


def parse_asterix_out(raw: Any, path: Path) -> tuple[AsterixOutConfig, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ConfigError(f"{path}: asterix_out: must be an array of tables ([[asterix_out]])")
    out = []
    for i, t in enumerate(raw):
        where = f"{path}: asterix_out[{i}]"
        for key in sorted(set(t) - set(KEYS)):
            raise ConfigError(f"{where}: unknown key {key}{did_you_mean(key, KEYS)}")
        partner = t.get("partner")
        if not isinstance(partner, str) or len(partner) != 3 or not partner.isupper():
            raise ConfigError(f"{where}.partner {partner!r}: must be a partner code (e.g. ISR)")
        host = t.get("host", "127.0.0.1")
        if not isinstance(host, str) or not host:
            raise ConfigError(f"{where}.host {host!r}: must be a non-empty string")
        ints = {}
        for key, low, high in (("port", 1, 65535), ("sac", 0, 255), ("sic", 0, 255)):
            v = t.get(key)
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                raise ConfigError(f"{where}.{key} {v!r}: must be a whole number {low}..{high}")
            ints[key] = v
        edition = t.get("edition", "1.20")
        if edition not in EDITIONS[62]:
            raise ConfigError(
                f"{where}.edition {edition!r}: CAT062 edition, one of {', '.join(EDITIONS[62])}"
            )
        period = t.get("period_s", 4.0)
        if isinstance(period, bool) or not isinstance(period, int | float) or period <= 0:
            raise ConfigError(f"{where}.period_s {period!r}: must be a positive number")
        out.append(
            AsterixOutConfig(
                partner=partner, host=host, edition=edition, period_s=float(period), **ints
            )
        )
    return tuple(out)


class PictureEncoder:
    """Released track views to CAT062 records, with stable track numbers."""

    def __init__(self, edition: str, sac: int, sic: int) -> None:
        self.spec = spec(62, edition)
        self.sac, self.sic = sac, sic
        self._numbers: dict[str, int] = {}
        self._live: dict[str, dict[str, Any]] = {}  # last sent view of each live track
        self._status = self.spec.cv_record.spec("080").cv_rule.cv_variation

    def number(self, track_id: str) -> int:
        n = self._numbers.get(track_id)
        if n is None:
            n = len(self._numbers) % MAX_TRACK_NUMBER + 1
            self._numbers[track_id] = n
        return n

    def records(self, picture: dict[str, Any]) -> tuple[list[bytes], int]:
        """(records for this picture, how many of them end a track)."""
        now = datetime.fromisoformat(picture["at"])
        out, seen = [], set()
        for view in picture["tracks"]:
            seen.add(view["track_id"])
            self._live[view["track_id"]] = view
            out.append(self._record(view, ended=False))
        gone = [t for t in self._live if t not in seen]
        for track_id in gone:
            view = self._live.pop(track_id)
            out.append(self._record(view | {"updated_at": now.isoformat()}, ended=True))
        return out, len(gone)

    def _record(self, view: dict[str, Any], *, ended: bool) -> bytes:
        pos, vel, sigma = view["position"], view["velocity"], view["sigma_m"]
        status = {"CNF": 0}
        if ended:
            status["TSE"] = 1
        if view["identity"] == "friend":
            status["MD4"] = 1
        items: dict[str, Any] = {
            "010": (("SAC", self.sac), ("SIC", self.sic)),
            "070": _ticks(datetime.fromisoformat(view["updated_at"])),
            "105": (("LAT", (float(pos["lat"]), "°")), ("LON", (float(pos["lon"]), "°"))),
            "040": self.number(view["track_id"]),
            "080": extended(self._status, status),
        }
        alt = pos.get("alt_m")
        if alt is not None and -1_500 * FT <= alt <= ALT_MAX_M:
            items["130"] = (float(alt) / FT, "ft")
        if vel is not None:
            items["185"] = (
                ("VX", (_clip(vel["east"]), "m/s")),
                ("VY", (_clip(vel["north"]), "m/s")),
            )
        if sigma is not None:
            s = min(float(sigma), 8000.0)
            items["500"] = {"APC": (("X", (s, "m")), ("Y", (s, "m")))}
        raw: bytes = self.spec.cv_record.create(items).unparse().to_bytes()
        return raw


def _ticks(at: datetime) -> int:
    at = at.astimezone(UTC)
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return int((at - midnight).total_seconds() * TICKS_PER_S) % (86_400 * TICKS_PER_S)


def _clip(v: float) -> float:
    return max(-8191.0, min(8191.0, float(v)))


class Sender:
    """One [[asterix_out]]: the partner's released picture every period, over UDP."""

    def __init__(self, cfg: AsterixOutConfig, node: Node) -> None:
        self.cfg = cfg
        self.node = node
        self.encoder: PictureEncoder | None = None
        self.datagrams = 0
        self.records = 0
        self.ended = 0
        self.pictures = 0
        self.last_error: str | None = None
        self.up = False
        self._sock: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return f"asterix-out udp://{self.cfg.host}:{self.cfg.port}"

    async def start(self) -> None:
        self.encoder = await asyncio.to_thread(
            PictureEncoder, self.cfg.edition, self.cfg.sac, self.cfg.sic
        )
        family = socket.AF_INET6 if ":" in self.cfg.host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._task = asyncio.create_task(self._run())
        self.up = True

    async def stop(self) -> None:
        self.up = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._sock is not None:
            self._sock.close()

    async def _run(self) -> None:
        while True:
            # The picture is taken on the loop (the node's state between two turns); the
            # encoding, ~0.2 ms of CPU per track, in a thread.
            picture = self.node.views.picture_for(self.cfg.partner, tentative=False)
            try:
                await asyncio.to_thread(self.send, picture)
            except OSError as exc:  # the receiver's network, not ours to stop for
                self.last_error = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(self.cfg.period_s)

    def send_once(self) -> int:
        """Encode and send the partner's released picture now; returns the records."""
        return self.send(self.node.views.picture_for(self.cfg.partner, tentative=False))

    def send(self, picture: dict[str, Any]) -> int:
        assert self.encoder is not None and self._sock is not None
        records, ended = self.encoder.records(picture)
        datagrams = pack([(62, r) for r in records])
        for d in datagrams:
            self._sock.sendto(d, (self.cfg.host, self.cfg.port))
        self.pictures += 1
        self.datagrams += len(datagrams)
        self.records += len(records)
        self.ended += ended
        return len(records)

    def health(self) -> dict[str, Any]:
        return {
            "channel": self.name,
            "label": f"ASTERIX CAT062 to {self.cfg.partner}",
            "partners": [self.cfg.partner],
            "status": "ok" if self.up else "down",
            "pictures": self.pictures,
            "datagrams": self.datagrams,
            "records": self.records,
            "ended": self.ended,
            "last_error": self.last_error,
        }


def check_out_partners(outs: tuple[AsterixOutConfig, ...], partners: set[str], path: Path) -> None:
    for i, cfg in enumerate(outs):
        if cfg.partner not in partners:
            raise ConfigError(f"{path}: asterix_out[{i}].partner: unknown partner {cfg.partner}")


__all__ = [
    "AsterixOutConfig",
    "PictureEncoder",
    "Sender",
    "check_out_partners",
    "parse_asterix_out",
]
