"""The coalition agreement loader: the packaged default, and every refusal naming its field."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import shapely

from warnline.agreement.exercise_keys import (
    HUB_CODE,
    exercise_signing_key,
    exercise_verify_key_b64,
)
from warnline.agreement.load import (
    default_agreement,
    load_agreement,
    parse_agreement,
)
from warnline.agreement.model import AreaKind
from warnline.domain.alert import Severity
from warnline.domain.report import Attribution
from warnline.errors import AgreementError, ConfigError

KEY = exercise_verify_key_b64("JOR")


def _minimal() -> dict[str, Any]:
    """A small valid agreement as nested data, for tests to break one field at a time."""
    return {
        "coalition": {"name": "Test", "coordination_cell": "USA", "exercise": True},
        "partners": [
            {"code": "USA", "name": "United States", "public_keys": {"k1": KEY}},
            {
                "code": "JOR",
                "name": "Jordan",
                "languages": ["ar", "en"],
                "territory": "JOR",
                "public_keys": {"k1": KEY},
                "releasability": {"release_to": ["USA"], "attribution": "anonymous"},
                "defended_areas": [
                    {"name": "Amman", "lat": 31.95, "lon": 35.93, "radius_km": 15},
                    {
                        "name": "Aqaba port",
                        "id": "JOR-port",
                        "polygon": [[35.0, 29.5], [35.02, 29.5], [35.02, 29.52], [35.0, 29.52]],
                    },
                ],
                "contacts": [
                    {
                        "role": "watch",
                        "name": "JOR watch",
                        "language": "ar",
                        "addresses": {"console": "console:jor-watch"},
                    }
                ],
                "escalation": [
                    {
                        "min_severity": "Severe",
                        "steps": [{"after_s": 0, "channels": ["console"], "roles": ["watch"]}],
                    }
                ],
            },
        ],
    }


def _toml(value: Any) -> str:
    """Just enough of a TOML writer for the test documents (inline tables throughout)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"


def _document(data: dict[str, Any]) -> str:
    return "\n".join(f"{key} = {_toml(value)}" for key, value in data.items()) + "\n"


def _parse(data: dict[str, Any]) -> Any:
    return parse_agreement(_document(data), source="test")


def test_minimal_document_parses() -> None:
    agreement = _parse(_minimal())
    jordan = agreement.partners["JOR"]
    assert [a.area_id for a in jordan.areas] == ["JOR", "JOR-amman", "JOR-port"]
    assert jordan.releasability.release_to == ("USA",)
    assert jordan.releasability.attribution is Attribution.ANONYMOUS
    assert jordan.escalation[0].min_severity is Severity.SEVERE
    assert agreement.partners["USA"].territory.geometry.is_empty
    assert agreement.partners["USA"].releasability.release_to is None


# ---------------------------------------------------------------- the packaged default


def test_default_coalition() -> None:
    agreement = default_agreement()
    assert list(agreement.partners) == ["USA", "ISR", "SAU", "QAT", "EGY", "ARE", "BHR", "JOR"]
    assert agreement.coordination_cell == "USA"
    assert agreement.exercise
    assert agreement.max_report_age_s == 300
    assert agreement.max_report_lead_s == 5
    for partner in agreement.partners.values():
        assert 3 <= len(partner.defended_areas) <= 5, partner.code
        assert partner.contacts and partner.escalation, partner.code
        assert partner.territory.area_id == partner.code
        assert partner.territory.kind is AreaKind.TERRITORY
        assert partner.territory.geometry.is_empty == (partner.code == "USA")
        assert partner.territory.geometry.is_valid
        for area in partner.defended_areas:
            assert area.kind is AreaKind.DEFENDED
            assert area.area_id.startswith(partner.code + "-")
            assert area.geometry.is_valid and area.time_to_shelter_s > 0
    assert agreement.area("JOR-amman").name == "Amman"
    assert agreement.area("ISR-tel-aviv").time_to_shelter_s == 90
    assert not agreement.partners["QAT"].membership_visible
    assert agreement.partners["BHR"].releasability.release_to == ("ARE", "SAU", "USA")
    attributions = {p.releasability.attribution for p in agreement.partners.values()}
    assert attributions == {Attribution.NAMED, Attribution.ANONYMOUS}


def test_default_is_cached_and_load_none_is_the_default() -> None:
    assert default_agreement() is default_agreement()
    fresh = load_agreement()
    assert fresh is not default_agreement()
    assert [a.area_id for a in fresh.areas] == [a.area_id for a in default_agreement().areas]


