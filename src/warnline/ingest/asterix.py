"""EUROCONTROL ASTERIX in: CAT062 system tracks and CAT048 radar plots become a
partner's reports (decision 76).

The bytes are parsed by `libasterix` (specification-driven, every edition generated from
the specifications) in the edition the agreement names for the partner: the edition is
not in the bytes. What Warnline writes itself is only the framing every datagram or
stream needs before any parser sees it - `split_blocks` walks the blocks by their own
CAT/LEN header, so a hostile length is refused here and a datagram of thousands of tiny
blocks does not hit the library's recursive block walk - and the mapping of items to a
`Report`:

- CAT062: I062/010 (SAC/SIC -> the partner's sensor), I062/070 (time of track info),
  I062/105 (WGS-84) or I062/100 (Cartesian from the sensor's reference point),
  I062/130, then /135, then /136 (altitude), I062/185 (Vx, Vy), I062/040 (track number),
  I062/080 (tentative -> the sensor's tentative identity, by default pending; coasted,
  simulated or ended -> no report; Mode 4 friendly -> friend), I062/500 APC (accuracy),
  I062/380 ADR/ID or I062/390 CS (an aircraft, when the sensor's default kind is unknown).
- CAT048: I048/010, I048/140 (time of day), I048/040 (rho, theta from the radar), I048/090
  (flight level, unless not validated or garbled), I048/200 (ground speed, heading),
  I048/161 (track number), I048/020 (simulated or test target -> no report; Mode 4
  friendly -> friend).

The date is the receiving clock's, the time of day the record's: a time of day more than
twelve hours ahead of the clock is yesterday's, more than twelve hours behind is
tomorrow's (a report made just before midnight and received just after it).

A report's id is `<sensor>-<yyyymmdd>-<time of day in 1/128 s>-<digest of the record>`:
the same record resent is one report (the journal's idempotency), and the sender can
know the id of what it sent.

The library is imported the first time a decoder is built (about 1.5 s of CPU), never by
a node that has no ASTERIX listener.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from pyproj import Geod, Transformer

from warnline.agreement.model import AsterixSensor, AsterixSettings
from warnline.domain import Identity, Position, Report, ThreatKind, Velocity

ASTERIX_FORMAT = "asterix"
CATEGORIES = (62, 48)
MAX_DATAGRAM = 8_000  # bytes a sender packs into one datagram: well under loopback's limit
HEADER = 3  # CAT (1 byte), LEN (2 bytes, big-endian, the whole block's length)
MAX_BLOCK = 65_535
TICKS_PER_S = 128  # I062/070 and I048/140: 1/128 s
DAY_TICKS = 86_400 * TICKS_PER_S
FT = 0.3048
NM = 1852.0
GEOD = Geod(ellps="WGS84")


class Reason:
    """Why a datagram, block or record gave no report (the listener counts each)."""

    TRUNCATED = "truncated"  # fewer bytes than a header or than the block's LEN
    LENGTH = "bad_length"  # a LEN below the header's own size
    CATEGORY = "category_not_agreed"  # a category the agreement names no edition for
    UNDECODABLE = "undecodable"  # records that do not parse in the agreed edition
    SENSOR = "unknown_sac_sic"
    MISSING = "missing_item"  # no SAC/SIC, time or position
    RANGE = "out_of_range"  # a time of day past midnight, a position off the globe
    SKIPPED = "skipped"  # coasted, simulated, test or ended: no measurement (not an error)


@dataclass
class Decoded:
    """What one datagram (or stream frame) gave: reports, and the rest by reason."""

    reports: list[Report] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)  # reason -> the first detail

    def fault(self, reason: str, detail: str, n: int = 1) -> None:
        self.faults[reason] += n
        self.first.setdefault(reason, detail)


@functools.cache
def library() -> tuple[ModuleType, Any]:
    """`asterix.generated` and `asterix.base.Bits`, imported once (slow: ~1.5 s)."""
    generated = importlib.import_module("asterix.generated")
    base = importlib.import_module("asterix.base")
    return generated, base.Bits


def spec(category: int, edition: str) -> Any:
    """libasterix's class for one category in one edition, e.g. Cat_062_1_20."""
    generated, _ = library()
    return getattr(generated, f"Cat_{category:03d}_{edition.replace('.', '_')}")


def extended(variation: Any, values: dict[str, int]) -> tuple[tuple[int | None, ...], ...]:
    """An extended item's groups as libasterix builds them: every subitem of each group
    up to the last group that holds one of `values` (the others 0, spares 0)."""
    groups: list[tuple[int | None, ...]] = []
    wanted = set(values)
    for group in variation.cv_items_list:
        if not wanted:
            break
        row: list[int | None] = []
        for entry in group:
            if entry is None:
                row.append(None)
                continue
            nsp = getattr(entry[0], "cv_non_spare", None)
            name = None if nsp is None else nsp.cv_name
            row.append(values.get(name, 0) if name else 0)
            wanted.discard(name)
        groups.append(tuple(row))
    return tuple(groups)


