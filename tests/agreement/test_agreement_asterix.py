"""A partner's ASTERIX settings in the agreement: editions, sensors by SAC/SIC, and the
defaults for what ASTERIX does not say; every refusal names its field (decision 76)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.agreement.test_agreement_load import _minimal, _parse
from warnline.agreement.load import default_agreement
from warnline.domain import Identity, ThreatKind
from warnline.errors import AgreementError

SENSOR = {"sac": 232, "sic": 1, "sensor": "jor-radar-1", "lat": 31.9, "lon": 35.9}


def with_asterix(**fields: Any) -> dict[str, Any]:
    data = _minimal()
    data["partners"][1]["asterix"] = {"cat062_edition": "1.20", "sensors": [dict(SENSOR)]} | fields
    return data


def test_settings_load_with_their_defaults() -> None:
    jor = _parse(with_asterix(cat048_edition="1.32")).partners["JOR"]
    assert jor.asterix.editions == {62: "1.20", 48: "1.32"}
    (s,) = jor.asterix.sensors
    assert (s.sac, s.sic, s.sensor) == (232, 1, "jor-radar-1")
    assert s.identity is Identity.UNKNOWN and s.kind is ThreatKind.UNKNOWN
    assert s.tentative_identity is Identity.PENDING
    assert s.confidence == 0.5 and s.accuracy_m == 500.0
    assert jor.asterix.sensor(232, 1) is s and jor.asterix.sensor(232, 2) is None
    assert _parse(_minimal()).partners["JOR"].asterix is None


def test_the_default_agreement_makes_jordan_speak_asterix() -> None:
    jor = default_agreement().partners["JOR"].asterix
    assert jor is not None and jor.editions == {62: "1.20", 48: "1.31"}
    assert [s.sensor for s in jor.sensors] == ["jor-radar-1", "jor-radar-2"]
    assert jor.sensors[0].identity is Identity.HOSTILE
    assert jor.sensors[0].tentative_identity is Identity.SUSPECT


Mutation = Callable[[dict[str, Any]], None]
WHERE = "partners[1].asterix"


def sensor(**fields: Any) -> dict[str, Any]:
    return dict(SENSOR) | fields


@pytest.mark.parametrize(
    ("settings", "field", "reason"),
    [
        ({"cat062_edition": "1.15"}, f"{WHERE}.cat062_edition", "not supported (supported: 1.16"),
        ({"cat048_edition": "2.0"}, f"{WHERE}.cat048_edition", "edition '2.0' not supported"),
        ({"cat062_edition": None}, WHERE, "needs cat062_edition or cat048_edition"),
        ({"sensors": []}, f"{WHERE}.sensors", "at least 1"),
        ({"sensors": [sensor(sac=256)]}, f"{WHERE}.sensors[0].sac", "<= 255"),
        ({"sensors": [sensor(identity="hostle")]}, f"{WHERE}.sensors[0].identity", "hostile"),
        ({"sensors": [sensor(kind="plane")]}, f"{WHERE}.sensors[0].kind", "aircraft"),
        ({"sensors": [sensor(lat=91.0)]}, f"{WHERE}.sensors[0].lat", "<= 90"),
        ({"sensors": [sensor(confidence=1.5)]}, f"{WHERE}.sensors[0].confidence", "<= 1"),
        ({"sensors": [sensor(sensor="a b")]}, f"{WHERE}.sensors[0].sensor", "pattern"),
        ({"sensors": [sensor(sics=1)]}, f"{WHERE}.sensors[0].sics", "unknown key"),
        (
            {"sensors": [sensor(), sensor(sensor="other")]},
            f"{WHERE}.sensors[1].sic", "SAC/SIC 232/1 also at sensors[0]",
        ),
        (
            {"sensors": [sensor(), sensor(sic=2)]},
            f"{WHERE}.sensors[1].sensor", "sensor 'jor-radar-1' also at sensors[0]",
        ),
    ],
)  # fmt: skip
def test_a_bad_setting_names_its_field(settings: dict[str, Any], field: str, reason: str) -> None:
    data = with_asterix()
    spec = data["partners"][1]["asterix"]
    for k, v in settings.items():
        if v is None:
            spec.pop(k)
        else:
            spec[k] = v
    with pytest.raises(AgreementError) as caught:
        _parse(data)
    assert caught.value.field == field
    assert reason in caught.value.reason
