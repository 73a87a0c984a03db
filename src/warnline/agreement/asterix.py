"""A partner's ASTERIX settings (`[partners.asterix]`): schema model and the checks that
span its fields.

The edition of a category is not in the bytes, so the agreement names it and both sides
use it. The editions offered are those the decoder (`libasterix`) implements; they are
listed here, not read from the decoder, so loading an agreement never pays its import
(a test checks the two lists agree).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from warnline.agreement.model import AsterixSensor, AsterixSettings
from warnline.agreement.schema import In, Lat, Lon
from warnline.domain.report import Identity, ThreatKind
from warnline.errors import AgreementError

EDITIONS: dict[int, tuple[str, ...]] = {
    62: ("1.16", "1.17", "1.18", "1.19", "1.20", "1.21"),
    48: ("1.27", "1.28", "1.29", "1.30", "1.31", "1.32"),
}

Code = Annotated[int, Field(ge=0, le=255)]
SensorId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")]


class AsterixSensorIn(In):
    sac: Code
    sic: Code
    sensor: SensorId
    lat: Lat
    lon: Lon
    alt_m: Annotated[float, Field(ge=-500, le=10_000)] = 0.0
    accuracy_m: Annotated[float, Field(gt=0, le=100_000)] = 500.0
    identity: Annotated[Identity, Field(strict=False)] = Identity.UNKNOWN
    tentative_identity: Annotated[Identity, Field(strict=False)] = Identity.PENDING
    kind: Annotated[ThreatKind, Field(strict=False)] = ThreatKind.UNKNOWN
    confidence: Annotated[float, Field(ge=0, le=1)] = 0.5


class AsterixIn(In):
    cat062_edition: str | None = None
    cat048_edition: str | None = None
    sensors: Annotated[list[AsterixSensorIn], Field(min_length=1)]


def asterix_settings(spec: AsterixIn | None, field: str) -> AsterixSettings | None:
    if spec is None:
        return None
    editions: dict[int, str] = {}
    for cat, edition in ((62, spec.cat062_edition), (48, spec.cat048_edition)):
        if edition is None:
            continue
        if edition not in EDITIONS[cat]:
            reason = f"edition {edition!r} not supported (supported: {', '.join(EDITIONS[cat])})"
            raise AgreementError(f"{field}.cat{cat:03d}_edition", reason)
        editions[cat] = edition
    if not editions:
        raise AgreementError(field, "needs cat062_edition or cat048_edition (or both)")
    codes: dict[tuple[int, int], int] = {}
    names: dict[str, int] = {}
    for i, s in enumerate(spec.sensors):
        if (s.sac, s.sic) in codes:
            reason = f"SAC/SIC {s.sac}/{s.sic} also at sensors[{codes[s.sac, s.sic]}]"
            raise AgreementError(f"{field}.sensors[{i}].sic", reason)
        if s.sensor in names:
            reason = f"sensor {s.sensor!r} also at sensors[{names[s.sensor]}]"
            raise AgreementError(f"{field}.sensors[{i}].sensor", reason)
        codes[s.sac, s.sic] = names[s.sensor] = i
    return AsterixSettings(
        editions=editions,
        sensors=tuple(
            AsterixSensor(
                sac=s.sac, sic=s.sic, sensor=s.sensor, lat=s.lat, lon=s.lon, alt_m=s.alt_m,
                accuracy_m=s.accuracy_m, identity=s.identity,
                tentative_identity=s.tentative_identity, kind=s.kind,
                confidence=s.confidence,
            )
            for s in spec.sensors
        ),
    )  # fmt: skip


__all__ = ["EDITIONS", "AsterixIn", "asterix_settings"]
