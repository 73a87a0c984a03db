"""Prometheus metrics of one node (own registry, so several nodes can share a process).

Metrics tell who reports and how much, so they are released like everything else: the
coordination cell (and the scrape token, which is the hub operator's) reads them all; an
administrator of another partner reads only series labelled with its own partner, plus
its own live alerts and consoles. Node-wide counts (tracks, journal, rejections) would
count what that partner may not see, and are left out of its view.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

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

    def view_for(self, viewer: str) -> Collector:
        """What `viewer` may scrape (refresh first)."""
        if viewer == self.node.views.coordination_cell:
            return self.registry
        return _PartnerView(self, viewer)


class _PartnerView(Collector):
    """A partner's share of the metrics, shaped as a registry for `generate_latest`."""

    def __init__(self, metrics: Metrics, partner: str) -> None:
        self.metrics = metrics
        self.partner = partner

    def collect(self) -> Iterator[Metric]:
        for family in self.metrics.registry.collect():
            samples = [s for s in family.samples if s.labels.get("partner") == self.partner]
            if samples:
                family.samples = samples
                yield family
        n = self.metrics.node
        alerts = sum(1 for a in n.pipeline.alerting.active.values() if a.partner == self.partner)
        yield GaugeMetricFamily("warnline_alerts_active", "Alerts not cancelled", value=alerts)
        own = set(n.accounts.of_partner(self.partner))
        online = sum(1 for u in n.console.online() if u in own)
        yield GaugeMetricFamily(
            "warnline_consoles_online", "Users with an open console", value=online
        )
