"""Read the coalition agreement (TOML) once, check all of it, and freeze it.

Two passes. The schema pass (strict pydantic models that refuse unknown keys, so a typo
cannot pass silently) checks presence, types and ranges; the agreement pass checks what
spans fields: codes that must exist, ids that must be unique, keys that must decode,
geometries that must be valid. Either way the first problem found is raised as one
`AgreementError` whose `field` is the exact path in the document, for example
``partners[3].defended_areas[1].radius_km``.

Geometries (in `areas.py`) come out in WGS84 lon/lat: territories from the packaged
Natural Earth outlines (lightly simplified, so the hot path's geometry stays cheap),
circles as geodesic 64-gons. A partner with no territory in the region (the
coordination cell) gets a territory area with an empty geometry, which no corridor
can enter.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError
from pydantic_core import ErrorDetails

from warnline.agreement.areas import AreaIn, defended_area, territory_area
from warnline.agreement.asterix import AsterixIn, asterix_settings
from warnline.agreement.model import (
    AckMode,
    Agreement,
    Contact,
    EscalationPolicy,
    EscalationStep,
    Partner,
    Shift,
)
from warnline.agreement.response_rules import (
    ReadinessIn,
    ResponseIn,
    consents,
    readiness,
    response_rules,
)
from warnline.agreement.schema import (
    In,
    NonNegative,
    Positive,
    ReleaseTo,
    Text,
)
from warnline.agreement.threat_rule import ThreatRuleIn, threat_rule
from warnline.domain.alert import Severity
from warnline.domain.report import Attribution, Releasability
from warnline.errors import AgreementError

KNOWN_CHANNELS = ("console", "webhook", "email", "sms", "voice", "cot", "apprise")

_PARTNER_CODE = re.compile(r"[A-Z]{3}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")

# ---------------------------------------------------------------------------- schema pass


class _StepIn(In):
    after_s: NonNegative
    channels: Annotated[list[str], Field(min_length=1)]
    roles: Annotated[list[str], Field(min_length=1)]


class _PolicyIn(In):
    min_severity: Literal["Extreme", "Severe", "Moderate", "Minor"]
    repeat_s: Positive = 60.0
    steps: Annotated[list[_StepIn], Field(min_length=1)]


class _ReleasabilityIn(In):
    release_to: ReleaseTo = None
    attribution: Literal["named", "anonymous"] = "named"
    withhold: list[Literal["accuracy", "altitude", "velocity"]] = []


class _ContactIn(In):
    role: Text
    name: Text
    language: str = "en"
    addresses: Annotated[dict[str, Text], Field(min_length=1)]
    prompts: dict[str, Text] = {}


class _ShiftIn(In):
    role: Text
    contact: Text
    start: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    end: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class _PartnerIn(In):
    code: str
    name: Text
    languages: Annotated[list[str], Field(min_length=1)] = ["en"]
    territory: str | None = None
    time_to_shelter_s: Positive = 90.0
    can_lead: bool = True
    membership_visible: bool = True
    sovereignty: bool = True
    consents_to: ReleaseTo = ()
    readiness: list[ReadinessIn] = []
    public_keys: Annotated[dict[str, str], Field(min_length=1)]
    releasability: _ReleasabilityIn = _ReleasabilityIn()
    escalation: list[_PolicyIn] | None = None
    defended_areas: list[AreaIn] = []
    contacts: list[_ContactIn] = []
    acknowledgement: Literal["floor", "each_role"] = "floor"
    roster: list[_ShiftIn] = []
    max_reports_per_s: Positive = 5000.0
    asterix: AsterixIn | None = None


class _CoalitionIn(In):
    name: Text
    coordination_cell: str
    exercise: bool
    hub_public_key: str = ""
    max_report_age_s: Positive = 300.0
    max_report_lead_s: NonNegative = 5.0
    notes: list[str] = []


class _DocumentIn(In):
    coalition: _CoalitionIn
    default_escalation: list[_PolicyIn] = []
    response: ResponseIn = ResponseIn()
    threat_rule: ThreatRuleIn = ThreatRuleIn()
    partners: Annotated[list[_PartnerIn], Field(min_length=1)]


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


_BOUNDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def _reason(error: ErrorDetails) -> str:
    """Pydantic's finding, worded the way the rest of our errors are."""
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in _BOUNDS:
        return f"must be {_BOUNDS[kind]} {next(iter(ctx.values())):g}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown key (not part of the agreement format)"
    if kind == "value_error":
        return str(ctx["error"])
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return f"must have {bound} {limit} item(s)"
    if kind == "string_too_short":
        return "must not be empty"
    return error["msg"].replace("Input should", "must").replace("should", "must")


