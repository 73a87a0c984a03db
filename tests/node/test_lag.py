"""What makes /healthz say "degraded" (issue 10): a loop that fell behind, and why."""

from __future__ import annotations

from warnline.node.lag import LagWatch


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_decision_lag_is_the_wait_of_the_oldest_entry_not_decided_on() -> None:
    clock = Clock()
    watch = LagWatch(now=clock, max_lag_s=1.0)
    watch.appended(10)
    watch.decided(10)
    assert watch.reasons() == [] and watch.decision_lag_s() == 0.0
    watch.appended(11)  # at t = 0
    clock.t = 0.5
    watch.appended(40)
    clock.t = 1.6
    assert watch.behind() == 30 and watch.decision_lag_s() == 1.6
    assert watch.reasons() == ["decision loop 30 entries behind, oldest waiting 1.6 s"]
    watch.decided(20)  # the entries marked at 0.5 are now the oldest waiting
    assert watch.decision_lag_s() == 1.1
    watch.decided(40)
    assert watch.reasons() == [] and watch.max_decision_lag_s == 1.6


def test_entries_sharing_a_mark_keep_its_time_once_it_is_passed() -> None:
    clock = Clock()
    watch = LagWatch(now=clock, max_lag_s=1.0)
    watch.appended(5)
    clock.t = 0.01  # within one mark interval: no new mark
    watch.appended(9)
    watch.decided(5)
    clock.t = 3.0
    assert watch.behind() == 4 and watch.decision_lag_s() == 3.0


def test_an_overdue_tick_and_a_held_event_loop_are_reasons_too() -> None:
    clock = Clock()
    watch = LagWatch(now=clock, max_lag_s=1.0, window_s=10.0)
    watch.ticked(0.5)
    watch.woke_late(2.5)
    clock.t = 2.0
    assert watch.reasons() == [
        "clock tick 1.5 s overdue",
        "event loop held up 2.5 s within the last 10 s",
    ]
    watch.ticked(0.5)
    clock.t = 12.5
    watch.ticked(0.5)
    assert watch.reasons() == [] and watch.view()["event_loop_lag_s"] == 0.0
