"""`warnline serve --config FILE`: build the node from its config and serve it until
SIGTERM or SIGINT (the config's format: `warnline.serve.config`)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from warnline.api.server import serve_until_stopped
from warnline.domain import SystemClock
from warnline.errors import JournalCorruptError
from warnline.serve.asterix import describe as describe_asterix
from warnline.serve.builder import Built, bind_replies, build
from warnline.serve.channels import describe
from warnline.serve.config import load_config
from warnline.serve.journal import verify_aside
from warnline.serve.keys import describe_keys
from warnline.serve.text import netloc
from warnline.stopping import StopSignals


def serve_node(config_path: Path, data: Path | None) -> int:
    """Run the node until SIGTERM or SIGINT (recorded from here on, so a stop during the
    journal's start-up check also ends cleanly); then one line: stopped, and where the
    journal ends."""
    signals = StopSignals().install()
    cfg = load_config(config_path, data)
    built = build(
        cfg,
        config_path,
        clock=SystemClock(),
        announce=lambda line: print(f"warnline serve: {line}", flush=True),
    )
    _print_start(built)
    failed: list[JournalCorruptError] = []
    settle_garbage_collector()

    async def until_stopped() -> None:
        async with signals.bound() as stop:
            check = asyncio.create_task(
                verify_aside(built.journal_path, built.trusted, failed, cfg.archive)
            )

            def stop_if_failed(_: asyncio.Task[None]) -> None:
                if failed:
                    stop.set()

            check.add_done_callback(stop_if_failed)
            try:
                bind_replies(built.node)
                async with built.cot.serving():
                    await serve_until_stopped(
                        built.node,
                        host=cfg.host,
                        port=cfg.port,
                        tls=cfg.tls,
                        hub_key=built.key,
                        cap_signer=built.cap,
                        limits=cfg.limits,
                        stop=stop,
                        alongside=built.asterix.running(),
                    )
            finally:
                check.cancel()

    try:
        asyncio.run(until_stopped())
        position = built.journal.last_seq()
    finally:
        built.journal.close()
    if failed:
        raise failed[0]
    print(f"warnline serve: stopped ({signals.name or 'done'}); journal at {position} entries")
    return 0


GC_YOUNG = 50_000  # allocations between two collections of the youngest generation


def settle_garbage_collector() -> None:
    """What the node holds from start (agreement, code, recovered state) is moved out of
    the collector's sight, and the youngest generation is collected every 50,000
    allocations instead of 700. Reports, payloads and entries are acyclic and freed by
    reference counting; with the default threshold the collector ran every few
    reports of a batch and re-examined every survivor on its way to the old generation,
    a third of the time it takes to read a journal entry (decision 61)."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])


def _print_start(built: Built) -> None:
    cfg, agreement = built.config, built.agreement
    scheme = "https" if cfg.tls is not None else "http"
    print(
        f"warnline serve: listening on {scheme}://{netloc(cfg.host, cfg.port)}"
        f"{' (mutual TLS)' if cfg.tls is not None else ''}; agreement "
        f"{cfg.agreement or 'default'} ({len(agreement.partners)} partners"
        f"{', exercise' if agreement.exercise else ''}); journal {built.journal_path} "
        f"({built.journal.last_seq()} entries); {len(cfg.users)} users",
        flush=True,
    )
    print(f"warnline serve: {describe_keys(cfg.hub, built.cap)}", flush=True)
    r = cfg.retention
    if r.enabled:
        print(
            f"warnline serve: retention: segments of {r.segment_entries} entries into "
            f"{cfg.archive} after each snapshot, the newest {r.keep_entries} kept "
            f"({built.journal.archived_segments()} segments so far)",
            flush=True,
        )
    for listener in cfg.asterix:
        print(f"warnline serve: {describe_asterix(listener)}", flush=True)
    for out in cfg.asterix_out:
        print(
            f"warnline serve: asterix-out udp://{out.host}:{out.port}: CAT062 {out.edition} of "
            f"{out.partner}'s released picture every {out.period_s:g} s",
            flush=True,
        )
    for c in cfg.cot:
        print(f"warnline serve: {c.describe()}", flush=True)
    for name, channel_cfg in cfg.channels.items():
        print(f"warnline serve: channel {describe(name, channel_cfg)}", flush=True)
    if not cfg.channels:
        print("warnline serve: no [channels]: escalation reaches consoles only", flush=True)
