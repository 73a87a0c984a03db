"""The exercise's manual entries, played through the node's API like a real console.

A border post of one partner sees one of the raid's real drones (or cruise missiles)
and phones its air operations centre: the watch officer types the report in. The
partner's commander then drafts a coalition-wide early warning for the defended area of
another partner that the object truly flies at, tries to approve it themselves (refused:
the node's rule is a second person), and the coordination cell approves it. Once the
object has arrived (or the raid ends) the drafter's watch officer ends it.

The area is one a scenario threat truly aims at, so the warning is a true one; still it
is left out of the warnings score (sim/raid.py): that score matches each alert's tracks
to the truth, and a manual alert rests on no track but on a person's word.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any

import httpx
from shapely.geometry import Point

from warnline.agreement.model import Agreement
from warnline.domain import ScaledClock, ThreatKind
from warnline.sim.scenario import Scenario, Threat

REPORT_AT_S = 20.0  # scenario seconds into the raid the border post calls
SLOW = (ThreatKind.DRONE, ThreatKind.CRUISE_MISSILE)  # what a border post sees and tells


@dataclass
class ManualLog:
    reports: int = 0
    drafted: int = 0
    refused_self_approval: int = 0
    approved: int = 0
    ended: int = 0
    truth_of: dict[str, str] = field(default_factory=dict)  # manual report key -> threat
    area: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Sighting:
    threat: Threat
    area_id: str
    owner: str
    reporter: str  # the partner whose border post saw it


def choose_sighting(scenario: Scenario, agreement: Agreement, at_s: float) -> Sighting | None:
    """The real slow threat in flight at `at_s` that arrives soonest after a minute, at a
    defended area of a partner other than the one that sees it (JOR, else ISR) whose
    membership the reporter may know."""
    best: Sighting | None = None
    for t in scenario.threats:
        if not t.threat or t.kind not in SLOW or t.state(at_s) is None:
            continue
        if t.arrival_s < at_s + 60 or t.arrival_s > scenario.duration_s:
            continue
        aim = Point(t.aim[1], t.aim[0])
        for area in agreement.areas:
            if area.kind.value != "defended" or not area.geometry.contains(aim):
                continue
            reporter = "JOR" if area.partner != "JOR" else "ISR"
            if reporter not in agreement.partners:
                continue
            if not agreement.partners[area.partner].membership_visible:
                continue  # a hidden member's areas are unknown to the reporter (seed 7: Doha)
            if best is None or t.arrival_s < best.threat.arrival_s:
                best = Sighting(
                    threat=t, area_id=area.area_id, owner=area.partner, reporter=reporter
                )
            break
    return best


class ManualPlayer:
    def __init__(
        self,
        *,
        base_url: str,
        clock: ScaledClock,
        scenario: Scenario,
        agreement: Agreement,
        passwords: dict[str, str],
        log_: ManualLog,
    ) -> None:
        self.base_url = base_url
        self.clock = clock
        self.scenario = scenario
        self.agreement = agreement
        self.passwords = passwords
        self.log = log_
        self.draft_id: str | None = None
        self._ender: str | None = None
        self._at = min(REPORT_AT_S, scenario.duration_s / 4)
        self._seen = choose_sighting(scenario, agreement, self._at)
        self._tokens: dict[str, dict[str, str]] = {}
        self._finishing = False

    def _t(self) -> float:
        return (self.clock.now() - self.clock.start).total_seconds()

    async def _until(self, at_s: float) -> None:
        while self._t() < at_s:
            await asyncio.sleep(self.clock.wall_seconds(min(1.0, at_s - self._t())))

    async def sign_in(self) -> None:
        """Sign the players in before the raid starts: a sign-in costs an argon2
        verification, which in the raid would compete with the commanders' answers."""
        if self._seen is None:
            return
        reporter = self._seen.reporter.lower()
        cell = self.agreement.coordination_cell.lower()
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=30.0) as http:
                for user in (f"{reporter}-watch", f"{reporter}-cmd", f"{cell}-watch"):
                    await self._token(http, user)
        except httpx.HTTPError as exc:  # a player's failure is counted, never the exercise's
            self.log.errors.append(f"sign-in failed: {exc!r}")

    async def _token(self, http: httpx.AsyncClient, user: str) -> dict[str, str]:
        if user not in self._tokens:
            r = await http.post(
                "/api/v1/session", json={"username": user, "password": self.passwords[user]}
            )
            r.raise_for_status()
            self._tokens[user] = {"authorization": f"Bearer {r.json()['token']}"}
        return self._tokens[user]

    async def run(self) -> None:
        """Report, draft, refused self-approval, approval; the end waits for `finish`."""
        seen = self._seen
        if seen is None:
            self.log.errors.append("no real slow threat to report in this scenario")
            return
        await self._until(self._at)
        reporter = seen.reporter.lower()
        self._ender = f"{reporter}-watch"  # who ends it, whenever that comes
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=10.0) as http:
                await self._report(http, f"{reporter}-watch", seen)
                await self._draft_and_approve(http, f"{reporter}-cmd", seen)
        except httpx.HTTPError as exc:
            self.log.errors.append(f"manual entry failed: {exc!r}")
            return
        await self._until(min(seen.threat.arrival_s + 20.0, self.scenario.duration_s - 2.0))
        await self.finish()

    async def _report(self, http: httpx.AsyncClient, user: str, seen: Sighting) -> None:
        state = seen.threat.state(self._t())
        if state is None:
            self.log.errors.append("the threat left the sky before the call")
            return
        lat, lon, _alt, ve, vn, _vu = state
        speed = (ve**2 + vn**2) ** 0.5
        heading = math.degrees(math.atan2(ve, vn)) % 360.0
        body = {
            "lat": round(lat, 4), "lon": round(lon, 4),
            "observed_at": self.clock.now().isoformat(),
            "kind": seen.threat.kind.value, "identity": "hostile",
            "heading_deg": round(heading, 1) % 360.0, "speed_m_s": round(speed, 1),
            "source": "call from border post 7 (exercise)",
        }  # fmt: skip
        r = await http.post(
            "/api/v1/manual/reports", json=body, headers=await self._token(http, user)
        )
        if r.status_code != 202:
            self.log.errors.append(f"manual report refused: {r.status_code} {r.text}")
            return
        self.log.reports += 1
        self.log.truth_of[r.json()["report"]] = seen.threat.threat_id

    async def _draft_and_approve(self, http: httpx.AsyncClient, user: str, seen: Sighting) -> None:
        own = await self._token(http, user)
        area = self.agreement.area(seen.area_id).name
        body = {
            "areas": [seen.area_id],
            "stage": "early_warning",
            "text": f"{seen.threat.kind.value.replace('_', ' ')} reported by a border post, "
            f"heading for {area} (exercise)",
        }
        r = await http.post("/api/v1/manual/alerts", json=body, headers=own)
        if r.status_code != 202:
            self.log.errors.append(f"draft refused: {r.status_code} {r.text}")
            return
        self.log.drafted += 1
        self.log.area = seen.area_id
        self.draft_id = draft_id = str(r.json()["draft_id"])
        # As on a console: the draft is answered once it is listed (the node folds it on
        # its next turn; before that it is unknown, 404).
        if await self._status(http, own, draft_id) is None:
            self.log.errors.append(f"draft {draft_id} never listed")
            return
        url = f"/api/v1/manual/alerts/{draft_id}/approve"
        r = await http.post(url, json={"reason": "my own"}, headers=own)
        if r.status_code == 403:
            self.log.refused_self_approval += 1
        else:
            self.log.errors.append(f"self-approval not refused: {r.status_code}")
        cell = f"{self.agreement.coordination_cell.lower()}-watch"
        reason = {"reason": "the post's sighting matches the cell's picture (exercise)"}
        r = await http.post(url, json=reason, headers=await self._token(http, cell))
        if r.status_code == 202:
            self.log.approved += 1
        else:
            self.log.errors.append(f"approval refused: {r.status_code} {r.text}")

    async def finish(self) -> None:
        """End the issued manual alert (idempotent): all clear after the arrival, else a
        cancel; a draft never issued has nothing to end."""
        if self.draft_id is None or self._ender is None or self._finishing:
            return
        self._finishing = True  # the player's own end and the exercise's may meet
        try:
            await self._end()
        except httpx.HTTPError as exc:  # counted in the summary; the exercise goes on
            self.log.errors.append(f"ending the manual alert failed: {exc!r}")

    async def _end(self) -> None:
        assert self._ender is not None and self.draft_id is not None
        seen_at = self._t()
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10.0) as http:
            headers = await self._token(http, self._ender)
            for _ in range(50):  # the approval is decided on the node's next turn
                status = await self._status(http, headers, self.draft_id)
                if status not in (None, "pending_approval"):
                    break
                await asyncio.sleep(0.1)
            if status != "issued":
                return
            arrived = any(
                seen_at >= t.arrival_s for t in self.scenario.threats if self._reported(t)
            )
            body: dict[str, Any] = {
                "stage": "all_clear" if arrived else "cancel",
                "reason": "the object reached its area and the post reports nothing more"
                if arrived
                else "the raid ended (exercise)",
            }
            r = await http.post(
                f"/api/v1/manual/alerts/{self.draft_id}/end", json=body, headers=headers
            )
            if r.status_code == 202:
                self.log.ended += 1
            else:
                self.log.errors.append(f"end refused: {r.status_code} {r.text}")

    async def _status(
        self, http: httpx.AsyncClient, headers: dict[str, str], draft_id: str
    ) -> str | None:
        """The draft's status as listed, waiting (bounded) until it is listed at all."""
        for _ in range(50):
            drafts = (await http.get("/api/v1/manual/alerts", headers=headers)).json()
            status = next((d["status"] for d in drafts if d["draft_id"] == draft_id), None)
            if status is not None:
                return str(status)
            await asyncio.sleep(0.1)
        return None

    def _reported(self, t: Threat) -> bool:
        return t.threat_id in self.log.truth_of.values()
