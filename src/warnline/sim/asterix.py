"""A partner's air-defence system speaking ASTERIX in the exercise (decision 76).

Its system-track sensor sends CAT062, its plot radar CAT048, both encoded with
`libasterix` in the editions of the agreement, over UDP to the node's ASTERIX listener for
the partner. What the sim's report says that ASTERIX cannot (kind, and identity other
than a friendly Mode 4 answer) is left out: the agreement's defaults for the sensor say
it at the node. A track's first report goes out tentative (I062/080 CNF), as a real
tracker's does; a false plot goes out as a tentative track of its own, or a plot
without a track number.

UDP gives no answer: a report the node journals is known by its id, which the sender can
compute (`warnline.ingest.asterix.report_id`).
"""

from __future__ import annotations

import asyncio
import math
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from warnline.agreement.model import AsterixSensor, AsterixSettings
from warnline.domain import Clock, Identity, Report
from warnline.ingest.asterix import (
    FT,
    GEOD,
    NM,
    TICKS_PER_S,
    AsterixDecoder,
    Reason,
    extended,
    pack,
    report_id,
    spec,
)

# I062/130's range is 150,000 ft (45.7 km), and CAT062 has no altitude item that goes
# higher: a ballistic missile above it goes out without altitude (not measured).
GEOMETRIC_MAX_M = 150_000 * FT
FL_MAX = 1_270.0  # I048/090's range (flight levels)
RHO_MAX_NM = 255.9  # I048/040's range


@dataclass
class Encoder:
    """One partner's sensors' reports to ASTERIX records, in the agreed editions."""

    settings: AsterixSettings
    _tracks: dict[str, int] = field(default_factory=dict)  # sensor track -> number
    _seen: set[str] = field(default_factory=set)  # sensor tracks already confirmed

    def sensor(self, sensor_id: str) -> AsterixSensor | None:
        return next((s for s in self.settings.sensors if s.sensor == sensor_id), None)

    def category(self, sensor: AsterixSensor) -> int:
        """The category a sensor sends: CAT062 from the first sensor when CAT062 is
        agreed, CAT048 from the others when CAT048 is."""
        eds = self.settings.editions
        if 62 in eds and (48 not in eds or sensor is self.settings.sensors[0]):
            return 62
        return 48

    def record(self, report: Report) -> tuple[int, bytes, str] | None:
        """(category, record bytes, the report id the node will give it), or None when
        ASTERIX cannot carry it (a plot beyond I048/040's range)."""
        sensor = self.sensor(report.sensor)
        if sensor is None:
            return None
        cat = self.category(sensor)
        ticks = _ticks(report.observed_at)
        edition = self.settings.editions[cat]
        s = spec(cat, edition)
        items = (
            self._cat062(s, sensor, report, ticks)
            if cat == 62
            else self._cat048(s, sensor, report, ticks)
        )
        if items is None:
            return None
        raw: bytes = s.cv_record.create(items).unparse().to_bytes()
        return (
            cat,
            raw,
            f"{report.partner}/{report_id(sensor.sensor, report.observed_at, ticks, raw)}",
        )

    def _number(self, report: Report, modulo: int) -> int:
        key = report.sensor_track or f"{report.sensor}:clutter:{report.report_id}"
        return self._tracks.setdefault(key, len(self._tracks) % modulo + 1)

    def _cat062(
        self, s: Any, sensor: AsterixSensor, r: Report, ticks: int
    ) -> dict[str, Any] | None:
        rec = s.cv_record
        tentative = r.sensor_track is None or r.sensor_track not in self._seen
        if r.sensor_track is not None:
            self._seen.add(r.sensor_track)
        status = {"CNF": int(tentative)}
        if r.identity is Identity.FRIEND:
            status["MD4"] = 1
        items: dict[str, Any] = {
            "010": (("SAC", sensor.sac), ("SIC", sensor.sic)),
            "070": ticks,
            "105": (("LAT", (r.position.lat, "°")), ("LON", (r.position.lon, "°"))),
            "040": self._number(r, 65_535),
            "080": extended(rec.spec("080").cv_rule.cv_variation, status),
            "500": {
                "APC": (
                    ("X", (min(r.accuracy_m, 8000.0), "m")),
                    ("Y", (min(r.accuracy_m, 8000.0), "m")),
                )
            },
        }
        if r.altitude_measured and -1_500 * FT <= r.position.alt_m <= GEOMETRIC_MAX_M:
            items["130"] = (r.position.alt_m / FT, "ft")
        if r.velocity is not None:
            items["185"] = (
                ("VX", (_clip(r.velocity.east, 8191.0), "m/s")),
                ("VY", (_clip(r.velocity.north, 8191.0), "m/s")),
            )
        return items

    def _cat048(
        self, s: Any, sensor: AsterixSensor, r: Report, ticks: int
    ) -> dict[str, Any] | None:
        rec = s.cv_record
        az, _, ground = GEOD.inv(sensor.lon, sensor.lat, r.position.lon, r.position.lat)
        measured = r.altitude_measured and -12 <= r.position.alt_m / FT / 100 <= FL_MAX
        dh = (r.position.alt_m - sensor.alt_m) if measured else 0.0
        rho_nm = math.hypot(ground, dh) / NM
        if rho_nm > RHO_MAX_NM:
            return None
        descriptor = {"TYP": 1}  # a single primary radar detection
        if r.identity is Identity.FRIEND:
            descriptor["FOEFRI"] = 1
        items: dict[str, Any] = {
            "010": (("SAC", sensor.sac), ("SIC", sensor.sic)),
            "140": ticks,
            "020": extended(rec.spec("020").cv_rule.cv_variation, descriptor),
            "040": (("RHO", (rho_nm, "NM")), ("THETA", (az % 360.0, "°"))),
        }
        if measured:
            items["090"] = (("V", 0), ("G", 0), ("FL", (r.position.alt_m / FT / 100, "FL")))
        if r.sensor_track is not None:
            items["161"] = (0, ("TRN", self._number(r, 4095)))
        if r.velocity is not None:
            gsp = math.hypot(r.velocity.east, r.velocity.north) / NM
            hdg = math.degrees(math.atan2(r.velocity.east, r.velocity.north)) % 360.0
            items["200"] = (("GSP", (min(gsp, 3.99), "NM/s")), ("HDG", (hdg, "°")))
        return items


