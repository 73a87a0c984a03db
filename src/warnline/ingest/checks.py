"""Time, sanity and rate checks applied to every report whatever its format."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime

from warnline.agreement.model import Agreement
from warnline.domain import Report
from warnline.errors import InputError, RateLimitError, SanityError, StaleReportError

MAX_SPEED_MS = 8_000.0  # faster than any aerial threat in scope: a unit error, not a threat


def check_reports(reports: Sequence[Report], *, agreement: Agreement, now: datetime) -> None:
    """Raise the first report's fault, naming its index."""
    for i, r in enumerate(reports):
        fault = report_fault(r, index=i, agreement=agreement, now=now)
        if fault is not None:
            raise fault


def report_fault(
    r: Report, *, index: int, agreement: Agreement, now: datetime
) -> InputError | None:
    """What is wrong with one report on its own, if anything (a batch refuses it alone)."""
    age = (now - r.observed_at).total_seconds()
    if age > agreement.max_report_age_s:
        return StaleReportError(
            f"observed {age:.0f} s ago, more than {agreement.max_report_age_s:.0f} s",
            field=f"reports.{index}.observed_at",
        )
    if -age > agreement.max_report_lead_s:
        return StaleReportError(
            f"observed {-age:.1f} s in the future", field=f"reports.{index}.observed_at"
        )
    if (
        r.velocity is not None
        and (r.velocity.ground_speed**2 + r.velocity.up**2) ** 0.5 > MAX_SPEED_MS
    ):
        return SanityError(f"speed above {MAX_SPEED_MS:.0f} m/s", field=f"reports.{index}.velocity")
    if r.releasability is not None and r.releasability.release_to is not None:
        unknown = sorted(set(r.releasability.release_to) - set(agreement.partners))
        if unknown:
            return SanityError(
                f"unknown partner(s) {', '.join(unknown)}",
                field=f"reports.{index}.releasability.release_to",
            )
    return None


class RateLimiter:
    """A token bucket per partner on the node's clock: `rates` are the agreement's
    reports per second per partner (default `rate`); a bucket holds `burst_s` seconds'
    worth, so a raid's burst passes and a flood does not."""

    def __init__(
        self,
        *,
        rate: float = 5000.0,
        burst_s: float = 4.0,
        rates: Mapping[str, float] | None = None,
    ) -> None:
        self.rate = rate
        self.burst_s = burst_s
        self.rates = dict(rates or {})
        self._tokens: dict[str, float] = {}
        self._last: dict[str, datetime] = {}

    def take(self, partner: str, n: int, now: datetime) -> None:
        rate = self.rates.get(partner, self.rate)
        burst = rate * self.burst_s
        last = self._last.get(partner)
        tokens = self._tokens.get(partner, burst)
        if last is not None:
            tokens = min(burst, tokens + max(0.0, (now - last).total_seconds()) * rate)
        if n > tokens:
            raise RateLimitError(f"partner {partner} exceeds {rate:.0f} reports/s")
        self._tokens[partner] = tokens - n
        self._last[partner] = now


class JournalShare:
    """A partner's share of the journal and of the decisions behind it.

    The journal writes and the decision loop folds reports in arrival order, so what one
    partner sends - even within its agreed rate - is what every other partner's reports
    wait behind. Two bounds, each answered with 429 and a retry:

    - at most `max_in_flight` reports per partner waiting for the journal at once (a
      submission is never refused while its partner has nothing in flight, so one large
      batch always passes);
    - while the decisions lag (`behind()`), a partner that sent more than `over` times
      its fair share (1/n of the reports of the n partners heard from within `window_s`)
      is refused until the node has caught up: the flood waits, the others' reports do
      not wait behind it, and partners reporting the same raid side by side are not
      told apart.
    """

    def __init__(
        self,
        *,
        max_in_flight: int = 2000,
        window_s: float = 10.0,
        over: float = 2.0,
        behind: Callable[[], bool] = lambda: False,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.window_s = window_s
        self.over = over
        self.behind = behind
        self.now = now
        self._in_flight: dict[str, int] = {}
        self._recent: deque[tuple[float, str, int]] = deque()  # (at, partner, reports)
        self._totals: dict[str, int] = {}
        self.shed = 0  # submissions refused while behind

    @contextmanager
    def hold(self, partner: str, n: int) -> Iterator[None]:
        held = self._in_flight.get(partner, 0)
        if held and held + n > self.max_in_flight:
            raise RateLimitError(
                f"partner {partner} has {held} reports waiting for the journal "
                f"(share {self.max_in_flight}); retry shortly"
            )
        self._check_share(partner)
        self._count(partner, n)
        self._in_flight[partner] = held + n
        try:
            yield
        finally:
            left = self._in_flight[partner] - n
            if left:
                self._in_flight[partner] = left
            else:
                del self._in_flight[partner]

    def in_flight(self, partner: str) -> int:
        return self._in_flight.get(partner, 0)

    def _check_share(self, partner: str) -> None:
        self._prune()
        total = sum(self._totals.values())
        if len(self._totals) < 2 or not total or not self.behind():
            return
        share = self._totals.get(partner, 0) / total
        fair = 1 / len(self._totals)
        if share > self.over * fair:
            self.shed += 1
            raise RateLimitError(
                f"the node is behind with its decisions and partner {partner} sent "
                f"{share:.0%} of the last {self.window_s:g} s of reports (fair share "
                f"{fair:.0%}); retry shortly"
            )

    def _count(self, partner: str, n: int) -> None:
        self._recent.append((self.now(), partner, n))
        self._totals[partner] = self._totals.get(partner, 0) + n

    def _prune(self) -> None:
        since = self.now() - self.window_s
        while self._recent and self._recent[0][0] < since:
            _, partner, n = self._recent.popleft()
            left = self._totals[partner] - n
            if left:
                self._totals[partner] = left
            else:
                del self._totals[partner]
