"""Who is calling: the session behind a request, and what the console is told of it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from warnline.api.accounts import Session
from warnline.errors import AuthError
from warnline.node import Node

SESSION_COOKIE = "warnline_session"


def _session(request: Request) -> Session:
    """The caller's session, from a bearer token or the console's cookie.

    The cookie alone only reads: a request that changes anything must carry the
    bearer token, which another site's page cannot read, so a forged cross-site
    request (CSRF) cannot acknowledge or decide anything."""
    node: Node = request.app.state.node
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return node.accounts.session(auth[7:], node.now())
    if request.method not in ("GET", "HEAD"):
        raise AuthError("a request that changes state needs the bearer token, not the cookie alone")
    return node.accounts.session(request.cookies.get(SESSION_COOKIE), node.now())


Caller = Annotated[Session, Depends(_session)]


def session_view(node: Node, s: Session) -> dict[str, Any]:
    return {
        "user": s.user.username,
        "partner": s.user.partner,
        "role": s.user.role.value,
        "exercise": node.agreement.exercise,
        "coordination_cell": node.agreement.coordination_cell,
        "speed": node.settings.speed,
    }
