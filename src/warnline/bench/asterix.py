"""`warnline bench asterix`: the ASTERIX decode rate beside the JSON path's, same run.

The same 200 observations are decoded as a partner's CAT062 system tracks (one
datagram), as its CAT048 plots, and parsed as the JSON body a partner's system posts
(the node's fast path, `ingest/fast.py`, and the schema path, `ingest/json_adapter.py`):
reports per second of CPU time, medians over rounds (the machine is shared: CPU time
wanders less than wall time). ASTERIX out: a released picture of the same 200 tracks encoded
as CAT062 records. The cold import of the decoder's library is measured in a
fresh interpreter: what a node with an ASTERIX listener pays once at start.
"""

from __future__ import annotations

import functools
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from warnline.agreement.load import default_agreement
from warnline.domain import Identity, Position, Report, Velocity
from warnline.domain.codec import to_json
from warnline.ingest.asterix import AsterixDecoder
from warnline.ingest.fast import parse_batch_fast
from warnline.ingest.json_adapter import parse_submission
from warnline.serve.asterix_out import PictureEncoder
from warnline.sim.asterix import Encoder, blocks

__all__ = ["run"]

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _reports(sensor: str, n: int) -> list[Report]:
    return [
        Report(
            report_id=f"{sensor}-{i}", partner="JOR", sensor=sensor, sensor_track=f"t{i}",
            observed_at=T0, position=Position(lat=30.5 + 0.004 * i, lon=35.6, alt_m=2500.0),
            velocity=Velocity(east=-120.0, north=15.0), accuracy_m=300.0,
            identity=Identity.HOSTILE, confidence=0.75,
        )
        for i in range(n)
    ]  # fmt: skip


def _cpu_s(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        t = time.process_time()
        fn()
        samples.append(time.process_time() - t)
    return statistics.median(samples)


def _decode_all(decoder: AsterixDecoder, datagrams: list[bytes]) -> None:
    for d in datagrams:
        decoder.decode(d, now=T0)


def _cold_import_s() -> float:
    code = (
        "import time; t = time.process_time(); import asterix.generated; "
        "print(time.process_time() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def run(n: int = 200, rounds: int = 15) -> dict[str, Any]:
    settings = default_agreement().partners["JOR"].asterix
    assert settings is not None
    encoder = Encoder(settings)
    decoder = AsterixDecoder("JOR", settings)
    figures: dict[str, Any] = {"observations": n}
    for name, sensor in (("cat062_tracks", "jor-radar-1"), ("cat048_plots", "jor-radar-2")):
        records = [encoder.record(r) for r in _reports(sensor, n)]
        datagrams = blocks(settings, [(r[0], r[1]) for r in records if r is not None])
        got = sum(len(decoder.decode(d, now=T0).reports) for d in datagrams)
        assert got == n, f"{name}: {got} of {n} decoded"
        cpu = _cpu_s(functools.partial(_decode_all, decoder, datagrams), rounds)
        figures[name] = {
            "bytes": sum(map(len, datagrams)),
            "datagrams": len(datagrams),
            "reports_per_s_cpu": round(n / cpu),
            "us_per_report": round(cpu / n * 1e6, 1),
        }
    wire = []
    for r in _reports("jor-radar-1", n):
        d = to_json(r)
        for k in ("partner", "source_format", "releasability", "altitude_measured"):
            d.pop(k, None)
        wire.append(d)
    body = json.dumps({"reports": wire}).encode()
    default = default_agreement().partners["JOR"].releasability
    fast = parse_batch_fast(body, partner="JOR", default=default)
    assert fast is not None and len(fast.reports) == n
    fast_cpu = _cpu_s(lambda: parse_batch_fast(body, partner="JOR", default=default), rounds)
    schema_cpu = _cpu_s(lambda: parse_submission(body, partner="JOR"), rounds)
    figures["json_peer"] = {
        "bytes": len(body),
        "fast_path_reports_per_s_cpu": round(n / fast_cpu),
        "schema_path_reports_per_s_cpu": round(n / schema_cpu),
    }
    figures["tracks_over_json_fast"] = round(
        figures["cat062_tracks"]["reports_per_s_cpu"]
        / figures["json_peer"]["fast_path_reports_per_s_cpu"],
        3,
    )
    figures["plots_over_json_fast"] = round(
        figures["cat048_plots"]["reports_per_s_cpu"]
        / figures["json_peer"]["fast_path_reports_per_s_cpu"],
        3,
    )
    # ASTERIX out: a released picture of n tracks to CAT062 records (serve/asterix_out.py).
    views = [
        {"track_id": f"T{i:06d}", "updated_at": T0.isoformat(),
         "position": {"lat": 30.5 + 0.004 * i, "lon": 35.6, "alt_m": 2500.0},
         "velocity": {"east": -120.0, "north": 15.0, "up": 0.0}, "sigma_m": 300.0,
         "identity": "hostile"}
        for i in range(n)
    ]  # fmt: skip
    picture = {"at": T0.isoformat(), "tracks": views}
    out = PictureEncoder("1.20", 250, 1)
    out_cpu = _cpu_s(functools.partial(out.records, picture), rounds)
    figures["cat062_out_tracks"] = {
        "records_per_s_cpu": round(n / out_cpu),
        "us_per_track": round(out_cpu / n * 1e6, 1),
    }
    figures["library_cold_import_cpu_s"] = round(_cold_import_s(), 2)
    return figures
