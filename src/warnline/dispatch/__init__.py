"""dispatch stage: pending deliveries, retries and acknowledgement tracking."""

from warnline.dispatch.dispatcher import (
    ACK_KIND,
    ATTEMPT_KIND,
    RESULT_KIND,
    Dispatcher,
    ack_event,
    receipt_event,
)

__all__ = ["ACK_KIND", "ATTEMPT_KIND", "RESULT_KIND", "Dispatcher", "ack_event", "receipt_event"]
