"""E-mail over SMTP through the partner's (or the hub's) relay.

stdlib smtplib in a worker thread: one short session per message is what relays expect
from a low-volume sender, and it keeps no connection state to go stale between alerts.
`sent` means the relay accepted the message (250); a refusal or a dead relay is `failed`.
A relay off the node's host usually wants STARTTLS and a login (`starttls`, `username`).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from warnline.channels.base import Handover, Outbound


class EmailChannel:
    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str = "warnline@hub.invalid",
        timeout_s: float = 5.0,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout_s = timeout_s
        self.starttls = starttls
        self.username = username
        self._password = password
        self._tls_context = tls_context  # None: the system's CAs, host name checked

    def _message(self, out: Outbound) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = out.address
        msg["Subject"] = out.message.subject
        msg["Message-ID"] = make_msgid(domain="hub.invalid")
        msg["X-Warnline-Alert"] = out.message.view.get("version_key", "")
        msg.set_content(out.message.text)
        msg["Content-Language"] = out.language  # after set_content, which resets Content-*
        return msg

    def _send(self, out: Outbound) -> Handover:
        msg = self._message(out)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=self._tls_context or ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self._password or "")
                refused = smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            return Handover(outcome="failed", detail=f"{type(exc).__name__}: {exc}")
        if refused:
            return Handover(outcome="failed", detail=f"refused: {refused}")
        return Handover(outcome="sent", detail="250 accepted by relay")

    async def send(self, out: Outbound) -> Handover:
        return await asyncio.to_thread(self._send, out)

    async def close(self) -> None:
        return None
