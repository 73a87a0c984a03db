"""What every channel adapter offers the node: reachability and a send."""

from __future__ import annotations

from typing import Any, Protocol


class Channel(Protocol):
    name: str

    def reachable(self, recipient: str) -> bool: ...

    async def deliver(self, recipient: str, message: dict[str, Any]) -> None:
        """Hand `message` over; raise ChannelError if it could not be."""
