"""`warnline demo`: the exercise on the embedded default, end to end.

A real node (SQLite journal, HTTP API, console) on 127.0.0.1; partners' systems
submit signed reports over HTTP; duty officers follow their consoles over
WebSocket and acknowledge; at the end the summary is counted from the journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import shutil
import sys
import tempfile
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from warnline.accounts import Accounts, Role, User
from warnline.agreement.exercise_keys import exercise_signing_key
from warnline.agreement.load import load_agreement
from warnline.agreement.model import Agreement
from warnline.alerting.cap import cap_identifier, encode_cap
from warnline.alerting.cap_sign import CapSigner, verify_cap
from warnline.api.app import CAP_SENDER
from warnline.api.feed import CapPublisher, atom_feed
from warnline.audit import export_record
from warnline.domain import Alert, ScaledClock
from warnline.errors import ConfigError, SignatureError
from warnline.journal import SQLiteJournal
from warnline.journal.kinds import Kind
from warnline.journal.payloads import payload
from warnline.node import Node, NodeSettings
from warnline.serve.builder import bind_replies, build
from warnline.serve.config import load_config
from warnline.sim.actors import DutyOfficer, ExerciseLog
from warnline.sim.asterix import EXERCISE_HUB_ASTERIX, HUB_SAC, HUB_SIC, open_centre
from warnline.sim.commanders import (
    CellOperator,
    Commander,
    ResponseLog,
    Temper,
    declare_readiness,
)
from warnline.sim.manual import ManualLog, ManualPlayer
from warnline.sim.partners import FeedSpec, PartnersProcess
from warnline.sim.raid import Snapshot, score_journal
from warnline.sim.reachable import AWAY, stand_in, start_reachable
from warnline.sim.record_check import check_timelines
from warnline.sim.scenario import build_scenario
from warnline.sim.served import write_node_config
from warnline.sim.tak_check import cot_listeners, cot_summary, free_port
from warnline.sim.tak_watch import TakWatcher
from warnline.sim.targets import verdict
from warnline.summary import manual_summary, offer_lines, summarize

log = logging.getLogger("warnline.exercise")
SNAPSHOT_S = 2.0  # scenario seconds between picture samples for the score
READY_WITHIN_S = 60.0  # wall seconds the raid waits at most for its players to sign in
# Small segments, so a demo archives a few of them and everything after reads through them.
EXERCISE_RETENTION = {"enabled": True, "segment_entries": 2000, "keep_entries": 2000}


class Player(Protocol):
    connected: asyncio.Event


@dataclass(frozen=True, kw_only=True)
class ExerciseOptions:
    duration_s: float = 600.0  # scenario seconds of raid
    speed: float = 5.0  # scenario seconds per wall second
    seed: int = 7
    console: bool = True
    export: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8800
    scale: float = 1.0
    agreement_path: Path | None = None
    drain_s: float = 150.0  # scenario seconds allowed after the raid for alerts to clear
    cap_partners: tuple[str, ...] = ("BHR", "QAT")  # civil-defence gateways that speak CAP
    asterix_partners: tuple[str, ...] = ("JOR",)  # air-defence systems that speak ASTERIX
    asterix_out: str | None = "ISR"  # an air-defence centre that takes its picture as CAT062
    compare_trackers: bool = False  # summary["warnings"]: baseline and Stone Soup replay too
    cot: str | None = None  # stream this partner's released picture as CoT (TAK) ...
    cot_port: int = 8087  # ... on 127.0.0.1 here, read back by a PyTAK client
    cot_partners: tuple[str, ...] = ("ARE",)  # TAK systems: their reports come in as CoT


def make_accounts(agreement: Agreement) -> tuple[Accounts, dict[str, str]]:
    """One watch and one commander account per partner, each with a fresh random password."""
    passwords: dict[str, str] = {}
    users = []
    for code in sorted(agreement.partners):
        watch = Role.CELL if code == agreement.coordination_cell else Role.WATCH
        for name, role in (
            (f"{code.lower()}-watch", watch),
            (f"{code.lower()}-cmd", Role.COMMANDER),
        ):
            passwords[name] = secrets.token_urlsafe(12)
            users.append(
                User(
                    username=name,
                    partner=code,
                    role=role,
                    password_hash=Accounts.hash_password(passwords[name]),
                )
            )
    return Accounts(users), passwords


def _temper(code: str) -> Temper:
    """Commanders' habits on the console in the exercise: one never answers (its offers
    time out), one often declines, the others mostly accept; those away from the console
    answer on the phone instead (`sim/reachable.py`)."""
    if code == "EGY" or code in AWAY:
        return Temper(p_accept=0.0, p_decline=0.0)
    if code == "SAU":
        return Temper(p_accept=0.4, p_decline=0.5)
    return Temper(p_accept=0.8, p_decline=0.1)


def offer_hint(agreement: Agreement, speed: float) -> str:
    """How long a lead offer stays open, in raid and in wall seconds, and whose offers are
    left for a person to answer (that commander never answers: `_temper`)."""
    offer_s = agreement.response.offer_timeout_s
    # A console commander who never answers (those away answer on the phone instead).
    never = Temper(p_accept=0.0, p_decline=0.0)
    silent = next(
        (c for c in sorted(agreement.partners) if c not in AWAY and _temper(c) == never), None
    )
    who = f": sign in as {silent.lower()}-cmd, whose offers nobody else answers" if silent else ""
    return (
        f"Lead offers stay open {offer_s:.0f} s of raid ({offer_s / speed:.0f} s here), long "
        f"enough to accept or decline by hand{who}"
    )


def _p_ack(code: str, cell: str, rng: np.random.Generator) -> float:
    if code == cell:
        return 0.0  # the cell watches; it cannot acknowledge for a partner
    if code == "EGY":
        return 0.0  # one watch floor that never answers: its alerts stay unacknowledged
    return float(rng.uniform(0.75, 0.95))


async def run_exercise(
    opts: ExerciseOptions, out: Any = sys.stdout, stop: asyncio.Event | None = None
) -> dict[str, Any]:
    """Run the exercise and return its summary. Once `stop` is set (SIGINT/SIGTERM in
    `warnline demo`) the partners stop feeding and the raid ends where it is; the node,
    the peers and their processes stop as at the end of a full run, and the summary of
    what was played is counted, marked `interrupted`."""
    agreement = load_agreement(opts.agreement_path)
    if opts.cot is not None and opts.cot not in agreement.partners:
        known = ", ".join(sorted(agreement.partners))
        raise ConfigError(f"--cot {opts.cot}: not a partner of the agreement ({known})")
    rng = np.random.default_rng(opts.seed)
    export = opts.export
    workdir = Path(tempfile.mkdtemp(prefix="warnline-demo-")) if export is None else export
    if export is not None:
        for sub in ("cap", "feeds", "journal", "audit", "secrets"):
            shutil.rmtree(export / sub, ignore_errors=True)
        export.mkdir(parents=True, exist_ok=True)
    accounts, passwords = make_accounts(agreement)
    (workdir / "accounts.json").write_text(
        json.dumps(
            {
                "accounts": [
                    {
                        "username": u,
                        "partner": accounts.partner_of(u),
                        "role": accounts.role_of(u).value,
                        "password": p,
                    }
                    for u, p in passwords.items()
                ]
            },
            indent=2,
        )
    )
    start = datetime.now(UTC).replace(microsecond=0)
    # Held at the raid's start until the players are ready (`_play`): start-up takes
    # seconds of wall time, which at 20x were minutes of raid nobody reported.
    clock = ScaledClock(start=start, speed=opts.speed, running=False)
    # The duty officers' devices (mail, mobile phones, SIP phones, partner systems).
    reach = await start_reachable(
        agreement, lifetime_s=(opts.duration_s + opts.drain_s) / opts.speed
    )
    # ISR's air-defence centre takes its released picture as CAT062 (serve/asterix_out.py).
    out_partner = opts.asterix_out if opts.asterix_out in agreement.partners else None
    centre_transport, centre = await open_centre(
        out_partner or "ISR", EXERCISE_HUB_ASTERIX, clock, opts.host
    )
    centre_port = centre_transport.get_extra_info("sockname")[1]
    try:  # the node stops (leaving `serving`) before the peers its channels reach
        # The node a partner would serve, from the config a partner would write.
        cot_in = free_port(opts.host)
        config_path = write_node_config(
            workdir,
            host=opts.host,
            port=opts.port,
            agreement=opts.agreement_path,
            tick_s=NodeSettings().tick_s,
            users=accounts.users(),
            channels=reach.channels,
            secrets=reach.secrets,
            retention=EXERCISE_RETENTION,
            # One UDP listener per ASTERIX partner, on any free port (the partners' process
            # is told which once the node listens).
            asterix=[
                {"partner": code, "protocol": "udp", "host": opts.host, "port": 0}
                for code in opts.asterix_partners
                if agreement.partners.get(code) is not None
                and agreement.partners[code].asterix is not None
            ],
            asterix_out=[]
            if out_partner is None
            else [
                {
                    "partner": out_partner,
                    "host": opts.host,
                    "port": centre_port,
                    "sac": HUB_SAC,
                    "sic": HUB_SIC,
                    "period_s": 1.0,
                }
            ],
            cot=cot_listeners(opts.cot, opts.cot_port, opts.cot_partners, cot_in),
        )
        built = build(
            load_config(config_path),
            config_path,
            clock=clock,
            settings=NodeSettings(speed=opts.speed),
        )
        node, journal = built.node, built.journal
        bind_replies(node)
        xlog = ExerciseLog()
        rlog = ResponseLog()
        mlog = ManualLog()
        scenario = build_scenario(
            agreement, start=start, duration_s=opts.duration_s, seed=opts.seed, scale=opts.scale
        )
        snapshots: list[Snapshot] = []
        async with built.serving() as base:
            print(
                f"Warnline exercise: {opts.duration_s:.0f} s of raid at {opts.speed:g}x, "
                f"seed {opts.seed}",
                file=out,
            )
            print(f"Node: {config_path} (as `warnline serve --config` builds it)", file=out)
            if opts.console:
                print(f"Console: {base}  (accounts also in {workdir / 'accounts.json'})", file=out)
            for user, pw in passwords.items():
                print(f"  {user:10s} {pw}", file=out)
            if opts.console:
                print(offer_hint(agreement, opts.speed), file=out)
            sampler = asyncio.create_task(_sample_picture(node, clock, snapshots))
            watcher: TakWatcher | None = None
            cot_server: dict[str, Any] = {}
            try:
                if opts.cot is not None:
                    # A TAK user's client on the partner's stream, for the whole run.
                    watcher = TakWatcher(opts.host, opts.cot_port)
                    await watcher.start()
                    print(f"CoT: {opts.cot}'s released picture on {opts.host}:{opts.cot_port}",
                          file=out)  # fmt: skip
                # The partners' systems run in a process of their own (sim/partners.py).
                partners = PartnersProcess(
                    FeedSpec(
                        agreement=None if opts.agreement_path is None else str(opts.agreement_path),
                        start=start.isoformat(), duration_s=opts.duration_s, seed=opts.seed,
                        scale=opts.scale, speed=opts.speed, base_url=base,
                        cap_partners=tuple(opts.cap_partners), result=str(workdir / "feed.json"),
                        asterix={a.cfg.partner: (opts.host, a.port) for a in built.asterix.all},
                        cot_partners=tuple(opts.cot_partners),
                        cot_address=f"{opts.host}:{cot_in}",
                    )
                )  # fmt: skip
                manual = ManualPlayer(
                    base_url=base, clock=clock, scenario=scenario, agreement=agreement,
                    passwords=passwords, log_=mlog,
                )  # fmt: skip
                play = _play(opts, node, clock, partners, base, passwords, xlog, rng, rlog, manual)
                before = stop is not None and stop.is_set()  # stopped while starting
                interrupted = not await _until_stopped(play, stop)
                played_s = (
                    0.0 if before else min(opts.duration_s, (clock.now() - start).total_seconds())
                )
                # One incident's record read back as the cell and a partner would (while
                # the node still serves), every step's entry proved against the signed head.
                timeline = None
                if not interrupted:
                    timeline = await check_timelines(
                        base,
                        passwords,
                        cell=agreement.coordination_cell,
                        hub_keys={built.config.hub.key_id: built.key.verify_key},
                    )
            finally:
                sampler.cancel()
                await asyncio.gather(sampler, return_exceptions=True)
                if watcher is not None:
                    await watcher.stop()
                cot_server = built.cot.counts()
    finally:
        await reach.stop()  # every peer process ends, however the run ended
        centre_transport.close()
    fed = partners.result  # what the partners' systems sent (and the truth of each report)
    fed.truth_of.update(mlog.truth_of)  # the border post saw a real object
    summary = summarize(
        journal.iter_all(),
        cell=agreement.coordination_cell,
        users_of={p: accounts.of_partner(p) for p in agreement.partners},
        accepted_reports=fed.accepted_reports,
        tracks=node.pipeline.tracks_created,
    )
    summary["asterix"] = {
        "sent_reports": fed.asterix_sent,
        "sent_datagrams": fed.asterix_datagrams,
        "listeners": built.asterix.health(),
        "out_received": centre.summary() if out_partner is not None else None,
    }
    summary["cot"] = cot_summary(
        opts.cot, watcher, cot_server, fed, journal.iter_all(), snapshots, node.pipeline,
        agreement.coordination_cell,
    )  # fmt: skip
    summary["peers"] = reach.counts()
    summary["handoff_ms"] = node.outreach.handoff_summary()
    summary["rejected_submissions"] = fed.rejected_submissions
    summary["duplicates_seen_by_officers"] = sum(1 for n in xlog.received.values() if n > 1)
    summary["commanders"] = {
        "offers_seen": len(rlog.offers_seen),
        "answers": dict(sorted(rlog.answers.items())),
        "overrides_sent": rlog.overrides,
        "refused": rlog.errors,
    }
    summary["manual"] = manual_summary(
        journal.iter_all(), refused_self_approval=mlog.refused_self_approval
    ) | {"area": mlog.area, "errors": mlog.errors}
    summary["interrupted"] = interrupted
    summary["incident_timeline"] = timeline
    summary["journal"] = {
        "entries": journal.last_seq(),
        "archived_segments": journal.archived_segments(),
        "archived_entries": journal.archived_entries(),
    }
    summary["scenario"] = {
        "threats": len(scenario.threats),
        "sensors": len(scenario.sensors),
        "duration_s": opts.duration_s,
        "played_s": round(played_s, 1),
        "speed": opts.speed,
        "seed": opts.seed,
    }
    summary["warnings"] = score_journal(
        list(journal.iter_all()),
        agreement,
        scenario,
        fed.truth_of,
        snapshots,
        compare=opts.compare_trackers,
        until_s=played_s if interrupted else None,
    )
    # Every CAP message is signed (by the node's own CAP signer) and verified as a
    # partner would, exported or not.
    signer = built.cap
    summary["cap_messages"], summary["cap_signed"] = _export_cap(
        journal, agreement, None if export is None else export / "cap", signer
    )
    summary["cap_feeds"] = _export_feeds(node, None if export is None else export / "feeds", signer)
    if export is not None:
        rec = export_record(
            journal.iter_all(), export / "audit", signing_key=exercise_signing_key("HUB")
        )
        summary["audit"] = {
            "entries": rec.entries,
            "checkpoints": rec.checkpoints,
            "head_hash": rec.head_hash,
        }
    journal.close()
    if export is not None:
        (export / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    _print_summary(summary, out)
    return summary


async def _until_stopped(play: Coroutine[Any, Any, None], stop: asyncio.Event | None) -> bool:
    """Run `play` to its end (True) or until `stop` is set (False: it is cancelled and
    its own clean-up has run)."""
    if stop is None:
        await play
        return True
    if stop.is_set():  # stopped while the node and the peers were starting
        play.close()
        return False
    task = asyncio.create_task(play)
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        return False
    task.result()  # the exercise's own failure, if it had one
    return True


async def _play(
    opts: ExerciseOptions,
    node: Node,
    clock: ScaledClock,
    partners: PartnersProcess,
    base: str,
    passwords: dict[str, str],
    xlog: ExerciseLog,
    rng: np.random.Generator,
    rlog: ResponseLog,
    manual: ManualPlayer,
) -> None:
    """Partners' systems report the raid; duty officers watch and acknowledge;
    commanders answer lead offers and the cell takes escalated incidents; a border post's
    call becomes a manual report and a coalition-wide manual alert (sim/manual.py)."""
    agreement = node.agreement
    officers = [
        DutyOfficer(
            username=u,
            password=pw,
            base_url=base,
            clock=clock,
            p_ack=_p_ack(node.accounts.partner_of(u), agreement.coordination_cell, rng),
            rng=np.random.default_rng(opts.seed * 1000 + i),
            log_=xlog,
            # SAU's watch floor acknowledges through its own system, signed with SAU's key.
            system_key=exercise_signing_key("SAU") if u == "sau-watch" else None,
        )
        for i, (u, pw) in enumerate(sorted(passwords.items()))
        if u.endswith("-watch")
    ]
    commanders = [
        Commander(
            username=u, password=pw, partner=node.accounts.partner_of(u), base_url=base,
            clock=clock, temper=_temper(node.accounts.partner_of(u)),
            rng=np.random.default_rng(opts.seed * 2000 + i), log_=rlog,
        )
        for i, (u, pw) in enumerate(sorted(passwords.items()))
        if u.endswith("-cmd")
    ]  # fmt: skip
    cell = agreement.coordination_cell
    operator = CellOperator(
        username=f"{cell.lower()}-watch", password=passwords[f"{cell.lower()}-watch"],
        cell=cell, base_url=base, clock=clock, log_=rlog,
    )  # fmt: skip
    # A live readiness declaration: the UAE commander reports a faster response in the Gulf.
    if "are-cmd" in passwords:
        await declare_readiness(base, "are-cmd", passwords["are-cmd"], "gulf", "ready", 30.0)
    starting = asyncio.create_task(partners.start())
    officer_tasks = [asyncio.create_task(o.run()) for o in officers]
    officer_tasks += [asyncio.create_task(c.run()) for c in commanders]
    officer_tasks.append(asyncio.create_task(operator.run()))
    try:  # cancelled at any await here (a stop), the officers are still ended below
        await _ready([*officers, *commanders, operator], officer_tasks)
        await manual.sign_in()  # while the raid is held: argon2 then costs no answer
        await starting
        clock.go()
        await stand_in(base, agreement, passwords["jor-watch"], clock.now(), opts.duration_s / 60)
        officer_tasks.append(asyncio.create_task(manual.run()))
        await partners.run(clock)
        await manual.finish()  # a manual alert still out at the raid's end is ended by hand
        await _drain(node, clock, opts.drain_s)
    finally:
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await partners.stop()
        for t in officer_tasks:
            t.cancel()
        await asyncio.gather(*officer_tasks, return_exceptions=True)


async def _ready(players: Sequence[Player], tasks: list[asyncio.Task[None]]) -> None:
    """Until every player follows its stream (signed in: argon2 takes a while on a busy
    machine), one of them has stopped, or READY_WITHIN_S of wall time have passed."""

    async def all_connected() -> None:
        for p in players:
            await p.connected.wait()

    waiting = asyncio.create_task(all_connected())
    try:
        await asyncio.wait([waiting, *tasks], timeout=READY_WITHIN_S, return_when="FIRST_COMPLETED")
    finally:
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)


async def _sample_picture(node: Node, clock: ScaledClock, out: list[Snapshot]) -> None:
    """The node's picture every few scenario seconds, in-process: the score matches the
    tracks behind each alert to ground truth with these."""
    while True:
        out.append(((clock.now() - clock.start).total_seconds(), node.pipeline.picture.tracks()))
        await asyncio.sleep(clock.wall_seconds(SNAPSHOT_S))


async def _drain(node: Node, clock: ScaledClock, drain_s: float) -> None:
    """Let the last threats end, alerts clear and deliveries land (bounded)."""
    deadline = clock.now() + timedelta(seconds=drain_s)
    while clock.now() < deadline:
        if (
            not node.pipeline.alerting.active
            and not node.dispatcher.state.pending
            and not node.outreach.in_flight()
            and not node.pipeline.picture.tracks()
            and not node.pipeline.assigner.pending()
        ):
            break
        await asyncio.sleep(clock.wall_seconds(1.0))
    await asyncio.sleep(clock.wall_seconds(2.0))


def _export_cap(
    journal: SQLiteJournal, agreement: Agreement, out_dir: Path | None, signer: CapSigner
) -> tuple[int, int]:
    """Every CAP message issued, signed (one file each into `out_dir`, if given); returns
    (issued, verified): each is checked against the hub certificate, as a partner would."""
    cert = signer.certificate_pem
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir.parent / "cap-signing-certificate.pem").write_bytes(cert)
    history: dict[str, list[Alert]] = {}
    written = verified = 0
    for entry in journal.iter_all():
        if entry.event.kind != Kind.ALERT:
            continue
        alert = payload(entry.event, Alert)
        prev = history.setdefault(alert.alert_id, [])
        xml = encode_cap(
            alert,
            sender=CAP_SENDER,
            previous=list(prev),
            languages=agreement.partners[alert.partner].languages,
        )
        signed = signer.sign(xml)
        if out_dir is not None:
            (out_dir / f"{cap_identifier(alert)}.xml").write_bytes(signed)
        prev.append(alert)
        written += 1
        try:
            verify_cap(signed, cert)
            verified += 1
        except SignatureError as exc:
            log.error("CAP %s does not verify: %s", cap_identifier(alert), exc)
    return written, verified


def _export_feeds(node: Node, out_dir: Path | None, signer: CapSigner) -> dict[str, int]:
    """Each partner's CAP Atom feed as released to it at the end; entries per partner."""
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    publisher = CapPublisher(sender=CAP_SENDER, signer=signer)
    counts: dict[str, int] = {}
    for partner in sorted(node.agreement.partners):
        feed = atom_feed(node, partner, publisher)
        if out_dir is not None:
            (out_dir / f"{partner}.atom").write_bytes(feed)
        counts[partner] = feed.count(b"<entry>")
    return counts


