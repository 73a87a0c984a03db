"""ASTERIX out (decision 76): CAT062 of a partner's released picture over real UDP on
127.0.0.1, decoded by Warnline's decoder and by the independent one; nothing the
release stage withholds from the partner is sent."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import pytest

from tests import asterix_oracle
from tests.factories import T0, free_port
from warnline.accounts import Accounts, Role, User
from warnline.agreement.model import AsterixSensor, AsterixSettings
from warnline.domain import Identity, ManualClock, Position, Releasability, Report, Velocity
from warnline.errors import ConfigError
from warnline.ingest.asterix import AsterixDecoder, Reason
from warnline.serve.asterix_out import PictureEncoder
from warnline.serve.builder import Built, build
from warnline.serve.config import load_config
from warnline.sim.served import write_node_config

USERS = [
    User(username="usa-cell", partner="USA", role=Role.CELL,
         password_hash=Accounts.hash_password("pw-usa")),
]  # fmt: skip
HUB = AsterixSettings(
    editions={62: "1.20"},
    sensors=(AsterixSensor(sac=250, sic=1, sensor="hub", lat=0.0, lon=0.0),),
)


def _build(tmp_path: Path, outs: list[dict[str, object]]) -> Built:
    path = write_node_config(
        tmp_path, host="127.0.0.1", port=free_port(), agreement=None, tick_s=0.1,
        users=USERS, channels={}, secrets={}, asterix_out=outs,
    )  # fmt: skip
    return build(load_config(path), path, clock=ManualClock(T0))


def _track(partner: str, sensor: str, lat: float, rel: Releasability | None) -> list[Report]:
    return [
        Report(
            report_id=f"{sensor}-{i}", partner=partner, sensor=sensor, sensor_track=f"{sensor}:1",
            observed_at=T0 + timedelta(seconds=2 * i),
            position=Position(lat=lat - 0.002 * i, lon=35.2, alt_m=800.0),
            velocity=Velocity(east=0.0, north=-100.0), accuracy_m=200.0,
            identity=Identity.HOSTILE, confidence=0.8, releasability=rel,
        )
        for i in range(6)
    ]  # fmt: skip


async def test_only_the_released_picture_goes_out(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as centre:
        centre.bind(("127.0.0.1", 0))
        centre.settimeout(10)
        port = centre.getsockname()[1]
        built = _build(tmp_path, [{"partner": "ISR", "host": "127.0.0.1", "port": port,
                                   "sac": 250, "sic": 1, "period_s": 3600}])  # fmt: skip
        try:
            async with built.serving():
                node = built.node
                assert isinstance(node.clock, ManualClock)
                node.clock.advance(12)
                shared = _track("JOR", "jor-radar-1", 31.2, None)  # released to all
                kept = _track("SAU", "sau-radar-1", 29.0, Releasability(release_to=("USA",)))
                assert await node.commands.submit_asterix(shared) == []
                assert await node.commands.submit_asterix(kept) == []
                await node.settle()
                shown = node.views.picture_for("ISR", tentative=False)["tracks"]
                assert len(shown) == 1  # what ISR's console would draw
                (sender,) = built.asterix.senders
                assert sender.pictures == 1  # the first, at start, had no track: no datagram
                assert sender.send_once() == 1
                data, _ = centre.recvfrom(65_535)
                health = {h["channel"]: h for h in node.views.feed_health()}
                assert health[f"asterix-out udp://127.0.0.1:{port}"]["records"] >= 1
        finally:
            built.journal.close()
    out = AsterixDecoder("ISR", HUB).decode(data, now=T0 + timedelta(seconds=12))
    (report,) = out.reports
    assert not out.faults
    assert report.position.lat == pytest.approx(shown[0]["position"]["lat"], abs=1e-6)
    assert report.position.alt_m == pytest.approx(shown[0]["position"]["alt_m"], abs=2.0)
    assert report.velocity is not None and report.velocity.north == pytest.approx(
        shown[0]["velocity"]["north"], abs=0.3
    )
    ((theirs,),) = asterix_oracle.decode([data])
    assert theirs["category"] == 62 and theirs["I010"]["SAC"]["val"] == 250
    assert theirs["I105"]["Lat"]["val"] == pytest.approx(shown[0]["position"]["lat"], abs=1e-6)
    assert theirs["I105"]["Lat"]["val"] > 30  # JOR's track, never SAU's (at 29)


def test_a_track_that_leaves_the_picture_is_ended_and_numbers_are_stable() -> None:
    enc = PictureEncoder("1.20", 250, 1)
    view = {
        "track_id": "T000001", "updated_at": T0.isoformat(),
        "position": {"lat": 31.0, "lon": 35.0, "alt_m": None}, "velocity": None,
        "sigma_m": None, "identity": "friend",
    }  # fmt: skip
    first, ended = enc.records({"at": T0.isoformat(), "tracks": [view]})
    assert ended == 0
    again, _ = enc.records({"at": T0.isoformat(), "tracks": [view]})
    last, ended = enc.records({"at": T0.isoformat(), "tracks": []})
    assert ended == 1 and len(last) == 1
    decoder = AsterixDecoder("ISR", HUB)
    block = bytes([62]) + (len(first[0]) + 3).to_bytes(2, "big") + first[0]
    (r,) = decoder.decode(block, now=T0).reports
    assert r.identity is Identity.FRIEND and r.sensor_track == "hub:1" and not r.altitude_measured
    assert again == first
    end = bytes([62]) + (len(last[0]) + 3).to_bytes(2, "big") + last[0]
    assert decoder.decode(end, now=T0).faults == {Reason.SKIPPED: 1}  # TSE: service ended


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"partner": "ISR", "port": 1, "sac": 1, "sic": 1, "editon": "1.20"}, "unknown key editon"),
        ({"partner": "ISR", "port": 1, "sac": 300, "sic": 1}, "sac 300: must be a whole number"),
        ({"partner": "ISR", "port": 1, "sac": 1, "sic": 1, "edition": "1.31"}, "CAT062 edition"),
        ({"partner": "ISR", "port": 1, "sac": 1, "sic": 1, "period_s": 0}, "period_s 0"),
        ({"partner": "XYZ", "port": 1, "sac": 1, "sic": 1}, "unknown partner XYZ"),
    ],
)
def test_a_bad_sender_is_refused_naming_its_field(
    tmp_path: Path, table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        _build(tmp_path, [table])
    assert message in str(refused.value) and "asterix_out[0]" in str(refused.value)
