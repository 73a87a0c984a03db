"""Rate-limited logging: one line per kind of fault per interval, with a count.

A fault an outsider can trigger at will (refused connections, time-outs, malformed
requests, "Too many open files" from the accept loop) must not turn the log into the
attack: one probe grew a node's log by 218 MB in 25 s. A kind is the logger, level and
message template (not its arguments); the first record of a kind in an interval passes,
the rest are counted, and the next that passes says how many were held back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

MAX_KINDS = 1024  # distinct kinds remembered; past this the oldest are forgotten


class RateLimitedLog(logging.Filter):
    def __init__(self, *, interval_s: float = 10.0, now: Callable[[], float] = time.monotonic):
        super().__init__()
        self.interval_s = interval_s
        self.now = now
        self._kinds: dict[tuple[str, int, str], tuple[float, int]] = {}  # -> (passed at, held)

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, record.levelno, str(record.msg))
        t = self.now()
        seen = self._kinds.get(kind)
        if seen is not None and t - seen[0] < self.interval_s:
            self._kinds[kind] = (seen[0], seen[1] + 1)
            return False
        if seen is not None and seen[1]:
            record.msg = (
                f"{record.getMessage()} (and {seen[1]} more like it in the last "
                f"{t - seen[0]:.0f} s)"
            )
            record.args = None
        self._kinds.pop(kind, None)
        self._kinds[kind] = (t, 0)
        if len(self._kinds) > MAX_KINDS:
            del self._kinds[next(iter(self._kinds))]
        return True


def install(logger: logging.Logger | None = None, *, interval_s: float = 10.0) -> RateLimitedLog:
    """Put one filter on every handler of `logger` (the root by default)."""
    target = logger or logging.getLogger()
    limit = RateLimitedLog(interval_s=interval_s)
    for handler in target.handlers:
        handler.addFilter(limit)
    return limit
