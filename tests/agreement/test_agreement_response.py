"""The agreement's response rules: sectors with ordered partners, sovereignty opt-out,
standing consents and readiness, parsed from the default and refused field by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.agreement.test_agreement_load import _minimal, _parse
from warnline.agreement.load import default_agreement
from warnline.domain.incident import ReadinessStatus
from warnline.errors import AgreementError

SQUARE = [[35.0, 29.0], [39.0, 29.0], [39.0, 33.0], [35.0, 33.0]]


def _with_response(data: dict[str, Any]) -> dict[str, Any]:
    data["response"] = {
        "offer_timeout_s": 15,
        "sectors": [{"id": "levant", "name": "Levant", "polygon": SQUARE,
                     "partners": ["JOR", "USA"]}],
    }  # fmt: skip
    jor = data["partners"][1]
    jor["sovereignty"] = False
    jor["consents_to"] = ["USA"]
    jor["readiness"] = [{"sector": "levant", "status": "limited", "time_to_respond_s": 45}]
    return data


def test_response_rules_parse() -> None:
    a = _parse(_with_response(_minimal()))
    (sector,) = a.response.sectors
    assert sector.partners == ("JOR", "USA") and a.response.offer_timeout_s == 15
    assert a.response.decide_within_s == 90  # default
    jor = a.partners["JOR"]
    assert not jor.sovereignty and jor.consents("USA") and not jor.consents("ISR")
    assert jor.consents("JOR")
    (r,) = jor.readiness
    assert r.status is ReadinessStatus.LIMITED and r.time_to_respond_s == 45
    usa = a.partners["USA"]
    assert usa.sovereignty and usa.consents_to == () and usa.readiness == ()


def test_old_documents_without_response_rules_still_parse() -> None:
    a = _parse(_minimal())
    assert a.response.sectors == () and a.partners["JOR"].sovereignty


def test_default_coalition_response_rules() -> None:
    a = default_agreement()
    assert [s.sector_id for s in a.response.sectors] == ["nile", "levant", "arabia", "gulf"]
    for s in a.response.sectors:
        assert s.partners[-1] == a.coordination_cell  # the cell is every sector's last resort
    assert not a.partners["QAT"].sovereignty and a.partners["EGY"].consents_to == ()


Mutation = Callable[[dict[str, Any]], None]


def _sector(key: str, value: Any) -> Mutation:
    return lambda d: d["response"]["sectors"][0].__setitem__(key, value)


def _jor(key: str, value: Any) -> Mutation:
    return lambda d: d["partners"][1].__setitem__(key, value)


REFUSALS: list[tuple[str, Mutation, str, str]] = [
    ("sector partner", _sector("partners", ["JOR", "XYZ"]),
     "response.sectors[0].partners[1]", "unknown partner code 'XYZ'"),
    ("sector partner twice", _sector("partners", ["JOR", "JOR"]),
     "response.sectors[0].partners", "listed twice"),
    ("sector id", _sector("id", "bad id"), "response.sectors[0].id", "letters"),
    ("sector polygon", _sector("polygon", [[35.0, 29.0], [39.0, 29.0], [35.0, 29.0]]),
     "response.sectors[0].polygon", "3 distinct"),
    ("readiness sector", _jor("readiness", [{"sector": "moon", "status": "ready",
                                              "time_to_respond_s": 1}]),
     "partners[1].readiness[0].sector", "unknown response sector 'moon'"),
    ("readiness status", _jor("readiness", [{"sector": "levant", "status": "maybe",
                                              "time_to_respond_s": 1}]),
     "partners[1].readiness[0].status", "must be"),
    ("readiness twice", _jor("readiness", [
        {"sector": "levant", "status": "ready", "time_to_respond_s": 1},
        {"sector": "levant", "status": "limited", "time_to_respond_s": 2}]),
     "partners[1].readiness[1].sector", "declared twice"),
    ("negative time", _jor("readiness", [{"sector": "levant", "status": "ready",
                                           "time_to_respond_s": -1}]),
     "partners[1].readiness[0].time_to_respond_s", ">= 0"),
    ("consent code", _jor("consents_to", ["XYZ"]), "partners[1].consents_to[0]",
     "unknown partner code"),
    ("offer timeout", lambda d: d["response"].__setitem__("offer_timeout_s", 0),
     "response.offer_timeout_s", "> 0"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [pytest.param(m, f, r, id=name) for name, m, f, r in REFUSALS],
)
def test_response_refusal_names_the_field(mutate: Mutation, field: str, reason: str) -> None:
    data = _with_response(_minimal())
    mutate(data)
    with pytest.raises(AgreementError) as caught:
        _parse(data)
    assert caught.value.field == field
    assert reason in caught.value.reason
