"""Headers that keep the console's pages in their own frame and origin.

The page loads one script and one style sheet of its own and opens one WebSocket to
its own host, so the policy allows exactly that: no inline script, no other origin,
no framing (clickjacking an "Acknowledge" button), no MIME sniffing, no referrer.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
EVERY_ANSWER: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
PAGES: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),  # for browsers that predate frame-ancestors
)


class SecurityHeaders:
    """Pure ASGI middleware: nosniff and no referrer on every answer; the content
    policy and the framing ban on every HTML page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                html = any(
                    k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers
                )
                message = {
                    **message,
                    "headers": [*headers, *EVERY_ANSWER, *(PAGES if html else ())],
                }
            await send(message)

        await self.app(scope, receive, with_headers)
