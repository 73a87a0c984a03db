"""Console and API users: argon2-hashed passwords, a role, a partner; sessions.

Sessions are random bearer tokens kept in memory (a restart signs everyone out,
which a watch floor notices at once and recovers from by signing in again).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from warnline.errors import AuthError


class Role(StrEnum):
    WATCH = "watch"
    COMMANDER = "commander"
    CELL = "cell"
    OBSERVER = "observer"
    ADMIN = "admin"


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
    def __init__(self, users: list[User], *, session_ttl_s: float = 12 * 3600) -> None:
        self._users = {u.username: u for u in users}
        self._sessions: dict[str, Session] = {}
        self._hasher = PasswordHasher()
        self._ttl = timedelta(seconds=session_ttl_s)

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

    def login(self, username: str, password: str, now: datetime) -> Session:
        user = self._users.get(username)
        try:
            if user is None:
                raise VerificationError
            self._hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise AuthError("unknown user or wrong password") from None
        session = Session(token=secrets.token_urlsafe(32), user=user, expires_at=now + self._ttl)
        self._sessions[session.token] = session
        return session

    def logout(self, token: str) -> None:
        self._sessions.pop(token, None)

    def session(self, token: str | None, now: datetime) -> Session:
        s = self._sessions.get(token or "")
        if s is None or s.expires_at <= now:
            raise AuthError("not signed in or session expired")
        return s
