"""The node's CoT listeners, built from [[cot]] (serve/cot_config.py) around the node."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from warnline.cot import CotFeed, CotIntake, CotServer
from warnline.node import Node
from warnline.pki.tls import TlsSettings, server_context
from warnline.serve.cot_config import CotConfig

__all__ = ["CotService"]


class CotService:
    """The node's CoT listeners with one feed and one intake behind them."""

    def __init__(self, node: Node, configs: list[CotConfig], tls: TlsSettings | None) -> None:
        self.node = node
        self.configs = configs
        picture = node.pipeline.picture
        self.feed = CotFeed(
            source=node.views,
            clock=node.clock,
            push_s=min((c.push_s for c in configs if c.picture), default=1.0),
            coast_after_s=float(getattr(picture, "coast_after_s", 15.0)),
            drop_after_s=float(getattr(picture, "drop_after_s", 60.0)),
        )
        self.intake = CotIntake(submit=node.commands.submit_stream, clock=node.clock)
        self.tls = tls
        partners = frozenset(node.agreement.partners)
        context = server_context(tls) if tls is not None and any(c.tls for c in configs) else None
        self.servers: list[CotServer] = []
        for c in configs:
            server = CotServer(
                host=c.host, port=c.port, partner=c.partner, partners=partners,
                tls=context if c.tls else None, inbound=self._inbound if c.reports else None,
            )  # fmt: skip
            if c.picture:
                self.feed.attach(server)
            self.servers.append(server)
        self._task: asyncio.Task[None] | None = None
        self._crl_task: asyncio.Task[None] | None = None

    async def _inbound(self, client: Any, messages: Any) -> list[bytes]:
        await self.node.ready.wait()  # no report before the node has recovered its state
        return await self.intake(client, messages)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[CotService]:
        """Listen on every configured port; the feed starts once the node is ready."""
        try:
            for s in self.servers:
                await s.start()
            if self.feed.servers:
                self._task = asyncio.create_task(self._run_feed(), name="cot-feed")
            crl = None if self.tls is None else self.tls.crl
            if crl is not None and any(s.tls is not None for s in self.servers):
                self._crl_task = asyncio.create_task(self._watch_crl(crl), name="cot-crl")
            yield self
        finally:
            for task in (self._task, self._crl_task):
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            for s in self.servers:
                await s.stop()

    async def _watch_crl(self, crl: Path) -> None:
        """A changed CRL restarts the TLS listeners with a fresh context within
        `crl_check_s`, as the HTTP listener does (api/server.py)."""
        assert self.tls is not None
        seen = _mtime(crl)
        while True:
            await asyncio.sleep(self.tls.crl_check_s)
            now = _mtime(crl)
            if now is None or now == seen:
                continue
            seen = now
            context = server_context(self.tls)
            for s in self.servers:
                if s.tls is not None:
                    await s.restart(context)

    async def _run_feed(self) -> None:
        await self.node.ready.wait()
        await self.feed.run()

    def counts(self) -> dict[str, Any]:
        return {
            "connections": sum(s.counts["connections"] for s in self.servers),
            "refused_connections": sum(s.counts["refused"] for s in self.servers),
            "frames": self.feed.frames,
            "events_sent": dict(sorted(self.feed.sent.items())),
            "received": dict(sorted(self.intake.counts.items())),
            "dropped_frames": sum(c.dropped for s in self.servers for c in s.clients),
        }


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
