"""The release rule for alerts (docs/decisions.md): a partner is warned of every threat to its
areas, even one seen only in reports not released to it, without what names the source;
incident summaries count only the tracks the viewer may see."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.factories import T0, drone_path
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.alerting.cap import encode_cap
from warnline.assess import Assessor
from warnline.dispatch import Dispatcher
from warnline.domain import Alert, ManualClock
from warnline.domain.codec import from_json
from warnline.ingest import report_event
from warnline.journal import Event, MemoryJournal
from warnline.node.views import ReleasedViews
from warnline.picture import Picture
from warnline.pipeline import Pipeline
from warnline.release import Release
from warnline.response import LeadProcedure


def bhr_drone_over_amman(agreement: Agreement) -> tuple[Pipeline, list[Alert]]:
    """A drone towards Amman seen only by BHR, which releases to USA, SAU and ARE."""
    bhr = agreement.partners["BHR"].releasability
    reports = [replace(r, releasability=bhr) for r in drone_path(T0, 30, partner="BHR")]
    events: list[Event] = []
    for i, r in enumerate(reports):
        at = T0 + timedelta(seconds=2 * i)
        events.append(report_event(r, received_at=at, submission=f"bhr-{i}"))
        events.append(Event(event_id=f"tick:{i}", kind="clock.tick", at=at + timedelta(seconds=1)))
    journal = MemoryJournal()
    journal.append(events)
    pipeline = Pipeline(
        picture=Picture(),
        assessor=Assessor(agreement=agreement),
        incidents=IncidentBook(),
        alerting=Alerting(agreement=agreement),
        assigner=LeadProcedure(agreement=agreement),
    )
    out = pipeline.process(journal.read())
    alerts = [from_json(Alert, e.payload) for e in out if e.kind == "alert.issued"]
    return pipeline, [a for a in alerts if a.area_id == "JOR-amman"]


@pytest.fixture(scope="module")
def raid(agreement: Agreement) -> tuple[Pipeline, list[Alert]]:
    return bhr_drone_over_amman(agreement)


def test_threatened_partner_is_warned_without_the_unreleased_track(
    agreement: Agreement, raid: tuple[Pipeline, list[Alert]]
) -> None:
    _, alerts = raid
    assert alerts, "JOR must be warned of a threat to Amman seen only by BHR"
    (track_id,) = {t for a in alerts for t in a.tracks}
    release = Release(agreement)
    for alert in alerts:
        view = release.alert("JOR", alert)
        assert view is not None
        assert view["tracks"] == [] and "withheld_tracks" not in view
        assert view["kinds"] == {"drone": 1}
        assert view["area_id"] == "JOR-amman" and view["stage"] == alert.stage.value
        assert view["time_to_arrival_s"] == alert.time_to_arrival_s
        text = str(view)
        assert track_id not in text and "BHR" not in text and "radar" not in text
        if alert.msg_type.value != "Cancel":
            assert "not released to JOR" in view["reason"]
        cap = encode_cap(release.alert_for("JOR", alert), sender="hub@x")  # type: ignore[arg-type]
        assert track_id.encode() not in cap and b"BHR" not in cap
    cell = release.alert("USA", alerts[0])
    assert cell is not None and cell["tracks"] == [track_id]  # the cell sees it all


def test_a_track_released_to_the_partner_is_still_named(agreement: Agreement) -> None:
    jor = agreement.partners["JOR"].releasability
    _, alerts = bhr_drone_over_amman(
        replace(
            agreement,
            partners=agreement.partners
            | {"BHR": replace(agreement.partners["BHR"], releasability=jor)},
        )
    )
    assert alerts and all(a.withheld_tracks == () for a in alerts)
    view = Release(agreement).alert("JOR", alerts[0])
    assert view is not None and view["tracks"] == list(alerts[0].tracks)


def test_incident_summary_counts_only_visible_tracks(
    agreement: Agreement, raid: tuple[Pipeline, list[Alert]]
) -> None:
    pipeline, _ = raid
    release = Release(agreement)
    views = ReleasedViews(
        agreement=agreement,
        pipeline=pipeline,
        dispatcher=Dispatcher(recipients=lambda p: [], partner_of=lambda u: "", retry_s=10),
        release=release,
        clock=ManualClock(T0 + timedelta(seconds=60)),
    )
    assert len(pipeline.picture.tracks()) == 1  # still in the air at the end
    (cell,) = views.incidents_for("USA")
    assert cell["kinds"] == {"drone": 1} and len(cell["track_ids"]) == 1
    (jor,) = views.incidents_for("JOR")  # told of it by its alert, but sees no track
    assert jor["track_ids"] == [] and jor["kinds"] == {}
    assert views.incidents_for("ISR") == []
