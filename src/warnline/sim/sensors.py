"""The partners' sensors in an exercise: what each can see, and where it is blind.

Two radars per partner at its first defended areas (the first long-range), each with
its own noise, scan period, delay and detection probability; some report no identity
and no velocity (a plain primary radar), some have a blind sector or a period when
they see nothing (a coverage gap others must fill). One or two long-range early-warning
radars see only high or fast objects (ballistic missiles), coarsely, and sometimes
give no altitude.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import Point

from warnline.agreement.model import Agreement

GEOD = Geod(ellps="WGS84")
EW_MIN_ALT_M = 20_000.0  # an early-warning radar looks up: nothing lower is reported


@dataclass(frozen=True, kw_only=True)
class SensorModel:
    partner: str
    sensor_id: str
    lat: float
    lon: float
    height_m: float
    range_km: float
    noise_m: float
    period_s: float
    delay_s: float  # the partner's own processing delay (per-report jitter comes on top)
    p_detect: float
    early_warning: bool = False  # sees only objects above EW_MIN_ALT_M
    reports_identity: bool = True  # False: every report's identity is UNKNOWN, no velocity
    p_no_altitude: float = 0.0  # share of its reports without altitude
    blind_sector: tuple[float, float] | None = None  # azimuth from, to (degrees, clockwise)
    outage: tuple[float, float] | None = None  # scenario seconds from, to: sees nothing

    def sees(self, lat: float, lon: float, alt: float, t: float | None = None) -> bool:
        if t is not None and self.outage is not None and self.outage[0] <= t < self.outage[1]:
            return False
        if self.early_warning and alt < EW_MIN_ALT_M:
            return False
        az, _, dist = GEOD.inv(self.lon, self.lat, lon, lat)
        if self.blind_sector is not None and _within(az % 360.0, *self.blind_sector):
            return False
        horizon_km = 4.12 * (math.sqrt(self.height_m) + math.sqrt(max(alt, 0.0)))
        return bool(dist / 1000.0 <= min(self.range_km, horizon_km))


def _within(az: float, lo: float, hi: float) -> bool:
    return lo <= az < hi if lo <= hi else az >= lo or az < hi


def build_sensors(
    agreement: Agreement,
    rng: np.random.Generator,
    *,
    partners: int | None = None,
    early_warning: int = 2,
    span_s: float = 600.0,
) -> tuple[SensorModel, ...]:
    out = []
    codes = sorted(agreement.partners)[: partners if partners is not None else None]
    for n, code in enumerate(codes):
        partner = agreement.partners[code]
        for i, area in enumerate(partner.defended_areas[:2]):
            c = area.geometry.centroid
            long_range = i == 0
            blind = None
            if rng.random() < 0.3:
                lo = float(rng.uniform(0, 360))
                blind = (lo, (lo + float(rng.uniform(20, 40))) % 360.0)
            outage = None
            if rng.random() < 0.3:
                t0 = float(rng.uniform(0.1, 0.8) * span_s)
                outage = (t0, t0 + float(rng.uniform(60, 180)))
            out.append(
                SensorModel(
                    partner=code,
                    sensor_id=f"{code.lower()}-radar-{i + 1}",
                    lat=c.y,
                    lon=c.x,
                    height_m=float(rng.uniform(20, 60)),
                    range_km=1200.0 if long_range else 400.0,
                    noise_m=float(rng.uniform(150, 600)),
                    period_s=float(rng.choice([2.0, 3.0, 4.0])),
                    delay_s=float(rng.uniform(0.5, 1.5)),
                    p_detect=float(rng.uniform(0.8, 0.97)),
                    reports_identity=not (i == 1 and n % 3 == 1),  # some primary radars
                    blind_sector=blind,
                    outage=outage,
                )
            )
    for k in range(min(early_warning, len(codes))):
        code = codes[(k * 3 + 2) % len(codes)]
        c = agreement.partners[code].territory.geometry.representative_point()
        out.append(
            SensorModel(
                partner=code,
                sensor_id=f"{code.lower()}-ew-{k + 1}",
                lat=c.y,
                lon=c.x,
                height_m=100.0,
                range_km=3000.0,
                noise_m=float(rng.uniform(2000, 4000)),
                period_s=float(rng.choice([4.0, 5.0, 6.0])),
                delay_s=float(rng.uniform(0.5, 1.5)),
                p_detect=0.95,
                early_warning=True,
                p_no_altitude=0.3,
            )
        )
    return tuple(out)


def outside_territories(agreement: Agreement, lat: float, lon: float, margin_m: float) -> bool:
    """True if the circle of `margin_m` around (lat, lon) touches no partner territory."""
    lons, lats, _ = GEOD.fwd(
        np.full(36, lon), np.full(36, lat), np.arange(0, 360, 10.0), np.full(36, margin_m)
    )
    ring = shapely.Polygon(list(zip(lons, lats, strict=True)))
    disk = ring.union(Point(lon, lat))
    return not any(p.territory.geometry.intersects(disk) for p in agreement.partners.values())