def _schema(document: dict[str, Any]) -> _DocumentIn:
    try:
        return _DocumentIn.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise AgreementError(field=_field_path(first["loc"]), reason=_reason(first)) from None


# ------------------------------------------------------------------------ agreement pass


def _check_key(value: str, field: str) -> None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise AgreementError(field=field, reason="is not valid base64") from None
    if len(raw) != 32:
        raise AgreementError(
            field=field, reason=f"must be a 32-byte Ed25519 verify key, got {len(raw)} bytes"
        )


def _policies(
    policies: list[_PolicyIn], roles: set[str], field: str, owner: str
) -> tuple[EscalationPolicy, ...]:
    out = []
    for p, policy in enumerate(policies):
        previous = 0.0
        steps = []
        for s, step in enumerate(policy.steps):
            where = f"{field}[{p}].steps[{s}]"
            if step.after_s < previous:
                raise AgreementError(f"{where}.after_s", "must not be earlier than the step before")
            previous = step.after_s
            for c, channel in enumerate(step.channels):
                if channel not in KNOWN_CHANNELS:
                    reason = f"unknown channel {channel!r} (known: {', '.join(KNOWN_CHANNELS)})"
                    raise AgreementError(f"{where}.channels[{c}]", reason)
            for r, role in enumerate(step.roles):
                if role not in roles:
                    raise AgreementError(
                        f"{where}.roles[{r}]", f"partner {owner} has no contact with role {role!r}"
                    )
            steps.append(
                EscalationStep(
                    after_s=step.after_s, channels=tuple(step.channels), roles=tuple(step.roles)
                )
            )
        out.append(
            EscalationPolicy(
                min_severity=Severity(policy.min_severity), steps=tuple(steps),
                repeat_s=policy.repeat_s,
            )
        )  # fmt: skip
    return tuple(out)


def _contacts(partner: _PartnerIn, field: str) -> tuple[Contact, ...]:
    out = []
    for c, contact in enumerate(partner.contacts):
        if contact.language not in partner.languages:
            reason = f"{contact.language!r} is not one of the partner's languages"
            raise AgreementError(f"{field}.contacts[{c}].language", reason)
        for channel in contact.addresses:
            if channel not in KNOWN_CHANNELS:
                reason = f"unknown channel {channel!r} (known: {', '.join(KNOWN_CHANNELS)})"
                raise AgreementError(f"{field}.contacts[{c}].addresses.{channel}", reason)
        out.append(
            Contact(
                role=contact.role, name=contact.name, language=contact.language,
                addresses=dict(contact.addresses), partner=partner.code,
                prompts=dict(contact.prompts),
            )
        )  # fmt: skip
    return tuple(out)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _roster(partner: _PartnerIn, contacts: tuple[Contact, ...], field: str) -> tuple[Shift, ...]:
    """Shifts must name a contact that holds the shift's role."""
    holders = {(c.role, c.name) for c in contacts}
    out = []
    for i, shift in enumerate(partner.roster):
        if (shift.role, shift.contact) not in holders:
            reason = f"no contact {shift.contact!r} with role {shift.role!r}"
            raise AgreementError(f"{field}.roster[{i}].contact", reason)
        if shift.start == shift.end:
            raise AgreementError(f"{field}.roster[{i}].end", "must differ from start")
        out.append(
            Shift(
                role=shift.role, contact=shift.contact,
                start_min=_minutes(shift.start), end_min=_minutes(shift.end),
            )
        )  # fmt: skip
    return tuple(out)


