"""Property: on every channel, a partner learns nothing of other partners from an alert.

Random raids (tracks from random contributors with random policies, near random areas)
go through the alerting stage; every alert version is then rendered for every viewer
the way each channel renders it — the API/WebSocket view, the SMS/voice/e-mail/webhook
message, and the CAP message — and no rendering for a partner may name another partner
(its code or its name), nor reach a partner the alert is not addressed to.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import T0, make_assessment, make_track
from warnline.agreement.model import Agreement, AreaKind
from warnline.alerting import Alerting, IncidentBook
from warnline.alerting.cap import encode_cap
from warnline.domain import Attribution, Releasability
from warnline.release import Release
from warnline.release.messages import person_message

CODES = ["USA", "ISR", "SAU", "QAT", "EGY", "ARE", "BHR", "JOR"]

policies = st.builds(
    Releasability,
    release_to=st.one_of(st.none(), st.lists(st.sampled_from(CODES), max_size=3).map(tuple)),
    attribution=st.sampled_from(list(Attribution)),
)


def renderings(agreement: Agreement, release: Release, viewer: str, alert, previous) -> list[str]:  # type: ignore[no-untyped-def]
    view = release.alert(viewer, alert)
    if view is None:
        return []
    partner = agreement.partners[alert.partner]
    msg = person_message(alert, view, language=partner.languages[0], code="1234")
    cap = encode_cap(
        alert, sender="hub@warnline.invalid", previous=previous, languages=partner.languages
    )
    return [
        json.dumps(view, ensure_ascii=False),
        msg.subject,
        msg.text,
        msg.spoken,
        json.dumps(msg.view, ensure_ascii=False),
        cap.decode(),
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_channel_names_another_partner(agreement: Agreement, data: st.DataObject) -> None:
    areas = [a for a in agreement.areas if a.kind is AreaKind.DEFENDED or not a.geometry.is_empty]
    release = Release(agreement)
    book, alerting = IncidentBook(), Alerting(agreement=agreement)
    n = data.draw(st.integers(1, 4))
    tracks = [
        make_track(
            f"T{i:06d}",
            lat=31.95 + 0.05 * i,
            contributors=tuple(
                data.draw(
                    st.lists(
                        st.tuples(st.sampled_from(CODES), policies),
                        min_size=1,
                        max_size=3,
                        unique_by=lambda c: c[0],
                    )
                )
            ),
        )
        for i in range(n)
    ]
    book.update(tracks, [], T0)
    assessments = {
        t.track_id: make_assessment(
            t,
            T0,
            [
                (a.area_id, a.partner, data.draw(st.floats(0, 700)))
                for a in data.draw(
                    st.lists(
                        st.sampled_from(areas),
                        min_size=1,
                        max_size=3,
                        unique_by=lambda a: a.area_id,
                    )
                )
            ],
        )
        for t in tracks
    }
    alerts = alerting.evaluate(book, assessments, T0)
    assert alerts
    names = {c: p.name for c, p in agreement.partners.items()}
    for alert in alerts:
        previous = alerting.previous_versions(alert)
        for viewer in CODES:
            texts = renderings(agreement, release, viewer, alert, previous)
            if viewer not in (alert.partner, agreement.coordination_cell):
                assert texts == [], f"{alert.alert_id} rendered for {viewer}"
                continue
            if viewer == agreement.coordination_cell:
                continue
            for other in CODES:
                if other == viewer:
                    continue
                for text in texts:
                    assert other not in text and names[other] not in text, (
                        alert.alert_id,
                        viewer,
                        other,
                        text[:200],
                    )
