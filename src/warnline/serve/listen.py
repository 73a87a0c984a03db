"""Where a served node listens: checked before anything starts."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

from warnline.errors import ConfigError
from warnline.pki.tls import TlsSettings


def check_tls(tls: TlsSettings | None, config_path: Path) -> None:
    """Every file [tls] names, before anything starts."""
    if tls is not None:
        try:
            tls.check()
        except ConfigError as exc:
            raise ConfigError(f"{config_path}: {exc}") from None


def probe_port(host: str, port: int, config_path: Path, *, field: str = "node.port") -> None:
    """A ConfigError naming the port if the listener could not bind it (in use, or an
    address this machine does not have), before the node starts: not a traceback from
    deep inside the server."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = "in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            raise ConfigError(f"{config_path}: {field} {port} on {host}: {why}") from None
