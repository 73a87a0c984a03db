"""The exercise summary, counted from the journal (and checked against what the
players themselves saw), so that a number in summary.json is evidence, not a claim."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from warnline.dispatch.health import ChannelHealth
from warnline.journal import Entry


def summarize(
    entries: Iterable[Entry],
    *,
    cell: str,
    users_of: dict[str, list[str]],
    accepted_reports: set[str],
    tracks: int,
) -> dict[str, Any]:
    reports = 0
    by_format: Counter[str] = Counter()
    journaled_reports: set[str] = set()
    incidents: dict[str, dict[str, Any]] = {}
    versions: Counter[str] = Counter()
    latest: dict[str, dict[str, Any]] = {}
    assignments: dict[str, dict[str, Any]] = {}
    attempts: Counter[str] = Counter()
    delivered: dict[str, set[tuple[str, int, str]]] = {}
    repeated: set[tuple[str, int, str]] = set()
    acks: Counter[str] = Counter()
    acked_versions: dict[str, int] = {}
    handed: dict[tuple[str, int, str, str], set[str]] = {}  # person channels: attempts per key
    failures: Counter[str] = Counter()
    steps: Counter[str] = Counter()
    health = ChannelHealth()
    entries = list(entries)
    health.observe(entries)
    for entry in entries:
        ev, p = entry.event, entry.event.payload
        if ev.kind == "report.received":
            reports += 1
            by_format[p["report"]["source_format"]] += 1
            journaled_reports.add(f"{p['report']['partner']}/{p['report']['report_id']}")
        elif ev.kind == "incident.updated":
            incidents[p["incident_id"]] = p
        elif ev.kind == "alert.issued":
            versions[p["msg_type"]] += 1
            latest[p["alert_id"]] = p
        elif ev.kind == "assignment.made":
            assignments[p["incident_id"]] = p
        elif ev.kind == "delivery.attempt":
            attempts[p["channel"]] += 1
        elif ev.kind == "delivery.result" and "attempt_id" in p:
            if p["outcome"] == "failed":
                failures[p["channel"]] += 1
            else:
                k4 = (p["alert_id"], p["version"], p["recipient"], p["channel"])
                handed.setdefault(k4, set()).add(p["attempt_id"])
        elif ev.kind == "roster.takeover":
            steps["takeovers"] += 1
        elif ev.kind == "escalation.step":
            first = p["round"] == 0 and p["step"] == 0
            steps["restarts" if first and p["restart"] else "first" if first else "later"] += 1
        elif ev.kind == "delivery.result":
            key = (p["alert_id"], p["version"], p["recipient"])
            delivered.setdefault(p["channel"], set()).add(key)
            if ev.event_id.rsplit(":", 1)[-1] != "1":
                repeated.add(key)
        elif ev.kind == "ack.received":
            acks[p["channel"]] += 1
            acked_versions[p["alert_id"]] = max(acked_versions.get(p["alert_id"], 0), p["version"])
    for (alert_id, version, recipient, channel), attempt_ids in handed.items():
        delivered.setdefault(channel, set()).add((alert_id, version, recipient))
        if len(attempt_ids) > 1:
            repeated.add((alert_id, version, f"{recipient}@{channel}"))
    received_latest = {(a, v, r) for keys in delivered.values() for (a, v, r) in keys}
    lost_alerts = sorted(
        alert_id
        for alert_id, a in latest.items()
        if users_of.get(a["partner"])
        and acked_versions.get(alert_id, 0) < a["version"]
        and not any((alert_id, a["version"], u) in received_latest for u in users_of[a["partner"]])
    )
    lost_reports = sorted(accepted_reports - journaled_reports)
    confirmed = sorted(i for i, p in incidents.items() if p["confirmed_hostile"])
    unassigned = [i for i in confirmed if i not in assignments]
    return {
        "reports": reports,
        "reports_by_format": dict(sorted(by_format.items())),
        "tracks": tracks,
        "incidents": len(incidents),
        "incidents_confirmed_hostile": len(confirmed),
        "alerts": versions["Alert"],
        "alert_messages": {k: versions[k] for k in ("Alert", "Update", "Cancel")},
        "deliveries": {ch: len(keys) for ch, keys in sorted(delivered.items())},
        "delivery_attempts": dict(sorted(attempts.items())),
        "acknowledgements": dict(sorted(acks.items())),
        "delivery_failures": dict(sorted(failures.items())),
        "escalations": steps["later"],
        "escalation_restarts": steps["restarts"],
        "roster_takeovers": steps["takeovers"],
        "dead_channels": sorted(s.channel for s in health.channels.values() if s.deaths),
        "channel_health": health.view(),
        "assignments": len(assignments),
        "assignments_by_status": dict(Counter(a["status"] for a in assignments.values())),
        "assignments_by_lead": dict(
            sorted(Counter(a["lead"] or cell for a in assignments.values()).items())
        ),
        "unassigned": len(unassigned),
        "lost": len(lost_reports) + len(lost_alerts),
        "lost_detail": {"reports": lost_reports[:20], "alerts": lost_alerts[:20]},
        "duplicates": len(repeated),
    }
