"""dispatch stage: pending deliveries, retries and acknowledgement tracking."""

from warnline.dispatch.dispatcher import (
    Dispatcher,
    ack_event,
    receipt_event,
)

__all__ = ["Dispatcher", "ack_event", "receipt_event"]