def blocks(settings: AsterixSettings, records: Sequence[tuple[int, bytes]]) -> list[bytes]:
    """Records packed into datagrams of whole blocks, each under MAX_DATAGRAM bytes."""
    return pack(records)


def _ticks(at: datetime) -> int:
    at = at.astimezone(UTC)
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return int((at - midnight).total_seconds() * TICKS_PER_S) % (86_400 * TICKS_PER_S)


def _clip(v: float, bound: float) -> float:
    return max(-bound, min(bound, v))


class UdpSender:
    """Datagrams to one address, from one socket (the partner's sensor network)."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sent_datagrams = 0

    def send(self, datagrams: Sequence[bytes]) -> None:
        for d in datagrams:
            self.sock.sendto(d, self.address)
            self.sent_datagrams += 1

    def close(self) -> None:
        self.sock.close()


HUB_SAC, HUB_SIC = 250, 1  # the exercise node's own SAC/SIC in what it sends
EXERCISE_HUB_ASTERIX = AsterixSettings(
    editions={62: "1.20"},
    sensors=(AsterixSensor(sac=HUB_SAC, sic=HUB_SIC, sensor="warnline", lat=0.0, lon=0.0),),
)


class Centre(asyncio.DatagramProtocol):
    """A partner's air-defence centre that takes only ASTERIX: it receives the node's
    CAT062 of its released picture ([[asterix_out]]) and decodes it as any receiver
    would, in the agreed edition, with the node's SAC/SIC as its one sensor."""

    def __init__(self, partner: str, settings: AsterixSettings, clock: Clock) -> None:
        self.partner = partner
        self.decoder = AsterixDecoder(partner, settings)
        self.clock = clock
        self.datagrams = 0
        self.records = 0
        self.tracks: set[str] = set()
        self.faults: Counter[str] = Counter()

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.datagrams += 1
        out = self.decoder.decode(data, now=self.clock.now())
        self.records += len(out.reports) + out.faults[Reason.SKIPPED]
        self.tracks.update(r.sensor_track for r in out.reports if r.sensor_track)
        self.faults.update(out.faults)

    def summary(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "datagrams": self.datagrams,
            "records": self.records,
            "tracks": len(self.tracks),
            "ended": self.faults[Reason.SKIPPED],  # TSE: the node ended the track
            "faults": {k: v for k, v in sorted(self.faults.items()) if k != Reason.SKIPPED},
        }


async def open_centre(
    partner: str, settings: AsterixSettings, clock: Clock, host: str
) -> tuple[asyncio.DatagramTransport, Centre]:
    """A Centre on a free UDP port of `host` (its port: transport's sockname)."""
    loop = asyncio.get_running_loop()
    transport, centre = await loop.create_datagram_endpoint(
        lambda: Centre(partner, settings, clock), local_addr=(host, 0)
    )
    return transport, centre
