"""The console's WebSocket stream: live alerts, picture and lead offers for the
signed-in user, and the user's receipts, acknowledgements and answers back."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from warnline.api.limits import ConnectionGate
from warnline.api.session import SESSION_COOKIE, session_view
from warnline.errors import AuthError, ForbiddenError, InputError, NotFoundError
from warnline.node import Node


def console_stream(node: Node) -> Callable[[WebSocket], Awaitable[None]]:
    async def stream(ws: WebSocket) -> None:
        if not _same_origin(ws):  # cross-site WebSocket hijacking
            await ws.close(code=4403)
            return
        token = ws.query_params.get("token") or ws.cookies.get(SESSION_COOKIE)
        try:
            s = node.accounts.session(token, node.now())
        except AuthError:
            await ws.close(code=4401)
            return
        await ws.accept()
        user = s.user
        greeting = [
            {"type": "hello", **session_view(node, s)},
            {"type": "picture", **node.views.picture_for(user.partner)},
        ]
        greeting += [  # open offers reach late joiners
            {"type": "assignment", "assignment": view}
            for view in node.views.assignments_for(user.partner)
        ]
        # Everything the node sends goes through this socket's own outbox; the gate can
        # cut the connection when the console stops reading (see channels/console.py).
        gate: ConnectionGate | None = getattr(ws.app.state, "connections", None)
        peer = (ws.client.host, ws.client.port) if ws.client else None
        node.console.connect(
            user.username,
            ws,
            greeting=greeting,
            abort=None if gate is None else lambda: gate.abort(peer),
        )
        node.wake()  # pending deliveries for this user are now due
        try:
            while True:
                msg = json.loads(await ws.receive_text())
                await _on_console_message(node, user.username, msg, ws)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            node.console.disconnect(user.username, ws)

    return stream


def _same_origin(ws: WebSocket) -> bool:
    """Browsers send Origin on WebSocket upgrades; another site's page must not
    ride on a signed-in officer's cookie. Clients without Origin (partners' systems)
    authenticate with the token anyway."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    return origin.split("://", 1)[-1] == ws.headers.get("host")


async def _on_console_message(node: Node, user: str, msg: dict[str, Any], ws: WebSocket) -> None:
    kind = msg.get("type")
    try:
        if kind == "received":
            await node.receipt(
                user, str(msg["alert_id"]), int(msg["version"]), int(msg.get("count", 1))
            )
        elif kind == "ack":
            version = msg.get("version")
            await node.acknowledge(
                user, str(msg["alert_id"]), None if version is None else int(version), "console"
            )
        elif kind == "lead":
            version = msg.get("version")
            await node.respond_to_offer(
                user, str(msg["incident_id"]), bool(msg["accept"]), "console",
                None if version is None else int(version),
            )  # fmt: skip
        elif kind == "override":
            await node.override_lead(
                user, str(msg["incident_id"]), str(msg["lead"]), str(msg.get("reason", ""))
            )
        else:
            await ws.send_text(
                json.dumps({"type": "error", "detail": f"unknown message type {kind!r}"})
            )
    except (KeyError, ValueError, TypeError) as exc:
        await ws.send_text(json.dumps({"type": "error", "detail": f"malformed message: {exc}"}))
    except (NotFoundError, ForbiddenError, InputError) as exc:
        await ws.send_text(json.dumps({"type": "error", "detail": str(exc)}))
