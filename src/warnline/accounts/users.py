"""Console and API users: argon2-hashed passwords, a role, a partner; sessions.

What each role may change is one table, `MAY` (docs/api.md draws it per endpoint);
reading is open to every signed-in role, as released to its partner. The cell role
belongs to the coordination cell's accounts only (`check_cell_accounts`).

Failed sign-ins slow down the (user name, source address) they come from, with
growing delays on the node's clock (`accounts/throttle.py`): guessing is slow, and nobody
can lock a duty officer out by guessing at their name from elsewhere. An unknown name
costs the same argon2 verification as a known one, so timing does not tell which
names exist. Sessions are random bearer tokens kept in memory (a restart signs
everyone out, which a watch floor notices at once and recovers from by signing in
again).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from warnline.accounts.throttle import SignInThrottle, ThrottlePolicy
from warnline.errors import AuthError, ConfigError

VERIFY_AT_ONCE = 2  # concurrent argon2 verifications (64 MiB and a core each)


@functools.cache
def _dummy_hash() -> str:
    """What an unknown name is verified against, so it costs what a known name costs:
    one per process (hashing it costs as much as a verification)."""
    return PasswordHasher().hash(secrets.token_urlsafe(16))


class Role(StrEnum):
    WATCH = "watch"
    COMMANDER = "commander"
    CELL = "cell"
    OBSERVER = "observer"
    ADMIN = "admin"


class Action(StrEnum):
    """A state change a signed-in user can ask for."""

    ACKNOWLEDGE = "acknowledge"  # an alert addressed to the user's partner
    RECEIPT = "receipt"  # "this console showed that alert" (the user's own deliveries)
    ANSWER_OFFER = "answer_offer"  # accept or decline a lead offer to the user's partner
    OVERRIDE_LEAD = "override_lead"  # name the lead of an incident (the cell)
    DECLARE_READINESS = "declare_readiness"  # of the user's partner
    TAKE_OVER = "take_over"  # stand in for a duty role of the user's partner
    MANUAL_REPORT = "manual_report"  # enter a report by hand, as the user's partner
    DRAFT_ALERT = "draft_alert"  # draft (and end) a manual alert
    APPROVE_ALERT = "approve_alert"  # approve or reject another person's draft


MAY: dict[Action, frozenset[Role]] = {
    Action.ACKNOWLEDGE: frozenset({Role.WATCH, Role.COMMANDER}),
    Action.RECEIPT: frozenset(Role),  # every console reports what it showed
    Action.ANSWER_OFFER: frozenset({Role.COMMANDER}),
    Action.OVERRIDE_LEAD: frozenset({Role.CELL}),
    Action.DECLARE_READINESS: frozenset({Role.COMMANDER, Role.CELL}),
    Action.TAKE_OVER: frozenset({Role.WATCH, Role.COMMANDER, Role.CELL}),
    # alerting/manual.py `ManualRules` holds the same roles for the fold (a test keeps them equal)
    Action.MANUAL_REPORT: frozenset({Role.WATCH, Role.COMMANDER, Role.CELL}),
    Action.DRAFT_ALERT: frozenset({Role.WATCH, Role.COMMANDER, Role.CELL}),
    Action.APPROVE_ALERT: frozenset({Role.COMMANDER, Role.CELL}),
}


def check_cell_accounts(users: list[User], coordination_cell: str) -> None:
    """Refuse a cell-role account of any partner but the coordination cell's: the role
    overrides every partner's lead, which no other partner's account may do."""
    for u in users:
        if u.role is Role.CELL and u.partner != coordination_cell:
            raise ConfigError(
                f"user {u.username}: role 'cell' is for the coordination cell "
                f"({coordination_cell}) only, not {u.partner}"
            )


@dataclass(frozen=True, kw_only=True)
class User:
    username: str
    partner: str
    role: Role
    password_hash: str


@dataclass(frozen=True, kw_only=True)
class Session:
    token: str
    user: User
    expires_at: datetime


class Accounts:
    def __init__(
        self,
        users: list[User],
        *,
        session_ttl_s: float = 12 * 3600,
        throttle: ThrottlePolicy | None = None,
        scrape_token_sha256: str | None = None,
    ) -> None:
        self._users = {u.username: u for u in users}
        self._sessions: dict[str, Session] = {}
        self._hasher = PasswordHasher()
        _dummy_hash()  # made before the first sign-in, so that one is not slower either
        self._verifying = asyncio.Semaphore(VERIFY_AT_ONCE)
        self._ttl = timedelta(seconds=session_ttl_s)
        self.throttle = SignInThrottle(throttle)
        self._scrape_digest = scrape_token_sha256.lower() if scrape_token_sha256 else None

    @staticmethod
    def hash_password(password: str) -> str:
        return PasswordHasher().hash(password)

    @classmethod
    def load(cls, path: Path) -> Accounts:
        data = json.loads(path.read_text())
        return cls(
            [
                User(
                    username=u["username"],
                    partner=u["partner"],
                    role=Role(u["role"]),
                    password_hash=u["password_hash"],
                )
                for u in data["users"]
            ]
        )

    def users(self) -> list[User]:
        return sorted(self._users.values(), key=lambda u: u.username)

    def of_partner(self, partner: str) -> list[str]:
        return [u.username for u in self.users() if u.partner == partner]

    def partner_of(self, username: str) -> str:
        return self._users[username].partner

    def role_of(self, username: str) -> Role:
        return self._users[username].role

    def may(self, username: str, action: Action) -> bool:
        return self.role_of(username) in MAY[action]

    def may_acknowledge(self, username: str) -> bool:
        """Watch officers and commanders acknowledge for their partner; observers
        and administrators only look, and the cell cannot answer for a partner."""
        return self.may(username, Action.ACKNOWLEDGE)

    def login(self, username: str, password: str, now: datetime, source: str = "") -> Session:
        """Sign in from `source` (the peer address): refused at once while that source's
        delay for this name runs (SignInDelayError), else one argon2 verification."""
        self.throttle.check(username, source, now)
        user = self._users.get(username)
        return self._signed_in(username, source, now, user, self._verified(user, password))

    async def sign_in(
        self, username: str, password: str, now: datetime, source: str = ""
    ) -> Session:
        """`login` for the event loop: the argon2 verification (some 0.1-0.2 s of CPU,
        which sign-in attempts could otherwise spend of the node's decision loop) runs in
        a worker thread, at most `VERIFY_AT_ONCE` at a time; argon2 lets go of the GIL."""
        self.throttle.check(username, source, now)
        user = self._users.get(username)
        async with self._verifying:
            ok = await asyncio.to_thread(self._verified, user, password)
        return self._signed_in(username, source, now, user, ok)

    def _verified(self, user: User | None, password: str) -> bool:
        """One argon2 verification, against a dummy hash for an unknown name (so timing
        does not tell which names exist)."""
        try:
            self._hasher.verify(_dummy_hash() if user is None else user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return user is not None

    def _signed_in(
        self, username: str, source: str, now: datetime, user: User | None, ok: bool
    ) -> Session:
        if not ok or user is None:
            self.throttle.failed(username, source, now)
            raise AuthError("unknown user or wrong password")
        self.throttle.succeeded(username, source)
        session = Session(token=secrets.token_urlsafe(32), user=user, expires_at=now + self._ttl)
        self._sessions[session.token] = session
        return session

    def is_scrape_token(self, token: str) -> bool:
        """The metrics scrape token of the node's config (kept as its SHA-256 only)."""
        if self._scrape_digest is None:
            return False
        digest = hashlib.sha256(token.encode()).hexdigest()
        return hmac.compare_digest(digest, self._scrape_digest)

    def logout(self, token: str) -> None:
        self._sessions.pop(token, None)

    def session(self, token: str | None, now: datetime) -> Session:
        s = self._sessions.get(token or "")
        if s is None or s.expires_at <= now:
            raise AuthError("not signed in or session expired")
        return s
