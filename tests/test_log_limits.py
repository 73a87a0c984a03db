"""Rate-limited logging (issue 10): one line per kind of fault per interval, with a count."""

from __future__ import annotations

import io
import logging

from warnline.log_limits import RateLimitedLog, install


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _logger(name: str) -> tuple[logging.Logger, io.StringIO, Clock]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log = logging.getLogger(name)
    log.handlers = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    clock = Clock()
    handler.addFilter(RateLimitedLog(interval_s=10.0, now=clock))
    return log, out, clock


def test_a_flood_of_one_fault_is_one_line_per_interval_with_a_count() -> None:
    log, out, clock = _logger("test.flood")
    for i in range(5000):
        log.error("socket.accept() out of system resource: fd %d", i)
    log.warning("refused a connection: %d open", 500)  # another kind passes at once
    assert out.getvalue().splitlines() == [
        "ERROR socket.accept() out of system resource: fd 0",
        "WARNING refused a connection: 500 open",
    ]
    clock.t += 10.5
    log.error("socket.accept() out of system resource: fd %d", 5000)
    assert out.getvalue().splitlines()[-1] == (
        "ERROR socket.accept() out of system resource: fd 5000 "
        "(and 4999 more like it in the last 10 s)"
    )
    clock.t += 30
    log.error("socket.accept() out of system resource: fd %d", 5001)
    assert (
        out.getvalue().splitlines()[-1] == "ERROR socket.accept() out of system resource: fd 5001"
    )


def test_install_filters_every_handler_of_the_logger() -> None:
    log = logging.getLogger("test.install")
    log.handlers = [logging.StreamHandler(io.StringIO()), logging.StreamHandler(io.StringIO())]
    limit = install(log)
    assert all(limit in h.filters for h in log.handlers)
