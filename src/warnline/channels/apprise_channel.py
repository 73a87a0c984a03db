"""The long tail (Teams, Telegram, Signal gateways, ...) through Apprise.

A contact's `apprise` address is an Apprise URL (e.g. "tgram://...", "msteams://...",
"json://gateway/path"); Apprise speaks the service's protocol. It reports only success or
failure per notification, so a success is `sent`, never `delivered`. Apprise is a
maintained library covering over a hundred services, which is why it is used instead of
an adapter per service.
"""

from __future__ import annotations

import asyncio

import apprise

from warnline.channels.base import Handover, Outbound


class AppriseChannel:
    name = "apprise"

    def _send(self, out: Outbound) -> Handover:
        ap = apprise.Apprise()
        if not ap.add(out.address):
            return Handover(outcome="failed", detail="not an Apprise URL Apprise understands")
        ok = ap.notify(title=out.message.subject, body=out.message.text)
        if ok:
            return Handover(outcome="sent", detail="accepted by the service")
        return Handover(outcome="failed", detail="the service refused or was unreachable")

    async def send(self, out: Outbound) -> Handover:
        # Apprise's notify is blocking (it runs its own loop or threads): keep it off ours.
        return await asyncio.to_thread(self._send, out)

    async def close(self) -> None:
        return None
