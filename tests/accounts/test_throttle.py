"""Sign-in delays: per (name, source), growing, bounded, and no lock-out of the real user."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest

from tests.factories import T0
from warnline.accounts import Accounts, Role, User
from warnline.accounts.throttle import SignInThrottle, ThrottlePolicy
from warnline.errors import AuthError, SignInDelayError

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def pw_hash() -> str:
    return Accounts.hash_password(PASSWORD)


def accounts(pw_hash: str) -> Accounts:
    return Accounts(
        [User(username="isr-watch", partner="ISR", role=Role.WATCH, password_hash=pw_hash)]
    )


def test_a_guesser_elsewhere_cannot_keep_the_duty_officer_out(pw_hash: str) -> None:
    acc = accounts(pw_hash)
    now = T0
    for i in range(200):  # an attacker hammers the officer's name, as fast as allowed
        now = T0 + timedelta(seconds=i)
        try:
            acc.login("isr-watch", f"guess{i}", now, source="203.0.113.9")
        except SignInDelayError:
            pass
        except AuthError:
            pass
    session = acc.login("isr-watch", PASSWORD, now, source="10.1.0.7")  # the officer's console
    assert session.user.username == "isr-watch"
    with pytest.raises(SignInDelayError):  # the attacker, even with the right password
        acc.login("isr-watch", PASSWORD, now, source="203.0.113.9")


def test_delays_grow_and_are_capped() -> None:
    th = SignInThrottle(ThrottlePolicy(free_per_pair=2, free_per_source=1000, max_delay_s=8))
    now = T0
    waits = []
    for _ in range(8):
        th.check("jor-watch", "a", now)
        th.failed("jor-watch", "a", now)
        try:
            th.check("jor-watch", "a", now)
            waits.append(0.0)
        except SignInDelayError as exc:
            waits.append(exc.retry_after_s)
            now += timedelta(seconds=exc.retry_after_s)
    assert waits == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_a_source_failing_across_many_names_is_slowed_as_a_whole() -> None:
    th = SignInThrottle(ThrottlePolicy(free_per_pair=3, free_per_source=5))
    for i in range(6):
        th.failed(f"name{i}", "a", T0)
    with pytest.raises(SignInDelayError):
        th.check("name99", "a", T0)
    th.check("name99", "b", T0)  # another source is not


def test_memory_is_bounded_and_forgotten() -> None:
    policy = ThrottlePolicy(max_entries=1000, forget_after_s=600)
    th = SignInThrottle(policy)
    for i in range(20_000):
        th.failed(f"name{i}", f"10.0.{i // 250}.{i % 250}", T0)
    assert len(th) == 1000
    th.check("someone", "x", T0 + timedelta(seconds=601))
    assert len(th) == 0


def test_a_success_clears_the_pair(pw_hash: str) -> None:
    acc = accounts(pw_hash)
    for _ in range(3):
        with pytest.raises(AuthError):
            acc.login("isr-watch", "typo", T0, source="s")
    acc.login("isr-watch", PASSWORD, T0, source="s")
    for _ in range(3):  # three free tries again, not a delay at the first typo
        with pytest.raises(AuthError) as err:
            acc.login("isr-watch", "typo", T0, source="s")
        assert not isinstance(err.value, SignInDelayError)


def test_unknown_and_known_names_take_the_same_time(pw_hash: str) -> None:
    """Each answer costs one argon2 verification (today 0.7 ms vs 125 ms told them apart)."""
    acc = accounts(pw_hash)

    def cost(name: str) -> float:
        runs = []
        for i in range(5):
            t = time.perf_counter()
            with pytest.raises(AuthError):
                acc.login(name, "wrong", T0, source=f"s{name}{i}")
            runs.append(time.perf_counter() - t)
        return statistics.median(runs)

    known, unknown = cost("isr-watch"), cost("nobody-here")
    assert 0.33 < unknown / known < 3.0, (known, unknown)