def pack(records: Sequence[tuple[int, bytes]]) -> list[bytes]:
    """Records packed into datagrams of whole blocks, each under MAX_DATAGRAM bytes."""
    out: list[bytes] = []
    current: list[bytes] = []
    size = 0
    by_cat: dict[int, list[bytes]] = {}
    for cat, raw in records:
        by_cat.setdefault(cat, []).append(raw)
    for cat, raws in sorted(by_cat.items()):
        chunk: list[bytes] = []
        for raw in raws:
            if chunk and sum(map(len, chunk)) + len(raw) + 3 > MAX_DATAGRAM:
                current, size = _flush(out, current, size, _block(cat, chunk))
                chunk = []
            chunk.append(raw)
        if chunk:
            current, size = _flush(out, current, size, _block(cat, chunk))
    if current:
        out.append(b"".join(current))
    return out


def _block(cat: int, raws: list[bytes]) -> bytes:
    body = b"".join(raws)
    return bytes([cat]) + (len(body) + 3).to_bytes(2, "big") + body


def _flush(
    out: list[bytes], current: list[bytes], size: int, block: bytes
) -> tuple[list[bytes], int]:
    if current and size + len(block) > MAX_DATAGRAM:
        out.append(b"".join(current))
        current, size = [], 0
    current.append(block)
    return current, size + len(block)


def split_blocks(data: bytes) -> tuple[list[tuple[int, bytes]], tuple[str, str] | None]:
    """The data blocks of a datagram as (category, records), and why the rest of it (if
    any) was refused: a block's LEN counts its own three header bytes."""
    out: list[tuple[int, bytes]] = []
    at = 0
    while at < len(data):
        if len(data) - at < HEADER:
            return out, (Reason.TRUNCATED, f"{len(data) - at} byte(s) after the last block")
        cat, length = data[at], int.from_bytes(data[at + 1 : at + 3], "big")
        if length < HEADER:
            return out, (Reason.LENGTH, f"block LEN {length} (at least {HEADER})")
        if at + length > len(data):
            return out, (Reason.TRUNCATED, f"block LEN {length}, {len(data) - at} byte(s) left")
        out.append((cat, data[at + HEADER : at + length]))
        at += length
    return out, None


def block_length(header: bytes) -> int:
    """The LEN of a block from its first three bytes (a stream's framing)."""
    return int.from_bytes(header[1:3], "big")


def report_id(sensor: str, observed_at: datetime, ticks: int, record: bytes) -> str:
    digest = hashlib.blake2b(record, digest_size=5).hexdigest()
    return f"{sensor}-{observed_at:%Y%m%d}-{ticks}-{digest}"


def observed_at(ticks: int, now: datetime) -> datetime:
    """The record's time of day (1/128 s since midnight UTC) on the receiving clock's
    date, or the day before or after across midnight."""
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    at = midnight + timedelta(seconds=ticks / TICKS_PER_S)
    if (at - now).total_seconds() > 43_200:
        at -= timedelta(days=1)
    elif (now - at).total_seconds() > 43_200:
        at += timedelta(days=1)
    return at


class _Skip(Exception):  # noqa: N818 - a record with no measurement, not a failure
    pass


