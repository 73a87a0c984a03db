"""Hostile ASTERIX: whatever arrives, the decoder answers with counted reasons, never an
exception and never a report from a decoder's error value (decision 76)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warnline.agreement.load import default_agreement
from warnline.agreement.model import AsterixSettings
from warnline.domain import Position, Report
from warnline.ingest.asterix import AsterixDecoder, Reason, iter_frames, spec, split_blocks
from warnline.sim.asterix import Encoder, blocks

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _settings() -> AsterixSettings:
    s = default_agreement().partners["JOR"].asterix
    assert s is not None
    return s


SETTINGS = _settings()
DECODER = AsterixDecoder("JOR", SETTINGS)


def good_block(n: int = 3) -> bytes:
    enc = Encoder(SETTINGS)
    records = []
    for i in range(n):
        r = Report(
            report_id=f"g{i}", partner="JOR", sensor="jor-radar-1", sensor_track=f"t{i}",
            observed_at=NOW, position=Position(lat=31.0 + i / 100, lon=36.0, alt_m=1000.0),
            accuracy_m=300.0,
        )  # fmt: skip
        rec = enc.record(r)
        assert rec is not None
        records.append((rec[0], rec[1]))
    (datagram,) = blocks(SETTINGS, records)
    return datagram


def test_a_good_block_decodes() -> None:
    out = DECODER.decode(good_block(), now=NOW)
    assert len(out.reports) == 3 and not out.faults


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x3e", Reason.TRUNCATED),
        (b"\x3e\x00", Reason.TRUNCATED),
        (b"\x3e\x00\x02", Reason.LENGTH),  # LEN below its own header
        (b"\x3e\x00\x00" + b"\x00" * 10, Reason.LENGTH),
        (b"\x3e\x01\x00" + b"\x80" * 10, Reason.TRUNCATED),  # LEN past the datagram
        (b"\x3e\x00\x03", Reason.UNDECODABLE),  # a block with no record
        (b"\x3e\x00\x06\xff\xff\xff", Reason.UNDECODABLE),  # an FSPEC that never ends
        (b"\x15\x00\x05\x80\x00", Reason.CATEGORY),  # CAT021: not agreed
        (b"\x30\x00\x0b" + bytes(range(8)), Reason.UNDECODABLE),
    ],
)
def test_a_bad_datagram_is_counted_by_reason(data: bytes, reason: str) -> None:
    out = DECODER.decode(data, now=NOW)
    assert out.reports == []
    assert out.faults[reason] >= 1 and out.first[reason]


def test_blocks_before_a_bad_length_still_count_and_the_rest_is_refused() -> None:
    out = DECODER.decode(good_block() + b"\x3e\x00\x01" + good_block(), now=NOW)
    assert len(out.reports) == 3 and out.faults == {Reason.LENGTH: 1}


def test_an_unknown_sac_sic_is_refused_and_the_others_pass() -> None:
    other = dataclasses.replace(SETTINGS.sensors[0], sac=7, sic=9, sensor="elsewhere")
    foreign = AsterixSettings(editions=SETTINGS.editions, sensors=(other,))
    enc = Encoder(foreign)
    rec = enc.record(
        Report(report_id="f", partner="JOR", sensor="elsewhere", observed_at=NOW,
               position=Position(lat=31.0, lon=36.0), accuracy_m=100.0)
    )  # fmt: skip
    assert rec is not None
    mixed = bytes([62]) + (len(rec[1]) + 3).to_bytes(2, "big") + rec[1]
    out = DECODER.decode(mixed + good_block(1), now=NOW)
    assert len(out.reports) == 1 and out.faults == {Reason.SENSOR: 1}
    assert "7/9" in out.first[Reason.SENSOR]


def test_a_time_of_day_past_midnight_and_a_record_without_position_are_refused() -> None:
    s = spec(62, "1.20")
    late = s.cv_record.create({"010": (("SAC", 232), ("SIC", 1)), "070": 128 * 90_000,
                               "105": (("LAT", (31.0, "°")), ("LON", (36.0, "°")))})  # fmt: skip
    nowhere = s.cv_record.create({"010": (("SAC", 232), ("SIC", 1)), "070": 128 * 100})
    data = s.create([late, nowhere]).unparse().to_bytes()
    out = DECODER.decode(data, now=NOW)
    assert out.reports == [] and out.faults == {Reason.RANGE: 1, Reason.MISSING: 1}


def test_a_decoder_error_value_is_an_error_not_a_report() -> None:
    """An FSPEC that sets CAT062's spare FRN 2 does not parse in the agreed edition:
    libasterix returns (not raises) its error, and it is counted, never a report."""
    out = DECODER.decode(b"\x3e\x00\x06\xc0\xe8\x01", now=NOW)
    assert out.reports == [] and out.faults == {Reason.UNDECODABLE: 1}
    assert "edition 1.20" in out.first[Reason.UNDECODABLE]
    assert "spare" in out.first[Reason.UNDECODABLE]


def test_thousands_of_tiny_blocks_in_one_datagram() -> None:
    """The library's own block walk recurses once per block; the framing here does not."""
    data = b"\x3e\x00\x03" * 20_000
    out = DECODER.decode(data, now=NOW)
    assert out.reports == [] and out.faults == {Reason.UNDECODABLE: 20_000}


def test_a_huge_block_of_garbage() -> None:
    data = b"\x3e\xff\xff" + b"\xff" * 65_532
    out = DECODER.decode(data, now=NOW)
    assert out.reports == [] and out.faults == {Reason.UNDECODABLE: 1}


def test_split_blocks_reads_whole_blocks_by_their_own_length() -> None:
    blocks_, rest = split_blocks(b"\x30\x00\x04\x01\x3e\x00\x05\x02\x03")
    assert blocks_ == [(48, b"\x01"), (62, b"\x02\x03")] and rest is None


def test_a_stream_is_cut_into_blocks_wherever_its_reads_end() -> None:
    stream = good_block(2) + good_block(1)
    buffer = bytearray()
    frames = []
    for i in range(0, len(stream), 7):  # reads of 7 bytes
        buffer += stream[i : i + 7]
        frames += list(iter_frames(buffer))
    assert b"".join(frames) == stream and not buffer
    assert sum(len(DECODER.decode(f, now=NOW).reports) for f in frames) == 3
    with pytest.raises(ValueError, match="LEN 1"):
        list(iter_frames(bytearray(b"\x3e\x00\x01\x00")))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_reasons_or_reports_never_an_exception(data: bytes) -> None:
    out = DECODER.decode(data, now=NOW)
    for r in out.reports:  # whatever decodes is a well-formed report of the partner
        assert r.partner == "JOR" and -90 <= r.position.lat <= 90
    assert out.reports or out.faults or not data


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(good_block()) - 1), st.integers(0, 255))
def test_a_flipped_byte_of_a_good_block_never_raises(at: int, value: int) -> None:
    data = bytearray(good_block())
    data[at] = value
    out = DECODER.decode(bytes(data), now=NOW)
    assert len(out.reports) + sum(out.faults.values()) >= 1