def test_load_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "coalition.toml"
    path.write_text(_document(_minimal()), encoding="utf-8")
    assert set(load_agreement(path).partners) == {"USA", "JOR"}
    with pytest.raises(AgreementError, match="cannot read"):
        load_agreement(tmp_path / "missing.toml")


def test_default_keys_are_the_exercise_keys() -> None:
    agreement = default_agreement()
    assert agreement.hub_public_key == exercise_verify_key_b64(HUB_CODE)
    for code, partner in agreement.partners.items():
        assert partner.public_keys == {"k1": exercise_verify_key_b64(code)}
    signed = exercise_signing_key("JOR").sign(b"report")
    assert exercise_signing_key("JOR").verify_key.verify(signed) == b"report"


def test_exercise_keys_are_deterministic_and_distinct() -> None:
    assert exercise_verify_key_b64("JOR") == exercise_verify_key_b64("JOR")
    assert exercise_verify_key_b64("JOR") != exercise_verify_key_b64("ISR")


def test_defended_areas_lie_on_their_partners_territory() -> None:
    agreement = default_agreement()
    for partner in agreement.partners.values():
        if partner.territory.geometry.is_empty:
            continue
        for area in partner.defended_areas:
            assert area.geometry.intersects(partner.territory.geometry), area.area_id


def test_coordination_cell_sites_lie_on_partner_territory() -> None:
    agreement = default_agreement()
    territories = shapely.union_all([p.territory.geometry for p in agreement.partners.values()])
    for area in agreement.partners["USA"].defended_areas:
        assert area.geometry.intersects(territories), area.area_id


def test_default_toml_has_no_unknown_keys_and_documents_its_shape() -> None:
    text = resources.files("warnline.agreement").joinpath("data/default.toml").read_text()
    assert text.startswith("# ")
    assert tomllib.loads(text)["coalition"]["coordination_cell"] == "USA"


def test_circle_radius_is_geodesic() -> None:
    amman = default_agreement().area("JOR-amman").geometry
    assert len(amman.exterior.coords) == 65  # 64 points, closed
    # 15 km radius: area of the circle within 1 % of pi r^2 (degrees -> rough check via bounds)
    south, north = amman.bounds[1], amman.bounds[3]
    assert (north - south) * 111.0 == pytest.approx(30.0, rel=0.01)