class _RecordError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class AsterixDecoder:
    """One partner's ASTERIX, in its agreed editions, to reports of that partner."""

    def __init__(self, partner: str, settings: AsterixSettings) -> None:
        self.partner = partner
        self.settings = settings
        _, self._bits = library()
        self._specs = {cat: spec(cat, ed) for cat, ed in settings.editions.items()}
        self._sensors = {(s.sac, s.sic): s for s in settings.sensors}
        self._planes: dict[str, Transformer] = {}

    def decode(self, data: bytes, *, now: datetime) -> Decoded:
        out = Decoded()
        blocks, rest = split_blocks(data)
        for cat, records in blocks:
            self._block(cat, records, now, out)
        if rest is not None:
            out.fault(*rest)
        return out

    def _block(self, cat: int, records: bytes, now: datetime, out: Decoded) -> None:
        block_spec = self._specs.get(cat)
        if block_spec is None:
            agreed = ", ".join(f"CAT{c:03d}" for c in sorted(self._specs)) or "none"
            out.fault(Reason.CATEGORY, f"CAT{cat:03d} (agreed: {agreed})")
            return
        edition = self.settings.editions[cat]
        if not records:
            out.fault(Reason.UNDECODABLE, f"CAT{cat:03d} block with no record")
            return
        try:
            parsed = block_spec.cv_uap.parse(self._bits.from_bytes(records))
        except Exception as exc:  # a third-party parser fed hostile bytes
            parsed = ValueError(f"{type(exc).__name__}: {exc}")
        if isinstance(parsed, ValueError):  # libasterix returns its errors as values
            detail = f"CAT{cat:03d} edition {edition}: {parsed}"
            out.fault(Reason.UNDECODABLE, detail[:200])
            return
        for record in parsed:
            try:
                out.reports.append(self._report(cat, record, now))
            except _Skip:
                out.faults[Reason.SKIPPED] += 1
            except _RecordError as f:
                out.fault(f.reason, f.detail)
            except Exception as exc:  # a parsed record that maps to nothing
                out.fault(Reason.UNDECODABLE, f"CAT{cat:03d}: {type(exc).__name__}: {exc}"[:200])

    def _report(self, cat: int, record: Any, now: datetime) -> Report:
        i010 = record.get_item("010")
        if i010 is None:
            raise _RecordError(Reason.MISSING, f"CAT{cat:03d} record without I{cat:03d}/010")
        v = i010.variation
        sac, sic = v.get_item("SAC").as_uint(), v.get_item("SIC").as_uint()
        sensor = self._sensors.get((sac, sic))
        if sensor is None:
            raise _RecordError(Reason.SENSOR, f"SAC/SIC {sac}/{sic} is not one of {self.partner}'s")
        raw = record.unparse().to_bytes()
        if cat == 62:
            return self._cat062(record, sensor, raw, now)
        return self._cat048(record, sensor, raw, now)

    # -- CAT062 ----------------------------------------------------------------------

    def _cat062(self, rec: Any, sensor: AsterixSensor, raw: bytes, now: datetime) -> Report:
        ticks = _ticks(rec, "070", 62)
        identity, confidence, kind = sensor.identity, sensor.confidence, sensor.kind
        status = rec.get_item("080")
        if status is not None:
            s = status.variation
            if _flag(s, "CST") or _flag(s, "SIM") or _flag(s, "TSE"):
                raise _Skip
            if _flag(s, "CNF"):  # a tentative track: what the agreement says of those
                identity = sensor.tentative_identity
            if _value(s, "MD4") == 1:
                identity = Identity.FRIEND
        pos = rec.get_item("105")
        if pos is not None:
            lat = _q(pos.variation, "LAT", "°")
            lon = _q(pos.variation, "LON", "°")
        else:
            cart = rec.get_item("100")
            if cart is None:
                raise _RecordError(Reason.MISSING, "CAT062 record without I062/105 or I062/100")
            x, y = _q(cart.variation, "X", "m"), _q(cart.variation, "Y", "m")
            lon, lat = self._plane(sensor).transform(x, y)
        alt, measured = _cat062_altitude(rec)
        velocity = None
        vel = rec.get_item("185")
        if vel is not None:
            velocity = Velocity(
                east=_q(vel.variation, "VX", "m/s"), north=_q(vel.variation, "VY", "m/s")
            )
        accuracy = sensor.accuracy_m
        acc = rec.get_item("500")
        apc = None if acc is None else acc.variation.get_item("APC")
        if apc is not None:
            sx, sy = _q(apc.variation, "X", "m"), _q(apc.variation, "Y", "m")
            accuracy = max(sx, sy, 1.0)
        if kind is ThreatKind.UNKNOWN and _aircraft_hint(rec):
            kind = ThreatKind.AIRCRAFT
        track = rec.get_item("040")
        return self._make(
            sensor, raw, ticks, now, lat, lon, alt, measured, velocity, accuracy,
            identity, confidence, kind, None if track is None else track.as_uint(),
        )  # fmt: skip

    def _plane(self, sensor: AsterixSensor) -> Transformer:
        """The system's plane (a stereographic projection about the sensor's reference
        point, as ASTERIX systems use) back to WGS-84."""
        plane = self._planes.get(sensor.sensor)
        if plane is None:
            proj = f"+proj=stere +lat_0={sensor.lat} +lon_0={sensor.lon} +k=1 +ellps=WGS84"
            plane = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)
            self._planes[sensor.sensor] = plane
        return plane

    # -- CAT048 ----------------------------------------------------------------------

    def _cat048(self, rec: Any, sensor: AsterixSensor, raw: bytes, now: datetime) -> Report:
        ticks = _ticks(rec, "140", 48)
        identity = sensor.identity
        descriptor = rec.get_item("020")
        if descriptor is not None:
            d = descriptor.variation
            if _flag(d, "SIM") or _flag(d, "TST"):
                raise _Skip
            if _value(d, "FOEFRI") == 1:
                identity = Identity.FRIEND
        polar = rec.get_item("040")
        if polar is None:
            raise _RecordError(Reason.MISSING, "CAT048 record without I048/040")
        rho = _q(polar.variation, "RHO", "NM") * NM
        theta = _q(polar.variation, "THETA", "°")
        alt, measured = 0.0, False
        fl = rec.get_item("090")
        if fl is not None and not _flag(fl.variation, "V") and not _flag(fl.variation, "G"):
            alt, measured = _q(fl.variation, "FL", "FL") * 100 * FT, True
        ground = math.sqrt(max(0.0, rho**2 - (alt - sensor.alt_m) ** 2)) if measured else rho
        lon, lat, _ = GEOD.fwd(sensor.lon, sensor.lat, theta, ground)
        velocity = None
        speed = rec.get_item("200")
        if speed is not None:
            gsp = _q(speed.variation, "GSP", "NM/s") * NM
            hdg = math.radians(_q(speed.variation, "HDG", "°"))
            velocity = Velocity(east=gsp * math.sin(hdg), north=gsp * math.cos(hdg))
        track = rec.get_item("161")
        number = None if track is None else track.variation.get_item("TRN").as_uint()
        return self._make(
            sensor, raw, ticks, now, lat, lon, alt, measured, velocity, sensor.accuracy_m,
            identity, sensor.confidence, sensor.kind, number,
        )  # fmt: skip

    # -- both ------------------------------------------------------------------------

    def _make(
        self, sensor: AsterixSensor, raw: bytes, ticks: int, now: datetime, lat: float,
        lon: float, alt: float, measured: bool, velocity: Velocity | None, accuracy: float,
        identity: Identity, confidence: float, kind: ThreatKind, track: int | None,
    ) -> Report:  # fmt: skip
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or not math.isfinite(lat + lon):
            raise _RecordError(Reason.RANGE, f"position {lat:.4f}, {lon:.4f} is off the globe")
        at = observed_at(ticks, now)
        return Report(
            report_id=report_id(sensor.sensor, at, ticks, raw),
            partner=self.partner,
            sensor=sensor.sensor,
            sensor_track=None if track is None else f"{sensor.sensor}:{track}",
            observed_at=at,
            position=Position(lat=lat, lon=lon, alt_m=alt if measured else 0.0),
            altitude_measured=measured,
            velocity=velocity,
            accuracy_m=accuracy,
            kind=kind,
            identity=identity,
            confidence=confidence,
            source_format=ASTERIX_FORMAT,
        )


