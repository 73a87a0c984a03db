"""One partner's CoT frames: changes only, refreshes before stale, deletions, and the
stale rule that follows the picture's coasting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lxml import etree

from tests.factories import T0
from warnline.cot.frames import PictureFrames


def track(track_id: str, *, state: str = "confirmed", at: float = 0.0, lon: float = 36.0,
          corridor: bool = False) -> dict[str, Any]:  # fmt: skip
    view: dict[str, Any] = {
        "track_id": track_id, "state": state,
        "updated_at": (T0 + timedelta(seconds=at)).isoformat(),
        "position": {"lat": 31.9, "lon": lon, "alt_m": None},
        "velocity": {"east": -50.0, "north": 0.0, "up": 0.0}, "sigma_m": 120.0,
        "kind": "ballistic_missile", "identity": "hostile", "sources": ["coalition source"],
        "fused": True,
    }  # fmt: skip
    if corridor:
        view["corridor"] = [[36.0, 31.9], [35.9, 31.8], [35.9, 32.0], [36.0, 31.9]]
    return view


def events(data: bytes) -> list[etree._Element]:
    return list(etree.fromstring(b"<s>" + data + b"</s>"))


def test_changes_go_out_unchanged_ones_are_refreshed_and_ended_ones_deleted() -> None:
    f = PictureFrames(coast_after_s=15, drop_after_s=60, refresh_s=5)
    first = events(f.frame({"tracks": [track("T1", corridor=True)]}, [], T0).data)
    assert [e.get("type") for e in first] == ["a-h-A-W-M-S-S", "u-d-f"]
    atom = first[0]
    assert atom.get("uid") == "warnline.track.T1" and atom.get("how") == "m-f"
    assert atom.find("point").get("hae") == "9999999.0"  # altitude withheld: unknown
    assert atom.find("detail/track").get("course") == "270.0"
    # Nothing changed a second later: nothing sent; five seconds on: refreshed.
    same = {"tracks": [track("T1", corridor=True)]}
    assert f.frame(same, [], T0 + timedelta(seconds=1)).events == 0
    assert f.frame(same, [], T0 + timedelta(seconds=6)).events == 2
    # It moved (its corridor did not): the track alone; then it ended: both deleted.
    moved = {"tracks": [track("T1", lon=35.9, corridor=True)]}
    assert f.frame(moved, [], T0 + timedelta(seconds=7)).counts == {"track": 1}
    gone = events(f.frame({"tracks": []}, [], T0 + timedelta(seconds=8)).data)
    assert {e.get("type") for e in gone} == {"t-x-d-d"}
    assert {e.find("detail/link").get("uid") for e in gone} == {
        "warnline.track.T1", "warnline.track.T1.corridor"}  # fmt: skip
    assert f.snapshot() == b""


def test_stale_follows_coasting() -> None:
    f = PictureFrames(coast_after_s=15, drop_after_s=60)
    picture = {"tracks": [track("T1", at=10), track("T2", state="coasting", at=10)]}
    confirmed, coasting = events(f.frame(picture, [], T0 + timedelta(seconds=20)).data)
    assert confirmed.get("start") == "2026-11-25T12:00:10.000Z"
    assert confirmed.get("stale") == "2026-11-25T12:00:25.000Z"  # last report + coast_after
    assert coasting.get("stale") == "2026-11-25T12:01:10.000Z"  # last report + drop_after
    assert confirmed.get("time") == "2026-11-25T12:00:20.000Z"


def test_an_alert_is_an_alarm_at_its_area_with_the_area_drawn() -> None:
    alert = {
        "alert_id": "A1", "version": 2, "stage": "alert", "msg_type": "Update",
        "area_id": "JOR-amman", "area_name": "Amman <metro>", "status": "Actual",
        "sent_at": T0.isoformat(), "headline": "Take shelter", "time_to_arrival_s": 95.0,
        "tracks": ["T1"], "circle": {"lon": 35.9, "lat": 31.95, "radius_km": 20},
        "area": {"type": "MultiPolygon", "coordinates": [
            [[[35.8, 31.9], [36.0, 31.9], [36.0, 32.0], [35.8, 31.9]]]]},
    }  # fmt: skip
    f = PictureFrames()
    alarm, shape = events(f.frame({"tracks": []}, [alert], T0).data)
    assert alarm.get("type") == "b-a-g" and alarm.get("uid") == "warnline.alert.A1"
    assert alarm.find("detail/remarks").text == "Take shelter (arrival in 95 s)"
    assert alarm.find("detail/contact").get("callsign") == "Amman <metro>"  # escaped, intact
    assert shape.get("type") == "u-d-f" and len(shape.findall("detail/link[@point]")) == 4
    assert shape.find("detail/link[@relation='p-p']").get("uid") == "warnline.alert.A1"
    # Cancelled (no longer live): alarm and area deleted.
    assert f.frame({"tracks": []}, [], T0 + timedelta(seconds=1)).counts == {"deletion": 2}
