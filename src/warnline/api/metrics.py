"""Prometheus metrics of one node (own registry, so several nodes can share a process)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge

if TYPE_CHECKING:
    from warnline.node import Node


class Metrics:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.registry = CollectorRegistry()
        self.accepted = Counter(
            "warnline_reports_accepted", "Reports journaled", ["partner"], registry=self.registry
        )
        self.rejected = Counter(
            "warnline_reports_rejected", "Submissions refused", ["reason"], registry=self.registry
        )
        self.tracks = Gauge("warnline_tracks", "Live coalition tracks", registry=self.registry)
        self.alerts_active = Gauge(
            "warnline_alerts_active", "Alerts not cancelled", registry=self.registry
        )
        self.pending = Gauge(
            "warnline_deliveries_pending",
            "Deliveries awaiting receipt or acknowledgement",
            registry=self.registry,
        )
        self.journal_seq = Gauge(
            "warnline_journal_seq", "Last journal sequence number", registry=self.registry
        )
        self.consoles = Gauge(
            "warnline_consoles_online", "Users with an open console", registry=self.registry
        )

    def refresh(self) -> None:
        n = self.node
        self.tracks.set(len(n.pipeline.picture.tracks()))
        self.alerts_active.set(len(n.pipeline.alerting.active))
        self.pending.set(len(n.dispatcher.state.pending))
        self.journal_seq.set(n.journal.last_seq())
        self.consoles.set(len(list(n.console.online())))