# --------------------------------------------------------------------------- refusals

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """Set a dotted path (`partners.1.defended_areas.0.radius_km`) to `value`."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = (int(p) if p.isdigit() else p for p in path.split("."))
        node: Any = data
        for part in parents:
            node = node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


_DELETE = object()
JOR = "partners.1"

REFUSALS: list[tuple[str, Mutation, str, str]] = [
    ("missing field", _set("coalition.name", _DELETE), "coalition.name", "is required"),
    ("missing key", _set(f"{JOR}.public_keys", _DELETE), "partners[1].public_keys", "required"),
    ("wrong type", _set("coalition.exercise", "yes"), "coalition.exercise", "bool"),
    ("bool as number", _set(f"{JOR}.time_to_shelter_s", True), "partners[1].time_to_shelter_s", ""),
    (
        "typo",
        _set(f"{JOR}.defended_areas.0.radius", 3),
        "partners[1].defended_areas[0].radius",
        "unknown key",
    ),
    ("typo at top", _set("partner", []), "partner", "unknown key"),
    ("code format", _set(f"{JOR}.code", "Jor"), "partners[1].code", "3 uppercase letters"),
    ("code length", _set(f"{JOR}.code", "JORD"), "partners[1].code", "3 uppercase letters"),
    ("duplicate code", _set(f"{JOR}.code", "USA"), "partners[1].code", "duplicate"),
    (
        "coordination cell",
        _set("coalition.coordination_cell", "GBR"),
        "coalition.coordination_cell",
        "partner",
    ),
    (
        "release_to unknown",
        _set(f"{JOR}.releasability.release_to", ["USA", "XYZ"]),
        "partners[1].releasability.release_to[1]",
        "unknown partner code 'XYZ'",
    ),
    (
        "release_to shape",
        _set(f"{JOR}.releasability.release_to", "everyone"),
        "partners[1].releasability.release_to",
        '"all"',
    ),
    (
        "attribution",
        _set(f"{JOR}.releasability.attribution", "secret"),
        "partners[1].releasability.attribution",
        "named",
    ),
    (
        "key base64",
        _set(f"{JOR}.public_keys.k1", "not base64!"),
        "partners[1].public_keys.k1",
        "base64",
    ),
    ("key length", _set(f"{JOR}.public_keys.k1", "AAAA"), "partners[1].public_keys.k1", "32-byte"),
    ("hub key", _set("coalition.hub_public_key", "AAAA"), "coalition.hub_public_key", "32-byte"),
    (
        "latitude",
        _set(f"{JOR}.defended_areas.0.lat", 91),
        "partners[1].defended_areas[0].lat",
        "must be <= 90",
    ),
    (
        "longitude",
        _set(f"{JOR}.defended_areas.0.lon", -180.5),
        "partners[1].defended_areas[0].lon",
        "must be >= -180",
    ),
    (
        "radius zero",
        _set(f"{JOR}.defended_areas.0.radius_km", 0),
        "partners[1].defended_areas[0].radius_km",
        "must be > 0",
    ),
    (
        "radius missing",
        _set(f"{JOR}.defended_areas.0.radius_km", _DELETE),
        "partners[1].defended_areas[0].radius_km",
        "required",
    ),
    (
        "circle and polygon",
        _set(f"{JOR}.defended_areas.1.lat", 29.5),
        "partners[1].defended_areas[1]",
        "either",
    ),
    (
        "polygon too short",
        _set(f"{JOR}.defended_areas.1.polygon", [[35.0, 29.5], [35.1, 29.5], [35.0, 29.5]]),
        "partners[1].defended_areas[1].polygon",
        "at least 3",
    ),
    (
        "polygon self-intersecting",
        _set(f"{JOR}.defended_areas.1.polygon", [[35, 29], [36, 30], [36, 29], [35, 30]]),
        "partners[1].defended_areas[1].polygon",
        "Self-intersection",
    ),
    (
        "polygon point",
        _set(f"{JOR}.defended_areas.1.polygon.2", [35.0]),
        "partners[1].defended_areas[1].polygon[2]",
        "must have at least 2 item(s)",
    ),
    (
        "polygon latitude",
        _set(f"{JOR}.defended_areas.1.polygon.2", [35.0, 95.0]),
        "partners[1].defended_areas[1].polygon[2][1]",
        "latitude",
    ),
    (
        "duplicate area id",
        _set(f"{JOR}.defended_areas.1.id", "JOR-amman"),
        "partners[1].defended_areas[1].id",
        "duplicate area id",
    ),
    (
        "area id clashing with a territory",
        _set(f"{JOR}.defended_areas.1.id", "USA"),
        "partners[1].defended_areas[1].id",
        "duplicate area id",
    ),
    (
        "unknown territory",
        _set(f"{JOR}.territory", "XXX"),
        "partners[1].territory",
        "unknown territory code 'XXX'",
    ),
    (
        "unknown channel in escalation",
        _set(f"{JOR}.escalation.0.steps.0.channels", ["console", "pager"]),
        "partners[1].escalation[0].steps[0].channels[1]",
        "unknown channel 'pager'",
    ),
    (
        "unknown channel in contact",
        _set(f"{JOR}.contacts.0.addresses", {"fax": "+000"}),
        "partners[1].contacts[0].addresses.fax",
        "unknown channel 'fax'",
    ),
    (
        "severity",
        _set(f"{JOR}.escalation.0.min_severity", "High"),
        "partners[1].escalation[0].min_severity",
        "Extreme",
    ),
    (
        "role without contact",
        _set(f"{JOR}.escalation.0.steps.0.roles", ["commander"]),
        "partners[1].escalation[0].steps[0].roles[0]",
        "no contact with role 'commander'",
    ),
    (
        "steps out of order",
        _set(
            f"{JOR}.escalation.0.steps",
            [
                {"after_s": 30, "channels": ["console"], "roles": ["watch"]},
                {"after_s": 0, "channels": ["console"], "roles": ["watch"]},
            ],
        ),
        "partners[1].escalation[0].steps[1].after_s",
        "earlier",
    ),
    (
        "negative delay",
        _set(f"{JOR}.escalation.0.steps.0.after_s", -1),
        "partners[1].escalation[0].steps[0].after_s",
        "must be >= 0",
    ),
    (
        "contact language",
        _set(f"{JOR}.contacts.0.language", "fr"),
        "partners[1].contacts[0].language",
        "languages",
    ),
    ("language code", _set(f"{JOR}.languages", ["Arabic"]), "partners[1].languages[0]", "letter"),
    (
        "roster names a contact without the role",
        _set(
            f"{JOR}.roster",
            [{"role": "watch", "contact": "nobody", "start": "06:00", "end": "18:00"}],
        ),
        "partners[1].roster[0].contact",
        "no contact 'nobody' with role 'watch'",
    ),
    (
        "roster shift of no length",
        _set(
            f"{JOR}.roster",
            [{"role": "watch", "contact": "JOR watch", "start": "06:00", "end": "06:00"}],
        ),
        "partners[1].roster[0].end",
        "must differ from start",
    ),
    (
        "roster time",
        _set(
            f"{JOR}.roster",
            [{"role": "watch", "contact": "JOR watch", "start": "25:00", "end": "06:00"}],
        ),
        "partners[1].roster[0].start",
        "pattern",
    ),
    (
        "acknowledgement rule",
        _set(f"{JOR}.acknowledgement", "anyone"),
        "partners[1].acknowledgement",
        "each_role",
    ),
    ("no partners", _set("partners", []), "partners", "must have at least 1 item(s)"),
    ("empty name", _set(f"{JOR}.name", ""), "partners[1].name", "must not be empty"),
    (
        "threat rule speed",
        _set("threat_rule", {"fast_min_speed_m_s": -1}),
        "threat_rule.fast_min_speed_m_s",
        "must be > 0",
    ),
    (
        "threat rule typo",
        _set("threat_rule", {"fast_speed_m_s": 200}),
        "threat_rule.fast_speed_m_s",
        "unknown key",
    ),
    (
        "threat rule ballistic as slow as a jet",
        _set("threat_rule", {"ballistic_min_speed_m_s": 300}),
        "threat_rule.ballistic_min_speed_m_s",
        "must be >= 700",
    ),
    (
        "threat rule fast above ballistic",
        _set("threat_rule", {"fast_min_speed_m_s": 1500, "ballistic_min_speed_m_s": 1200}),
        "threat_rule.fast_min_speed_m_s",
        "must not exceed ballistic_min_speed_m_s",
    ),
]


def test_threat_rule_defaults_and_default_agreement() -> None:
    rule = _parse(_minimal()).threat_rule
    assert rule.enabled and rule.ballistic_min_speed_m_s == 1000.0
    data = _minimal() | {"threat_rule": {"enabled": False, "fast_min_speed_m_s": 200}}
    parsed = _parse(data).threat_rule
    assert not parsed.enabled and parsed.fast_min_speed_m_s == 200.0
    default = default_agreement().threat_rule
    assert default.enabled and default.ballistic_min_altitude_m == 30_000.0


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [pytest.param(m, f, r, id=name) for name, m, f, r in REFUSALS],
)
def test_refusal_names_the_field(mutate: Mutation, field: str, reason: str) -> None:
    data = _minimal()
    mutate(data)
    with pytest.raises(AgreementError) as caught:
        _parse(data)
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert isinstance(caught.value, ConfigError)
    assert "in test" in caught.value.__notes__


def test_default_escalation_roles_are_checked_per_partner() -> None:
    data = _minimal()
    del data["partners"][1]["escalation"]
    data["default_escalation"] = [
        {
            "min_severity": "Minor",
            "steps": [{"after_s": 0, "channels": ["console"], "roles": ["watch"]}],
        }
    ]
    with pytest.raises(AgreementError) as caught:
        _parse(data)  # USA has no contacts at all
    assert caught.value.field == "default_escalation[0].steps[0].roles[0]"
    assert "USA" in caught.value.reason


def test_rosters_and_acknowledgement_rules_load() -> None:
    data = _minimal()
    data["partners"][1]["acknowledgement"] = "each_role"
    data["partners"][1]["roster"] = [
        {"role": "watch", "contact": "JOR watch", "start": "18:00", "end": "06:00"}
    ]
    jor = _parse(data).partners["JOR"]
    assert jor.ack_mode.value == "each_role"
    (shift,) = jor.roster
    assert shift.covers(23 * 60) and shift.covers(5 * 60) and not shift.covers(12 * 60)
    assert jor.contacts[0].contact_id == "JOR/watch/jor-watch"
    assert default_agreement().partners["ISR"].ack_mode.value == "each_role"


def test_invalid_toml() -> None:
    with pytest.raises(AgreementError, match="not valid TOML"):
        parse_agreement("[coalition\n", source="broken")
