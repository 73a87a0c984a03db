"""The picture in a process of its own decides exactly as the one in-process: the
same decisions, the same tracks, links and fades after every call, a snapshot that
resumes where it was taken, and a dead process that is said to be dead."""

from __future__ import annotations

import asyncio
import os
import pickle
import signal
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.factories import T0, drone_path
from tests.test_pipeline import inputs, two_partner_raid
from warnline.agreement.model import Agreement
from warnline.alerting import Alerting, IncidentBook
from warnline.assess import Assessor
from warnline.errors import SnapshotError
from warnline.journal import Entry, MemoryJournal
from warnline.picture import Picture
from warnline.picture.remote import PictureProcess, PictureProcessError
from warnline.pipeline import Pipeline
from warnline.response import LeadProcedure


def _pipeline(agreement: Agreement, picture: Picture | PictureProcess) -> Pipeline:
    return Pipeline(
        picture=picture,
        assessor=Assessor(agreement=agreement),
        incidents=IncidentBook(),
        alerting=Alerting(agreement=agreement),
        assigner=LeadProcedure(agreement=agreement),
    )


def _entries() -> list[Entry]:
    crossing = [
        replace(r, position=replace(r.position, lat=r.position.lat + 0.01), sensor_track="st2")
        for r in drone_path(T0, 30, prefix="k")
    ]
    j = MemoryJournal()
    j.append(inputs(two_partner_raid() + crossing, 70))
    return j.read()


@pytest.fixture
def remote() -> object:
    pictures: list[PictureProcess] = []

    def make() -> PictureProcess:
        p = PictureProcess(Picture())
        pictures.append(p)
        return p

    yield make
    for p in pictures:
        p.close()


def _key(events: list[object]) -> list[tuple[object, object]]:
    return [(e.event_id, e.payload) for e in events]  # type: ignore[attr-defined]


def test_the_same_decisions_tracks_and_links_as_in_process(
    agreement: Agreement, remote: object
) -> None:
    entries = _entries()
    local = _pipeline(agreement, Picture())
    far = _pipeline(agreement, remote())  # type: ignore[operator]
    for i in range(0, len(entries), 9):
        chunk = entries[i : i + 9]
        assert _key(far.process(chunk)) == _key(local.process(chunk))
        assert far.picture.tracks() == local.picture.tracks()
        assert far.picture.faded() == local.picture.faded()
    assert local.alerting.history, "the raid alerts: the comparison covers decisions"
    lp: Picture = local.picture  # type: ignore[assignment]
    fp: PictureProcess = far.picture  # type: ignore[assignment]
    keys = {(r.partner, r.sensor, r.sensor_track) for r in two_partner_raid()}
    assert keys and all(fp.linked_track(k) == lp.linked_track(k) for k in keys)  # type: ignore[arg-type]


def test_awaited_calls_give_the_same_decisions(agreement: Agreement, remote: object) -> None:
    entries = _entries()
    local = _pipeline(agreement, Picture())
    far = _pipeline(agreement, remote())  # type: ignore[operator]

    async def fold() -> list[object]:
        out: list[object] = []
        for i in range(0, len(entries), 25):
            out.extend(await far.process_async(entries[i : i + 25]))
        return out

    assert _key(asyncio.run(fold())) == _key(local.process(entries))


def test_a_snapshot_resumes_in_a_new_process_where_it_was_taken(
    agreement: Agreement, remote: object
) -> None:
    entries = _entries()
    half = len(entries) // 2
    local = _pipeline(agreement, Picture())
    far = _pipeline(agreement, remote())  # type: ignore[operator]
    local.process(entries[:half])
    far.process(entries[:half])
    fp: PictureProcess = far.picture  # type: ignore[assignment]
    with pytest.raises(SnapshotError, match="not prepared"):
        pickle.dumps(fp)
    fp.prepare_capture()
    assert fp.capture_fds(), "the state comes through a pipe of its own"
    again: PictureProcess = pickle.loads(pickle.dumps(fp))
    assert not fp.capture_fds()  # read whole, and closed
    try:
        resumed = _pipeline(agreement, again)
        vars(resumed).update({k: v for k, v in vars(far).items() if k != "picture"})
        assert _key(resumed.process(entries[half:])) == _key(local.process(entries[half:]))
        assert again.tracks() == local.picture.tracks()
    finally:
        again.close()


def test_a_dead_process_is_said_to_be_dead_and_not_restarted(remote: object) -> None:
    p: PictureProcess = remote()  # type: ignore[operator]
    reports = drone_path(T0, 3, prefix="d")
    assert p.ingest(reports[:1])
    assert p._proc is not None and p._proc.pid is not None
    os.kill(p._proc.pid, signal.SIGKILL)
    p._proc.join(10)
    with pytest.raises(PictureProcessError, match="ended"):
        p.ingest(reports[1:2])
    with pytest.raises(PictureProcessError, match="ended"):  # its state is gone: no restart
        p.expire(T0 + timedelta(seconds=5))


def test_the_wire_form_of_a_track_has_every_field_of_a_track() -> None:
    import dataclasses

    from warnline.domain import Track
    from warnline.picture.remote import _TrackWire

    assert _TrackWire.__struct_fields__ == tuple(f.name for f in dataclasses.fields(Track))


def test_an_answer_sends_only_the_contributors_that_changed() -> None:
    """Two partners report a drone, then one of them alone: the second answer carries
    the silent partner's contributor as nil, and the mirror rebuilt from it is the
    picture's own track."""
    import msgspec

    from warnline.picture.remote import _answer

    jor = drone_path(T0, 4, partner="JOR", prefix="j")
    isr = [replace(r, partner="ISR", sensor="isr-radar") for r in drone_path(T0, 4, prefix="i")]
    picture, mirror, sent = Picture(), PictureProcess(Picture()), {}  # type: ignore[var-annotated]
    first = _answer(picture, picture.ingest(jor[:2] + isr[:2]), sent)
    mirror._apply(("ok", first))
    second = _answer(picture, picture.ingest(jor[2:3]), sent)
    wires = msgspec.msgpack.decode(second)[0]
    assert [len(w[10]) for w in wires] == [2]  # one track, two contributors ...
    assert sum(c is None for c in wires[0][10]) == 1  # ... of which ISR's is unchanged
    mirror._apply(("ok", second))
    assert mirror.tracks() == picture.tracks()
    assert len(second) < len(first)


def test_a_state_handed_over_short_is_refused() -> None:
    """A capturing copy that died mid-write leaves a short pipe: no snapshot of it."""
    from warnline.picture.remote import _LENGTH, _read_handed

    r, w = os.pipe()
    os.write(w, _LENGTH.pack(100) + b"x" * 40)
    os.close(w)
    with pytest.raises(SnapshotError, match="did not finish"):
        _read_handed(r)
    r, w = os.pipe()
    os.write(w, _LENGTH.pack(3) + b"abc")
    os.close(w)
    assert _read_handed(r) == b"abc"


def test_a_released_capture_frees_the_copy_writing_it(remote: object) -> None:
    """Prepared and never read (the node's capture failed): closing this end lets the
    copy that writes the state end (its write fails), so nothing is left behind."""
    p: PictureProcess = remote()  # type: ignore[operator]
    p.ingest(drone_path(T0, 30, prefix="d"))
    p.prepare_capture()
    (fd,) = p.capture_fds()
    p.release_capture()
    assert not p.capture_fds()
    with pytest.raises(OSError):
        os.fstat(fd)  # closed here
    p.prepare_capture()  # the child serves on, and hands over the next one whole
    assert pickle.loads(pickle.dumps(p)).tracks() == p.tracks()
