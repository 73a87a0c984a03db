"""The console's WebSocket stream: live alerts, picture and lead offers for the
signed-in user, and the user's receipts, acknowledgements and answers back.

The first message must be `{"type": "auth", "token": "<bearer token>"}`: a cookie
alone never opens the stream (another site's page could ride on it), and a token in
the URL would end up in logs and browser history. Every later message is checked
against a strict schema; a malformed one is answered with an error message and the
stream stays open.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import Field, TypeAdapter, ValidationError

from warnline.accounts import Session
from warnline.api.limits import ConnectionGate
from warnline.api.session import session_view
from warnline.api.strict import StrictModel
from warnline.errors import AuthError, InputError, NotFoundError, SchemaError
from warnline.ingest.strict_json import check_unique_keys
from warnline.node import Node

AUTH_TIMEOUT_S = 10.0  # wall seconds a new socket has to send its auth message
MAX_MESSAGE_CHARS = 4096  # every console command is far smaller
Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")]
Version = Annotated[int, Field(ge=1, le=1_000_000)]


class AuthMsg(StrictModel):
    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=256)


class ReceivedMsg(StrictModel):
    type: Literal["received"]
    alert_id: Id
    version: Version
    count: int = Field(default=1, ge=1, le=1000)


class AckMsg(StrictModel):
    type: Literal["ack"]
    alert_id: Id
    version: Version | None = None


class LeadMsg(StrictModel):
    type: Literal["lead"]
    incident_id: Id
    accept: bool
    version: Version | None = None


class OverrideMsg(StrictModel):
    type: Literal["override"]
    incident_id: Id
    lead: str = Field(pattern=r"^[A-Z]{3}$")
    reason: str = Field(default="", max_length=500)


Command = Annotated[ReceivedMsg | AckMsg | LeadMsg | OverrideMsg, Field(discriminator="type")]
COMMAND: TypeAdapter[ReceivedMsg | AckMsg | LeadMsg | OverrideMsg] = TypeAdapter(Command)
COMMAND_TYPES = ("received", "ack", "lead", "override")  # what a console may send


def console_stream(
    node: Node, *, auth_timeout_s: float = AUTH_TIMEOUT_S
) -> Callable[[WebSocket], Awaitable[None]]:
    async def stream(ws: WebSocket) -> None:
        if not _same_origin(ws):  # cross-site WebSocket hijacking
            await ws.close(code=4403)
            return
        await ws.accept()
        try:
            s = await _authenticate(node, ws, auth_timeout_s)
            if s is None:
                return
            user = s.user.username
            # Everything the node sends goes through this socket's own outbox; the gate
            # can cut the connection when the console stops reading (channels/console.py).
            gate: ConnectionGate | None = getattr(ws.app.state, "connections", None)
            peer = (ws.client.host, ws.client.port) if ws.client else None
            node.console.connect(
                user,
                ws,
                greeting=_greeting(node, s),
                abort=None if gate is None else lambda: gate.abort(peer),
            )
            node.wake()  # pending deliveries for this user are now due
            try:
                while True:
                    await _on_message(node, user, await ws.receive(), ws)
            finally:
                node.console.disconnect(user, ws)
        except (WebSocketDisconnect, RuntimeError):
            pass

    return stream


async def _authenticate(node: Node, ws: WebSocket, timeout_s: float) -> Session | None:
    """Wait for the auth message: the session, or say why not and close."""
    try:
        first = await asyncio.wait_for(ws.receive(), timeout=timeout_s)
    except TimeoutError:
        await _refuse(ws, "no auth message in time", 4408)
        return None
    if first["type"] == "websocket.disconnect":
        return None
    try:
        auth = AuthMsg.model_validate_json(_text(first))
        s = node.accounts.session(auth.token, node.now())
    except (InputError, ValidationError):
        await _refuse(ws, 'the first message must be {"type": "auth", "token": "<token>"}', 4400)
        return None
    except AuthError as exc:
        await _refuse(ws, str(exc), 4401)
        return None
    return s


def _greeting(node: Node, s: Session) -> list[dict[str, Any]]:
    """What a console gets first: who it is, the picture, open offers (late joiners see
    them too) and, for the coordination cell, the health of every delivery channel (a
    cell officer who signs in after a channel died must see it at once)."""
    partner = s.user.partner
    greeting = [
        {"type": "hello", **session_view(node, s)},
        {"type": "picture", **node.views.picture_for(partner, tentative=False)},
    ]
    if partner == node.views.coordination_cell:
        greeting.append({"type": "channel.health", "channels": node.views.channel_health()})
    return greeting + [
        {"type": "assignment", "assignment": view} for view in node.views.assignments_for(partner)
    ]


async def _refuse(ws: WebSocket, detail: str, code: int) -> None:
    await _error(ws, detail, 401)
    await ws.close(code=code)


def _text(message: Any) -> str:
    """The text of a WebSocket message, bounded; binary frames are not commands."""
    text = message.get("text")
    if not isinstance(text, str):
        raise SchemaError("commands are JSON text frames", field="message")
    if len(text) > MAX_MESSAGE_CHARS:
        raise SchemaError(f"longer than {MAX_MESSAGE_CHARS} characters", field="message")
    check_unique_keys(text.encode())
    return text


def _same_origin(ws: WebSocket) -> bool:
    """Browsers send Origin on WebSocket upgrades; another site's page must not
    reach the stream. Clients without Origin (partners' systems) authenticate with
    the token anyway."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    return origin.split("://", 1)[-1] == ws.headers.get("host")


async def _on_message(node: Node, user: str, message: Any, ws: WebSocket) -> None:
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    try:
        cmd = COMMAND.validate_json(_text(message))
        await _run(node, user, cmd)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "message"
        await _error(ws, f"malformed message: {where}: {err['msg']}", 422, where)
    except InputError as exc:
        await _error(ws, str(exc), exc.status, exc.field)
    except AuthError as exc:
        await _error(ws, str(exc), exc.status)
    except NotFoundError as exc:
        await _error(ws, str(exc), 404)


async def _run(node: Node, user: str, cmd: ReceivedMsg | AckMsg | LeadMsg | OverrideMsg) -> None:
    if isinstance(cmd, ReceivedMsg):
        await node.commands.receipt(user, cmd.alert_id, cmd.version, cmd.count)
    elif isinstance(cmd, AckMsg):
        await node.commands.acknowledge(user, cmd.alert_id, cmd.version, "console")
    elif isinstance(cmd, LeadMsg):
        await node.commands.respond_to_offer(
            user, cmd.incident_id, cmd.accept, "console", cmd.version
        )
    else:
        await node.commands.override_lead(user, cmd.incident_id, cmd.lead, cmd.reason)


async def _error(ws: WebSocket, detail: str, status: int, field: str | None = None) -> None:
    """The WebSocket form of a problem document: the HTTP status the same refusal
    would have had, and the field when one is to blame."""
    answer = {"type": "error", "status": status, "detail": detail, "field": field}
    await ws.send_text(json.dumps({k: v for k, v in answer.items() if v is not None}))