def _partner(spec: _PartnerIn, doc: _DocumentIn, codes: set[str], field: str) -> Partner:
    for i, language in enumerate(spec.languages):
        if not _LANGUAGE.fullmatch(language):
            raise AgreementError(f"{field}.languages[{i}]", "must be a 2- or 3-letter code")
    for key_id, key in spec.public_keys.items():
        _check_key(key, f"{field}.public_keys.{key_id}")
    release_to = spec.releasability.release_to
    for i, code in enumerate(release_to or ()):
        if code not in codes:
            reason = f"unknown partner code {code!r}"
            raise AgreementError(f"{field}.releasability.release_to[{i}]", reason)
    contacts = _contacts(spec, field)
    roles = {c.role for c in contacts}
    if spec.escalation is not None:
        escalation = _policies(spec.escalation, roles, f"{field}.escalation", spec.code)
    else:
        escalation = _policies(doc.default_escalation, roles, "default_escalation", spec.code)
    return Partner(
        code=spec.code,
        name=spec.name,
        public_keys=dict(spec.public_keys),
        territory=territory_area(
            code=spec.code,
            name=spec.name,
            territory=spec.territory,
            shelter_s=spec.time_to_shelter_s,
            field=field,
        ),
        defended_areas=tuple(
            defended_area(
                a,
                partner=spec.code,
                shelter_s=spec.time_to_shelter_s,
                field=f"{field}.defended_areas[{i}]",
            )
            for i, a in enumerate(spec.defended_areas)
        ),
        releasability=Releasability(
            release_to=release_to,
            attribution=Attribution(spec.releasability.attribution),
            withhold=tuple(spec.releasability.withhold),
        ),
        languages=tuple(spec.languages),
        contacts=contacts,
        escalation=escalation,
        can_lead=spec.can_lead,
        membership_visible=spec.membership_visible,
        max_reports_per_s=spec.max_reports_per_s,
        sovereignty=spec.sovereignty,
        consents_to=consents(spec.consents_to, codes, field),
        readiness=readiness(spec.code, spec.readiness, doc.response, field),
        ack_mode=AckMode(spec.acknowledgement),
        roster=_roster(spec, contacts, field),
        asterix=asterix_settings(spec.asterix, f"{field}.asterix"),
    )


def _check_codes(doc: _DocumentIn) -> set[str]:
    seen: dict[str, int] = {}
    for i, partner in enumerate(doc.partners):
        if not _PARTNER_CODE.fullmatch(partner.code):
            raise AgreementError(f"partners[{i}].code", "must be 3 uppercase letters (ISO alpha-3)")
        if partner.code in seen:
            reason = (
                f"duplicate partner code {partner.code!r} (also partners[{seen[partner.code]}])"
            )
            raise AgreementError(f"partners[{i}].code", reason)
        seen[partner.code] = i
    if doc.coalition.coordination_cell not in seen:
        raise AgreementError("coalition.coordination_cell", "must be the code of a partner")
    return set(seen)


def _check_area_ids(partners: list[Partner]) -> None:
    seen = {p.territory.area_id for p in partners}
    for i, partner in enumerate(partners):
        for a, area in enumerate(partner.defended_areas):
            if area.area_id in seen:
                reason = f"duplicate area id {area.area_id!r}"
                raise AgreementError(f"partners[{i}].defended_areas[{a}].id", reason)
            seen.add(area.area_id)


def parse_agreement(text: str, *, source: str) -> Agreement:
    """Parse and check an agreement document; `source` names it in error notes."""
    try:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise AgreementError(field="", reason=f"not valid TOML: {exc}") from None
        doc = _schema(document)
        codes = _check_codes(doc)
        if doc.coalition.hub_public_key:
            _check_key(doc.coalition.hub_public_key, "coalition.hub_public_key")
        # Sectors first: readiness declarations name them.
        response = response_rules(doc.response, codes)
        partners = [_partner(p, doc, codes, f"partners[{i}]") for i, p in enumerate(doc.partners)]
        _check_area_ids(partners)
        rule = threat_rule(doc.threat_rule)
    except AgreementError as exc:
        exc.add_note(f"in {source}")
        raise
    coalition = doc.coalition
    return Agreement(
        name=coalition.name,
        coordination_cell=coalition.coordination_cell,
        exercise=coalition.exercise,
        partners={p.code: p for p in partners},
        hub_public_key=coalition.hub_public_key,
        max_report_age_s=coalition.max_report_age_s,
        max_report_lead_s=coalition.max_report_lead_s,
        notes=tuple(coalition.notes),
        response=response,
        threat_rule=rule,
    )


def load_agreement(path: Path | None = None) -> Agreement:
    """Load the agreement at `path`, or the packaged default exercise coalition."""
    if path is None:
        resource = resources.files("warnline.agreement").joinpath("data/default.toml")
        return parse_agreement(resource.read_text(encoding="utf-8"), source="default.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AgreementError(field="", reason=f"cannot read {path}: {exc.strerror}") from None
    return parse_agreement(text, source=str(path))


@functools.cache
def default_agreement() -> Agreement:
    """The packaged default coalition, parsed once per process (treat it as read-only)."""
    return load_agreement()