def _q(variation: Any, name: str, unit: str) -> float:
    return float(variation.get_item(name).variation.content.as_quantity(unit))


def _flag(variation: Any, name: str) -> bool:
    return _value(variation, name) == 1


def _value(variation: Any, name: str) -> int | None:
    """A subitem's raw value; None where an extended item stops before it."""
    item = variation.get_item(name)
    return None if item is None else int(item.as_uint())


def _ticks(rec: Any, item: str, cat: int) -> int:
    tod = rec.get_item(item)
    if tod is None:
        raise _RecordError(Reason.MISSING, f"CAT{cat:03d} record without I{cat:03d}/{item}")
    ticks = int(tod.as_uint())
    if ticks >= DAY_TICKS:
        raise _RecordError(
            Reason.RANGE, f"I{cat:03d}/{item} {ticks / TICKS_PER_S:.1f} s is past midnight"
        )
    return ticks


def _cat062_altitude(rec: Any) -> tuple[float, bool]:
    """Geometric altitude (I062/130), else the calculated barometric (I062/135), else the
    measured flight level (I062/136); none: the altitude is not measured."""
    geometric = rec.get_item("130")
    if geometric is not None:
        return geometric.variation.content.as_quantity("ft") * FT, True
    baro = rec.get_item("135")
    if baro is not None:
        return _q(baro.variation, "CTB", "FL") * 100 * FT, True
    measured = rec.get_item("136")
    if measured is not None:
        return measured.variation.content.as_quantity("FL") * 100 * FT, True
    return 0.0, False


def _aircraft_hint(rec: Any) -> bool:
    """A Mode S address or identification (I062/380) or a flight plan's callsign
    (I062/390): an aircraft."""
    derived = rec.get_item("380")
    if derived is not None and (
        derived.variation.get_item("ADR") is not None
        or derived.variation.get_item("ID") is not None
    ):
        return True
    plan = rec.get_item("390")
    return plan is not None and plan.variation.get_item("CS") is not None


def iter_frames(buffer: bytearray) -> Iterator[bytes]:
    """Whole blocks off the front of a stream's buffer (TCP: each block framed by its own
    LEN); stops at a partial block. A LEN below the header raises ValueError."""
    while len(buffer) >= HEADER:
        length = block_length(bytes(buffer[:HEADER]))
        if length < HEADER:
            raise ValueError(f"block LEN {length} (at least {HEADER})")
        if len(buffer) < length:
            return
        frame = bytes(buffer[:length])
        del buffer[:length]
        yield frame
