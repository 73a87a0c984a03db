"""What channel adapters offer the node: the console's reachability and send, and the
person-addressed channels' send of one rendered message with its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from warnline.release.messages import PersonMessage


class Channel(Protocol):
    name: str

    def reachable(self, recipient: str) -> bool: ...

    async def deliver(self, recipient: str, message: dict[str, Any]) -> None:
        """Hand `message` over; raise ChannelError if it could not be."""


@dataclass(frozen=True, kw_only=True)
class Outbound:
    """One message for one person on one channel, already released and rendered."""

    address: str
    recipient: str  # contact id
    language: str
    message: PersonMessage
    ack_code: str
    keys: tuple[str, ...] = ("1",)  # keypad answers that end a call: "1" acknowledges an
    # alert; an offer takes "1" (accept) or "2" (decline)


@dataclass(frozen=True, kw_only=True)
class Handover:
    """What became of one send: `sent` (the next hop took it), `delivered` (the
    recipient's device or system confirmed), `failed`; `acknowledged` when the person
    acknowledged within the same exchange (keypad 1 during a call), `key` the keypad answer
    given (one of the outbound's `keys`). `handoff_s` is set
    by channels whose send goes on after the hand-off (a call is answered, then talks;
    an SMS is accepted by the centre, then a receipt is awaited)."""

    outcome: str
    detail: str = ""
    acknowledged: bool = False
    key: str = ""
    handoff_s: float | None = None  # send start to hand-off, when earlier than the return


class PersonChannel(Protocol):
    """A channel that reaches one person (or one partner system) at an address."""

    name: str

    async def send(self, out: Outbound) -> Handover:
        """Hand over; never raises for a delivery problem (that is a `failed` Handover)."""
        ...

    async def close(self) -> None: ...
