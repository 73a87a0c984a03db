"""Who is calling: the session behind a request, and what the console is told of it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from warnline.accounts import Role, Session
from warnline.errors import AuthError, ForbiddenError
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


def _scraper(request: Request) -> str:
    """Whose metrics the caller may read: the scrape token (the hub operator's, from the
    node config) reads as the coordination cell; otherwise a session of an administrator
    or of the cell role reads as its partner; other roles and no credential are refused."""
    node: Node = request.app.state.node
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and node.accounts.is_scrape_token(auth[7:]):
        return node.views.coordination_cell
    s = _session(request)
    if s.user.role not in (Role.ADMIN, Role.CELL):
        raise ForbiddenError("metrics are for administrators and the coordination cell")
    return s.user.partner


Scraper = Annotated[str, Depends(_scraper)]


def session_view(node: Node, s: Session) -> dict[str, Any]:
    return {
        "user": s.user.username,
        "partner": s.user.partner,
        "role": s.user.role.value,
        # the duty role an acknowledgement counts for under the partner's rule
        "duty_role": node.views.role_of(s.user.username),
        "may_acknowledge": node.accounts.may_acknowledge(s.user.username),
        "exercise": node.views.exercise,
        "coordination_cell": node.views.coordination_cell,
        "speed": node.views.speed,
        "now": node.now().isoformat(),  # the node's clock, until the stream's picture says it
        "record_signer": node.views.record_signer(),  # a proof's head is checked with it
    }