def _print_summary(summary: dict[str, Any], out: Any) -> None:
    keys = [
        "reports",
        "reports_by_format",
        "tracks",
        "incidents",
        "alerts",
        "alert_messages",
        "alert_stages",
        "cap_inputs",
        "cap_signed",
        "deliveries",
        "acknowledgements",
        "escalations",
        "roster_takeovers",
        "dead_channels",
        "assignments",
        "assignments_by_lead",
        "unassigned",
        "offers",
        "accepted",
        "declined",
        "timed_out",
        "offers_answered",
        "handovers",
        "overrides",
        "escalated",
        "lost",
        "duplicates",
    ]
    print("\nExercise summary", file=out)
    if summary.get("interrupted"):
        sc = summary.get("scenario", {})
        print(
            f"  interrupted after {sc.get('played_s', 0):.0f} s of {sc.get('duration_s', 0):.0f}"
            " s of raid: the figures count what was played",
            file=out,
        )
    for k in keys:
        print(f"  {k:22s} {json.dumps(summary.get(k))}", file=out)
    for line in offer_lines(summary):
        print(f"  {line}", file=out)
    tl = summary.get("incident_timeline")
    if tl is not None:
        brief = {k: tl.get(k) for k in ("incident", "steps", "verified", "failed")}
        print(f"  {'incident_timeline':22s} {json.dumps(brief)}", file=out)
    cot = summary.get("cot")
    if cot is not None:
        print(f"  {'cot.in':22s} {json.dumps(cot['in'])}", file=out)
        if "client" in cot:
            c = cot["client"]
            seen = {k: c[k] for k in ("events", "tracks", "deletions", "alerts", "shapes")}
            seen["outside_release"] = cot["outside_release"]
            print(f"  {'cot.' + cot['partner']:22s} {json.dumps(seen)}", file=out)
    ax = summary.get("asterix")
    if ax is not None:
        for h in ax["listeners"]:
            if h["channel"].startswith("asterix udp") or h["channel"].startswith("asterix tcp"):
                brief = {"sent": ax["sent_reports"], "journaled": h["reports"],
                         "refused": h["refused"]}  # fmt: skip
                print(f"  {'asterix.' + h['partners'][0]:22s} {json.dumps(brief)}", file=out)
        got = ax.get("out_received")
        if got is not None:
            brief = {k: got[k] for k in ("datagrams", "records", "tracks", "ended")}
            print(f"  {'asterix-out.' + got['partner']:22s} {json.dumps(brief)}", file=out)
    w = summary.get("warnings")
    if w is not None:
        for k in ("entries", "missed_warnings", "false_warning_rate", "contradictions"):
            print(f"  {'warnings.' + k:22s} {json.dumps(w.get(k))}", file=out)
        print(verdict(w), file=out)
